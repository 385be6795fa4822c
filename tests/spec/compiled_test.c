/*
 * Checks the compiled spec (kernel/include/bulkhead/spec.h) the way the root
 * task will read it: every table inside the blob, every index in range, the
 * cross references consistent, windows sorted. Run on each example.
 * usage: bh_spec_compiled_test SPEC.dtb EXPECTED_PARTITIONS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bulkhead/bootimage.h>
#include <bulkhead/spec.h>

#include "model.h"
#include "rt_spec.h"

static int failures;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static bool table_ok(const struct bh_spec_header *h, uint32_t off, uint32_t n, size_t rec)
{
    return off % 8 == 0 && off >= sizeof(*h) && off <= h->size &&
           (uint64_t)n * rec <= (uint64_t)h->size - off;
}

static bool name_ok(const char *name)
{
    return memchr(name, '\0', BH_SPEC_NAME_LEN) != NULL && name[0] != '\0';
}

static void check_blob(const uint8_t *b, size_t size, uint32_t want_parts)
{
    const struct bh_spec_header *h = (const struct bh_spec_header *)b;
    CHECK(size >= sizeof(*h));
    CHECK(memcmp(h->magic, BH_SPEC_MAGIC, 8) == 0);
    CHECK(h->version == BH_SPEC_VERSION);
    CHECK(h->size == size);
    CHECK(h->flags == 0);
    CHECK(h->npartitions == want_parts);
    CHECK(table_ok(h, h->partitions_off, h->npartitions, sizeof(struct bh_spec_partition)));
    CHECK(table_ok(h, h->vcpus_off, h->nvcpus, sizeof(struct bh_spec_vcpu)));
    CHECK(table_ok(h, h->regions_off, h->nregions, sizeof(struct bh_spec_region)));
    CHECK(table_ok(h, h->devices_off, h->ndevices, sizeof(struct bh_spec_device)));
    CHECK(table_ok(h, h->irqs_off, h->nirqs, sizeof(struct bh_spec_irq)));
    CHECK(table_ok(h, h->channels_off, h->nchannels, sizeof(struct bh_spec_channel)));
    CHECK(table_ok(h, h->windows_off, h->nwindows, sizeof(struct bh_spec_window)));
    CHECK(table_ok(h, h->payloads_off, h->npayloads, sizeof(struct bh_spec_payload_ref)));
    CHECK(table_ok(h, h->strings_off, h->strings_size, 1));
    if (failures != 0) {
        return;
    }
    const struct bh_spec_partition *parts = (const void *)(b + h->partitions_off);
    const struct bh_spec_vcpu *vcpus = (const void *)(b + h->vcpus_off);
    const struct bh_spec_region *regions = (const void *)(b + h->regions_off);
    const struct bh_spec_channel *chans = (const void *)(b + h->channels_off);
    const struct bh_spec_window *wins = (const void *)(b + h->windows_off);
    const struct bh_spec_payload_ref *refs = (const void *)(b + h->payloads_off);
    const char *strings = (const char *)(b + h->strings_off);
    for (uint32_t i = 0; i < h->npartitions; i++) {
        const struct bh_spec_partition *p = &parts[i];
        CHECK(name_ok(p->name));
        CHECK(p->kind == BH_SPEC_PART_VM || p->kind == BH_SPEC_PART_SERVER);
        CHECK(p->priority <= 255 && p->vmm_priority <= 255);
        CHECK(p->budget_us <= p->period_us);
        CHECK(p->first_vcpu + p->nvcpus <= h->nvcpus);
        CHECK(p->first_region + p->nregions <= h->nregions);
        CHECK(p->first_device + p->ndevices <= h->ndevices);
        CHECK(p->first_irq + p->nirqs <= h->nirqs);
        CHECK(p->first_payload + p->npayloads <= h->npayloads);
        CHECK(p->kind != BH_SPEC_PART_VM || p->nvcpus >= 1);
        CHECK(p->kind == BH_SPEC_PART_VM || p->nvcpus == 0);
        CHECK(p->bootargs == BH_SPEC_NONE ||
              (p->bootargs < h->strings_size &&
               memchr(strings + p->bootargs, '\0', h->strings_size - p->bootargs) != NULL));
        for (uint32_t v = p->first_vcpu; v < p->first_vcpu + p->nvcpus && v < h->nvcpus; v++) {
            CHECK(vcpus[v].partition == i && vcpus[v].pcpu < h->cpus);
        }
        for (uint32_t r = p->first_region; r < p->first_region + p->nregions && r < h->nregions;
             r++) {
            CHECK(regions[r].partition == i);
            CHECK(regions[r].size != 0 && regions[r].size % 4096 == 0 &&
                  regions[r].base % 4096 == 0);
            CHECK(regions[r].phys == BH_SPEC_PHYS_UNTYPED);
            CHECK(regions[r].kind == BH_SPEC_REGION_RAM ||
                  (regions[r].kind == BH_SPEC_REGION_CHANNEL && regions[r].channel < h->nchannels));
        }
        bool kernel = false;
        for (uint32_t k = p->first_payload; k < p->first_payload + p->npayloads && k < h->npayloads;
             k++) {
            CHECK(refs[k].partition == i && name_ok(refs[k].name));
            kernel = kernel || refs[k].kind == BH_PAYLOAD_GUEST_KERNEL;
        }
        CHECK(p->kind != BH_SPEC_PART_VM || kernel);
    }
    for (uint32_t c = 0; c < h->nchannels; c++) {
        CHECK(name_ok(chans[c].name));
        CHECK(chans[c].ends[0].partition < h->npartitions);
        CHECK(chans[c].ends[1].partition < h->npartitions);
        CHECK(chans[c].ends[0].partition != chans[c].ends[1].partition);
        for (uint32_t e = 0; e < 2; e++) {
            uint32_t r = chans[c].ends[e].region;
            if (chans[c].size == 0) {
                CHECK(r == BH_SPEC_NONE);
                continue;
            }
            CHECK(r < h->nregions);
            if (r < h->nregions) {
                CHECK(regions[r].channel == c && regions[r].size == chans[c].size);
                CHECK(regions[r].partition == chans[c].ends[e].partition);
            }
        }
    }
    for (uint32_t w = 0; w < h->nwindows; w++) {
        CHECK(wins[w].partition < h->npartitions && wins[w].length_us > 0);
        CHECK(wins[w].start_us + wins[w].length_us <= h->major_frame_us);
        CHECK(w == 0 || wins[w - 1].start_us + wins[w - 1].length_us <= wins[w].start_us);
    }
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: bh_spec_compiled_test SPEC.dtb EXPECTED_PARTITIONS\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (f == NULL) {
        perror(argv[1]);
        return 1;
    }
    static uint8_t dtb[65536];
    size_t n = fread(dtb, 1, sizeof(dtb), f);
    fclose(f);
    static struct bh_model m;
    struct bh_diag d;
    bh_diag_init(&d, argv[1]);
    struct bh_load_opts o;
    memset(&o, 0, sizeof(o));
    o.check_payloads = false;
    if (bh_spec_load(dtb, n, &m, &d)) {
        bh_spec_validate(&m, &o, &d);
    }
    for (size_t i = 0; i < d.n; i++) {
        fprintf(stderr, "%s\n", d.msgs[i]);
    }
    CHECK(d.n == 0);
    bh_diag_free(&d);
    uint8_t *blob = NULL;
    size_t size = 0;
    CHECK(bh_spec_compile(&m, &blob, &size));
    if (blob != NULL) {
        check_blob(blob, size, (uint32_t)strtoul(argv[2], NULL, 0));
        /* The root task's own checker must accept what the tool compiled. */
        struct rt_spec rs;
        char err[256] = "";
        bool rt_ok = rt_spec_check(blob, size, &rs, err, sizeof(err));
        if (!rt_ok) {
            fprintf(stderr, "root task refuses the compiled spec: %s\n", err);
        }
        CHECK(rt_ok);
        free(blob);
    }
    printf("%s: %zu-byte compiled spec, %d failures\n", argv[1], size, failures);
    return failures == 0 ? 0 : 1;
}
