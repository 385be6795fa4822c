# Host build: portable core under sanitizers, tools, image assembly, tests.
if(NOT CMAKE_BUILD_TYPE)
    set(CMAKE_BUILD_TYPE Debug)
endif()
set(BH_SANITIZE -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
add_compile_options(${BH_SANITIZE})
add_link_options(-fsanitize=address,undefined)
set(BH_TARGET_DIR ${CMAKE_BINARY_DIR}/target)
set(BH_IMAGE_DIR ${CMAKE_BINARY_DIR}/images)
enable_testing()

option(BH_WITH_TARGET "Also build the AArch64 target (kernel, images, QEMU tests)" ON)
include(ExternalProject)
if(BH_WITH_TARGET)
ExternalProject_Add(target
    SOURCE_DIR ${CMAKE_SOURCE_DIR}
    BINARY_DIR ${BH_TARGET_DIR}
    CMAKE_ARGS -DBH_TARGET=ON
               -DCMAKE_TOOLCHAIN_FILE=${CMAKE_SOURCE_DIR}/cmake/toolchain-aarch64.cmake
               -DBH_DEPS_DIR=${BH_DEPS_DIR}
    INSTALL_COMMAND ""
    BUILD_ALWAYS 1)
endif()

include(cmake/images.cmake)

# Portable code, compiled for the host so tests run under ASan/UBSan.
add_subdirectory(caps)
add_subdirectory(vm)
add_subdirectory(kernel)
add_subdirectory(userland)
add_subdirectory(tools)
add_subdirectory(tests)

if(BH_WITH_TARGET)
    # What `make run` boots at this stage: the kernel and the root task.
    bh_image(default ROOTTASK ${BH_TARGET_DIR}/userland/roottask/roottask.elf)
endif()
add_subdirectory(proofs)
