/* Compiler from the validated model to the binary spec (bulkhead/spec.h). */
#include <stdlib.h>
#include <string.h>

#include <bulkhead/bootimage.h>

#include "model.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the compiled spec is written from host structs: a little-endian host is required"
#endif

_Static_assert(sizeof(struct bh_spec_header) % 8 == 0, "header size");
_Static_assert(sizeof(struct bh_spec_partition) % 8 == 0, "partition size");
_Static_assert(sizeof(struct bh_spec_region) % 8 == 0, "region size");
_Static_assert(sizeof(struct bh_spec_channel) % 8 == 0, "channel size");
_Static_assert(sizeof(struct bh_spec_payload_ref) % 8 == 0, "payload ref size");
_Static_assert(BH_SPEC_NAME_LEN == BH_PAYLOAD_NAME_LEN, "payload refs are image entry names");

void bh_spec_payload_name(const struct bh_model *m, uint32_t p, uint32_t i, char *buf, size_t len)
{
    const struct bh_part *part = &m->parts[p];
    const struct bh_payload *pl = &part->payloads[i];
    switch (pl->role) {
    case BH_SPEC_ROLE_KERNEL:
        snprintf(buf, len, "%s.kernel", part->name);
        break;
    case BH_SPEC_ROLE_INITRD:
        snprintf(buf, len, "%s.initrd", part->name);
        break;
    case BH_SPEC_ROLE_DISK:
        snprintf(buf, len, "%s.disk%u", part->name, pl->index);
        break;
    default:
        snprintf(buf, len, "%s.%s", part->name, part->kind == BH_SPEC_PART_VM ? "vmm" : "prog");
        break;
    }
}

static uint32_t payload_kind(const struct bh_part *p, const struct bh_payload *pl)
{
    switch (pl->role) {
    case BH_SPEC_ROLE_KERNEL:
        return BH_PAYLOAD_GUEST_KERNEL;
    case BH_SPEC_ROLE_INITRD:
        return BH_PAYLOAD_GUEST_INITRD;
    case BH_SPEC_ROLE_DISK:
        return BH_PAYLOAD_GUEST_DISK;
    default:
        return p->kind == BH_SPEC_PART_VM ? BH_PAYLOAD_VMM : BH_PAYLOAD_SERVER;
    }
}

static bool has_vmm_override(const struct bh_part *p)
{
    for (uint32_t i = 0; i < p->npayloads; i++) {
        if (p->payloads[i].role == BH_SPEC_ROLE_PROGRAM) {
            return true;
        }
    }
    return false;
}

static uint32_t align8(uint32_t v)
{
    return (v + 7u) & ~7u;
}

bool bh_spec_compile(const struct bh_model *m, uint8_t **out, size_t *size)
{
    static struct bh_spec_partition parts[BH_SPEC_MAX_PARTITIONS];
    static struct bh_spec_vcpu vcpus[BH_SPEC_MAX_PARTITIONS * BH_SPEC_MAX_VCPUS];
    static struct bh_spec_region regions[BH_SPEC_MAX_REGIONS];
    static struct bh_spec_device devices[BH_SPEC_MAX_DEVICES];
    static struct bh_spec_irq irqs[BH_SPEC_MAX_IRQS];
    static struct bh_spec_channel chans[BH_SPEC_MAX_CHANNELS];
    static struct bh_spec_window windows[BH_SPEC_MAX_WINDOWS];
    static struct bh_spec_payload_ref refs[BH_SPEC_MAX_PARTITIONS * (4 + BH_SPEC_MAX_DISKS)];
    static char strings[BH_SPEC_MAX_PARTITIONS * 1024];
    memset(parts, 0, sizeof(parts));
    memset(vcpus, 0, sizeof(vcpus));
    memset(regions, 0, sizeof(regions));
    memset(devices, 0, sizeof(devices));
    memset(irqs, 0, sizeof(irqs));
    memset(chans, 0, sizeof(chans));
    memset(windows, 0, sizeof(windows));
    memset(refs, 0, sizeof(refs));
    uint32_t nv = 0, nr = 0, nd = 0, ni = 0, np = 0, ns = 0;

    for (uint32_t c = 0; c < m->nchans; c++) {
        const struct bh_channel *ch = &m->chans[c];
        snprintf(chans[c].name, sizeof(chans[c].name), "%s", ch->name);
        chans[c].size = ch->size;
        for (uint32_t e = 0; e < 2; e++) {
            const struct bh_chan_end *end = &ch->ends[e];
            chans[c].ends[e].partition = (uint32_t)end->part;
            chans[c].ends[e].rights = end->rights;
            chans[c].ends[e].notify = end->notify ? 1u : 0u;
            chans[c].ends[e].region = BH_SPEC_NONE;
        }
    }
    for (uint32_t i = 0; i < m->nparts; i++) {
        const struct bh_part *p = &m->parts[i];
        struct bh_spec_partition *sp = &parts[i];
        snprintf(sp->name, sizeof(sp->name), "%s", p->name);
        sp->kind = p->kind;
        sp->priority = p->priority;
        sp->vmm_priority = 0;
        if (p->kind == BH_SPEC_PART_VM) {
            sp->vmm_priority =
                p->has_vmm_priority ? p->vmm_priority : (p->priority < 255 ? p->priority + 1 : 255);
        }
        sp->emulated = p->emulated;
        sp->budget_us = p->has_budget ? p->budget_us : 0;
        sp->period_us = p->has_period ? p->period_us : 0;
        sp->bootargs = BH_SPEC_NONE;
        sp->flags = m->console_part == (int)i ? BH_SPEC_PART_CONSOLE_INPUT : 0u;
        if (p->bootargs != NULL) {
            size_t len = strlen(p->bootargs) + 1;
            if (len > sizeof(strings) - ns) {
                return false;
            }
            memcpy(strings + ns, p->bootargs, len);
            sp->bootargs = ns;
            ns += (uint32_t)len;
        }
        sp->first_vcpu = nv;
        if (p->kind == BH_SPEC_PART_VM) {
            for (uint32_t v = 0; v < p->vcpus; v++) {
                vcpus[nv].partition = i;
                vcpus[nv].index = v;
                vcpus[nv].pcpu = p->has_cpus ? p->cpus[v] : v;
                nv++;
            }
        }
        sp->nvcpus = nv - sp->first_vcpu;
        sp->first_region = nr;
        if (p->kind == BH_SPEC_PART_VM) {
            for (uint32_t k = 0; k < p->nmem && nr < BH_SPEC_MAX_REGIONS; k++) {
                regions[nr].partition = i;
                regions[nr].kind = BH_SPEC_REGION_RAM;
                regions[nr].rights = BH_SPEC_RIGHT_READ | BH_SPEC_RIGHT_WRITE;
                regions[nr].phys = BH_SPEC_PHYS_UNTYPED;
                regions[nr].channel = BH_SPEC_NONE;
                regions[nr].base = p->mem[k].base;
                regions[nr].size = p->mem[k].size;
                nr++;
            }
        } else if (nr < BH_SPEC_MAX_REGIONS) {
            regions[nr].partition = i;
            regions[nr].kind = BH_SPEC_REGION_RAM;
            regions[nr].rights = BH_SPEC_RIGHT_READ | BH_SPEC_RIGHT_WRITE;
            regions[nr].phys = BH_SPEC_PHYS_UNTYPED;
            regions[nr].channel = BH_SPEC_NONE;
            regions[nr].base = 0;
            regions[nr].size = p->mem_size;
            nr++;
        }
        for (uint32_t c = 0; c < m->nchans; c++) {
            const struct bh_channel *ch = &m->chans[c];
            for (uint32_t e = 0; e < 2 && ch->size != 0; e++) {
                if (ch->ends[e].part != (int)i || nr >= BH_SPEC_MAX_REGIONS) {
                    continue;
                }
                regions[nr].partition = i;
                regions[nr].kind = BH_SPEC_REGION_CHANNEL;
                regions[nr].rights = ch->ends[e].rights;
                regions[nr].phys = BH_SPEC_PHYS_UNTYPED;
                regions[nr].channel = c;
                regions[nr].base = ch->ends[e].has_address ? ch->ends[e].address : 0;
                regions[nr].size = ch->size;
                chans[c].ends[e].region = nr;
                nr++;
            }
        }
        sp->nregions = nr - sp->first_region;
        sp->first_device = nd;
        sp->first_irq = ni;
        for (uint32_t t = 0; t < p->npt; t++) {
            const struct bh_passthrough *pt = &p->pt[t];
            for (uint32_t r = 0; r < pt->nregs && nd < BH_SPEC_MAX_DEVICES; r++) {
                devices[nd].partition = i;
                devices[nd].base = pt->regs[r].base;
                devices[nd].size = pt->regs[r].size;
                nd++;
            }
            for (uint32_t q = 0; q < pt->nirqs && ni < BH_SPEC_MAX_IRQS; q++) {
                irqs[ni].partition = i;
                irqs[ni].intid = pt->irqs[q];
                ni++;
            }
        }
        sp->ndevices = nd - sp->first_device;
        sp->nirqs = ni - sp->first_irq;
        sp->first_payload = np;
        if (p->kind == BH_SPEC_PART_VM && !has_vmm_override(p)) {
            snprintf(refs[np].name, sizeof(refs[np].name), "vmm");
            refs[np].kind = BH_PAYLOAD_VMM;
            refs[np].role = BH_SPEC_ROLE_PROGRAM;
            refs[np].partition = i;
            np++;
        }
        for (uint32_t k = 0; k < p->npayloads; k++) {
            bh_spec_payload_name(m, i, k, refs[np].name, sizeof(refs[np].name));
            refs[np].kind = payload_kind(p, &p->payloads[k]);
            refs[np].role = p->payloads[k].role;
            refs[np].partition = i;
            refs[np].index = p->payloads[k].index;
            np++;
        }
        sp->npayloads = np - sp->first_payload;
    }
    /* Sorted by start: the kernel's bh_schedule wants windows in order. */
    for (uint32_t w = 0; w < m->nwindows; w++) {
        struct bh_spec_window win = {(uint32_t)m->windows[w].part, 0, m->windows[w].start_us,
                                     m->windows[w].length_us};
        uint32_t k = w;
        while (k > 0 && windows[k - 1].start_us > win.start_us) {
            windows[k] = windows[k - 1];
            k--;
        }
        windows[k] = win;
    }

    struct bh_spec_header h;
    memset(&h, 0, sizeof(h));
    memcpy(h.magic, BH_SPEC_MAGIC, 8);
    h.version = BH_SPEC_VERSION;
    h.ram_base = m->plat.ram_base;
    h.ram_size = m->plat.ram_size;
    h.kernel_reserve = m->plat.reserve;
    h.major_frame_us = m->has_schedule ? m->major_frame_us : 0;
    h.cpus = m->plat.cpus;
    uint32_t off = sizeof(h);
#define PLACE(count_field, off_field, arr, count)                                                  \
    do {                                                                                           \
        h.count_field = (count);                                                                   \
        h.off_field = off;                                                                         \
        off = align8(off + (uint32_t)((count) * sizeof((arr)[0])));                                \
    } while (0)
    PLACE(npartitions, partitions_off, parts, m->nparts);
    PLACE(nvcpus, vcpus_off, vcpus, nv);
    PLACE(nregions, regions_off, regions, nr);
    PLACE(ndevices, devices_off, devices, nd);
    PLACE(nirqs, irqs_off, irqs, ni);
    PLACE(nchannels, channels_off, chans, m->nchans);
    PLACE(nwindows, windows_off, windows, m->nwindows);
    PLACE(npayloads, payloads_off, refs, np);
    PLACE(strings_size, strings_off, strings, ns);
#undef PLACE
    h.size = off;
    uint8_t *buf = calloc(1, off);
    if (buf == NULL) {
        return false;
    }
    memcpy(buf, &h, sizeof(h));
    memcpy(buf + h.partitions_off, parts, m->nparts * sizeof(parts[0]));
    memcpy(buf + h.vcpus_off, vcpus, nv * sizeof(vcpus[0]));
    memcpy(buf + h.regions_off, regions, nr * sizeof(regions[0]));
    memcpy(buf + h.devices_off, devices, nd * sizeof(devices[0]));
    memcpy(buf + h.irqs_off, irqs, ni * sizeof(irqs[0]));
    memcpy(buf + h.channels_off, chans, m->nchans * sizeof(chans[0]));
    memcpy(buf + h.windows_off, windows, m->nwindows * sizeof(windows[0]));
    memcpy(buf + h.payloads_off, refs, np * sizeof(refs[0]));
    memcpy(buf + h.strings_off, strings, ns);
    *out = buf;
    *size = off;
    return true;
}

bool bh_spec_boot_schedule(const struct bh_model *m, uint8_t **out, size_t *size)
{
    if (!m->has_schedule || m->nwindows == 0) {
        return false;
    }
    size_t n = sizeof(struct bh_boot_schedule) + m->nwindows * sizeof(struct bh_boot_window);
    struct bh_boot_schedule *s = calloc(1, n);
    if (s == NULL) {
        return false;
    }
    s->major_frame_us = m->major_frame_us;
    s->num_windows = m->nwindows;
    /* Sorted by start: the kernel's bh_schedule wants windows in order. */
    for (uint32_t w = 0; w < m->nwindows; w++) {
        struct bh_boot_window win = {m->windows[w].start_us, m->windows[w].length_us,
                                     (uint32_t)m->windows[w].part + 1u, 0};
        uint32_t k = w;
        while (k > 0 && s->windows[k - 1].offset_us > win.offset_us) {
            s->windows[k] = s->windows[k - 1];
            k--;
        }
        s->windows[k] = win;
    }
    *out = (uint8_t *)s;
    *size = n;
    return true;
}
