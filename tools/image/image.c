/*
 * Boot image assembly: kernel ELF -> flat arm64 Image, then the payload.
 * See kernel/include/bulkhead/bootimage.h for the format.
 */
#include "image.h"

#include <bh_sha256.h>

#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static uint8_t *read_file(const char *path, size_t *size, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fail(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    uint8_t *buf = NULL;
    size_t cap = 0;
    size_t len = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 1 << 16;
            uint8_t *nb = realloc(buf, cap);
            if (nb == NULL) {
                free(buf);
                fclose(f);
                fail(err, errlen, "%s: out of memory", path);
                return NULL;
            }
            buf = nb;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            break;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        fail(err, errlen, "%s: read error", path);
        return NULL;
    }
    *size = len;
    return buf;
}

/* Flattens the kernel's PT_LOAD segments into a memory image starting at the
 * lowest one; returns its file size and (via mem_end) its memory footprint. */
static uint8_t *flatten_kernel(const uint8_t *elf, size_t size, size_t *flat_size,
                               uint64_t *footprint, char *err, size_t errlen)
{
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)elf;
    if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
        eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_AARCH64) {
        fail(err, errlen, "kernel: not an ELF64 AArch64 file");
        return NULL;
    }
    if (eh->e_phoff > size || (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > size - eh->e_phoff) {
        fail(err, errlen, "kernel: program headers outside the file");
        return NULL;
    }
    const Elf64_Phdr *ph = (const Elf64_Phdr *)(elf + eh->e_phoff);
    uint64_t lo = UINT64_MAX;
    uint64_t file_hi = 0;
    uint64_t mem_hi = 0;
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type != PT_LOAD) {
            continue;
        }
        if (ph[i].p_offset > size || ph[i].p_filesz > size - ph[i].p_offset) {
            fail(err, errlen, "kernel: segment %u outside the file", i);
            return NULL;
        }
        if (ph[i].p_paddr < lo) {
            lo = ph[i].p_paddr;
        }
        if (ph[i].p_paddr + ph[i].p_filesz > file_hi) {
            file_hi = ph[i].p_paddr + ph[i].p_filesz;
        }
        if (ph[i].p_paddr + ph[i].p_memsz > mem_hi) {
            mem_hi = ph[i].p_paddr + ph[i].p_memsz;
        }
    }
    if (lo == UINT64_MAX || lo != eh->e_entry) {
        fail(err, errlen, "kernel: entry point is not the start of the lowest segment");
        return NULL;
    }
    size_t n = (size_t)(file_hi - lo);
    uint8_t *flat = calloc(1, n);
    if (flat == NULL) {
        fail(err, errlen, "kernel: out of memory");
        return NULL;
    }
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type == PT_LOAD && ph[i].p_filesz > 0) {
            memcpy(flat + (ph[i].p_paddr - lo), elf + ph[i].p_offset, ph[i].p_filesz);
        }
    }
    struct bh_arm64_image_header hdr;
    if (n < sizeof(hdr)) {
        free(flat);
        fail(err, errlen, "kernel: too small to hold an arm64 Image header");
        return NULL;
    }
    memcpy(&hdr, flat, sizeof(hdr));
    if (hdr.magic != BH_ARM64_IMAGE_MAGIC) {
        free(flat);
        fail(err, errlen, "kernel: no arm64 Image header (magic) at its first address");
        return NULL;
    }
    *flat_size = n;
    *footprint = mem_hi - lo;
    return flat;
}

static uint64_t align_up64(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

int bh_image_write(const char *kernel_elf, const struct bh_image_component *comps, size_t ncomps,
                   const char *out_path, char *err, size_t errlen)
{
    int rc = -1;
    uint8_t *kelf = NULL;
    uint8_t *flat = NULL;
    uint8_t **datas = NULL;
    size_t *sizes = NULL;
    uint8_t *payload = NULL;
    FILE *out = NULL;
    char tmp[4096];
    tmp[0] = '\0';

    if (ncomps > BH_PAYLOAD_MAX_ENTRIES) {
        return fail(err, errlen, "%zu components; an image holds at most %u", ncomps,
                    BH_PAYLOAD_MAX_ENTRIES);
    }
    size_t ksize = 0;
    kelf = read_file(kernel_elf, &ksize, err, errlen);
    if (kelf == NULL) {
        goto out;
    }
    size_t flat_size = 0;
    uint64_t footprint = 0;
    flat = flatten_kernel(kelf, ksize, &flat_size, &footprint, err, errlen);
    if (flat == NULL) {
        goto out;
    }

    datas = calloc(ncomps ? ncomps : 1, sizeof(*datas));
    sizes = calloc(ncomps ? ncomps : 1, sizeof(*sizes));
    if (datas == NULL || sizes == NULL) {
        fail(err, errlen, "out of memory");
        goto out;
    }
    uint64_t off =
        align_up64(sizeof(struct bh_payload_header) + ncomps * sizeof(struct bh_payload_entry),
                   BH_PAYLOAD_ALIGN);
    uint64_t total = off;
    for (size_t i = 0; i < ncomps; i++) {
        if (comps[i].name == NULL || strlen(comps[i].name) >= BH_PAYLOAD_NAME_LEN) {
            fail(err, errlen, "component %zu: name missing or longer than %u characters", i,
                 BH_PAYLOAD_NAME_LEN - 1);
            goto out;
        }
        if (comps[i].path != NULL) {
            datas[i] = read_file(comps[i].path, &sizes[i], err, errlen);
            if (datas[i] == NULL) {
                goto out;
            }
        } else {
            sizes[i] = comps[i].size;
        }
        total = align_up64(total, BH_PAYLOAD_ALIGN) + sizes[i];
    }
    total = align_up64(total, BH_PAYLOAD_ALIGN);
    payload = calloc(1, total);
    if (payload == NULL) {
        fail(err, errlen, "out of memory for a %llu-byte payload", (unsigned long long)total);
        goto out;
    }
    struct bh_payload_header *ph = (struct bh_payload_header *)payload;
    memcpy(ph->magic, BH_PAYLOAD_MAGIC, 8);
    ph->version = BH_PAYLOAD_VERSION;
    ph->count = (uint32_t)ncomps;
    ph->size = total;
    for (size_t i = 0; i < ncomps; i++) {
        struct bh_payload_entry *e = &ph->entries[i];
        const void *src = comps[i].path != NULL ? datas[i] : comps[i].data;
        strncpy(e->name, comps[i].name, BH_PAYLOAD_NAME_LEN - 1);
        e->kind = (uint32_t)comps[i].kind;
        e->offset = off;
        e->size = sizes[i];
        if (sizes[i] > 0) {
            memcpy(payload + off, src, sizes[i]);
        }
        bh_sha256(payload + off, sizes[i], e->sha256);
        off = align_up64(off + sizes[i], BH_PAYLOAD_ALIGN);
    }

    /* The payload starts at the first 4 KiB boundary after the kernel's
     * memory footprint (its BSS included); image_size covers it all. */
    uint64_t payload_at = align_up64(footprint, BH_PAYLOAD_ALIGN);
    struct bh_arm64_image_header hdr;
    memcpy(&hdr, flat, sizeof(hdr));
    hdr.image_size = payload_at + total;
    memcpy(flat, &hdr, sizeof(hdr));

    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", out_path, (long)getpid());
    out = fopen(tmp, "wb");
    if (out == NULL) {
        fail(err, errlen, "%s: %s", tmp, strerror(errno));
        tmp[0] = '\0';
        goto out;
    }
    static const uint8_t zeros[4096];
    int ok = fwrite(flat, 1, flat_size, out) == flat_size;
    for (uint64_t pos = flat_size; ok && pos < payload_at;) {
        size_t n = payload_at - pos < sizeof(zeros) ? (size_t)(payload_at - pos) : sizeof(zeros);
        ok = fwrite(zeros, 1, n, out) == n;
        pos += n;
    }
    ok = ok && fwrite(payload, 1, total, out) == total;
    ok = (fclose(out) == 0) && ok;
    out = NULL;
    if (!ok) {
        fail(err, errlen, "%s: write failed", tmp);
        goto out;
    }
    if (rename(tmp, out_path) != 0) {
        fail(err, errlen, "%s: %s", out_path, strerror(errno));
        goto out;
    }
    tmp[0] = '\0';
    rc = 0;
out:
    if (out != NULL) {
        fclose(out);
    }
    if (tmp[0] != '\0') {
        unlink(tmp);
    }
    for (size_t i = 0; datas != NULL && i < ncomps; i++) {
        free(datas[i]);
    }
    free(datas);
    free(sizes);
    free(payload);
    free(flat);
    free(kelf);
    return rc;
}
