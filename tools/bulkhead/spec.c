/*
 * Spec loader: walks the compiled device tree of a system spec and fills the
 * model. Structural rules live here (unknown nodes and properties, property
 * types, required properties, names); cross-cutting rules are in validate.c.
 * The blob is untrusted (the fuzzer feeds it arbitrary bytes): it is checked
 * with fdt_check_full() before anything else reads it.
 */
#include <stdio.h>
#include <string.h>

#include <libfdt.h>

#include "model.h"

struct ctx {
    const void *fdt;
    struct bh_diag *d;
    struct bh_model *m;
};

static const char *const ignored_props[] = {"phandle", "linux,phandle"};

static bool in_list(const char *name, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(name, list[i]) == 0) {
            return true;
        }
    }
    return false;
}

static void join_list(char *buf, size_t len, const char *const *list, size_t n)
{
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, "%s%s", i ? ", " : "", list[i]);
    }
}

static void child_path(char *out, const char *parent, const char *name)
{
    if (strcmp(parent, "/") == 0) {
        snprintf(out, BH_PATH_LEN, "/%s", name);
    } else {
        snprintf(out, BH_PATH_LEN, "%s/%s", parent, name);
    }
}

/* Every property of the node must be in allowed. */
static void check_props(struct ctx *c, int node, const char *path, const char *const *allowed,
                        size_t n)
{
    int prop;
    fdt_for_each_property_offset(prop, c->fdt, node)
    {
        const char *name = NULL;
        if (fdt_getprop_by_offset(c->fdt, prop, &name, NULL) == NULL || name == NULL) {
            continue;
        }
        if (in_list(name, allowed, n) || in_list(name, ignored_props, 2)) {
            continue;
        }
        char list[512];
        join_list(list, sizeof(list), allowed, n);
        if (n == 0) {
            bh_diag_add(c->d, path, name, "unknown property; this node takes no properties");
        } else {
            bh_diag_add(c->d, path, name, "unknown property; expected one of: %s", list);
        }
    }
}

static const void *getprop(struct ctx *c, int node, const char *name, int *len)
{
    int l = 0;
    const void *p = fdt_getprop(c->fdt, node, name, &l);
    if (p == NULL) {
        *len = -1;
        return NULL;
    }
    *len = l;
    return p;
}

static void missing(struct ctx *c, const char *path, const char *name, const char *example)
{
    bh_diag_add(c->d, path, name, "missing required property; add it, e.g. %s = %s;", name,
                example);
}

static bool get_u32(struct ctx *c, int node, const char *path, const char *name, uint32_t *out,
                    const char *example)
{
    int len;
    const fdt32_t *p = getprop(c, node, name, &len);
    if (p == NULL) {
        if (example != NULL) {
            missing(c, path, name, example);
        }
        return false;
    }
    if (len != 4) {
        bh_diag_add(c->d, path, name, "is %d bytes; expected one 32-bit cell, e.g. %s", len,
                    example != NULL ? example : "<1>");
        return false;
    }
    *out = fdt32_to_cpu(p[0]);
    return true;
}

static uint64_t cells64(const fdt32_t *p)
{
    return ((uint64_t)fdt32_to_cpu(p[0]) << 32) | fdt32_to_cpu(p[1]);
}

static bool get_u64(struct ctx *c, int node, const char *path, const char *name, uint64_t *out,
                    const char *example)
{
    int len;
    const fdt32_t *p = getprop(c, node, name, &len);
    if (p == NULL) {
        if (example != NULL) {
            missing(c, path, name, example);
        }
        return false;
    }
    if (len != 8) {
        bh_diag_add(c->d, path, name,
                    "is %d bytes; expected two 32-bit cells (one 64-bit value), e.g. %s", len,
                    example != NULL ? example : "<0x0 0x1000>");
        return false;
    }
    *out = cells64(p);
    return true;
}

/* Times are one 32-bit cell of microseconds. */
static bool get_us(struct ctx *c, int node, const char *path, const char *name, uint64_t *out,
                   const char *example)
{
    uint32_t v = 0;
    if (!get_u32(c, node, path, name, &v, example)) {
        return false;
    }
    *out = v;
    return true;
}

/* A list of 64-bit <base size> pairs. Returns the number read, 0 on error. */
static uint32_t get_ranges(struct ctx *c, int node, const char *path, const char *name,
                           struct bh_range *out, uint32_t max, const char *example)
{
    int len;
    const fdt32_t *p = getprop(c, node, name, &len);
    if (p == NULL) {
        if (example != NULL) {
            missing(c, path, name, example);
        }
        return 0;
    }
    if (len == 0 || len % 16 != 0) {
        bh_diag_add(c->d, path, name,
                    "is %d bytes; expected <base size> pairs of 64-bit values (4 cells per pair), "
                    "e.g. %s",
                    len, example != NULL ? example : "<0x0 0x40000000 0x0 0x10000000>");
        return 0;
    }
    uint32_t n = (uint32_t)len / 16;
    if (n > max) {
        bh_diag_add(c->d, path, name, "has %u ranges; at most %u are allowed", n, max);
        return 0;
    }
    for (uint32_t i = 0; i < n; i++) {
        out[i].base = cells64(p + 4 * i);
        out[i].size = cells64(p + 4 * i + 2);
    }
    return n;
}

static uint32_t get_u32_list(struct ctx *c, int node, const char *path, const char *name,
                             uint32_t *out, uint32_t max, const char *example)
{
    int len;
    const fdt32_t *p = getprop(c, node, name, &len);
    if (p == NULL) {
        return 0;
    }
    if (len == 0 || len % 4 != 0) {
        bh_diag_add(c->d, path, name, "is %d bytes; expected a list of 32-bit cells, e.g. %s", len,
                    example);
        return 0;
    }
    uint32_t n = (uint32_t)len / 4;
    if (n > max) {
        bh_diag_add(c->d, path, name, "has %u entries; at most %u are allowed", n, max);
        return 0;
    }
    for (uint32_t i = 0; i < n; i++) {
        out[i] = fdt32_to_cpu(p[i]);
    }
    return n;
}

/* Checks that the property is a list of non-empty strings; returns the count or -1. */
static int strlist_ok(const char *p, int len)
{
    if (len <= 0 || p[len - 1] != '\0') {
        return -1;
    }
    int n = 0;
    int start = 0;
    for (int i = 0; i < len; i++) {
        if (p[i] == '\0') {
            if (i == start) {
                return -1;
            }
            n++;
            start = i + 1;
        }
    }
    return n;
}

static const char *get_str(struct ctx *c, int node, const char *path, const char *name,
                           const char *example)
{
    int len;
    const char *p = getprop(c, node, name, &len);
    if (p == NULL) {
        if (example != NULL) {
            missing(c, path, name, example);
        }
        return NULL;
    }
    int n = strlist_ok(p, len);
    if (n != 1) {
        bh_diag_add(c->d, path, name, "%s; expected one non-empty string, e.g. %s",
                    n > 1 ? "is a list of strings" : "is not a non-empty string",
                    example != NULL ? example : "\"text\"");
        return NULL;
    }
    return p;
}

/* Returns the number of strings stored in out (up to max), -1 if absent or bad. */
static int get_strlist(struct ctx *c, int node, const char *path, const char *name,
                       const char **out, uint32_t max, const char *example)
{
    int len;
    const char *p = getprop(c, node, name, &len);
    if (p == NULL) {
        return -1;
    }
    int n = strlist_ok(p, len);
    if (n < 0) {
        bh_diag_add(c->d, path, name, "is not a list of non-empty strings; expected e.g. %s",
                    example);
        return -1;
    }
    if ((uint32_t)n > max) {
        bh_diag_add(c->d, path, name, "has %d entries; at most %u are allowed", n, max);
        return -1;
    }
    const char *s = p;
    for (int i = 0; i < n; i++) {
        out[i] = s;
        s += strlen(s) + 1;
    }
    return n;
}

static bool get_bool(struct ctx *c, int node, const char *path, const char *name)
{
    int len;
    const void *p = getprop(c, node, name, &len);
    if (p == NULL) {
        return false;
    }
    if (len != 0) {
        bh_diag_add(c->d, path, name, "has a value; expected an empty (boolean) property, e.g. %s;",
                    name);
    }
    return true;
}

static bool valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > BH_SPEC_PART_NAME_MAX || s[0] < 'a' || s[0] > 'z') {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_')) {
            return false;
        }
    }
    return true;
}

static void check_name(struct ctx *c, const char *path, const char *name, const char *what)
{
    if (!valid_name(name)) {
        bh_diag_add(c->d, path, NULL,
                    "invalid %s name \"%s\"; use 1 to %u characters from a-z, 0-9, '-', '_', "
                    "starting with a letter",
                    what, name, BH_SPEC_PART_NAME_MAX);
    }
}

/* Children named in allowed are fine; others are errors. */
static void check_children(struct ctx *c, int node, const char *path, const char *const *allowed,
                           size_t n)
{
    int child;
    fdt_for_each_subnode(child, c->fdt, node)
    {
        const char *name = fdt_get_name(c->fdt, child, NULL);
        if (name == NULL || in_list(name, allowed, n)) {
            continue;
        }
        char cp[BH_PATH_LEN];
        child_path(cp, path, name);
        char list[256];
        join_list(list, sizeof(list), allowed, n);
        if (n == 0) {
            bh_diag_add(c->d, cp, NULL, "unknown node; this node takes no child nodes");
        } else {
            bh_diag_add(c->d, cp, NULL, "unknown node; expected one of: %s", list);
        }
    }
}

static uint32_t parse_rights(struct ctx *c, const char *path, const char *value)
{
    if (strcmp(value, "r") == 0) {
        return BH_SPEC_RIGHT_READ;
    }
    if (strcmp(value, "rw") == 0) {
        return BH_SPEC_RIGHT_READ | BH_SPEC_RIGHT_WRITE;
    }
    bh_diag_add(c->d, path, "rights", "\"%s\" is not a right; expected \"r\" or \"rw\"", value);
    return 0;
}

static void load_passthrough(struct ctx *c, int node, const char *ppath, struct bh_part *p)
{
    static const char *const props[] = {"reg", "interrupts"};
    char path[BH_PATH_LEN];
    child_path(path, ppath, "passthrough");
    check_props(c, node, path, NULL, 0);
    int child;
    fdt_for_each_subnode(child, c->fdt, node)
    {
        const char *name = fdt_get_name(c->fdt, child, NULL);
        if (name == NULL) {
            continue;
        }
        char cp[BH_PATH_LEN];
        child_path(cp, path, name);
        if (p->npt == BH_MAX_PASSTHROUGH) {
            bh_diag_add(c->d, cp, NULL, "too many passthrough devices; at most %u per partition",
                        BH_MAX_PASSTHROUGH);
            break;
        }
        struct bh_passthrough *pt = &p->pt[p->npt++];
        memset(pt, 0, sizeof(*pt));
        snprintf(pt->path, sizeof(pt->path), "%s", cp);
        check_props(c, child, cp, props, 2);
        check_children(c, child, cp, NULL, 0);
        pt->nregs = get_ranges(c, child, cp, "reg", pt->regs, BH_MAX_RANGES, NULL);
        pt->nirqs = get_u32_list(c, child, cp, "interrupts", pt->irqs, BH_MAX_DEV_IRQS, "<48 49>");
        if (fdt_getprop(c->fdt, child, "reg", NULL) == NULL &&
            fdt_getprop(c->fdt, child, "interrupts", NULL) == NULL) {
            bh_diag_add(c->d, cp, NULL,
                        "passthrough device assigns nothing; give reg = <base size> pairs "
                        "and/or interrupts = <INTID ...>");
        }
    }
}

static void add_payload(struct bh_part *p, const char *value, const char *prop, uint32_t role,
                        uint32_t index)
{
    struct bh_payload *pl = &p->payloads[p->npayloads++];
    memset(pl, 0, sizeof(*pl));
    pl->value = value;
    pl->prop = prop;
    pl->role = role;
    pl->index = index;
}

static const struct {
    const char *name;
    uint32_t bit;
} emulated_names[] = {
    {"pl011", BH_SPEC_EMU_PL011},
    {"virtio-console", BH_SPEC_EMU_VIRTIO_CONSOLE},
    {"virtio-net", BH_SPEC_EMU_VIRTIO_NET},
    {"virtio-blk", BH_SPEC_EMU_VIRTIO_BLK},
    {"rtc", BH_SPEC_EMU_RTC},
};

static void load_sched_props(struct ctx *c, int node, const char *path, struct bh_part *p)
{
    uint32_t prio = 0;
    if (get_u32(c, node, path, "priority", &prio, "<100>")) {
        p->priority = prio;
    }
    p->has_budget = get_us(c, node, path, "budget-us", &p->budget_us, NULL);
    p->has_period = get_us(c, node, path, "period-us", &p->period_us, NULL);
}

static void load_vm(struct ctx *c, int node, const char *path, struct bh_part *p)
{
    static const char *const props[] = {
        "kernel",   "initrd",   "bootargs",     "disks",     "memory",    "vcpus", "cpus",
        "emulated", "priority", "vmm-priority", "budget-us", "period-us", "vmm"};
    static const char *const children[] = {"passthrough"};
    check_props(c, node, path, props, sizeof(props) / sizeof(props[0]));
    check_children(c, node, path, children, 1);
    p->kind = BH_SPEC_PART_VM;
    const char *s = get_str(c, node, path, "kernel", "\"linux/Image\"");
    if (s != NULL) {
        add_payload(p, s, "kernel", BH_SPEC_ROLE_KERNEL, 0);
    }
    s = get_str(c, node, path, "initrd", NULL);
    if (s != NULL) {
        add_payload(p, s, "initrd", BH_SPEC_ROLE_INITRD, 0);
    }
    s = get_str(c, node, path, "vmm", NULL);
    if (s != NULL) {
        add_payload(p, s, "vmm", BH_SPEC_ROLE_PROGRAM, 0);
    }
    const char *disks[BH_SPEC_MAX_DISKS];
    int nd = get_strlist(c, node, path, "disks", disks, BH_SPEC_MAX_DISKS, "\"disk0.img\"");
    for (int i = 0; i < nd; i++) {
        add_payload(p, disks[i], "disks", BH_SPEC_ROLE_DISK, (uint32_t)i);
        p->ndisks++;
    }
    if (p->ndisks > 0) {
        p->emulated |= BH_SPEC_EMU_VIRTIO_BLK;
    }
    p->bootargs = get_str(c, node, path, "bootargs", NULL);
    p->nmem = get_ranges(c, node, path, "memory", p->mem, BH_MAX_MEM_REGIONS,
                         "<0x0 0x40000000 0x0 0x10000000>");
    p->vcpus = 1;
    uint32_t v = 0;
    if (get_u32(c, node, path, "vcpus", &v, NULL)) {
        p->vcpus = v;
    }
    if (fdt_getprop(c->fdt, node, "cpus", NULL) != NULL) {
        p->ncpus = get_u32_list(c, node, path, "cpus", p->cpus, BH_SPEC_MAX_VCPUS, "<0 1>");
        p->has_cpus = p->ncpus > 0;
    }
    const char *emu[8];
    int ne = get_strlist(c, node, path, "emulated", emu, 8, "\"pl011\", \"virtio-console\"");
    for (int i = 0; i < ne; i++) {
        bool found = false;
        for (size_t k = 0; k < sizeof(emulated_names) / sizeof(emulated_names[0]); k++) {
            if (strcmp(emu[i], emulated_names[k].name) == 0) {
                found = true;
                if ((p->emulated & emulated_names[k].bit) != 0 &&
                    emulated_names[k].bit != BH_SPEC_EMU_VIRTIO_BLK) {
                    bh_diag_add(c->d, path, "emulated",
                                "\"%s\" is listed twice; list each emulated device once", emu[i]);
                }
                p->emulated |= emulated_names[k].bit;
            }
        }
        if (!found) {
            bh_diag_add(c->d, path, "emulated",
                        "unknown emulated device \"%s\"; expected one of: pl011, virtio-console, "
                        "virtio-net, virtio-blk, rtc",
                        emu[i]);
        }
    }
    load_sched_props(c, node, path, p);
    uint32_t vp = 0;
    if (get_u32(c, node, path, "vmm-priority", &vp, NULL)) {
        p->vmm_priority = vp;
        p->has_vmm_priority = true;
    }
    int pt = fdt_subnode_offset(c->fdt, node, "passthrough");
    if (pt >= 0) {
        load_passthrough(c, pt, path, p);
    }
}

static void load_server(struct ctx *c, int node, const char *path, struct bh_part *p)
{
    static const char *const props[] = {"program", "priority", "budget-us", "period-us",
                                        "memory-size"};
    static const char *const children[] = {"passthrough"};
    check_props(c, node, path, props, sizeof(props) / sizeof(props[0]));
    check_children(c, node, path, children, 1);
    p->kind = BH_SPEC_PART_SERVER;
    const char *s = get_str(c, node, path, "program", "\"servers/logger.elf\"");
    if (s != NULL) {
        add_payload(p, s, "program", BH_SPEC_ROLE_PROGRAM, 0);
    }
    load_sched_props(c, node, path, p);
    p->has_mem_size = get_u64(c, node, path, "memory-size", &p->mem_size, "<0x0 0x100000>");
    int pt = fdt_subnode_offset(c->fdt, node, "passthrough");
    if (pt >= 0) {
        load_passthrough(c, pt, path, p);
    }
}

static void load_partitions(struct ctx *c, int node, const char *kind, bool vm)
{
    char path[BH_PATH_LEN];
    child_path(path, "/", kind);
    check_props(c, node, path, NULL, 0);
    int child;
    fdt_for_each_subnode(child, c->fdt, node)
    {
        const char *name = fdt_get_name(c->fdt, child, NULL);
        if (name == NULL) {
            continue;
        }
        char cp[BH_PATH_LEN];
        child_path(cp, path, name);
        if (c->m->nparts == BH_SPEC_MAX_PARTITIONS) {
            bh_diag_add(c->d, cp, NULL, "too many partitions; at most %u VMs and servers in all",
                        BH_SPEC_MAX_PARTITIONS);
            return;
        }
        struct bh_part *p = &c->m->parts[c->m->nparts++];
        memset(p, 0, sizeof(*p));
        snprintf(p->path, sizeof(p->path), "%s", cp);
        p->name = name;
        check_name(c, cp, name, vm ? "VM" : "server");
        if (vm) {
            load_vm(c, child, cp, p);
        } else {
            load_server(c, child, cp, p);
        }
    }
}

static void load_channels(struct ctx *c, int node)
{
    static const char *const props[] = {"size"};
    static const char *const end_props[] = {"partition", "rights", "notify", "address"};
    check_props(c, node, "/channels", NULL, 0);
    int child;
    fdt_for_each_subnode(child, c->fdt, node)
    {
        const char *name = fdt_get_name(c->fdt, child, NULL);
        if (name == NULL) {
            continue;
        }
        char cp[BH_PATH_LEN];
        child_path(cp, "/channels", name);
        if (c->m->nchans == BH_SPEC_MAX_CHANNELS) {
            bh_diag_add(c->d, cp, NULL, "too many channels; at most %u", BH_SPEC_MAX_CHANNELS);
            return;
        }
        struct bh_channel *ch = &c->m->chans[c->m->nchans++];
        memset(ch, 0, sizeof(*ch));
        snprintf(ch->path, sizeof(ch->path), "%s", cp);
        ch->name = name;
        check_name(c, cp, name, "channel");
        check_props(c, child, cp, props, 1);
        get_u64(c, child, cp, "size", &ch->size, NULL);
        int end;
        uint32_t count = 0;
        fdt_for_each_subnode(end, c->fdt, child)
        {
            const char *en = fdt_get_name(c->fdt, end, NULL);
            if (en == NULL) {
                continue;
            }
            char ep[BH_PATH_LEN];
            child_path(ep, cp, en);
            count++;
            if (ch->nends == 2) {
                continue;
            }
            struct bh_chan_end *e = &ch->ends[ch->nends++];
            memset(e, 0, sizeof(*e));
            snprintf(e->path, sizeof(e->path), "%s", ep);
            e->part = -1;
            check_props(c, end, ep, end_props, 4);
            check_children(c, end, ep, NULL, 0);
            e->partition = get_str(c, end, ep, "partition", "\"linux\"");
            const char *r = get_str(c, end, ep, "rights", NULL);
            if (r != NULL) {
                e->rights = parse_rights(c, ep, r);
            } else if (ch->size != 0) {
                missing(c, ep, "rights", "\"rw\"");
            }
            if (r != NULL && ch->size == 0) {
                bh_diag_add(c->d, ep, "rights",
                            "channel has no shared memory; remove rights or give the channel a "
                            "size");
            }
            e->notify = get_bool(c, end, ep, "notify");
            e->has_address = get_u64(c, end, ep, "address", &e->address, NULL);
        }
        if (count != 2) {
            bh_diag_add(c->d, cp, NULL,
                        "channel has %u end nodes; expected exactly 2, one per party, each with "
                        "partition = \"name\"",
                        count);
        }
    }
}

static void load_schedule(struct ctx *c, int node)
{
    static const char *const props[] = {"major-frame-us"};
    static const char *const wprops[] = {"partition", "start-us", "length-us"};
    struct bh_model *m = c->m;
    m->has_schedule = true;
    snprintf(m->sched_path, sizeof(m->sched_path), "/schedule");
    check_props(c, node, "/schedule", props, 1);
    get_us(c, node, "/schedule", "major-frame-us", &m->major_frame_us, "<20000>");
    int child;
    fdt_for_each_subnode(child, c->fdt, node)
    {
        const char *name = fdt_get_name(c->fdt, child, NULL);
        if (name == NULL) {
            continue;
        }
        char cp[BH_PATH_LEN];
        child_path(cp, "/schedule", name);
        if (m->nwindows == BH_SPEC_MAX_WINDOWS) {
            bh_diag_add(c->d, cp, NULL, "too many windows; at most %u", BH_SPEC_MAX_WINDOWS);
            return;
        }
        struct bh_window *w = &m->windows[m->nwindows++];
        memset(w, 0, sizeof(*w));
        snprintf(w->path, sizeof(w->path), "%s", cp);
        w->part = -1;
        check_props(c, child, cp, wprops, 3);
        check_children(c, child, cp, NULL, 0);
        w->partition = get_str(c, child, cp, "partition", "\"linux\"");
        get_us(c, child, cp, "start-us", &w->start_us, "<0>");
        get_us(c, child, cp, "length-us", &w->length_us, "<10000>");
    }
}

static void qemu_virt_devices(struct bh_platform *pl)
{
    static const struct {
        const char *name;
        uint64_t base, size;
        uint32_t irq0, nirq;
        bool kernel;
    } devs[] = {
        {"gic-distributor", 0x08000000, 0x10000, 0, 0, true},
        {"gic-redistributor", 0x080A0000, 0xF60000, 0, 0, true},
        {"pl011", 0x09000000, 0x1000, 33, 1, true},
        {"pl031-rtc", 0x09010000, 0x1000, 34, 1, false},
        {"pl061-gpio", 0x09030000, 0x1000, 39, 1, false},
        {"virtio-mmio", 0x0A000000, 0x4000, 48, 32, false},
        {"timer", 0, 0, 26, 0, true},
    };
    for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]) && pl->ndevices < BH_MAX_PLAT_DEVICES;
         i++) {
        struct bh_plat_device *d = &pl->devices[pl->ndevices++];
        memset(d, 0, sizeof(*d));
        snprintf(d->name, sizeof(d->name), "%s", devs[i].name);
        d->reg.base = devs[i].base;
        d->reg.size = devs[i].size;
        d->kernel_owned = devs[i].kernel;
        if (devs[i].nirq > 0) {
            d->irqs[0] = devs[i].irq0;
            d->irq_count = devs[i].nirq;
        }
        if (strcmp(devs[i].name, "timer") == 0) {
            d->irqs[0] = 26;
            d->irqs[1] = 27;
            d->irqs[2] = 30;
            d->nirqs = 3;
        }
    }
}

static void load_platform(struct ctx *c, int node)
{
    static const char *const props[] = {"preset", "memory-base", "memory-size", "cpus",
                                        "kernel-reserve"};
    static const char *const children[] = {"devices"};
    static const char *const dprops[] = {"reg", "interrupts"};
    struct bh_platform *pl = &c->m->plat;
    snprintf(pl->path, sizeof(pl->path), "/platform");
    check_props(c, node, "/platform", props, 5);
    check_children(c, node, "/platform", children, 1);
    pl->preset = get_str(c, node, "/platform", "preset", NULL);
    pl->reserve = BH_DEFAULT_RESERVE;
    bool preset = false;
    if (pl->preset != NULL) {
        if (strcmp(pl->preset, "qemu-virt") == 0) {
            preset = true;
            pl->ram_base = 0x40000000;
            pl->ram_size = 0x40000000;
            pl->cpus = 4;
            qemu_virt_devices(pl);
        } else {
            bh_diag_add(c->d, "/platform", "preset",
                        "unknown preset \"%s\"; expected \"qemu-virt\", or no preset and "
                        "memory-base, memory-size, cpus and devices",
                        pl->preset);
        }
    }
    pl->ok = pl->preset == NULL || preset;
    /* Without a preset these are required; with an unknown one, one error is enough. */
    bool need = pl->preset == NULL;
    const char *ex_base = need ? "<0x0 0x40000000>" : NULL;
    size_t before = c->d->n;
    bool got = get_u64(c, node, "/platform", "memory-base", &pl->ram_base, ex_base);
    got = get_u64(c, node, "/platform", "memory-size", &pl->ram_size,
                  need ? "<0x0 0x40000000>" : NULL) &&
          got;
    got = get_u32(c, node, "/platform", "cpus", &pl->cpus, need ? "<4>" : NULL) && got;
    get_u64(c, node, "/platform", "kernel-reserve", &pl->reserve, NULL);
    if (preset && pl->ram_base != 0x40000000) {
        bh_diag_add(c->d, "/platform", "memory-base",
                    "qemu-virt RAM starts at 0x40000000, not 0x%llx; remove memory-base or give "
                    "<0x0 0x40000000>",
                    (unsigned long long)pl->ram_base);
    }
    if ((need && !got) || c->d->n != before) {
        pl->ok = false;
    }
    int devs = fdt_subnode_offset(c->fdt, node, "devices");
    if (devs < 0) {
        return;
    }
    check_props(c, devs, "/platform/devices", NULL, 0);
    int child;
    fdt_for_each_subnode(child, c->fdt, devs)
    {
        const char *name = fdt_get_name(c->fdt, child, NULL);
        if (name == NULL) {
            continue;
        }
        char cp[BH_PATH_LEN];
        child_path(cp, "/platform/devices", name);
        if (pl->ndevices == BH_MAX_PLAT_DEVICES) {
            bh_diag_add(c->d, cp, NULL, "too many platform devices; at most %u",
                        BH_MAX_PLAT_DEVICES);
            return;
        }
        struct bh_plat_device *d = &pl->devices[pl->ndevices++];
        memset(d, 0, sizeof(*d));
        snprintf(d->name, sizeof(d->name), "%s", name);
        check_props(c, child, cp, dprops, 2);
        check_children(c, child, cp, NULL, 0);
        struct bh_range r[1];
        if (get_ranges(c, child, cp, "reg", r, 1, "<0x0 0x9040000 0x0 0x1000>") == 1) {
            d->reg = r[0];
        }
        d->nirqs = get_u32_list(c, child, cp, "interrupts", d->irqs, BH_MAX_DEV_IRQS, "<40>");
    }
}

bool bh_spec_load(const void *dtb, size_t size, struct bh_model *m, struct bh_diag *d)
{
    memset(m, 0, sizeof(*m));
    /* dtc writes version 17; older layouts crash libfdt 1.6's fdt_check_full(). */
    if (size < sizeof(struct fdt_header) || fdt_magic(dtb) != FDT_MAGIC || fdt_version(dtb) < 17 ||
        fdt_last_comp_version(dtb) > 17 || fdt_check_full(dtb, size) != 0) {
        bh_diag_addraw(d, "not a valid compiled device tree; give a device-tree source file "
                          "(.dts) that dtc accepts");
        return false;
    }
    struct ctx c = {dtb, d, m};
    int root = fdt_path_offset(dtb, "/");
    if (root < 0) {
        bh_diag_addraw(d, "device tree has no root node; start the file with / { ... };");
        return false;
    }
    static const char *const props[] = {"compatible", "model", "console-input", "#address-cells",
                                        "#size-cells"};
    static const char *const children[] = {"platform", "vms", "servers", "channels", "schedule"};
    const char *compat = get_str(&c, root, "/", "compatible", "\"bulkhead,system-v1\"");
    if (compat != NULL && strcmp(compat, "bulkhead,system-v1") != 0) {
        bh_diag_add(d, "/", "compatible",
                    "\"%s\" is not a Bulkhead spec; expected \"bulkhead,system-v1\"", compat);
    }
    check_props(&c, root, "/", props, 5);
    m->console_part = -1;
    m->console_input = get_str(&c, root, "/", "console-input", NULL);
    check_children(&c, root, "/", children, 5);
    int node = fdt_subnode_offset(dtb, root, "platform");
    if (node >= 0) {
        load_platform(&c, node);
    } else {
        bh_diag_add(d, "/platform", NULL,
                    "missing node; add platform { preset = \"qemu-virt\"; };");
    }
    node = fdt_subnode_offset(dtb, root, "vms");
    if (node >= 0) {
        load_partitions(&c, node, "vms", true);
    }
    node = fdt_subnode_offset(dtb, root, "servers");
    if (node >= 0) {
        load_partitions(&c, node, "servers", false);
    }
    node = fdt_subnode_offset(dtb, root, "channels");
    if (node >= 0) {
        load_channels(&c, node);
    }
    node = fdt_subnode_offset(dtb, root, "schedule");
    if (node >= 0) {
        load_schedule(&c, node);
    }
    return true;
}
