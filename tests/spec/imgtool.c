/*
 * bh_imgtool: looks into a built boot image for the tests.
 *   bh_imgtool list IMAGE        one line per payload entry: name, kind, size
 *   bh_imgtool flip IMAGE NAME   flips one byte in the middle of component NAME
 *                                (the SHA-256 in the entry table stays as built)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bulkhead/bootimage.h>

static unsigned char *read_all(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    size_t cap = 1 << 20, n = 0;
    unsigned char *b = malloc(cap);
    while (b != NULL) {
        n += fread(b + n, 1, cap - n, f);
        if (n < cap) {
            break;
        }
        unsigned char *nb = realloc(b, cap * 2);
        if (nb == NULL) {
            free(b);
            b = NULL;
            break;
        }
        b = nb;
        cap *= 2;
    }
    fclose(f);
    *size = n;
    return b;
}

int main(int argc, char **argv)
{
    if (argc < 3 || (strcmp(argv[1], "flip") == 0 && argc != 4)) {
        fprintf(stderr, "usage: bh_imgtool list IMAGE | bh_imgtool flip IMAGE NAME\n");
        return 2;
    }
    size_t size = 0;
    unsigned char *img = read_all(argv[2], &size);
    if (img == NULL) {
        perror(argv[2]);
        return 1;
    }
    /* The payload starts at a 4 KiB boundary after the kernel. */
    size_t at = 0;
    for (; at + sizeof(struct bh_payload_header) <= size; at += BH_PAYLOAD_ALIGN) {
        if (memcmp(img + at, BH_PAYLOAD_MAGIC, 8) == 0) {
            break;
        }
    }
    if (at + sizeof(struct bh_payload_header) > size) {
        fprintf(stderr, "%s: no payload table\n", argv[2]);
        free(img);
        return 1;
    }
    struct bh_payload_header h;
    memcpy(&h, img + at, sizeof(h));
    int rc = 1;
    for (uint32_t i = 0; i < h.count && i < BH_PAYLOAD_MAX_ENTRIES; i++) {
        struct bh_payload_entry e;
        size_t eo = at + sizeof(h) + i * sizeof(e);
        if (eo + sizeof(e) > size) {
            break;
        }
        memcpy(&e, img + eo, sizeof(e));
        e.name[sizeof(e.name) - 1] = '\0';
        if (strcmp(argv[1], "list") == 0) {
            printf("%s kind %u size %lu\n", e.name, e.kind, (unsigned long)e.size);
            rc = 0;
        } else if (strcmp(e.name, argv[3]) == 0 && e.size > 0 && at + e.offset + e.size <= size) {
            size_t pos = at + e.offset + e.size / 2;
            img[pos] ^= 0x01;
            FILE *f = fopen(argv[2], "r+b");
            if (f == NULL || fseek(f, (long)pos, SEEK_SET) != 0 || fputc(img[pos], f) == EOF) {
                perror(argv[2]);
            } else {
                printf("flipped bit 0 of byte %lu of '%s' (file offset %lu)\n",
                       (unsigned long)(e.size / 2), e.name, (unsigned long)pos);
                rc = 0;
            }
            if (f != NULL && fclose(f) != 0) {
                rc = 1;
            }
        }
    }
    if (rc != 0 && strcmp(argv[1], "flip") == 0) {
        fprintf(stderr, "%s: no component named '%s'\n", argv[2], argv[3]);
    }
    free(img);
    return rc;
}
