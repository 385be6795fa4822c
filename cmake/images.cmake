# bh_image(NAME ROOTTASK elf [KERNEL elf] [COMPONENTS KIND:NAME:PATH...])
# Assembles ${BH_IMAGE_DIR}/NAME.img from the target build's kernel and the
# given EL0 programs. Runs on every build (cheap), after the target build.
set(BH_KERNEL_ELF ${BH_TARGET_DIR}/kernel/arch/aarch64/kernel.elf)
function(bh_image name)
    cmake_parse_arguments(I "" "ROOTTASK;KERNEL" "COMPONENTS" ${ARGN})
    if(NOT I_KERNEL)
        set(I_KERNEL ${BH_KERNEL_ELF})
    endif()
    add_custom_target(image-${name} ALL
        COMMAND ${CMAKE_COMMAND} -E make_directory ${BH_IMAGE_DIR}
        COMMAND bh-mkimage --kernel ${I_KERNEL} -o ${BH_IMAGE_DIR}/${name}.img
                roottask:roottask:${I_ROOTTASK} ${I_COMPONENTS}
        DEPENDS bh-mkimage target
        COMMENT "Image ${name}.img"
        VERBATIM)
endfunction()

# bh_qemu_test(NAME IMAGE image [LABELS ...] [TIMEOUT s] [CPU cpu] [SMP n] [MEM MiB] [MACHINE m]
#              [ALLOW_PANIC] [ICOUNT] EXPECT text... [REJECT text...])
function(bh_qemu_test name)
    cmake_parse_arguments(Q "ALLOW_PANIC;ICOUNT" "IMAGE;TIMEOUT;CPU;SMP;MEM;MACHINE" "EXPECT;REJECT;LABELS"
        ${ARGN})
    if(NOT Q_TIMEOUT)
        set(Q_TIMEOUT 60)
    endif()
    if(NOT Q_CPU)
        set(Q_CPU cortex-a72)
    endif()
    if(NOT Q_SMP)
        set(Q_SMP 1)
    endif()
    if(NOT Q_MEM)
        set(Q_MEM 1024)
    endif()
    if(NOT Q_LABELS)
        set(Q_LABELS qemu)
    endif()
    set(args --image ${BH_IMAGE_DIR}/${Q_IMAGE}.img --cpu ${Q_CPU} --smp ${Q_SMP} --mem ${Q_MEM}
        --timeout ${Q_TIMEOUT} --quiet --log ${CMAKE_CURRENT_BINARY_DIR}/${name}.log)
    foreach(e ${Q_EXPECT})
        list(APPEND args --expect ${e})
    endforeach()
    foreach(r ${Q_REJECT})
        list(APPEND args --reject ${r})
    endforeach()
    if(Q_ICOUNT)
        list(APPEND args --icount)
    endif()
    if(Q_ALLOW_PANIC)
        list(APPEND args --allow-panic)
    endif()
    if(Q_MACHINE)
        list(APPEND args --machine ${Q_MACHINE})
    endif()
    add_test(NAME ${name} COMMAND bh-qemu-run ${args})
    set_tests_properties(${name} PROPERTIES LABELS "${Q_LABELS}" TIMEOUT ${Q_TIMEOUT}0)
endfunction()
