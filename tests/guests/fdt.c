/*
 * Just enough of the flattened device tree format (devicetree specification,
 * chapter 5) to walk the root node's children: /chosen/bootargs, so a spec's
 * bootargs can parameterise a test guest, and the nodes the example guests
 * look for (examples/guests). Bounds-checked against the header: the blob
 * comes from outside.
 */
#include "guest.h"

#define FDT_MAGIC      0xd00dfeedu
#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE   2u
#define FDT_PROP       3u
#define FDT_NOP        4u
#define FDT_END        9u
#define FDT_MAX_SIZE   (2u << 20)

/* s (bounded by end) is want, NUL-terminated or, with unit, followed by '@'. */
static bool str_match(const uint8_t *s, const uint8_t *end, const char *want, bool unit)
{
    size_t i = 0;
    for (; want[i] != '\0'; i++) {
        if (s + i >= end || s[i] != (uint8_t)want[i]) {
            return false;
        }
    }
    return s + i < end && (s[i] == '\0' || (unit && s[i] == '@'));
}

bool guest_fdt_str_is(const uint8_t *s, const uint8_t *end, const char *want)
{
    return str_match(s, end, want, false);
}

/* "chosen" also matches "chosen@..." (unit address). */
static bool name_is(const uint8_t *s, const uint8_t *end, const char *want)
{
    return str_match(s, end, want, true);
}

uint32_t guest_fdt_be32(const uint8_t *p)
{
    /* Byte loads: the blob may be unaligned and memory is Device (MMU off). */
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

uint64_t guest_fdt_be64(const uint8_t *p)
{
    return ((uint64_t)guest_fdt_be32(p) << 32) | guest_fdt_be32(p + 4);
}

bool guest_fdt_walk(uint64_t dtb, guest_fdt_visit_t visit, void *ctx)
{
    const uint8_t *base = (const uint8_t *)dtb;
    if (dtb == 0 || (dtb & 3u) != 0 || guest_fdt_be32(base) != FDT_MAGIC) {
        return false;
    }
    uint32_t total = guest_fdt_be32(base + 4);
    uint32_t off_struct = guest_fdt_be32(base + 8);
    uint32_t off_strings = guest_fdt_be32(base + 12);
    if (total > FDT_MAX_SIZE || off_struct >= total || off_strings >= total) {
        return false;
    }
    const uint8_t *end = base + total;
    const uint8_t *strings = base + off_strings;
    const uint8_t *p = base + off_struct;
    unsigned depth = 0;
    while (p + 4 <= end) {
        uint32_t tok = guest_fdt_be32(p);
        p += 4;
        if (tok == FDT_BEGIN_NODE) {
            depth++;
            if (depth == 2) {
                struct guest_fdt_item it = {GUEST_FDT_NODE, p, NULL, 0, end};
                if (visit(ctx, &it)) {
                    return true;
                }
            }
            while (p < end && *p != '\0') {
                p++;
            }
            p = base + ((((uint64_t)(p - base)) + 4u) & ~(uint64_t)3u);
        } else if (tok == FDT_END_NODE) {
            if (depth == 0) {
                return false;
            }
            if (depth == 2) {
                struct guest_fdt_item it = {GUEST_FDT_NODE_END, NULL, NULL, 0, end};
                if (visit(ctx, &it)) {
                    return true;
                }
            }
            depth--;
        } else if (tok == FDT_PROP) {
            if (p + 8 > end) {
                return false;
            }
            uint32_t len = guest_fdt_be32(p);
            uint32_t nameoff = guest_fdt_be32(p + 4);
            p += 8;
            if (len > (uint64_t)(end - p) || nameoff >= total - off_strings) {
                return false;
            }
            if (depth == 2) {
                struct guest_fdt_item it = {GUEST_FDT_PROP, strings + nameoff, p, len, end};
                if (visit(ctx, &it)) {
                    return true;
                }
            }
            p = base + ((((uint64_t)(p - base)) + len + 3u) & ~(uint64_t)3u);
        } else if (tok == FDT_NOP) {
            continue;
        } else {
            return false; /* FDT_END or garbage */
        }
    }
    return false;
}

struct bootargs_walk {
    bool in_chosen;
    const char *args;
};

static bool bootargs_visit(void *ctx, const struct guest_fdt_item *it)
{
    struct bootargs_walk *w = ctx;
    if (it->event == GUEST_FDT_NODE) {
        w->in_chosen = name_is(it->name, it->end, "chosen");
    } else if (it->event == GUEST_FDT_NODE_END) {
        w->in_chosen = false;
    } else if (w->in_chosen && name_is(it->name, it->end, "bootargs") && it->len > 0 &&
               it->val[it->len - 1] == '\0') {
        w->args = (const char *)it->val;
        return true;
    }
    return false;
}

const char *guest_fdt_bootargs(uint64_t dtb)
{
    if (dtb == 0) {
        /* Where a loader may have put one (the bare-QEMU tests do); probe first,
         * since this VM's RAM need not start there. */
        uint32_t word = 0;
        uint64_t esr = 0;
        uint64_t far = 0;
        if (guest_probe_read32(GUEST_RAM_BASE, &word, &esr, &far)) {
            return NULL;
        }
        dtb = GUEST_RAM_BASE;
    }
    struct bootargs_walk w = {false, NULL};
    return guest_fdt_walk(dtb, bootargs_visit, &w) ? w.args : NULL;
}

/* Parses a decimal or 0x-prefixed hexadecimal number; returns the end or NULL. */
static const char *parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    const char *start = s;
    for (;; s++) {
        unsigned d;
        char c = *s;
        if (c >= '0' && c <= '9') {
            d = (unsigned)(c - '0');
        } else if (base == 16 && c >= 'a' && c <= 'f') {
            d = (unsigned)(c - 'a') + 10u;
        } else if (base == 16 && c >= 'A' && c <= 'F') {
            d = (unsigned)(c - 'A') + 10u;
        } else {
            break;
        }
        v = v * base + d;
    }
    if (s == start) {
        return NULL;
    }
    *out = v;
    return s;
}

bool guest_arg_pair(const char *args, const char *key, uint64_t *a, uint64_t *b)
{
    if (args == NULL) {
        return false;
    }
    for (const char *s = args; *s != '\0'; s++) {
        if (s != args && s[-1] != ' ') {
            continue;
        }
        size_t i = 0;
        while (key[i] != '\0' && s[i] == key[i]) {
            i++;
        }
        if (key[i] != '\0' || s[i] != '=') {
            continue;
        }
        const char *p = parse_u64(s + i + 1, a);
        if (p == NULL || *p != ',') {
            return false;
        }
        p = parse_u64(p + 1, b);
        return p != NULL && (*p == '\0' || *p == ' ');
    }
    return false;
}
