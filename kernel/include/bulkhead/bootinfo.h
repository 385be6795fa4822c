/*
 * Bulkhead public ABI: the root task's initial address space and boot info.
 *
 * The kernel loads the root task's ELF segments at their virtual addresses
 * (EL0 addresses are stage-2 input addresses in Bulkhead: the root task's
 * address space is a stage-2 table), maps the boot info page, a stack and the
 * whole boot payload read-only, and starts at the ELF entry with x0 = the
 * boot info address.
 */
#ifndef BULKHEAD_BOOTINFO_H
#define BULKHEAD_BOOTINFO_H

#include <stdint.h>

#define BH_RT_BOOTINFO_VA 0x10000000ull  /* one page, read-only */
#define BH_RT_IPCBUF_VA   0x10001000ull  /* one page, read-write */
#define BH_RT_STACK_TOP   0x20000000ull  /* stack grows down from here */
#define BH_RT_STACK_SIZE  0x10000ull     /* 64 KiB */
#define BH_RT_PAYLOAD_VA  0x100000000ull /* boot payload, read-only */

#define BH_BOOTINFO_MAGIC 0x4f464e49544f4f42ull /* "BOOTINFO" */

/*
 * The root task's CSpace: one CNode of 2^BH_RT_CNODE_RADIX slots whose guard
 * consumes the remaining address bits, so a capability address is simply the
 * slot index. Fixed slots below; untyped memory from BH_RT_SLOT_UNTYPED on.
 */
#define BH_RT_CNODE_RADIX        12u
#define BH_RT_SLOT_TCB           1u /* the root task's own thread */
#define BH_RT_SLOT_CNODE         2u /* this CNode */
#define BH_RT_SLOT_VSPACE        3u /* its address space */
#define BH_RT_SLOT_IRQ_CONTROL   4u
#define BH_RT_SLOT_IPCBUF        5u /* the frame mapped at BH_RT_IPCBUF_VA */
#define BH_RT_SLOT_BOOTINFO      6u /* the frame mapped at BH_RT_BOOTINFO_VA */
#define BH_RT_SLOT_CONSOLE_INPUT 7u /* bytes typed on the system console */
#define BH_RT_SLOT_UNTYPED       16u
#define BH_RT_MAX_UNTYPED        192u

struct bh_untyped_desc {
    uint64_t paddr;
    uint8_t size_bits;
    uint8_t is_device;
    uint8_t pad[6];
};

struct bh_bootinfo {
    uint64_t magic;
    uint64_t version;
    uint64_t payload_va;   /* BH_RT_PAYLOAD_VA */
    uint64_t payload_size; /* bytes mapped there */
    uint64_t timer_freq;   /* CNTFRQ, Hz */
    uint64_t ncpus;
    uint64_t ram_bytes;     /* RAM the kernel found */
    uint64_t free_bytes;    /* RAM given to the root task as untyped memory */
    uint64_t untyped_first; /* first slot of the untyped capabilities */
    uint64_t untyped_count;
    uint64_t first_free_slot;                          /* first empty slot after them */
    struct bh_untyped_desc untyped[BH_RT_MAX_UNTYPED]; /* in slot order */
};

_Static_assert(sizeof(struct bh_bootinfo) <= 4096, "boot info fits its page");

#endif
