# bh_image(NAME ROOTTASK elf [COMPONENTS KIND:NAME:PATH...])
# Assembles ${BH_IMAGE_DIR}/NAME.img from the target build's kernel and the
# given EL0 programs. Runs on every build (cheap), after the target build.
set(BH_KERNEL_ELF ${BH_TARGET_DIR}/kernel/arch/aarch64/kernel.elf)
function(bh_image name)
    cmake_parse_arguments(I "" "ROOTTASK" "COMPONENTS" ${ARGN})
    add_custom_target(image-${name} ALL
        COMMAND ${CMAKE_COMMAND} -E make_directory ${BH_IMAGE_DIR}
        COMMAND bh-mkimage --kernel ${BH_KERNEL_ELF} -o ${BH_IMAGE_DIR}/${name}.img
                roottask:roottask:${I_ROOTTASK} ${I_COMPONENTS}
        DEPENDS bh-mkimage target
        COMMENT "Image ${name}.img"
        VERBATIM)
endfunction()

# bh_qemu_test(NAME IMAGE image [LABELS ...] [TIMEOUT s] [CPU cpu] [SMP n] [MEM MiB] [MACHINE m]
#              EXPECT text... [REJECT text...])
function(bh_qemu_test name)
    cmake_parse_arguments(Q "" "IMAGE;TIMEOUT;CPU;SMP;MEM;MACHINE" "EXPECT;REJECT;LABELS" ${ARGN})
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
    if(Q_MACHINE)
        list(APPEND args --machine ${Q_MACHINE})
    endif()
    add_test(NAME ${name} COMMAND bh-qemu-run ${args})
    set_tests_properties(${name} PROPERTIES LABELS "${Q_LABELS}" TIMEOUT ${Q_TIMEOUT}0)
endfunction()
