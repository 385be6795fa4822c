/* Randomized virtio driver against virtio-blk and virtio-console: random
 * descriptor tables (addresses at and beyond the RAM edges, loops, bad
 * flags), random ring indices and random register writes. After every step:
 * nothing outside guest RAM or the disk image was touched (guard bytes), the
 * used index never runs ahead of what was made available, and a device that
 * flagged DEVICE_NEEDS_RESET completes nothing more until reset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <vmm/virtio_blk.h>
#include <vmm/virtio_console.h>

#define SEED     0x5eed2026u
#define STEPS    20000u
#define GUARD    4096u
#define RAM_BASE 0x80000000ull
#define RAM_SIZE 0x40000ull
#define DISK     (16u * 512u)

static uint8_t arena[GUARD + RAM_SIZE + GUARD];
static uint8_t disk_arena[GUARD + DISK + GUARD];
static struct guest_mem mem = {RAM_BASE, RAM_SIZE, arena + GUARD};
static struct virtio_blk blk;
static struct virtio_console con;
static uint64_t rng = SEED;
static unsigned completed;

static uint32_t rnd(void)
{
    /* xorshift64*: reproducible from the printed seed */
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (uint32_t)((rng * 0x2545f4914f6cdd1dull) >> 32);
}

static uint32_t below(uint32_t n)
{
    return n == 0 ? 0 : rnd() % n;
}

static void sink(void *ctx, const char *line, size_t len)
{
    (void)ctx;
    assert_true(len >= 1 && line[len - 1] == '\n');
}

static void guards_intact(void)
{
    for (size_t i = 0; i < GUARD; i++) {
        if (arena[i] != 0xa5 || arena[GUARD + RAM_SIZE + i] != 0xa5 || disk_arena[i] != 0x5a ||
            disk_arena[GUARD + DISK + i] != 0x5a) {
            fail_msg("guard byte %zu overwritten", i);
        }
    }
}

static void mw(struct virtio_mmio *t, uint32_t off, uint32_t v)
{
    uint64_t val = v;
    assert_true(virtio_mmio_access(t, off, 4, true, &val));
}

static uint32_t mr(struct virtio_mmio *t, uint32_t off)
{
    uint64_t v = 0;
    assert_true(virtio_mmio_access(t, off, 4, false, &v));
    return (uint32_t)v;
}

/* A guest address: mostly inside RAM, sometimes at or past its edges. */
static uint64_t rand_addr(void)
{
    switch (below(8)) {
    case 0:
        return below(2) ? RAM_BASE + RAM_SIZE - below(64) : RAM_BASE - below(64);
    case 1:
        return below(4) == 0 ? ((uint64_t)rnd() << 32) | rnd() : RAM_BASE + below(4096);
    default:
        return RAM_BASE + below((uint32_t)RAM_SIZE);
    }
}

struct qstate {
    uint64_t desc, avail, used;
    uint16_t num, avail_idx, used_seen;
};

static struct qstate qs[2][2];

static uint8_t *host(uint64_t ipa)
{
    return mem.host + (ipa - RAM_BASE);
}

static void setup_device(struct virtio_mmio *t, struct qstate *q, unsigned nq)
{
    uint32_t offered;

    mw(t, 0x070, 0);
    mw(t, 0x070, 1);
    mw(t, 0x070, 3);
    mw(t, 0x014, 0);
    offered = mr(t, 0x010);
    mw(t, 0x024, 0);
    /* Mostly a subset of what is offered, sometimes anything. */
    mw(t, 0x020, below(8) == 0 ? rnd() : offered & rnd());
    mw(t, 0x024, 1);
    mw(t, 0x020, below(8) == 0 ? 0 : 1);
    mw(t, 0x070, 11);
    for (unsigned i = 0; i < nq; i++) {
        uint64_t area = RAM_BASE + 0x1000u * (1u + 3u * i) + (below(8) == 0 ? below(16) : 0);
        q[i].num = (uint16_t)(1u << below(8));
        q[i].desc = area;
        q[i].avail = area + 0x800;
        q[i].used = area + 0x1000 + (below(16) == 0 ? 2 : 0);
        q[i].avail_idx = 0;
        q[i].used_seen = 0;
        /* A driver starts from zeroed rings. */
        memset(host(q[i].avail & ~1ull), 0, 4);
        memset(host(q[i].used & ~3ull), 0, 8);
        mw(t, 0x030, i);
        mw(t, 0x038, below(32) == 0 ? rnd() & 0x1ff : q[i].num);
        mw(t, 0x080, (uint32_t)q[i].desc);
        mw(t, 0x084, 0);
        mw(t, 0x090, (uint32_t)q[i].avail);
        mw(t, 0x094, 0);
        mw(t, 0x0a0, (uint32_t)q[i].used);
        mw(t, 0x0a4, 0);
        mw(t, 0x044, 1);
    }
    mw(t, 0x070, 15);
}

static void step(struct virtio_mmio *t, struct qstate *q, unsigned nq)
{
    unsigned qi = below(nq);
    struct qstate *s = &q[qi];
    bool failed_before = (mr(t, 0x070) & VIRTIO_STATUS_DEVICE_NEEDS_RESET) != 0;
    uint16_t used_before[2];

    /* The device's own used index: the guest may scribble over its rings. */
    for (unsigned i = 0; i < nq; i++) {
        used_before[i] = t->vq[i].used_idx;
    }
    if (failed_before && below(2) == 0) {
        setup_device(t, q, nq);
        return;
    }
    switch (below(16)) {
    case 0:
        setup_device(t, q, nq);
        return;
    case 1: {
        /* A random register write (rarely: most of them break the device). */
        if (below(4) != 0) {
            return;
        }
        uint32_t off = (below(0x200) & ~3u);
        mw(t, off, below(2) ? rnd() : below(8));
        return;
    }
    case 2:
    case 3:
    case 4: {
        /* Random descriptors. */
        if (s->num == 0) {
            return;
        }
        for (unsigned n = below(s->num) + 1; n > 0; n--) {
            uint16_t i = (uint16_t)below(s->num);
            uint8_t *d = host(s->desc + 16u * i);
            if (guest_mem_translate(&mem, s->desc + 16u * i, 16) == NULL) {
                return;
            }
            vmm_put_le64(d, rand_addr());
            vmm_put_le32(d + 8, below(16) == 0 ? rnd() : below(2048));
            vmm_put_le16(d + 12, (uint16_t)(below(4) == 0 ? below(8) : below(4)));
            vmm_put_le16(d + 14, (uint16_t)below(s->num + 2u));
        }
        return;
    }
    case 5:
    case 6:
    case 7: {
        /* A well-formed chain at descriptors 0-2 (header, data, status), with
         * random type, sector and length, as a real driver would build. */
        uint64_t buf = RAM_BASE + 0x10000u + 0x1000u * below(16);
        uint32_t len = below(4) == 0 ? below(4096) : 512u * below(5);
        if (s->num < 4 || guest_mem_translate(&mem, s->desc, 64) == NULL) {
            return;
        }
        vmm_put_le32(host(buf), below(3) == 0 ? below(10) : below(2));
        vmm_put_le64(host(buf) + 8, below(8) ? below(20) : ((uint64_t)rnd() << 32) | rnd());
        for (uint16_t i = 0; i < 3; i++) {
            uint8_t *d = host(s->desc + 16u * i);
            uint16_t wr = (i == 2 || (i == 1 && below(2))) ? VIRTQ_DESC_F_WRITE : 0;
            vmm_put_le64(d, i == 0 ? buf : buf + 0x10u + (i == 2 ? 0xf00u : 0u));
            vmm_put_le32(d + 8, i == 0 ? 16u : (i == 1 ? len : 1u));
            vmm_put_le16(d + 12, (uint16_t)(wr | (i < 2 ? VIRTQ_DESC_F_NEXT : 0)));
            vmm_put_le16(d + 14, (uint16_t)(i + 1));
        }
        if (guest_mem_translate(&mem, s->avail, 4u + 2u * s->num) == NULL) {
            return;
        }
        vmm_put_le16(host(s->avail) + 4 + 2u * (s->avail_idx % s->num), 0);
        s->avail_idx++;
        vmm_put_le16(host(s->avail) + 2, s->avail_idx);
        mw(t, 0x050, qi);
        break;
    }
    default: {
        /* Make chains available and notify. */
        unsigned posted = below(4) + 1;
        if (s->num == 0 || guest_mem_translate(&mem, s->avail, 4u + 2u * s->num) == NULL) {
            mw(t, 0x050, qi);
            return;
        }
        for (unsigned n = 0; n < posted; n++) {
            vmm_put_le16(host(s->avail) + 4 + 2u * (s->avail_idx % s->num),
                         (uint16_t)below(s->num + 1u));
            s->avail_idx++;
        }
        if (below(16) == 0) {
            s->avail_idx = (uint16_t)rnd(); /* a driver that jumps ahead */
        }
        vmm_put_le16(host(s->avail) + 2, s->avail_idx);
        mw(t, 0x050, below(16) == 0 ? 7 : qi);
        break;
    }
    }
    for (unsigned i = 0; i < nq; i++) {
        uint16_t done = (uint16_t)(t->vq[i].used_idx - used_before[i]);
        if (failed_before) {
            assert_int_equal(done, 0); /* nothing completes after a violation */
        }
        /* Never more completions than the queue can hold in flight. */
        assert_true(done <= t->vq[i].num);
        completed += done;
    }
}

static void test_fuzz(void **state)
{
    static const struct irq_line none = {NULL, NULL, 0};
    unsigned resets = 0;
    (void)state;
    printf("virtio fuzz: seed 0x%x, %u steps\n", SEED, STEPS);
    memset(arena, 0xa5, sizeof(arena));
    memset(disk_arena, 0x5a, sizeof(disk_arena));
    for (size_t i = 0; i < RAM_SIZE; i++) {
        mem.host[i] = (uint8_t)rnd();
    }
    virtio_blk_init(&blk, &mem, &none, disk_arena + GUARD, DISK, false, "fuzz");
    virtio_console_init(&con, "fuzz", sink, NULL, &mem, &none);
    setup_device(&blk.mmio, qs[0], 1);
    setup_device(&con.mmio, qs[1], 2);
    for (unsigned i = 0; i < STEPS; i++) {
        if (below(2)) {
            step(&blk.mmio, qs[0], 1);
        } else {
            step(&con.mmio, qs[1], 2);
            if (below(8) == 0) {
                uint8_t in[8] = "fuzzin\n";
                (void)virtio_console_rx_push(&con, in, below(8));
            }
        }
        guards_intact();
        resets += (mr(&blk.mmio, 0x070) & VIRTIO_STATUS_DEVICE_NEEDS_RESET) != 0;
    }
    printf("virtio fuzz: %u steps with blk in NEEDS_RESET, %u chains completed\n", resets,
           completed);
    /* The run must have exercised both outcomes. */
    assert_true(resets > 0 && resets < STEPS);
    assert_true(completed > 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
