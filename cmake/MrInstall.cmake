# cmake --install: the three programs, libmarble with its public headers, the systemd unit and
# an example environment file, in the usual GNUInstallDirs places.
include(GNUInstallDirs)

foreach(program marblerun marblerun-coordinator marblerun-premain)
  if(TARGET ${program})
    install(TARGETS ${program} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  endif()
endforeach()

# libmarble.so with the headers of its public API (activation, parameters, apply, transports)
# and everything they include, under include/marblerun/ (compile with -I<prefix>/include/marblerun).
if(TARGET marble)
  install(TARGETS marble LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
  foreach(header
          marble/activation.h marble/apply.h marble/parameters.h marble/transport.h
          marble/grpc_transport.h marble/monotonic_counter.h base/bytes.h base/clock.h base/result.h
          attestation/quote_issuer.h attestation/simulated/no_tee_issuer.h)
    get_filename_component(dir ${header} DIRECTORY)
    install(FILES ${PROJECT_SOURCE_DIR}/src/${header} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/marblerun/${dir})
  endforeach()
endif()

# The unit names the installed binary, so it is generated at install time (when the final
# prefix is known; DESTDIR staging does not change it).
install(CODE "
  set(MR_INSTALL_BINDIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}\")
  configure_file(\"${PROJECT_SOURCE_DIR}/packaging/marblerun-coordinator.service\"
                 \"${CMAKE_BINARY_DIR}/packaging/marblerun-coordinator.service\" @ONLY)
")
install(FILES ${CMAKE_BINARY_DIR}/packaging/marblerun-coordinator.service DESTINATION lib/systemd/system)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/coordinator.env.example
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/marblerun)
