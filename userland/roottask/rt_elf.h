/*
 * Checks a server's ELF image before the root task loads it (portable, host
 * tested): ELF64, little-endian, ET_EXEC, EM_AARCH64, every header and
 * segment inside the file, loadable segments on their own pages, inside the
 * program area and never writable and executable at once.
 */
#ifndef RT_ELF_H
#define RT_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RT_ELF_MAX_SEGMENTS 8u

struct rt_segment {
    uint64_t vaddr;  /* first byte */
    uint64_t memsz;  /* bytes in memory (BSS included) */
    uint64_t offset; /* of the file bytes */
    uint64_t filesz;
    uint32_t rights; /* BH_RIGHT_READ | BH_RIGHT_WRITE | BH_RIGHT_EXECUTE */
};

struct rt_elf {
    uint64_t entry;
    uint32_t nsegs;
    struct rt_segment segs[RT_ELF_MAX_SEGMENTS];
};

/*
 * Parses the size bytes at data. Segments must lie in [lo, hi). On failure
 * writes why into err and returns false.
 */
bool rt_elf_parse(const void *data, uint64_t size, uint64_t lo, uint64_t hi, struct rt_elf *out,
                  char *err, size_t errlen);

/* Pages (4 KiB) the loaded segments occupy. */
uint64_t rt_elf_pages(const struct rt_elf *e);

#endif
