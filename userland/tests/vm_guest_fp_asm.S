/*
 * FP/SIMD register fill and check for the fpcheck guest: every V register
 * (both 64-bit halves) and FPCR get values derived from a seed, so a vCPU
 * switch that lost or mixed up FP state shows as mismatches.
 */
    .arch armv8-a+fp+simd
    .text

/* fp_fill(seed): Vn.d[0] = seed + n, Vn.d[1] = ~(seed + n); FPCR.RMode = seed & 3. */
    .global fp_fill
fp_fill:
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    add     x1, x0, #\n
    mvn     x2, x1
    fmov    d\n, x1
    mov     v\n\().d[1], x2
    .endr
    and     x1, x0, #3
    lsl     x1, x1, #22
    msr     fpcr, x1
    ret

/* fp_check(seed) -> number of registers (and FPCR) that differ. */
    .global fp_check
fp_check:
    mov     x3, #0
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    add     x1, x0, #\n
    mvn     x2, x1
    fmov    x4, d\n
    mov     x5, v\n\().d[1]
    cmp     x4, x1
    cinc    x3, x3, ne
    cmp     x5, x2
    cinc    x3, x3, ne
    .endr
    mrs     x4, fpcr
    and     x1, x0, #3
    lsl     x1, x1, #22
    cmp     x4, x1
    cinc    x3, x3, ne
    mov     x0, x3
    ret
