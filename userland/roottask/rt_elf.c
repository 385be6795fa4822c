/* ELF64 checks for server programs (see rt_elf.h). */
#include "rt_elf.h"

#include <string.h>

#include <bh_elf.h>
#include <bh_fmt.h>
#include <bulkhead/objects.h>

#define PAGE 4096ull

static uint64_t page_down(uint64_t v)
{
    return v & ~(PAGE - 1);
}

static uint64_t page_up(uint64_t v)
{
    return (v + PAGE - 1) & ~(PAGE - 1);
}

bool rt_elf_parse(const void *data, uint64_t size, uint64_t lo, uint64_t hi, struct rt_elf *out,
                  char *err, size_t errlen)
{
    struct elf64_ehdr eh;
    if (size < sizeof(eh)) {
        return bh_fail(err, errlen, "%lu bytes is too small for an ELF header",
                       (unsigned long)size);
    }
    memcpy(&eh, data, sizeof(eh));
    if (memcmp(eh.ident, "\177ELF", 4) != 0 || eh.ident[4] != 2 || eh.ident[5] != 1 ||
        eh.type != ELF_ET_EXEC || eh.machine != ELF_EM_AARCH64) {
        return bh_fail(err, errlen, "not an ELF64 little-endian AArch64 executable");
    }
    if (eh.phentsize != sizeof(struct elf64_phdr) || eh.phoff > size ||
        (uint64_t)eh.phnum * sizeof(struct elf64_phdr) > size - eh.phoff) {
        return bh_fail(err, errlen, "program headers (offset %lu, %u entries) lie outside the file",
                       (unsigned long)eh.phoff, eh.phnum);
    }
    memset(out, 0, sizeof(*out));
    out->entry = eh.entry;
    bool entry_ok = false;
    for (uint32_t i = 0; i < eh.phnum; i++) {
        struct elf64_phdr ph;
        memcpy(&ph, (const uint8_t *)data + eh.phoff + i * sizeof(ph), sizeof(ph));
        if (ph.type != ELF_PT_LOAD || ph.memsz == 0) {
            continue;
        }
        if (out->nsegs == RT_ELF_MAX_SEGMENTS) {
            return bh_fail(err, errlen, "more than %u loadable segments", RT_ELF_MAX_SEGMENTS);
        }
        if (ph.filesz > ph.memsz || ph.offset > size || ph.filesz > size - ph.offset) {
            return bh_fail(err, errlen, "segment %u (offset %lu, %lu bytes) lies outside the file",
                           i, (unsigned long)ph.offset, (unsigned long)ph.filesz);
        }
        if (ph.vaddr < lo || ph.vaddr > hi || ph.memsz > hi - ph.vaddr) {
            return bh_fail(err, errlen,
                           "segment %u at 0x%lx (+0x%lx) is outside the program area 0x%lx-0x%lx",
                           i, (unsigned long)ph.vaddr, (unsigned long)ph.memsz, (unsigned long)lo,
                           (unsigned long)hi);
        }
        if ((ph.flags & (ELF_PF_W | ELF_PF_X)) == (ELF_PF_W | ELF_PF_X)) {
            return bh_fail(err, errlen, "segment %u at 0x%lx is writable and executable (W^X)", i,
                           (unsigned long)ph.vaddr);
        }
        /* Each segment gets its own pages: rights are per page. */
        for (uint32_t k = 0; k < out->nsegs; k++) {
            const struct rt_segment *o = &out->segs[k];
            if (page_down(ph.vaddr) < page_up(o->vaddr + o->memsz) &&
                page_down(o->vaddr) < page_up(ph.vaddr + ph.memsz)) {
                return bh_fail(err, errlen,
                               "segment %u at 0x%lx shares a page with another segment", i,
                               (unsigned long)ph.vaddr);
            }
        }
        struct rt_segment *s = &out->segs[out->nsegs++];
        s->vaddr = ph.vaddr;
        s->memsz = ph.memsz;
        s->offset = ph.offset;
        s->filesz = ph.filesz;
        s->rights = BH_RIGHT_READ | ((ph.flags & ELF_PF_W) ? BH_RIGHT_WRITE : 0u) |
                    ((ph.flags & ELF_PF_X) ? BH_RIGHT_EXECUTE : 0u);
        if ((ph.flags & ELF_PF_X) && eh.entry >= ph.vaddr && eh.entry - ph.vaddr < ph.memsz) {
            entry_ok = true;
        }
    }
    if (out->nsegs == 0) {
        return bh_fail(err, errlen, "no loadable segment");
    }
    if (!entry_ok) {
        return bh_fail(err, errlen, "entry point 0x%lx is not in an executable segment",
                       (unsigned long)eh.entry);
    }
    return true;
}

uint64_t rt_elf_pages(const struct rt_elf *e)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < e->nsegs; i++) {
        const struct rt_segment *s = &e->segs[i];
        n += (page_up(s->vaddr + s->memsz) - page_down(s->vaddr)) / PAGE;
    }
    return n;
}
