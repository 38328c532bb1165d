# cmake --install: the three programs, libmarble with its public headers, the systemd unit and
# an example environment file, in the usual GNUInstallDirs places.
include(GNUInstallDirs)

foreach(program marblerun marblerun-coordinator marblerun-premain)
  if(TARGET ${program})
    install(TARGETS ${program} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  endif()
endforeach()

if(TARGET mr_marble)
  install(TARGETS mr_marble ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(FILES ${PROJECT_SOURCE_DIR}/src/marble/marble.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/marblerun
          OPTIONAL)
endif()

set(MR_INSTALL_BINDIR ${CMAKE_INSTALL_FULL_BINDIR})
configure_file(${PROJECT_SOURCE_DIR}/packaging/marblerun-coordinator.service
               ${CMAKE_BINARY_DIR}/packaging/marblerun-coordinator.service @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/packaging/marblerun-coordinator.service
        DESTINATION ${CMAKE_INSTALL_PREFIX}/lib/systemd/system)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/coordinator.env.example
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/marblerun)
