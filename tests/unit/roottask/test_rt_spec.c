/*
 * The root task's checks of the boot payload and the compiled spec: a good
 * spec is accepted, each kind of corruption is refused with a precise
 * message, and random corruption (fixed seed, printed) never crashes or reads
 * outside the blob (ASan would stop the test).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <bh_sha256.h>

#include "rt_spec.h"

/* A spec of two servers joined by one channel, with a schedule. */
struct blob {
    struct bh_spec_header h;
    struct bh_spec_partition parts[2];
    struct bh_spec_region regions[4];
    struct bh_spec_channel chans[1];
    struct bh_spec_window windows[2];
    struct bh_spec_payload_ref refs[2];
    char strings[8];
};

static struct blob good;
static char err[256];

static void build_good(struct blob *b)
{
    memset(b, 0, sizeof(*b));
    memcpy(b->h.magic, BH_SPEC_MAGIC, 8);
    b->h.version = BH_SPEC_VERSION;
    b->h.size = sizeof(*b);
    b->h.ram_base = 0x40000000;
    b->h.ram_size = 0x40000000;
    b->h.kernel_reserve = 0x4000000;
    b->h.major_frame_us = 20000;
    b->h.cpus = 1;
    b->h.npartitions = 2;
    b->h.partitions_off = offsetof(struct blob, parts);
    b->h.vcpus_off = offsetof(struct blob, regions);
    b->h.nregions = 4;
    b->h.regions_off = offsetof(struct blob, regions);
    b->h.devices_off = offsetof(struct blob, chans);
    b->h.irqs_off = offsetof(struct blob, chans);
    b->h.nchannels = 1;
    b->h.channels_off = offsetof(struct blob, chans);
    b->h.nwindows = 2;
    b->h.windows_off = offsetof(struct blob, windows);
    b->h.npayloads = 2;
    b->h.payloads_off = offsetof(struct blob, refs);
    b->h.strings_size = 8;
    b->h.strings_off = offsetof(struct blob, strings);
    const char *names[2] = {"producer", "consumer"};
    for (uint32_t i = 0; i < 2; i++) {
        struct bh_spec_partition *p = &b->parts[i];
        snprintf(p->name, sizeof(p->name), "%s", names[i]);
        p->kind = BH_SPEC_PART_SERVER;
        p->priority = 100 + i;
        p->first_region = 2 * i;
        p->nregions = 2;
        p->first_payload = i;
        p->npayloads = 1;
        p->bootargs = BH_SPEC_NONE;
        struct bh_spec_region *ram = &b->regions[2 * i];
        ram->partition = i;
        ram->kind = BH_SPEC_REGION_RAM;
        ram->rights = BH_SPEC_RIGHT_READ | BH_SPEC_RIGHT_WRITE;
        ram->channel = BH_SPEC_NONE;
        ram->size = 0x40000;
        struct bh_spec_region *ch = &b->regions[2 * i + 1];
        ch->partition = i;
        ch->kind = BH_SPEC_REGION_CHANNEL;
        ch->rights = i == 0 ? (BH_SPEC_RIGHT_READ | BH_SPEC_RIGHT_WRITE) : BH_SPEC_RIGHT_READ;
        ch->channel = 0;
        ch->base = 0x70000000;
        ch->size = 0x1000;
        b->chans[0].ends[i].partition = i;
        b->chans[0].ends[i].rights = ch->rights;
        b->chans[0].ends[i].notify = 1;
        b->chans[0].ends[i].region = 2 * i + 1;
        snprintf(b->refs[i].name, sizeof(b->refs[i].name), "%s.prog", names[i]);
        b->refs[i].kind = BH_PAYLOAD_SERVER;
        b->refs[i].role = BH_SPEC_ROLE_PROGRAM;
        b->refs[i].partition = i;
        b->windows[i].partition = i;
        b->windows[i].start_us = 10000 * i;
        b->windows[i].length_us = 5000;
    }
    snprintf(b->chans[0].name, sizeof(b->chans[0].name), "samples");
    b->chans[0].size = 0x1000;
    memcpy(b->strings, "unused", 7);
}

static int setup(void **state)
{
    (void)state;
    build_good(&good);
    memset(err, 0, sizeof(err));
    return 0;
}

static bool check(const struct blob *b, uint64_t size)
{
    struct rt_spec s;
    return rt_spec_check(b, size, &s, err, sizeof(err));
}

static void test_good_spec(void **state)
{
    (void)state;
    struct rt_spec s;
    assert_true(rt_spec_check(&good, sizeof(good), &s, err, sizeof(err)));
    assert_int_equal(s.h->npartitions, 2);
    assert_string_equal(s.parts[1].name, "consumer");
    assert_int_equal(s.chans[0].ends[1].rights, BH_SPEC_RIGHT_READ);
    assert_string_equal(s.refs[0].name, "producer.prog");
}

static void expect_refused(struct blob *b, uint64_t size, const char *msg)
{
    assert_false(check(b, size));
    if (strstr(err, msg) == NULL) {
        fail_msg("message '%s' lacks '%s'", err, msg);
    }
}

/* The good spec changed by the expressions after msg (assignments to b), refused with msg. */
#define REFUSED_WITH(msg, ...)                                                                     \
    do {                                                                                           \
        b = good;                                                                                  \
        (void)(__VA_ARGS__);                                                                       \
        expect_refused(&b, sizeof(b), msg);                                                        \
    } while (0)

static void test_header_errors(void **state)
{
    (void)state;
    struct blob b = good;
    expect_refused(&b, 16, "smaller than its");
    b.h.magic[0] = 'X';
    expect_refused(&b, sizeof(b), "spec: bad magic");
    b = good;
    b.h.version = 7;
    expect_refused(&b, sizeof(b), "spec: version 7, this root task reads version 1");
    b = good;
    expect_refused(&b, sizeof(b) - 8, "header says");
    b = good;
    b.h.npartitions = 16;
    expect_refused(&b, sizeof(b), "spec: 16 partitions, at most 15 allowed");
    b = good;
    b.h.channels_off = 0xfffffff8u;
    expect_refused(&b, sizeof(b), "the channels table (offset 4294967288");
    b = good;
    b.h.regions_off += 4;
    expect_refused(&b, sizeof(b), "misaligned");
    b = good;
    b.h.nregions = 0x7fffffff;
    expect_refused(&b, sizeof(b), "regions, at most 256 allowed");
    b = good;
    b.strings[7] = 'x';
    expect_refused(&b, sizeof(b), "string table is not NUL-terminated");
}

static void test_record_errors(void **state)
{
    (void)state;
    struct blob b;
    REFUSED_WITH("partition 0 has no NUL-terminated name",
                 memset(b.parts[0].name, 'a', sizeof(b.parts[0].name)));
    REFUSED_WITH("partition 'consumer' has unknown kind 9", b.parts[1].kind = 9);
    REFUSED_WITH("budget 2000 us / period 0 us is invalid", b.parts[0].budget_us = 2000);
    REFUSED_WITH("region range 3+2 exceeds the 4 records", b.parts[0].first_region = 3);
    REFUSED_WITH("payload range 4294967295+1 exceeds", b.parts[1].first_payload = 0xffffffffu);
    REFUSED_WITH("region 0 (base 0x0, size 0x1800) is not whole pages", b.regions[0].size = 0x1800);
    REFUSED_WITH("region 1 names channel 5 of 1", b.regions[1].channel = 5);
    REFUSED_WITH("region 2 has kind 1, rights 2", b.regions[2].rights = BH_SPEC_RIGHT_WRITE);
    REFUSED_WITH("channel 'samples' end 1: region 3 does not describe",
                 b.chans[0].ends[1].partition = 0);
    REFUSED_WITH("channel 'samples' end 0: region 99 of 4", b.chans[0].ends[0].region = 99);
    REFUSED_WITH("region 3 does not describe this end's mapping",
                 b.chans[0].ends[1].rights = BH_SPEC_RIGHT_READ | BH_SPEC_RIGHT_WRITE);
    REFUSED_WITH("window 1 (partition 1, 2000+5000 us) is unsorted", b.windows[1].start_us = 2000);
    REFUSED_WITH("outside the 20000 us frame", b.windows[1].length_us = 15000);
    REFUSED_WITH("payload reference 0 is invalid", b.refs[0].role = 0);
    /* Console input: only the known flag, only on a VM, at most one partition. */
    REFUSED_WITH("partition 'producer' has invalid flags 0x2", b.parts[0].flags = 2);
    REFUSED_WITH("partition 'consumer' has invalid flags 0x1",
                 b.parts[1].flags = BH_SPEC_PART_CONSOLE_INPUT);
    REFUSED_WITH("2 partitions take the console input; at most one may",
                 b.parts[0].kind = BH_SPEC_PART_VM, b.parts[1].kind = BH_SPEC_PART_VM,
                 b.parts[0].flags = BH_SPEC_PART_CONSOLE_INPUT,
                 b.parts[1].flags = BH_SPEC_PART_CONSOLE_INPUT);
    b = good;
    b.parts[0].kind = BH_SPEC_PART_VM;
    b.parts[0].flags = BH_SPEC_PART_CONSOLE_INPUT;
    assert_true(rt_spec_check(&b, sizeof(b), &(struct rt_spec){0}, err, sizeof(err)));
}

/* Random corruption never crashes; whatever is accepted stays in bounds. */
static void test_random_corruption(void **state)
{
    (void)state;
    const unsigned seed = 0x5eed6;
    const unsigned rounds = 200000;
    printf("random corruption: seed 0x%x, %u rounds\n", seed, rounds);
    srand(seed);
    unsigned accepted = 0;
    for (unsigned r = 0; r < rounds; r++) {
        struct blob c = good;
        unsigned flips = 1 + (unsigned)rand() % 4;
        for (unsigned f = 0; f < flips; f++) {
            ((uint8_t *)&c)[(unsigned)rand() % sizeof(c)] ^= (uint8_t)(1u << (rand() % 8));
        }
        /* Exactly size bytes on the heap, so ASan sees any read past the blob. */
        size_t size = (rand() % 8) == 0 ? 1 + (size_t)rand() % sizeof(c) : sizeof(c);
        uint8_t *b = malloc(size);
        assert_non_null(b);
        memcpy(b, &c, size);
        struct rt_spec s;
        err[0] = '\0';
        if (rt_spec_check(b, size, &s, err, sizeof(err))) {
            accepted++;
            /* What the root task then reads must be inside the blob. */
            for (uint32_t i = 0; i < s.h->npartitions; i++) {
                for (uint32_t k = 0; k < s.parts[i].nregions; k++) {
                    const struct bh_spec_region *reg = &s.regions[s.parts[i].first_region + k];
                    assert_true((const uint8_t *)(reg + 1) <= b + size);
                    assert_int_equal(reg->partition, i);
                }
            }
            for (uint32_t c = 0; c < s.h->nchannels; c++) {
                assert_true(s.chans[c].ends[0].partition < s.h->npartitions);
                assert_true(s.chans[c].ends[1].partition < s.h->npartitions);
            }
        } else {
            assert_true(strncmp(err, "spec: ", 6) == 0);
        }
        free(b);
    }
    printf("random corruption: %u of %u corrupted blobs still valid (flips in unused bytes)\n",
           accepted, rounds);
}

/* A payload of two components, hashed the way the image builder does. */
struct payload {
    struct bh_payload_header h;
    struct bh_payload_entry e[2];
    uint8_t pad[4096 - sizeof(struct bh_payload_header) - 2 * sizeof(struct bh_payload_entry)];
    uint8_t c0[4096];
    uint8_t c1[100];
};

static void build_payload(struct payload *p)
{
    memset(p, 0, sizeof(*p));
    memcpy(p->h.magic, BH_PAYLOAD_MAGIC, 8);
    p->h.version = BH_PAYLOAD_VERSION;
    p->h.count = 2;
    p->h.size = sizeof(*p);
    const char *names[2] = {"spec", "consumer.prog"};
    uint32_t kinds[2] = {BH_PAYLOAD_SPEC, BH_PAYLOAD_SERVER};
    for (unsigned i = 0; i < 2; i++) {
        snprintf(p->e[i].name, sizeof(p->e[i].name), "%s", names[i]);
        p->e[i].kind = kinds[i];
    }
    memset(p->c0, 0xab, sizeof(p->c0));
    memset(p->c1, 0xcd, sizeof(p->c1));
    p->e[0].offset = offsetof(struct payload, c0);
    p->e[0].size = sizeof(p->c0);
    p->e[1].offset = offsetof(struct payload, c1);
    p->e[1].size = sizeof(p->c1);
    bh_sha256(p->c0, sizeof(p->c0), p->e[0].sha256);
    bh_sha256(p->c1, sizeof(p->c1), p->e[1].sha256);
}

static void test_payload(void **state)
{
    (void)state;
    static struct payload p;
    build_payload(&p);
    assert_true(rt_payload_check(&p, sizeof(p), err, sizeof(err)));
    assert_int_equal(rt_payload_find(&p.h, "consumer.prog", BH_PAYLOAD_SERVER), 1);
    assert_int_equal(rt_payload_find(&p.h, "consumer.prog", BH_PAYLOAD_VMM), -1);
    assert_int_equal(rt_payload_find(&p.h, "producer.prog", BH_PAYLOAD_SERVER), -1);
    assert_true(rt_payload_verify(&p.h, 0));
    assert_true(rt_payload_verify(&p.h, 1));
    p.c1[50] ^= 1; /* one flipped bit in a component */
    assert_false(rt_payload_verify(&p.h, 1));
    assert_true(rt_payload_verify(&p.h, 0));

    build_payload(&p);
    assert_false(rt_payload_check(&p, sizeof(p) - 1, err, sizeof(err)));
    assert_non_null(strstr(err, "outside the"));
    p.e[1].size = 0xffffffffffffff00ull;
    assert_false(rt_payload_check(&p, sizeof(p), err, sizeof(err)));
    assert_non_null(strstr(err, "entry 1 'consumer.prog'"));
    build_payload(&p);
    p.e[0].offset = 100;
    assert_false(rt_payload_check(&p, sizeof(p), err, sizeof(err)));
    assert_non_null(strstr(err, "not 4 KiB aligned"));
    build_payload(&p);
    memset(p.e[0].name, 'x', sizeof(p.e[0].name));
    assert_false(rt_payload_check(&p, sizeof(p), err, sizeof(err)));
    assert_non_null(strstr(err, "entry 0 has no NUL-terminated name"));
    build_payload(&p);
    p.h.count = 65;
    assert_false(rt_payload_check(&p, sizeof(p), err, sizeof(err)));
    assert_non_null(strstr(err, "65 entries, at most 64"));
    build_payload(&p);
    p.h.magic[7] = '2';
    assert_false(rt_payload_check(&p, sizeof(p), err, sizeof(err)));
    assert_non_null(strstr(err, "payload: bad magic"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_good_spec, setup),
        cmocka_unit_test_setup(test_header_errors, setup),
        cmocka_unit_test_setup(test_record_errors, setup),
        cmocka_unit_test_setup(test_random_corruption, setup),
        cmocka_unit_test_setup(test_payload, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
