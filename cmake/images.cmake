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
#              [ALLOW_PANIC] [ICOUNT] EXPECT text... [REJECT text...]
#              [SEND text... AFTER line...])
# SEND/AFTER: the i-th text is typed on the serial port once the i-th line has
# appeared (in order); "\\r" and "\\n" in a text are a carriage return and a newline.
function(bh_qemu_test name)
    cmake_parse_arguments(Q "ALLOW_PANIC;ICOUNT" "IMAGE;TIMEOUT;CPU;SMP;MEM;MACHINE"
        "EXPECT;REJECT;LABELS;SEND;AFTER" ${ARGN})
    if(NOT Q_TIMEOUT)
        set(Q_TIMEOUT 60)
    endif()
    # BH_QEMU_CPU / BH_QEMU_SMP (cache variables, empty by default): run every
    # test that names no CPU model / count on that one instead, e.g.
    # -DBH_QEMU_SMP=4 runs the single-CPU workloads on the SMP kernel.
    if(NOT Q_CPU AND BH_QEMU_CPU)
        set(Q_CPU ${BH_QEMU_CPU})
    endif()
    if(NOT Q_SMP AND BH_QEMU_SMP)
        set(Q_SMP ${BH_QEMU_SMP})
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
    list(LENGTH Q_SEND nsend)
    list(LENGTH Q_AFTER nafter)
    if(NOT nsend EQUAL nafter)
        message(FATAL_ERROR "bh_qemu_test(${name}): SEND and AFTER need as many texts each")
    endif()
    if(nsend GREATER 0)
        math(EXPR last "${nsend} - 1")
        foreach(i RANGE ${last})
            list(GET Q_AFTER ${i} after)
            list(GET Q_SEND ${i} text)
            list(APPEND args --send-after ${after} ${text})
        endforeach()
    endif()
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
