# Freestanding AArch64 with Debian's aarch64-linux-gnu-gcc.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_ASM_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_OBJCOPY aarch64-linux-gnu-objcopy CACHE FILEPATH "")
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
# No FP/SIMD (the kernel does not save it for itself; EL0 servers are built the
# same way), strict alignment (code may run with the MMU off, where memory is
# Device), no stack protector runtime, absolute addressing.
set(CMAKE_C_FLAGS_INIT
    "-ffreestanding -nostdlib -mgeneral-regs-only -mstrict-align -fno-stack-protector -fno-pic -fno-pie -fno-common -fno-omit-frame-pointer -ffunction-sections -fdata-sections")
set(CMAKE_ASM_FLAGS_INIT "-ffreestanding -nostdlib")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-nostdlib -nostartfiles -static -no-pie -Wl,--build-id=none -Wl,--gc-sections")
set(CMAKE_C_FLAGS_RELEASE "-O2 -g")
set(CMAKE_ASM_FLAGS_RELEASE "-g")
