/*
 * Bulkhead public ABI: system call numbers and register conventions.
 *
 * A system call is `svc #0` from EL0 with the number in x8.
 *   x0      capability address (CPtr) or first argument
 *   x1      message info (label, length, capability count)
 *   x2..x7  message registers MR0..MR5 (longer messages use the IPC buffer)
 * Results come back in the same registers; x0 carries a bh_error_t for calls
 * that can fail.
 */
#ifndef BULKHEAD_SYSCALL_H
#define BULKHEAD_SYSCALL_H

enum bh_syscall {
    BH_SYS_SEND = 1,
    BH_SYS_NBSEND = 2,
    BH_SYS_CALL = 3,
    BH_SYS_RECV = 4,
    BH_SYS_NBRECV = 5,
    BH_SYS_REPLY = 6,
    BH_SYS_REPLY_RECV = 7,
    BH_SYS_SIGNAL = 8,
    BH_SYS_WAIT = 9,
    BH_SYS_POLL = 10,
    BH_SYS_YIELD = 11,
    BH_SYS_INVOKE = 12, /* object invocation: method label in the message info */
    /* Thread exit: the calling thread stops; x0 = status (reported to its fault
     * handler, or by the kernel for the root task, whose exit ends the system). */
    BH_SYS_EXIT = 13,
    /* Console output for early bring-up and tests: x0 = length (<= 48),
     * x2..x7 = up to 48 bytes, little-endian. Returns BH_OK or BH_E_RANGE. */
    BH_SYS_DEBUG_WRITE = 64,
    /* Console output of up to BH_DEBUG_WRITE_BUF_MAX bytes taken from the
     * caller's IPC buffer, starting at message register BH_DEBUG_WRITE_BUF_MR
     * (the top half of mr[], viewed as bytes, so a message being composed or
     * just received in the low registers is untouched), written as one piece
     * so lines from different threads never interleave. x0 = length.
     * Returns BH_OK, BH_E_RANGE, or BH_E_TRUNCATED without an IPC buffer. */
    BH_SYS_DEBUG_WRITE_BUF = 65,
    /* Which physical CPU runs the caller (for tests of affinity): returns
     * x0 = BH_OK, x1 = CPU index (0 .. bootinfo ncpus - 1), x2 = its MPIDR
     * affinity (Aff0..Aff2, Aff3 << 32). */
    BH_SYS_DEBUG_CPU = 66,
};

#define BH_MSG_REGS            6u   /* message registers passed in CPU registers */
#define BH_DEBUG_WRITE_MAX     48u  /* bytes per BH_SYS_DEBUG_WRITE */
#define BH_DEBUG_WRITE_BUF_MR  32u  /* first message register used as text */
#define BH_DEBUG_WRITE_BUF_MAX 256u /* bytes per BH_SYS_DEBUG_WRITE_BUF: mr[32..63] */

#endif
