/*
 * Just enough of the flattened device tree format (devicetree specification,
 * chapter 5) to read /chosen/bootargs, so a spec's bootargs can parameterise a
 * test guest. Bounds-checked against the header: the blob comes from outside.
 */
#include "guest.h"

#define FDT_MAGIC      0xd00dfeedu
#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE   2u
#define FDT_PROP       3u
#define FDT_NOP        4u
#define FDT_END        9u
#define FDT_MAX_SIZE   (2u << 20)

static uint32_t be32(const uint8_t *p)
{
    /* Byte loads: the blob may be unaligned and memory is Device (MMU off). */
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static bool name_is(const uint8_t *s, const uint8_t *end, const char *want)
{
    size_t i = 0;
    for (; want[i] != '\0'; i++) {
        if (s + i >= end || s[i] != (uint8_t)want[i]) {
            return false;
        }
    }
    /* "chosen" also matches "chosen@..." (unit address). */
    return s + i < end && (s[i] == '\0' || s[i] == '@');
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
    if ((dtb & 3u) != 0) {
        return NULL;
    }
    const uint8_t *base = (const uint8_t *)dtb;
    if (be32(base) != FDT_MAGIC) {
        return NULL;
    }
    uint32_t total = be32(base + 4);
    uint32_t off_struct = be32(base + 8);
    uint32_t off_strings = be32(base + 12);
    if (total > FDT_MAX_SIZE || off_struct >= total || off_strings >= total) {
        return NULL;
    }
    const uint8_t *end = base + total;
    const uint8_t *strings = base + off_strings;
    const uint8_t *p = base + off_struct;
    unsigned depth = 0;
    bool in_chosen = false;
    while (p + 4 <= end) {
        uint32_t tok = be32(p);
        p += 4;
        if (tok == FDT_BEGIN_NODE) {
            depth++;
            if (depth == 2) {
                in_chosen = name_is(p, end, "chosen");
            }
            while (p < end && *p != '\0') {
                p++;
            }
            p = base + ((((uint64_t)(p - base)) + 4u) & ~(uint64_t)3u);
        } else if (tok == FDT_END_NODE) {
            if (depth == 2) {
                in_chosen = false;
            }
            if (depth == 0) {
                return NULL;
            }
            depth--;
        } else if (tok == FDT_PROP) {
            if (p + 8 > end) {
                return NULL;
            }
            uint32_t len = be32(p);
            uint32_t nameoff = be32(p + 4);
            p += 8;
            if (len > (uint64_t)(end - p) || nameoff >= total - off_strings) {
                return NULL;
            }
            if (in_chosen && depth == 2 && name_is(strings + nameoff, end, "bootargs") && len > 0 &&
                p[len - 1] == '\0') {
                return (const char *)p;
            }
            p = base + ((((uint64_t)(p - base)) + len + 3u) & ~(uint64_t)3u);
        } else if (tok == FDT_NOP) {
            continue;
        } else {
            return NULL; /* FDT_END or garbage */
        }
    }
    return NULL;
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
