# One boot test of a spec with real server programs (label qemu):
# `bulkhead build`, optionally flip a byte of one component (bh_imgtool), then
# boot it with bh-qemu-run and require every EXPECT text and no REJECT text.
#   -DBULKHEAD= -DIMGTOOL= -DQEMU_RUN= -DSPEC= -DPAYLOADS= -DOUT= [-DFLIP=component]
#   -DEXPECT=text;text... [-DREJECT=text;...] [-DTIMEOUT=s]
#   PAYLOADS may list several directories; -DBUILD_ARGS= adds build options.
if(NOT TIMEOUT)
    set(TIMEOUT 60)
endif()
file(REMOVE ${OUT})
set(build_args build ${SPEC} -o ${OUT} ${BUILD_ARGS})
foreach(d ${PAYLOADS})
    list(APPEND build_args --payload-dir ${d})
endforeach()
execute_process(COMMAND ${BULKHEAD} ${build_args} RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "bulkhead build ${SPEC} failed (exit ${rc}):\n${err}")
endif()
execute_process(COMMAND ${IMGTOOL} list ${OUT} RESULT_VARIABLE rc OUTPUT_VARIABLE entries)
message(STATUS "image entries:\n${entries}")
if(FLIP)
    execute_process(COMMAND ${IMGTOOL} flip ${OUT} ${FLIP} RESULT_VARIABLE rc OUTPUT_VARIABLE o
        ERROR_VARIABLE e)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "cannot tamper with ${FLIP}: ${e}")
    endif()
    message(STATUS "${o}")
endif()
set(args --image ${OUT} --timeout ${TIMEOUT} --log ${OUT}.log)
foreach(t ${EXPECT})
    list(APPEND args --expect ${t})
endforeach()
foreach(t ${REJECT})
    list(APPEND args --reject ${t})
endforeach()
execute_process(COMMAND ${QEMU_RUN} ${args} RESULT_VARIABLE rc OUTPUT_VARIABLE out
    ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "boot test failed (exit ${rc}):\n${out}\n${err}")
endif()
message(STATUS "${out}")
