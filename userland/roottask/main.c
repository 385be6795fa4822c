/*
 * The root task: the first EL0 thread. It checks the boot payload table; with
 * a compiled spec in the image it verifies every component's SHA-256, builds
 * and starts the partitions the spec describes and then monitors them
 * (rt_system.c). Without a spec (the kernel's own test images) it lists the
 * payload and exits, which ends the system.
 */
#include <bh/print.h>
#include <bh/sys.h>

#include <bulkhead/bootimage.h>
#include <bulkhead/bootinfo.h>
#include <string.h>

#include "rt_spec.h"
#include "rt_system.h"

int main(const struct bh_bootinfo *bi)
{
    bh_printf("roottask: hello from EL0\n");
    if (bi->magic != BH_BOOTINFO_MAGIC) {
        bh_printf("roottask: boot info has a bad magic 0x%lx\n", (unsigned long)bi->magic);
        return 1;
    }
    bh_printf("roottask: %lu CPU(s), %lu MiB RAM, %lu MiB free, timer %lu Hz\n",
              (unsigned long)bi->ncpus, (unsigned long)(bi->ram_bytes >> 20),
              (unsigned long)(bi->free_bytes >> 20), (unsigned long)bi->timer_freq);
    const struct bh_payload_header *h = (const void *)(uintptr_t)bi->payload_va;
    char err[200];
    if (!rt_payload_check(h, bi->payload_size, err, sizeof(err))) {
        bh_printf("roottask: refusing the boot payload at 0x%lx: %s\n",
                  (unsigned long)bi->payload_va, err);
        return 1;
    }
    for (unsigned i = 0; i < h->count; i++) {
        bh_printf("roottask: payload %u: %s (kind %u, %lu bytes)\n", i, h->entries[i].name,
                  h->entries[i].kind, (unsigned long)h->entries[i].size);
    }
    int spec = rt_payload_find(h, "spec", BH_PAYLOAD_SPEC);
    if (spec < 0) {
        bh_printf("roottask: no system spec in the image: nothing to start\n");
        bh_printf("roottask: done\n");
        return 0;
    }
    return rt_system_run(bi, h, spec);
}
