/* Checks of the boot payload table and the compiled spec (see rt_spec.h). */
#include "rt_spec.h"

#include <string.h>

#include <bh_fmt.h>
#include <bh_sha256.h>

#define PAGE 4096u

/* A fixed-size name field must hold a NUL-terminated, non-empty string. */
static bool name_ok(const char *name, size_t len)
{
    return name[0] != '\0' && memchr(name, '\0', len) != NULL;
}

bool rt_payload_check(const void *p, uint64_t mapped, char *err, size_t errlen)
{
    const struct bh_payload_header *h = p;
    if (mapped < sizeof(*h)) {
        return bh_fail(err, errlen, "payload: only %lu bytes mapped; the header needs %lu",
                       (unsigned long)mapped, (unsigned long)sizeof(*h));
    }
    if (memcmp(h->magic, BH_PAYLOAD_MAGIC, 8) != 0) {
        return bh_fail(err, errlen, "payload: bad magic (not \"%s\")", BH_PAYLOAD_MAGIC);
    }
    if (h->version != BH_PAYLOAD_VERSION) {
        return bh_fail(err, errlen, "payload: version %u, this root task reads version %u",
                       h->version, BH_PAYLOAD_VERSION);
    }
    if (h->count > BH_PAYLOAD_MAX_ENTRIES) {
        return bh_fail(err, errlen, "payload: %u entries, at most %u allowed", h->count,
                       BH_PAYLOAD_MAX_ENTRIES);
    }
    uint64_t table_end = sizeof(*h) + (uint64_t)h->count * sizeof(h->entries[0]);
    if (h->size > mapped || h->size < table_end) {
        return bh_fail(err, errlen,
                       "payload: size %lu is outside the %lu mapped bytes or below its %lu-byte "
                       "entry table",
                       (unsigned long)h->size, (unsigned long)mapped, (unsigned long)table_end);
    }
    for (uint32_t i = 0; i < h->count; i++) {
        const struct bh_payload_entry *e = &h->entries[i];
        if (!name_ok(e->name, sizeof(e->name))) {
            return bh_fail(err, errlen, "payload: entry %u has no NUL-terminated name", i);
        }
        if (e->offset % BH_PAYLOAD_ALIGN != 0 || e->offset < table_end || e->offset > h->size ||
            e->size > h->size - e->offset) {
            return bh_fail(err, errlen,
                           "payload: entry %u '%s' (offset 0x%lx, %lu bytes) lies outside the "
                           "payload (0x%lx bytes) or is not 4 KiB aligned",
                           i, e->name, (unsigned long)e->offset, (unsigned long)e->size,
                           (unsigned long)h->size);
        }
    }
    return true;
}

const void *rt_payload_data(const struct bh_payload_header *h, uint32_t i)
{
    return (const uint8_t *)h + h->entries[i].offset;
}

bool rt_payload_verify(const struct bh_payload_header *h, uint32_t i)
{
    uint8_t sum[32];
    bh_sha256(rt_payload_data(h, i), (size_t)h->entries[i].size, sum);
    return memcmp(sum, h->entries[i].sha256, sizeof(sum)) == 0;
}

int rt_payload_find(const struct bh_payload_header *h, const char *name, uint32_t kind)
{
    for (uint32_t i = 0; i < h->count; i++) {
        if (h->entries[i].kind == kind &&
            strncmp(h->entries[i].name, name, sizeof(h->entries[i].name)) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* A table of count records of recsize bytes at off must lie inside the blob. */
static bool table_ok(const struct bh_spec_header *h, const char *what, uint32_t off, uint32_t count,
                     uint64_t recsize, uint32_t limit, char *err, size_t len)
{
    if (count > limit) {
        return bh_fail(err, len, "spec: %u %s, at most %u allowed", count, what, limit);
    }
    uint64_t end = (uint64_t)off + (uint64_t)count * recsize;
    if (off % 8 != 0 || off < sizeof(*h) || end > h->size) {
        return bh_fail(err, len,
                       "spec: the %s table (offset %u, %u records) lies outside the %u-byte spec "
                       "or is misaligned",
                       what, off, count, h->size);
    }
    return true;
}

/* first/n must select records inside a table of total records. */
static bool range_ok(uint32_t first, uint32_t n, uint32_t total)
{
    return n == 0 || (first <= total && n <= total - first);
}

static bool rights_ok(uint32_t r)
{
    return r == BH_SPEC_RIGHT_READ || r == (BH_SPEC_RIGHT_READ | BH_SPEC_RIGHT_WRITE);
}

static bool header_ok(const struct bh_spec_header *h, uint64_t size, char *err, size_t len)
{
    if (memcmp(h->magic, BH_SPEC_MAGIC, 8) != 0) {
        return bh_fail(err, len, "spec: bad magic (not \"%s\")", BH_SPEC_MAGIC);
    }
    if (h->version != BH_SPEC_VERSION) {
        return bh_fail(err, len, "spec: version %u, this root task reads version %u", h->version,
                       BH_SPEC_VERSION);
    }
    if (h->size < sizeof(*h) || h->size > size) {
        return bh_fail(err, len, "spec: header says %u bytes but the component has %lu", h->size,
                       (unsigned long)size);
    }
    if (h->cpus == 0 || h->kernel_reserve % PAGE != 0) {
        return bh_fail(err, len, "spec: platform (%u CPUs, RAM 0x%lx, reserve 0x%lx) is invalid",
                       h->cpus, (unsigned long)h->ram_size, (unsigned long)h->kernel_reserve);
    }
    return table_ok(h, "partitions", h->partitions_off, h->npartitions,
                    sizeof(struct bh_spec_partition), BH_SPEC_MAX_PARTITIONS, err, len) &&
           table_ok(h, "vCPUs", h->vcpus_off, h->nvcpus, sizeof(struct bh_spec_vcpu),
                    BH_SPEC_MAX_PARTITIONS * BH_SPEC_MAX_VCPUS, err, len) &&
           table_ok(h, "regions", h->regions_off, h->nregions, sizeof(struct bh_spec_region),
                    BH_SPEC_MAX_REGIONS, err, len) &&
           table_ok(h, "devices", h->devices_off, h->ndevices, sizeof(struct bh_spec_device),
                    BH_SPEC_MAX_DEVICES, err, len) &&
           table_ok(h, "interrupts", h->irqs_off, h->nirqs, sizeof(struct bh_spec_irq),
                    BH_SPEC_MAX_IRQS, err, len) &&
           table_ok(h, "channels", h->channels_off, h->nchannels, sizeof(struct bh_spec_channel),
                    BH_SPEC_MAX_CHANNELS, err, len) &&
           table_ok(h, "windows", h->windows_off, h->nwindows, sizeof(struct bh_spec_window),
                    BH_SPEC_MAX_WINDOWS, err, len) &&
           table_ok(h, "payload references", h->payloads_off, h->npayloads,
                    sizeof(struct bh_spec_payload_ref),
                    BH_SPEC_MAX_PARTITIONS * (4u + BH_SPEC_MAX_DISKS), err, len) &&
           table_ok(h, "string bytes", h->strings_off, h->strings_size, 1, h->size, err, len);
}

static bool partition_ok(const struct rt_spec *s, uint32_t i, char *err, size_t len)
{
    const struct bh_spec_header *h = s->h;
    const struct bh_spec_partition *p = &s->parts[i];
    if (!name_ok(p->name, BH_SPEC_PART_NAME_MAX + 1)) {
        return bh_fail(err, len, "spec: partition %u has no NUL-terminated name", i);
    }
    if (p->kind != BH_SPEC_PART_VM && p->kind != BH_SPEC_PART_SERVER) {
        return bh_fail(err, len, "spec: partition '%s' has unknown kind %u", p->name, p->kind);
    }
    if (p->priority > 255 || p->vmm_priority > 255) {
        return bh_fail(err, len, "spec: partition '%s' priority %u/%u is above 255", p->name,
                       p->priority, p->vmm_priority);
    }
    if ((p->budget_us == 0) != (p->period_us == 0) || p->budget_us > p->period_us) {
        return bh_fail(err, len, "spec: partition '%s' budget %lu us / period %lu us is invalid",
                       p->name, (unsigned long)p->budget_us, (unsigned long)p->period_us);
    }
    struct {
        const char *what;
        uint32_t first, n, total;
    } r[] = {
        {"vCPU", p->first_vcpu, p->nvcpus, h->nvcpus},
        {"region", p->first_region, p->nregions, h->nregions},
        {"device", p->first_device, p->ndevices, h->ndevices},
        {"interrupt", p->first_irq, p->nirqs, h->nirqs},
        {"payload", p->first_payload, p->npayloads, h->npayloads},
    };
    for (unsigned k = 0; k < sizeof(r) / sizeof(r[0]); k++) {
        if (!range_ok(r[k].first, r[k].n, r[k].total)) {
            return bh_fail(err, len, "spec: partition '%s' %s range %u+%u exceeds the %u records",
                           p->name, r[k].what, r[k].first, r[k].n, r[k].total);
        }
    }
    for (uint32_t k = 0; k < p->nvcpus; k++) {
        if (s->vcpus[p->first_vcpu + k].partition != i) {
            return bh_fail(err, len, "spec: partition '%s' vCPU %u belongs to another partition",
                           p->name, k);
        }
    }
    for (uint32_t k = 0; k < p->nregions; k++) {
        if (s->regions[p->first_region + k].partition != i) {
            return bh_fail(err, len, "spec: partition '%s' region %u belongs to another partition",
                           p->name, k);
        }
    }
    for (uint32_t k = 0; k < p->npayloads; k++) {
        if (s->refs[p->first_payload + k].partition != i) {
            return bh_fail(err, len, "spec: partition '%s' payload %u belongs to another partition",
                           p->name, k);
        }
    }
    if ((p->flags & ~BH_SPEC_PART_CONSOLE_INPUT) != 0 ||
        ((p->flags & BH_SPEC_PART_CONSOLE_INPUT) != 0 && p->kind != BH_SPEC_PART_VM)) {
        return bh_fail(err, len, "spec: partition '%s' has invalid flags 0x%x", p->name, p->flags);
    }
    if (p->bootargs != BH_SPEC_NONE && p->bootargs >= h->strings_size) {
        return bh_fail(err, len, "spec: partition '%s' bootargs offset %u is outside the strings",
                       p->name, p->bootargs);
    }
    return true;
}

static bool region_ok(const struct rt_spec *s, uint32_t i, char *err, size_t len)
{
    const struct bh_spec_region *r = &s->regions[i];
    if (r->partition >= s->h->npartitions) {
        return bh_fail(err, len, "spec: region %u names partition %u of %u", i, r->partition,
                       s->h->npartitions);
    }
    if ((r->kind != BH_SPEC_REGION_RAM && r->kind != BH_SPEC_REGION_CHANNEL) ||
        !rights_ok(r->rights) || r->phys != BH_SPEC_PHYS_UNTYPED) {
        return bh_fail(err, len, "spec: region %u has kind %u, rights %u, phys %u", i, r->kind,
                       r->rights, r->phys);
    }
    if (r->size == 0 || r->size % PAGE != 0 || r->base % PAGE != 0 || r->base + r->size < r->base) {
        return bh_fail(err, len, "spec: region %u (base 0x%lx, size 0x%lx) is not whole pages", i,
                       (unsigned long)r->base, (unsigned long)r->size);
    }
    bool chan = r->kind == BH_SPEC_REGION_CHANNEL;
    if (chan ? r->channel >= s->h->nchannels : r->channel != BH_SPEC_NONE) {
        return bh_fail(err, len, "spec: region %u names channel %u of %u", i, r->channel,
                       s->h->nchannels);
    }
    return true;
}

static bool channel_ok(const struct rt_spec *s, uint32_t c, char *err, size_t len)
{
    const struct bh_spec_channel *ch = &s->chans[c];
    if (!name_ok(ch->name, BH_SPEC_PART_NAME_MAX + 1)) {
        return bh_fail(err, len, "spec: channel %u has no NUL-terminated name", c);
    }
    if (ch->size % PAGE != 0) {
        return bh_fail(err, len, "spec: channel '%s' size 0x%lx is not whole pages", ch->name,
                       (unsigned long)ch->size);
    }
    for (unsigned e = 0; e < 2; e++) {
        const struct bh_spec_channel_end *end = &ch->ends[e];
        if (end->partition >= s->h->npartitions || end->notify > 1) {
            return bh_fail(err, len, "spec: channel '%s' end %u: partition %u of %u, notify %u",
                           ch->name, e, end->partition, s->h->npartitions, end->notify);
        }
        if (ch->size == 0 ? end->region != BH_SPEC_NONE : end->region >= s->h->nregions) {
            return bh_fail(err, len, "spec: channel '%s' end %u: region %u of %u", ch->name, e,
                           end->region, s->h->nregions);
        }
        if (ch->size != 0) {
            const struct bh_spec_region *r = &s->regions[end->region];
            if (r->kind != BH_SPEC_REGION_CHANNEL || r->channel != c ||
                r->partition != end->partition || r->size != ch->size || r->rights != end->rights) {
                return bh_fail(err, len,
                               "spec: channel '%s' end %u: region %u does not describe this end's "
                               "mapping",
                               ch->name, e, end->region);
            }
        }
    }
    if (ch->ends[0].partition == ch->ends[1].partition) {
        return bh_fail(err, len, "spec: channel '%s' joins partition %u to itself", ch->name,
                       ch->ends[0].partition);
    }
    return true;
}

static bool windows_ok(const struct rt_spec *s, char *err, size_t len)
{
    const struct bh_spec_header *h = s->h;
    if (h->nwindows > 0 && h->major_frame_us == 0) {
        return bh_fail(err, len, "spec: %u windows but no major frame", h->nwindows);
    }
    uint64_t prev_end = 0;
    for (uint32_t w = 0; w < h->nwindows; w++) {
        const struct bh_spec_window *win = &s->windows[w];
        if (win->partition >= h->npartitions || win->length_us == 0 || win->start_us < prev_end ||
            win->start_us > h->major_frame_us ||
            win->length_us > h->major_frame_us - win->start_us) {
            return bh_fail(err, len,
                           "spec: window %u (partition %u, %lu+%lu us) is unsorted, overlapping, "
                           "empty or outside the %lu us frame",
                           w, win->partition, (unsigned long)win->start_us,
                           (unsigned long)win->length_us, (unsigned long)h->major_frame_us);
        }
        prev_end = win->start_us + win->length_us;
    }
    return true;
}

bool rt_spec_check(const void *blob, uint64_t size, struct rt_spec *s, char *err, size_t errlen)
{
    const struct bh_spec_header *h = blob;
    if (blob == NULL || ((uintptr_t)blob & 7u) != 0) {
        return bh_fail(err, errlen, "spec: not 8-byte aligned");
    }
    if (size < sizeof(*h)) {
        return bh_fail(err, errlen, "spec: %lu bytes, smaller than its %lu-byte header",
                       (unsigned long)size, (unsigned long)sizeof(*h));
    }
    if (!header_ok(h, size, err, errlen)) {
        return false;
    }
    const uint8_t *b = blob;
    s->h = h;
    s->parts = (const void *)(b + h->partitions_off);
    s->vcpus = (const void *)(b + h->vcpus_off);
    s->regions = (const void *)(b + h->regions_off);
    s->devices = (const void *)(b + h->devices_off);
    s->irqs = (const void *)(b + h->irqs_off);
    s->chans = (const void *)(b + h->channels_off);
    s->windows = (const void *)(b + h->windows_off);
    s->refs = (const void *)(b + h->payloads_off);
    s->strings = (const char *)(b + h->strings_off);
    if (h->strings_size > 0 && s->strings[h->strings_size - 1] != '\0') {
        return bh_fail(err, errlen, "spec: the string table is not NUL-terminated");
    }
    for (uint32_t i = 0; i < h->nregions; i++) {
        if (!region_ok(s, i, err, errlen)) {
            return false;
        }
    }
    for (uint32_t i = 0; i < h->npartitions; i++) {
        if (!partition_ok(s, i, err, errlen)) {
            return false;
        }
    }
    uint32_t console = 0;
    for (uint32_t i = 0; i < h->npartitions; i++) {
        console += (s->parts[i].flags & BH_SPEC_PART_CONSOLE_INPUT) != 0 ? 1u : 0u;
    }
    if (console > 1) {
        return bh_fail(err, errlen, "spec: %u partitions take the console input; at most one may",
                       console);
    }
    for (uint32_t i = 0; i < h->nvcpus; i++) {
        if (s->vcpus[i].partition >= h->npartitions || s->vcpus[i].pcpu >= h->cpus) {
            return bh_fail(err, errlen, "spec: vCPU record %u: partition %u, CPU %u out of range",
                           i, s->vcpus[i].partition, s->vcpus[i].pcpu);
        }
    }
    for (uint32_t i = 0; i < h->ndevices; i++) {
        const struct bh_spec_device *d = &s->devices[i];
        if (d->partition >= h->npartitions || d->size == 0 || d->size % PAGE != 0 ||
            d->base % PAGE != 0) {
            return bh_fail(err, errlen, "spec: device %u (partition %u, 0x%lx+0x%lx) is invalid", i,
                           d->partition, (unsigned long)d->base, (unsigned long)d->size);
        }
    }
    for (uint32_t i = 0; i < h->nirqs; i++) {
        if (s->irqs[i].partition >= h->npartitions || s->irqs[i].intid < 32) {
            return bh_fail(err, errlen, "spec: interrupt %u (partition %u, INTID %u) is invalid", i,
                           s->irqs[i].partition, s->irqs[i].intid);
        }
    }
    for (uint32_t c = 0; c < h->nchannels; c++) {
        if (!channel_ok(s, c, err, errlen)) {
            return false;
        }
    }
    for (uint32_t i = 0; i < h->npayloads; i++) {
        const struct bh_spec_payload_ref *r = &s->refs[i];
        if (!name_ok(r->name, sizeof(r->name)) || r->partition >= h->npartitions ||
            r->role < BH_SPEC_ROLE_PROGRAM || r->role > BH_SPEC_ROLE_DISK) {
            return bh_fail(err, errlen, "spec: payload reference %u is invalid", i);
        }
    }
    return windows_ok(s, err, errlen);
}
