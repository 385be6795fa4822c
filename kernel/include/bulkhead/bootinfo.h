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

struct bh_bootinfo {
    uint64_t magic;
    uint64_t version;
    uint64_t payload_va;   /* BH_RT_PAYLOAD_VA */
    uint64_t payload_size; /* bytes mapped there */
    uint64_t timer_freq;   /* CNTFRQ, Hz */
    uint64_t ncpus;
    uint64_t ram_bytes;  /* RAM the kernel found */
    uint64_t free_bytes; /* RAM left after the kernel and the root task */
};

#endif
