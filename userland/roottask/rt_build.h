/*
 * What the root task's partition builders share (target only): the checked
 * boot image and spec, per-partition state, untyped memory and slot
 * allocation, mapping helpers and the refusal messages. rt_system.c builds
 * server partitions and runs the monitor; rt_vm.c builds VM partitions.
 */
#ifndef RT_BUILD_H
#define RT_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bh/kobj.h>
#include <bulkhead/bootimage.h>
#include <bulkhead/bootinfo.h>

#include "rt_elf.h"
#include "rt_spec.h"

#define PAGE       4096ull
#define SZ_2M      0x200000ull
#define ROOT_CNODE BH_RT_SLOT_CNODE
#define ROOT_AS    BH_RT_SLOT_VSPACE
#define RW         (BH_RIGHT_READ | BH_RIGHT_WRITE)

/* Badges on the monitor's endpoint: faults of partition p's EL0 thread (a
 * server or a VMM) carry p + 1; a VMM's status messages carry
 * RT_BADGE_VMM_MSG | (p + 1). */
#define RT_BADGE_VMM_MSG 0x100ull

enum part_state { PART_NOT_STARTED, PART_RUNNING, PART_STOPPED };

struct part {
    enum part_state state;
    uint64_t ntfn; /* its notification (a VM's: its VMM's); peers' signal caps are minted from it */
    uint64_t tcb;  /* its EL0 thread: the server, or the VM's VMM */
};

struct chan {
    uint64_t first_frame; /* its shared frames: consecutive root slots */
    uint64_t nframes;
};

extern const struct bh_bootinfo *bi;
extern const struct bh_payload_header *payload;
extern struct rt_spec spec;
extern struct part parts[BH_SPEC_MAX_PARTITIONS];
extern struct chan chans[BH_SPEC_MAX_CHANNELS];
extern bool verified[BH_PAYLOAD_MAX_ENTRIES];
extern uint64_t fault_ep;

/* A fresh root slot. */
bh_error_t new_slot(uint64_t *slot);
/* A fresh root slot for something that outlives the partition being built
 * (never deleted by pool_end). */
bh_error_t new_slot_kept(uint64_t *slot);
/* One object of type in a fresh root slot (while a partition is built, from
 * that partition's own untyped memory: see pool_begin). */
bh_error_t alloc(bh_objtype_t type, uint64_t size_bits, uint64_t *slot);
/* Moves a mapped frame or page table into the partition's holding CNode. */
bh_error_t stash(uint64_t slot);
/* The holding CNode for partition p, sized for caps capabilities. */
bool make_holding(uint32_t p, uint64_t caps);
/* Maps frame at va in an EL0 address space, adding page tables. */
bh_error_t map_page(uint64_t as, uint64_t frame, uint64_t va, uint32_t rights);
/* Copies n bytes into frame (4 KiB or, with big, 2 MiB) at offset off. */
bh_error_t fill_frame(uint64_t frame, bool big, uint64_t off, const void *src, uint64_t n);
/* Mints src (a root slot) into slot dest of a partition's CNode. */
bh_error_t give(uint64_t cnode, uint64_t dest, uint64_t src, uint32_t rights, uint64_t badge);
/* Loads an ELF's segments into as (4 KiB frames with the segments' rights). */
bool load_program(uint32_t p, uint64_t as, const void *data, const struct rt_elf *elf);
/* Zeroed frames mapped RW at [va, va + bytes); first_frame keeps the first in a root slot. */
bool map_zeroed(uint32_t p, uint64_t as, uint64_t va, uint64_t bytes, const char *what,
                uint64_t *first_frame);

/*
 * Per-partition untyped memory. Between pool_begin and pool_end every object
 * comes from untyped capabilities carved for this partition alone, and every
 * root slot handed out is recorded; pool_end(false) deletes those slots and
 * revokes the carved untypeds (keeping them for the next partition), so a
 * partition that fails half-way leaves no object behind.
 */
void pool_begin(void);
void pool_end(uint32_t p, bool keep);

const char *part_name(uint32_t p);
/* Index of channel c among the channels partition p is an end of. */
uint32_t local_index(uint32_t p, uint32_t c);
/* The notification bit partition p sees when its peer on channel c signals
 * (a server: bit k; a VM's VMM: VMM_NTFN_CHAN0 << k; k = local_index). */
uint64_t signal_bit(uint32_t p, uint32_t c);
/* From channel *c on, the next channel partition p is an end of: sets *c,
 * p's end and the other one; false after the last. */
bool next_channel_end(uint32_t p, uint32_t *c, const struct bh_spec_channel_end **end,
                      const struct bh_spec_channel_end **peer);
/* Maps where an EL0 thread or a VM sees memory: map_page, or a stage 2. */
typedef bh_error_t (*rt_map_fn)(uint64_t space, uint64_t frame, uint64_t addr, uint32_t rights);
/* Maps channel c's shared frames at base in space with map, each through a
 * copy that carries only rights (the copies go to the holding CNode). */
bool map_channel_frames(uint32_t p, uint32_t c, uint32_t rights, rt_map_fn map, uint64_t space,
                        uint64_t base);
/* A new CNode of 2^radix slots, minted into a fresh root slot *cspace with
 * the guard that makes slot index = address. */
bh_error_t guarded_cnode(uint64_t radix, uint64_t *cspace);
/* A read-only page at va in as holding n bytes of info (n <= PAGE). */
bh_error_t map_info_page(uint64_t as, uint64_t va, const void *info, uint64_t n);
/* A fresh root slot *fep: the monitor's endpoint, send-only, badged p + 1. */
bh_error_t fault_cap(uint32_t p, uint64_t *fep);
/* "no budget limit" or "budget B us every P us". */
void budget_text(uint32_t p, char *buf, size_t n);
/* Prints "roottask: refusing to start partition 'NAME': WHY" and returns false. */
bool refuse(uint32_t p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* e != BH_OK: prints which step failed with the error code and returns false. */
bool check_err(uint32_t p, bh_error_t e, const char *what);
/* Payload entry of partition p with the given role and image kind, checked
 * present and SHA-256-verified (-1 with a refusal printed, -2 when absent and
 * optional). */
int find_component(uint32_t p, uint32_t role, uint32_t kind, bool required);
/* Configures a SchedContext with the partition's budget, if it has one. */
bool give_budget(uint32_t p, uint64_t tcb);

/* VM partitions (rt_vm.c). */
bool build_vm(uint32_t p);

#endif
