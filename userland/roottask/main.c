/*
 * The root task: the first EL0 thread. At this stage it proves the
 * EL2 -> EL0 -> EL2 path: it reads its boot info, lists the image payload and
 * exits (which ends the system). The capability work makes it build the whole
 * system from the compiled spec.
 */
#include <bh/print.h>
#include <bh/sys.h>

#include <bulkhead/bootimage.h>
#include <bulkhead/bootinfo.h>
#include <string.h>

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
    if (memcmp(h->magic, BH_PAYLOAD_MAGIC, 8) != 0) {
        bh_printf("roottask: payload not found at 0x%lx\n", (unsigned long)bi->payload_va);
        return 1;
    }
    for (unsigned i = 0; i < h->count; i++) {
        bh_printf("roottask: payload %u: %s (kind %u, %lu bytes)\n", i, h->entries[i].name,
                  h->entries[i].kind, (unsigned long)h->entries[i].size);
    }
    bh_printf("roottask: done\n");
    return 0;
}
