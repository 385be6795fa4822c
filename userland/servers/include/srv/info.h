/*
 * What the root task tells an EL0 server partition at start (ABI between
 * userland/roottask and userland/servers). The server starts at its ELF entry
 * with x0 = the address of this page, mapped read-only.
 *
 * A server's CSpace is one CNode whose guard makes a capability address
 * simply the slot index. It holds exactly what the spec grants:
 *   BH_SRV_SLOT_NTFN         its own notification (wait/poll only)
 *   channel k's signal_slot  the peer's notification, badged with the bit the
 *                            peer sees for this channel (signal only), present
 *                            only when the spec marks this end `notify`
 * No untyped memory, no IRQControl, no frames, no address space or TCB caps.
 *
 * Virtual layout: ELF segments at their link addresses (user.ld: 4 MiB),
 * this page at BH_SRV_INFO_VA, the IPC buffer after it, the stack below
 * BH_SRV_STACK_TOP (an unmapped guard page under it), the rest of the
 * partition's memory-size as a zeroed heap at BH_SRV_HEAP_VA, and channel
 * windows where the spec says (or from BH_SRV_CHANNEL_VA on).
 */
#ifndef BH_SRV_INFO_H
#define BH_SRV_INFO_H

#include <stdint.h>

#define BH_SRV_INFO_MAGIC        0x4f464e4956525348ull /* "HSRVINFO" */
#define BH_SRV_INFO_VERSION      1u
#define BH_SRV_INFO_VA           0x10000000ull
#define BH_SRV_IPCBUF_VA         0x10001000ull
#define BH_SRV_STACK_TOP         0x20000000ull
#define BH_SRV_STACK_SIZE        0x4000ull
#define BH_SRV_HEAP_VA           0x30000000ull
#define BH_SRV_CHANNEL_VA        0x200000000ull /* windows the spec leaves to the root task */
#define BH_SRV_FIXED_END         0x40000000ull  /* spec addresses must be at or above this */
#define BH_SRV_CNODE_RADIX       11u /* guard (at most BH_GUARD_SIZE_MAX = 53 bits) + radix = 64 */
#define BH_SRV_SLOT_NTFN         1u
#define BH_SRV_SLOT_FIRST_SIGNAL 2u
#define BH_SRV_MAX_CHANNELS      16u
#define BH_SRV_NAME_LEN          32u

/* A server leaves with this BRK immediate and x0 = status, so the monitor
 * (its fault handler) hears about it (bh_exit is silent to the handler). */
#define BH_SRV_EXIT_BRK 0xe417u

struct bh_srv_channel {
    char name[BH_SRV_NAME_LEN]; /* channel name from the spec */
    char peer[BH_SRV_NAME_LEN]; /* the partition at the other end */
    uint64_t va;                /* shared memory, 0 for a notification-only channel */
    uint64_t size;
    uint32_t rights;      /* BH_SPEC_RIGHT_READ | BH_SPEC_RIGHT_WRITE */
    uint32_t signal_slot; /* capability to signal the peer, 0: this end may not */
    uint64_t wait_bits;   /* bits our notification gets when the peer signals, 0: it may not */
};

struct bh_srv_info {
    uint64_t magic;   /* BH_SRV_INFO_MAGIC */
    uint32_t version; /* BH_SRV_INFO_VERSION */
    uint32_t partition;
    char name[BH_SRV_NAME_LEN];
    uint64_t ntfn_slot; /* BH_SRV_SLOT_NTFN */
    uint64_t heap_va;
    uint64_t heap_size;
    uint64_t timer_freq; /* CNTFRQ, Hz */
    uint32_t nchannels;
    uint32_t reserved;
    struct bh_srv_channel channels[BH_SRV_MAX_CHANNELS];
};

_Static_assert(sizeof(struct bh_srv_info) <= 4096, "server info fits its page");

#endif
