/* SHA-256 (FIPS 180-4). Portable: the image builder records component hashes,
 * the root task checks them at boot. */
#ifndef BH_LIB_SHA256_H
#define BH_LIB_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct bh_sha256 {
    uint32_t h[8];
    uint64_t len; /* bytes hashed so far */
    uint8_t buf[64];
    size_t used;
};

void bh_sha256_init(struct bh_sha256 *s);
void bh_sha256_update(struct bh_sha256 *s, const void *data, size_t n);
void bh_sha256_final(struct bh_sha256 *s, uint8_t out[32]);
void bh_sha256(const void *data, size_t n, uint8_t out[32]);

#endif
