/* Boot-time creation of the root task from the image payload. */
#ifndef KERNEL_ROOTTASK_H
#define KERNEL_ROOTTASK_H

#include <bulkhead/bootimage.h>
#include <kernel/bootmem.h>
#include <kernel/thread.h>

struct bootinfo_facts {
    uint64_t timer_freq;
    uint64_t ncpus;
    uint64_t ram_bytes;
};

/* The payload the image builder appended after the kernel, or NULL. */
const struct bh_payload_header *payload_find(void);
struct thread *roottask_create(struct bootmem *bm, const struct bootinfo_facts *facts);

#endif
