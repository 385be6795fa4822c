/*
 * Boot image assembly (host). Used by `bulkhead build` and by the build's own
 * test images. Format: kernel/include/bulkhead/bootimage.h.
 */
#ifndef BH_TOOLS_IMAGE_H
#define BH_TOOLS_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include <bulkhead/bootimage.h>

struct bh_image_component {
    const char *name; /* at most BH_PAYLOAD_NAME_LEN-1 characters */
    enum bh_payload_kind kind;
    const char *path; /* read from this file, or ... */
    const void *data; /* ... from memory when path is NULL */
    size_t size;
};

/*
 * Writes kernel_elf (an ELF64 AArch64 executable with an arm64 Image header at
 * its lowest loadable address) plus the components to out_path. The file is
 * written to a temporary name and renamed, so on any failure no output exists.
 * Returns 0, or -1 with a message in err.
 */
int bh_image_write(const char *kernel_elf, const struct bh_image_component *comps, size_t ncomps,
                   const char *out_path, char *err, size_t errlen);

#endif
