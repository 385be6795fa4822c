/*
 * libFuzzer target: arbitrary bytes as a compiled spec (DTB) through the
 * loader, validator, report and compiler. Payload files are not opened (the
 * fuzzer must not touch the file system); everything else runs as in check.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "rt_spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A valid spec must compile to a self-consistent blob. */
static void check_blob(const uint8_t *b, size_t size)
{
    const struct bh_spec_header *h = (const struct bh_spec_header *)b;
    const struct bh_spec_partition *parts = (const void *)(b + h->partitions_off);
    const struct bh_spec_channel *chans = (const void *)(b + h->channels_off);
    const struct bh_spec_window *wins = (const void *)(b + h->windows_off);
    if (memcmp(h->magic, BH_SPEC_MAGIC, 8) != 0 || h->size != size ||
        h->strings_off + h->strings_size > size) {
        abort();
    }
    for (uint32_t i = 0; i < h->npartitions; i++) {
        const struct bh_spec_partition *p = &parts[i];
        if (p->first_vcpu + p->nvcpus > h->nvcpus || p->first_region + p->nregions > h->nregions ||
            p->first_device + p->ndevices > h->ndevices || p->first_irq + p->nirqs > h->nirqs ||
            p->first_payload + p->npayloads > h->npayloads || p->budget_us > p->period_us) {
            abort();
        }
    }
    for (uint32_t c = 0; c < h->nchannels; c++) {
        for (uint32_t e = 0; e < 2; e++) {
            if (chans[c].ends[e].partition >= h->npartitions ||
                (chans[c].size != 0 && chans[c].ends[e].region >= h->nregions)) {
                abort();
            }
        }
    }
    for (uint32_t w = 0; w < h->nwindows; w++) {
        if (wins[w].partition >= h->npartitions ||
            wins[w].start_us + wins[w].length_us > h->major_frame_us ||
            (w > 0 && wins[w - 1].start_us + wins[w - 1].length_us > wins[w].start_us)) {
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct bh_model m;
    /* libfdt reads headers as aligned 32-bit words: give it an aligned copy. */
    uint8_t *copy = malloc(size ? size : 1);
    if (copy == NULL) {
        return 0;
    }
    memcpy(copy, data, size);
    struct bh_diag d;
    bh_diag_init(&d, "fuzz.dts");
    struct bh_load_opts o;
    memset(&o, 0, sizeof(o));
    o.spec_dir = ".";
    o.check_payloads = false;
    if (bh_spec_load(copy, size, &m, &d)) {
        bh_spec_validate(&m, &o, &d);
        if (d.n == 0) {
            FILE *null = fopen("/dev/null", "w");
            if (null != NULL) {
                bh_spec_report(&m, "fuzz.dts", null);
                fclose(null);
            }
            uint8_t *blob = NULL;
            size_t bsize = 0;
            if (bh_spec_compile(&m, &blob, &bsize)) {
                check_blob(blob, bsize);
                /* What the tool accepts, the root task must accept too. */
                struct rt_spec rs;
                char err[256];
                if (!rt_spec_check(blob, bsize, &rs, err, sizeof(err))) {
                    fprintf(stderr, "root task refuses a compiled spec: %s\n", err);
                    abort();
                }
                free(blob);
            }
        }
    }
    bh_diag_free(&d);
    free(copy);
    return 0;
}
