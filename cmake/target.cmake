# Freestanding AArch64 build: kernel, libfdt, EL0 programs.
if(NOT CMAKE_BUILD_TYPE)
    set(CMAKE_BUILD_TYPE Release)
endif()
set(BH_LIBFDT_DIR ${BH_DEPS_DIR}/libfdt)
execute_process(COMMAND ${CMAKE_SOURCE_DIR}/tools/fetch-libfdt.sh ${BH_LIBFDT_DIR}
    RESULT_VARIABLE fetch_rc)
if(NOT fetch_rc EQUAL 0)
    message(FATAL_ERROR "could not fetch libfdt sources into ${BH_LIBFDT_DIR}")
endif()

add_subdirectory(kernel/lib)
add_subdirectory(caps)
add_subdirectory(vm)
add_subdirectory(kernel)
add_subdirectory(userland)
add_subdirectory(tests/guests)
add_subdirectory(examples/guests) # the examples' bare-metal guests (needs tests/guests' runtime)
