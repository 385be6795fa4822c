/* Boot-time creation of the root task from the image payload. */
#ifndef KERNEL_ROOTTASK_H
#define KERNEL_ROOTTASK_H

#include <bulkhead/bootimage.h>
#include <kernel/bootmem.h>
#include <kernel/objects.h>

struct bootinfo_facts {
    uint64_t timer_freq;
    uint64_t ncpus;
    uint64_t ram_bytes;
    /* MMIO the root task may hand out (device untyped): the physical space
     * below RAM minus the kernel's own devices. NULL: none. */
    const struct bootmem *device;
};

/* The payload the image builder appended after the kernel, or NULL. */
const struct bh_payload_header *payload_find(void);
/* Builds the root task; every byte of boot memory left goes to it as untyped. */
struct tcb *roottask_create(struct bootmem *bm, const struct bootinfo_facts *facts);

#endif
