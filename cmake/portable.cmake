# bh_portable_library(NAME SOURCES... [INCLUDES dirs...] [LINKS libs...])
# A library of architecture-neutral code built by both builds: freestanding in
# the target build, hosted (BH_HOSTED, sanitizers) in the host build.
function(bh_portable_library name)
    cmake_parse_arguments(P "" "" "SOURCES;INCLUDES;LINKS" ${ARGN})
    add_library(${name} STATIC ${P_SOURCES})
    target_include_directories(${name} PUBLIC ${P_INCLUDES} ${BH_ABI_INCLUDE})
    if(P_LINKS)
        target_link_libraries(${name} PUBLIC ${P_LINKS})
    endif()
    if(BH_TARGET)
        target_link_libraries(${name} PUBLIC bh_libc) # freestanding <string.h>, -nostdinc
    else()
        target_compile_definitions(${name} PUBLIC BH_HOSTED=1)
    endif()
endfunction()
