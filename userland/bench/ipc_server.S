/*
 * The IPC benchmark's server, copied at run time into a frame that is mapped
 * only into the server's own address space. Position independent, no stack,
 * registers only: x0 = endpoint capability address on entry.
 */
/* System call numbers from kernel/include/bulkhead/syscall.h (checked in kbench.c). */
    .equ    SYS_RECV, 4
    .equ    SYS_REPLY_RECV, 7

    .text
    .global bench_server_start, bench_server_end
bench_server_start:
    mov     x19, x0
    mov     x8, #SYS_RECV
    svc     #0
1:  mov     x0, x19
    mov     x1, #1                  /* reply: label 0, one message register */
    mov     x8, #SYS_REPLY_RECV
    svc     #0
    b       1b
bench_server_end:
