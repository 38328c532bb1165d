# Project-wide compile settings and the two helpers every folder uses.

set(MR_WARNINGS -Wall -Wextra -Wnon-virtual-dtor -Wimplicit-fallthrough -Wshadow=local
                -Wno-missing-field-initializers
                # GCC 12 reports false positives for std::optional<std::string> at -O2
                # (GCC bugs 105562/107138); clang-tidy and the sanitizer build cover real cases.
                -Wno-maybe-uninitialized)
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  list(APPEND MR_WARNINGS -Wno-unknown-warning-option)  # the GCC-only flags above (fuzz builds)
endif()
if(MR_WERROR)
  list(APPEND MR_WARNINGS -Werror)
endif()

# MR_SANITIZE: ON/address/asan = ASan+UBSan (the historical meaning of ON); thread/tsan = TSan.
string(TOLOWER "${MR_SANITIZE}" mr_sanitize)
set(MR_SANITIZE_FLAGS "")  # what a program built against the installed files needs too
if(mr_sanitize MATCHES "^(thread|tsan)$")
  set(MR_SANITIZE_FLAGS -fsanitize=thread)
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
elseif(mr_sanitize MATCHES "^(address|asan)$" OR MR_SANITIZE)
  set(MR_SANITIZE_FLAGS -fsanitize=address,undefined)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# MR_FUZZ: every library is instrumented for libFuzzer (coverage) with ASan+UBSan; the fuzz
# targets add -fsanitize=fuzzer at link time (fuzz/CMakeLists.txt). Needs clang.
if(MR_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "MR_FUZZ needs clang (scripts/fuzz.sh configures clang++-16)")
  endif()
  if(MR_SANITIZE)
    message(FATAL_ERROR "MR_FUZZ brings its own sanitizers; leave MR_SANITIZE off")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# mr_add_library(<name> [SOURCES ...] [DEPS ...] [PRIVATE_DEPS ...])
# Defines target mr_<name> rooted at src/; headers are included as "<folder>/<file>.h".
# A library without sources becomes an INTERFACE target.
function(mr_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  set(target mr_${name})
  if(ARG_SOURCES)
    add_library(${target} STATIC ${ARG_SOURCES})
    target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR}/src)
    target_compile_options(${target} PRIVATE ${MR_WARNINGS})
    target_link_libraries(${target} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  else()
    add_library(${target} INTERFACE)
    target_include_directories(${target} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(${target} INTERFACE ${ARG_DEPS})
  endif()
endfunction()

# mr_add_test(<name> SOURCES ... LIBS ... [LABELS unit|conformance|integration|e2e|tee])
# One GoogleTest executable; its tests are discovered at ctest time and carry the labels.
function(mr_add_test name)
  if(NOT MR_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  # Several engineers build one tree at once; with MR_DEV_SKIP_MISSING a test whose sources do
  # not exist yet is skipped with a warning instead of breaking everyone's configure. CI never
  # sets it.
  if(MR_DEV_SKIP_MISSING)
    foreach(src IN LISTS ARG_SOURCES)
      if(NOT EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${src})
        message(WARNING "skipping test ${name}: ${src} does not exist yet")
        return()
      endif()
    endforeach()
  endif()
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  target_compile_options(${name} PRIVATE ${MR_WARNINGS})
  target_compile_definitions(${name} PRIVATE MR_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                                             MR_BINARY_DIR="${CMAKE_BINARY_DIR}")
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gmock GTest::gtest_main)
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 60
                       PROPERTIES LABELS "${ARG_LABELS}")
endfunction()

# MR_GIT_COMMIT: the commit being built (for version output and metrics), or "unknown".
execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                OUTPUT_VARIABLE MR_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT MR_GIT_COMMIT)
  set(MR_GIT_COMMIT "unknown")
endif()
