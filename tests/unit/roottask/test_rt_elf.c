/*
 * The root task's ELF checks for server programs: a good program is
 * accepted with the right per-segment rights; every malformed or unsafe one
 * (W+X, outside the file or the program area, shared pages, wrong machine,
 * entry outside code) is refused with a message; random corruption (fixed
 * seed, printed) never reads outside the file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <bulkhead/objects.h>

#include "rt_elf.h"

#include <bh_elf.h>

struct file {
    struct elf64_ehdr eh;
    struct elf64_phdr ph[2];
    uint8_t body[256];
};

#define LO 0x1000ull
#define HI 0x10000000ull

static struct file good;
static char err[200];

static int setup(void **state)
{
    (void)state;
    memset(&good, 0, sizeof(good));
    memcpy(good.eh.ident, "\177ELF\002\001\001", 7);
    good.eh.type = 2;
    good.eh.machine = 183;
    good.eh.entry = 0x400010;
    good.eh.phoff = offsetof(struct file, ph);
    good.eh.phentsize = sizeof(struct elf64_phdr);
    good.eh.phnum = 2;
    good.ph[0] =
        (struct elf64_phdr){1, 5, offsetof(struct file, body), 0x400000, 0, 128, 128, 4096};
    good.ph[1] =
        (struct elf64_phdr){1, 6, offsetof(struct file, body) + 128, 0x401000, 0, 64, 0x2000, 4096};
    return 0;
}

static bool parse(const struct file *f, struct rt_elf *e)
{
    return rt_elf_parse(f, sizeof(*f), LO, HI, e, err, sizeof(err));
}

static void refused(const struct file *f, const char *msg)
{
    struct rt_elf e;
    assert_false(parse(f, &e));
    if (strstr(err, msg) == NULL) {
        fail_msg("message '%s' lacks '%s'", err, msg);
    }
}

static void test_good(void **state)
{
    (void)state;
    struct rt_elf e;
    assert_true(parse(&good, &e));
    assert_int_equal(e.entry, 0x400010);
    assert_int_equal(e.nsegs, 2);
    assert_int_equal(e.segs[0].rights, BH_RIGHT_READ | BH_RIGHT_EXECUTE);
    assert_int_equal(e.segs[1].rights, BH_RIGHT_READ | BH_RIGHT_WRITE);
    assert_int_equal(rt_elf_pages(&e), 3);
}

static void test_refused(void **state)
{
    (void)state;
    struct file f = good;
    f.eh.machine = 62;
    refused(&f, "not an ELF64 little-endian AArch64 executable");
    f = good;
    f.ph[1].flags = 7;
    refused(&f, "segment 1 at 0x401000 is writable and executable (W^X)");
    f = good;
    f.ph[0].filesz = 4096;
    f.ph[0].memsz = 4096;
    refused(&f, "segment 0 (offset");
    f = good;
    f.ph[1].vaddr = 0x400800;
    refused(&f, "shares a page with another segment");
    f = good;
    f.ph[1].vaddr = HI - 0x1000;
    refused(&f, "outside the program area");
    f = good;
    f.ph[0].vaddr = 0;
    refused(&f, "outside the program area");
    f = good;
    f.eh.entry = 0x401000;
    refused(&f, "entry point 0x401000 is not in an executable segment");
    f = good;
    f.eh.phnum = 200;
    refused(&f, "program headers");
    f = good;
    f.ph[0].type = 0;
    f.ph[1].type = 0;
    refused(&f, "no loadable segment");
    struct rt_elf e;
    assert_false(rt_elf_parse(&good, 10, LO, HI, &e, err, sizeof(err)));
    assert_non_null(strstr(err, "too small"));
}

static void test_random(void **state)
{
    (void)state;
    const unsigned seed = 0xe1f;
    const unsigned rounds = 100000;
    printf("random ELF corruption: seed 0x%x, %u rounds\n", seed, rounds);
    srand(seed);
    for (unsigned r = 0; r < rounds; r++) {
        struct file c = good;
        for (unsigned k = 0; k < 1 + (unsigned)rand() % 3; k++) {
            ((uint8_t *)&c)[(unsigned)rand() % offsetof(struct file, body)] ^=
                (uint8_t)(1u << (rand() % 8));
        }
        size_t size = (rand() % 4) == 0 ? 1 + (size_t)rand() % sizeof(c) : sizeof(c);
        uint8_t *b = malloc(size);
        assert_non_null(b);
        memcpy(b, &c, size);
        struct rt_elf e;
        if (rt_elf_parse(b, size, LO, HI, &e, err, sizeof(err))) {
            for (uint32_t i = 0; i < e.nsegs; i++) {
                assert_true(e.segs[i].offset + e.segs[i].filesz <= size);
                assert_true(e.segs[i].vaddr >= LO && e.segs[i].vaddr + e.segs[i].memsz <= HI);
                assert_true((e.segs[i].rights & (BH_RIGHT_WRITE | BH_RIGHT_EXECUTE)) !=
                            (BH_RIGHT_WRITE | BH_RIGHT_EXECUTE));
            }
        }
        free(b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_good, setup),
        cmocka_unit_test_setup(test_refused, setup),
        cmocka_unit_test_setup(test_random, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
