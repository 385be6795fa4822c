/*
 * bh-mksched: writes a boot schedule payload (struct bh_boot_schedule).
 *   bh-mksched OUT MAJOR_US OFFSET_US:LENGTH_US:PARTITION...
 * The kernel validates it at boot; this tool only checks the syntax.
 */
#include <bulkhead/bootimage.h>
#include <bulkhead/schedule.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc < 3 || (unsigned)(argc - 3) > BH_SCHED_MAX_WINDOWS) {
        fprintf(stderr, "usage: bh-mksched OUT MAJOR_US OFFSET_US:LENGTH_US:PARTITION...\n");
        return 2;
    }
    size_t n = (size_t)(argc - 3);
    size_t size = sizeof(struct bh_boot_schedule) + n * sizeof(struct bh_boot_window);
    struct bh_boot_schedule *s = calloc(1, size);
    if (s == NULL) {
        return 1;
    }
    s->major_frame_us = strtoull(argv[2], NULL, 0);
    s->num_windows = (uint32_t)n;
    for (size_t i = 0; i < n; i++) {
        unsigned long long off = 0;
        unsigned long long len = 0;
        unsigned part = 0;
        if (sscanf(argv[3 + i], "%llu:%llu:%u", &off, &len, &part) != 3) {
            fprintf(stderr, "bh-mksched: bad window '%s' (want OFFSET:LENGTH:PARTITION)\n",
                    argv[3 + i]);
            free(s);
            return 2;
        }
        s->windows[i].offset_us = off;
        s->windows[i].length_us = len;
        s->windows[i].partition = part;
    }
    FILE *f = fopen(argv[1], "wb");
    int ok = f != NULL && fwrite(s, 1, size, f) == size;
    if (f != NULL && fclose(f) != 0) {
        ok = 0;
    }
    free(s);
    if (!ok) {
        perror(argv[1]);
        remove(argv[1]);
        return 1;
    }
    return 0;
}
