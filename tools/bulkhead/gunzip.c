/*
 * gzip-compressed guest kernels (Debian's vmlinuz): `bulkhead` decompresses
 * them with zlib so the image always carries a plain arm64 Image, which is
 * what the VMM loads. The output is bounded, and every way the data can be
 * wrong has its own message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include <bulkhead/bootimage.h>

#include "model.h"

bool bh_is_gzip(const uint8_t *b, size_t n)
{
    return n >= 2 && b[0] == 0x1f && b[1] == 0x8b;
}

static bool read_all(const char *path, uint8_t **buf, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return false;
    }
    bool ok = fseek(f, 0, SEEK_END) == 0;
    long len = ok ? ftell(f) : -1;
    ok = ok && len >= 0 && fseek(f, 0, SEEK_SET) == 0;
    uint8_t *b = ok ? malloc((size_t)len + 1) : NULL;
    ok = b != NULL && fread(b, 1, (size_t)len, f) == (size_t)len;
    fclose(f);
    if (!ok) {
        free(b);
        return false;
    }
    *buf = b;
    *size = (size_t)len;
    return true;
}

bool bh_gunzip_kernel(const char *path, uint8_t **out, size_t *out_size, char *why, size_t whylen)
{
    uint8_t *in = NULL;
    size_t in_size = 0;
    if (!read_all(path, &in, &in_size)) {
        snprintf(why, whylen, "cannot be read");
        return false;
    }
    if (!bh_is_gzip(in, in_size)) {
        free(in);
        snprintf(why, whylen, "is not gzip-compressed");
        return false;
    }
    z_stream z;
    memset(&z, 0, sizeof(z));
    /* 16 + MAX_WBITS: a gzip header and trailer (CRC-32, length) are checked. */
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
        free(in);
        snprintf(why, whylen, "cannot be decompressed: zlib failed to start");
        return false;
    }
    size_t cap = 4u << 20;
    uint8_t *buf = malloc(cap);
    z.next_in = in;
    z.avail_in = (uInt)(in_size > UINT32_MAX ? UINT32_MAX : in_size);
    int rc = Z_OK;
    bool ok = buf != NULL;
    while (ok && rc != Z_STREAM_END) {
        if (z.total_out == cap) {
            if (cap >= BH_MAX_GUEST_KERNEL) {
                snprintf(why, whylen,
                         "decompresses to more than %u MiB; a guest kernel Image is at most that",
                         (unsigned)(BH_MAX_GUEST_KERNEL >> 20));
                ok = false;
                break;
            }
            size_t ncap = cap * 2 > BH_MAX_GUEST_KERNEL ? BH_MAX_GUEST_KERNEL : cap * 2;
            uint8_t *nb = realloc(buf, ncap);
            if (nb == NULL) {
                snprintf(why, whylen, "cannot be decompressed: out of memory");
                ok = false;
                break;
            }
            buf = nb;
            cap = ncap;
        }
        z.next_out = buf + z.total_out;
        z.avail_out = (uInt)(cap - z.total_out);
        rc = inflate(&z, Z_NO_FLUSH);
        if (rc == Z_BUF_ERROR && z.avail_in == 0) {
            snprintf(why, whylen, "is gzip-compressed but ends early (truncated)");
            ok = false;
        } else if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
            snprintf(why, whylen, "is gzip-compressed but corrupt (%s)",
                     z.msg != NULL ? z.msg : "zlib error");
            ok = false;
        }
    }
    size_t n = z.total_out;
    inflateEnd(&z);
    free(in);
    if (ok && (n < sizeof(struct bh_arm64_image_header) ||
               ((const struct bh_arm64_image_header *)(const void *)buf)->magic !=
                   BH_ARM64_IMAGE_MAGIC)) {
        snprintf(why, whylen,
                 "decompresses to %zu bytes that are not an arm64 Image (no \"ARM\\x64\" magic at "
                 "offset 56)",
                 n);
        ok = false;
    }
    if (!ok) {
        free(buf);
        return false;
    }
    *out = buf;
    *out_size = n;
    return true;
}
