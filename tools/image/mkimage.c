/*
 * bh-mkimage: assemble a boot image from a kernel and explicit components.
 * The build uses it for test images; users use `bulkhead build`, which
 * derives the components from a spec.
 *
 *   bh-mkimage --kernel kernel.elf -o out.img KIND:NAME:PATH...
 *   KIND: roottask spec vmm server guest-kernel guest-initrd guest-disk guest-dtb test
 *         schedule
 */
#include "image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    enum bh_payload_kind kind;
} kinds[] = {
    {"roottask", BH_PAYLOAD_ROOTTASK},
    {"spec", BH_PAYLOAD_SPEC},
    {"vmm", BH_PAYLOAD_VMM},
    {"server", BH_PAYLOAD_SERVER},
    {"guest-kernel", BH_PAYLOAD_GUEST_KERNEL},
    {"guest-initrd", BH_PAYLOAD_GUEST_INITRD},
    {"guest-disk", BH_PAYLOAD_GUEST_DISK},
    {"guest-dtb", BH_PAYLOAD_GUEST_DTB},
    {"test", BH_PAYLOAD_TEST},
    {"schedule", BH_PAYLOAD_SCHEDULE},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: bh-mkimage --kernel KERNEL.elf -o IMAGE KIND:NAME:PATH...\n"
               "KIND is one of:");
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        fprintf(f, " %s", kinds[i].name);
    }
    fprintf(f, "\nExit status: 0 written, 1 error (no output file left), 2 usage.\n");
}

int main(int argc, char **argv)
{
    const char *kernel = NULL;
    const char *out = NULL;
    struct bh_image_component comps[BH_PAYLOAD_MAX_ENTRIES];
    size_t n = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--kernel") == 0 && i + 1 < argc) {
            kernel = argv[++i];
        } else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
            out = argv[++i];
        } else {
            char *spec = argv[i];
            char *c1 = strchr(spec, ':');
            char *c2 = c1 != NULL ? strchr(c1 + 1, ':') : NULL;
            if (c2 == NULL || n == BH_PAYLOAD_MAX_ENTRIES) {
                fprintf(stderr, "bh-mkimage: bad component '%s' (want KIND:NAME:PATH)\n", spec);
                return 2;
            }
            *c1 = '\0';
            *c2 = '\0';
            size_t k = 0;
            while (k < sizeof(kinds) / sizeof(kinds[0]) && strcmp(kinds[k].name, spec) != 0) {
                k++;
            }
            if (k == sizeof(kinds) / sizeof(kinds[0])) {
                fprintf(stderr, "bh-mkimage: unknown component kind '%s'\n", spec);
                usage(stderr);
                return 2;
            }
            comps[n++] = (struct bh_image_component){c1 + 1, kinds[k].kind, c2 + 1, NULL, 0};
        }
    }
    if (kernel == NULL || out == NULL) {
        usage(stderr);
        return 2;
    }
    char err[512];
    if (bh_image_write(kernel, comps, n, out, err, sizeof(err)) != 0) {
        fprintf(stderr, "bh-mkimage: %s\n", err);
        return 1;
    }
    return 0;
}
