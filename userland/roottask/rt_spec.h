/*
 * The root task's checks of what it reads from the boot image: the payload
 * table, each component's SHA-256 and the compiled spec. Portable (builds
 * freestanding for EL0 and on the host for the cmocka tests): nothing here
 * trusts a count, offset or index before checking it against the bytes that
 * are really there.
 */
#ifndef RT_SPEC_H
#define RT_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bulkhead/bootimage.h>
#include <bulkhead/spec.h>

/* A checked compiled spec: typed views of its tables. */
struct rt_spec {
    const struct bh_spec_header *h;
    const struct bh_spec_partition *parts;
    const struct bh_spec_vcpu *vcpus;
    const struct bh_spec_region *regions;
    const struct bh_spec_device *devices;
    const struct bh_spec_irq *irqs;
    const struct bh_spec_channel *chans;
    const struct bh_spec_window *windows;
    const struct bh_spec_payload_ref *refs;
    const char *strings;
};

/*
 * Checks the payload table at p (mapped bytes available): magic, version,
 * entry count, every entry's name, alignment and bounds. On failure writes
 * why into err and returns false.
 */
bool rt_payload_check(const void *p, uint64_t mapped, char *err, size_t errlen);

/* The content of entry i of a checked payload. */
const void *rt_payload_data(const struct bh_payload_header *h, uint32_t i);

/* True when entry i's content hashes to its recorded SHA-256. */
bool rt_payload_verify(const struct bh_payload_header *h, uint32_t i);

/* Index of the entry named name of the given kind, or -1. */
int rt_payload_find(const struct bh_payload_header *h, const char *name, uint32_t kind);

/*
 * Checks a compiled spec of size bytes (the component's size) and fills s.
 * Every table must lie inside the blob, every count within the spec.h
 * limits, every index in range and every record self-consistent (kinds,
 * rights, page alignment, budgets, sorted windows, channel mappings). On
 * failure writes a precise reason into err and returns false.
 */
bool rt_spec_check(const void *blob, uint64_t size, struct rt_spec *s, char *err, size_t errlen);

#endif
