/* virtio-mmio transport and virtio-blk: registers, feature negotiation (happy
 * path, refused features, each protocol violation -> DEVICE_NEEDS_RESET and a
 * config interrupt), reads and writes checked against the backing image,
 * out-of-range sectors -> IOERR, descriptor loops and bad addresses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <vmm/virtio_blk.h>

#include "virtio_driver.h"

#define SECTORS 64u
#define FEATURES                                                                                   \
    ((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_BLK_F_FLUSH) | (1ull << VIRTIO_BLK_F_SEG_MAX))
#define OK_STATUS                                                                                  \
    (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |                \
     VIRTIO_STATUS_DRIVER_OK)
#define HDR  (RAM_BASE + 0x20000u) /* request header */
#define DATA (RAM_BASE + 0x30000u) /* data buffers */
#define STAT (RAM_BASE + 0x40000u) /* status byte */

static struct virtio_blk blk;
static uint8_t disk[SECTORS * 512 + 100]; /* the partial sector at the end is not exposed */
static uint8_t pristine[sizeof(disk)];
static struct drv_q q0;
static struct virtio_mmio *t = &blk.mmio;

static int setup_ro(bool ro)
{
    drv_reset_ram();
    for (size_t i = 0; i < sizeof(disk); i++) {
        disk[i] = (uint8_t)(i * 7 + i / 512);
    }
    memcpy(pristine, disk, sizeof(disk));
    virtio_blk_init(&blk, &mem, &test_irq, disk, sizeof(disk), ro, "bulkhead-disk-0123456789");
    return 0;
}

static int setup(void **state)
{
    (void)state;
    return setup_ro(false);
}

/* Negotiated, queue 0 (size 8) ready, DRIVER_OK. */
static int setup_live(void **state)
{
    (void)state;
    setup_ro(false);
    assert_int_equal(drv_negotiate(t, FEATURES | (1ull << VIRTIO_F_INDIRECT_DESC)),
                     OK_STATUS & ~VIRTIO_STATUS_DRIVER_OK);
    drv_setup_queue(t, 0, 8, &q0);
    mw(t, 0x070, OK_STATUS);
    assert_int_equal(mr(t, 0x070), OK_STATUS);
    return 0;
}

static void assert_failed(void)
{
    assert_true(drv_needs_reset(t));
    assert_int_equal(mr(t, 0x060) & VIRTIO_INT_CONFIG, VIRTIO_INT_CONFIG);
    assert_true(irq_level);
}

static void put_hdr(uint64_t at, uint32_t type, uint64_t sector)
{
    vmm_put_le32(gp(at), type);
    vmm_put_le32(gp(at) + 4, 0);
    vmm_put_le64(gp(at) + 8, sector);
}

/* Header / data / status in three descriptors starting at `first`. */
static uint8_t request(uint32_t type, uint64_t sector, uint32_t data_len, bool data_writable)
{
    uint16_t before = drv_used_idx(&q0);
    uint32_t id, len;

    put_hdr(HDR, type, sector);
    *gp(STAT) = 0xee;
    drv_set_desc(&q0, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
    drv_set_desc(&q0, 1, DATA, data_len,
                 VIRTQ_DESC_F_NEXT | (data_writable ? VIRTQ_DESC_F_WRITE : 0), 2);
    drv_set_desc(&q0, 2, STAT, 1, VIRTQ_DESC_F_WRITE, 0);
    drv_avail(&q0, 0);
    mw(t, 0x050, 0);
    assert_false(drv_needs_reset(t));
    assert_int_equal(drv_used_idx(&q0), (uint16_t)(before + 1));
    drv_used_elem(&q0, before, &id, &len);
    assert_int_equal(id, 0);
    return *gp(STAT);
}

static void test_transport_ids(void **state)
{
    uint64_t v = 0;
    (void)state;
    assert_int_equal(mr(t, 0x000), 0x74726976);
    assert_int_equal(mr(t, 0x004), 2);
    assert_int_equal(mr(t, 0x008), VIRTIO_ID_BLOCK);
    assert_int_equal(mr(t, 0x00c), VIRTIO_MMIO_VENDOR);
    mw(t, 0x014, 0);
    assert_int_equal(mr(t, 0x010), (1u << VIRTIO_BLK_F_SEG_MAX) | (1u << VIRTIO_BLK_F_FLUSH) |
                                       (1u << VIRTIO_F_INDIRECT_DESC));
    mw(t, 0x014, 1);
    assert_int_equal(mr(t, 0x010), 1); /* VERSION_1 is bit 32 */
    mw(t, 0x014, 2);
    assert_int_equal(mr(t, 0x010), 0);
    mw(t, 0x000, 0); /* read-only */
    assert_int_equal(mr(t, 0x000), 0x74726976);
    assert_int_equal(mr(t, 0x070), 0);
    assert_int_equal(mr(t, 0x0fc), 0);          /* ConfigGeneration */
    assert_int_equal(mr(t, 0x0b0), 0xffffffff); /* no shared memory */
    mw(t, 0x030, 1);
    assert_int_equal(mr(t, 0x034), 0); /* queue 1 does not exist */
    /* Config space: capacity (64-bit as two words), seg_max, blk_size, bytes. */
    assert_int_equal(mr(t, 0x100), SECTORS);
    assert_int_equal(mr(t, 0x104), 0);
    assert_int_equal(mr(t, 0x10c), VIRTQ_MAX_SIZE - 2);
    assert_int_equal(mr(t, 0x114), 512);
    assert_true(virtio_mmio_access(t, 0x100, 1, false, &v));
    assert_int_equal(v, SECTORS);
    assert_true(virtio_mmio_access(t, 0x114, 2, false, &v));
    assert_int_equal(v, 512);
    assert_int_equal(mr(t, 0x1fc), 0);
    /* Bad accesses: sub-word control registers, misaligned, beyond the window. */
    assert_false(virtio_mmio_access(t, 0x070, 1, false, &v));
    assert_false(virtio_mmio_access(t, 0x000, 8, false, &v));
    assert_false(virtio_mmio_access(t, 0x002, 4, false, &v));
    assert_false(virtio_mmio_access(t, 0x101, 2, false, &v));
    assert_false(virtio_mmio_access(t, 0x100, 8, false, &v));
    assert_false(virtio_mmio_access(t, 0x200, 4, false, &v));
}

static void test_negotiation_happy(void **state)
{
    (void)state;
    setup_live(state);
    assert_int_equal(mr(t, 0x060), 0);
    assert_false(irq_level);
    /* Reset clears everything. */
    mw(t, 0x070, 0);
    assert_int_equal(mr(t, 0x070), 0);
    mw(t, 0x030, 0);
    assert_int_equal(mr(t, 0x044), 0);
    assert_int_equal(mr(t, 0x080), 0);
}

static void test_features_refused(void **state)
{
    (void)state;
    /* No VERSION_1 (a legacy driver): FEATURES_OK does not stick. */
    assert_int_equal(drv_negotiate(t, 1ull << VIRTIO_BLK_F_FLUSH),
                     VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    assert_false(drv_needs_reset(t));
    mw(t, 0x070, 0);
    /* A feature the device did not offer (VIRTIO_BLK_F_RO on a writable disk). */
    assert_int_equal(drv_negotiate(t, FEATURES | (1ull << VIRTIO_BLK_F_RO)),
                     VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    mw(t, 0x070, 0);
    assert_int_equal(drv_negotiate(t, FEATURES | (1ull << 40)),
                     VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    /* The driver may still fix its choice and try again. */
    mw(t, 0x024, 1);
    mw(t, 0x020, 1);
    mw(t, 0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    assert_int_equal(mr(t, 0x070),
                     VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
}

/* Each protocol violation, from a fresh device, must end in NEEDS_RESET. */
enum violation {
    V_DRIVER_OK_EARLY,
    V_DRIVER_OK_WITH_REFUSED_FEATURES,
    V_CLEAR_STATUS_BIT,
    V_STATUS_ONLY_NEEDS_RESET,
    V_DRIVER_BEFORE_ACK,
    V_FEATURES_AFTER_OK,
    V_QUEUE_BEFORE_FEATURES_OK,
    V_QUEUE_AFTER_DRIVER_OK,
    V_QUEUE_WHILE_READY,
    V_QUEUE_SEL_RANGE,
    V_QUEUE_NUM_ZERO,
    V_QUEUE_NUM_NOT_POW2,
    V_QUEUE_NUM_TOO_BIG,
    V_RING_OUTSIDE_RAM,
    V_RING_MISALIGNED,
    V_NOTIFY_BAD_QUEUE,
    V_DRIVER_OK_UNREADY_QUEUE,
    V_DESC_OUTSIDE_RAM,
    V_DESC_STRADDLES_RAM_END,
    V_DESC_LOOP,
    V_HEAD_OUT_OF_RANGE,
    V_NEXT_OUT_OF_RANGE,
    V_AVAIL_IDX_JUMP,
    V_WRITE_BEFORE_READ,
    V_NO_STATUS_BYTE,
    V_INDIRECT_NOT_NEGOTIATED,
    V_INDIRECT_NESTED,
    V_INDIRECT_LOOP,
    V_INDIRECT_BAD_LEN,
    V_COUNT,
};

static void do_violation(enum violation v)
{
    const uint32_t ad = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
    const uint64_t ind = RAM_BASE + 0x50000u;

    switch (v) {
    case V_DRIVER_OK_EARLY:
        mw(t, 0x070, ad);
        mw(t, 0x070, ad | VIRTIO_STATUS_DRIVER_OK);
        return;
    case V_DRIVER_OK_WITH_REFUSED_FEATURES:
        /* Features without VERSION_1, then everything at once. */
        mw(t, 0x070, ad);
        mw(t, 0x020, 1u << VIRTIO_BLK_F_FLUSH);
        mw(t, 0x070, ad | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
        assert_int_equal(mr(t, 0x070) & VIRTIO_STATUS_DRIVER_OK, 0);
        return;
    case V_CLEAR_STATUS_BIT:
        mw(t, 0x070, ad);
        mw(t, 0x070, VIRTIO_STATUS_ACKNOWLEDGE);
        return;
    case V_STATUS_ONLY_NEEDS_RESET:
        /* Not a reset (that is 0): it clears ACKNOWLEDGE and DRIVER. */
        mw(t, 0x070, ad);
        mw(t, 0x070, VIRTIO_STATUS_DEVICE_NEEDS_RESET);
        return;
    case V_DRIVER_BEFORE_ACK:
        mw(t, 0x070, VIRTIO_STATUS_DRIVER);
        return;
    case V_FEATURES_AFTER_OK:
        drv_negotiate(t, FEATURES);
        mw(t, 0x020, 0);
        return;
    case V_QUEUE_BEFORE_FEATURES_OK:
        mw(t, 0x070, ad);
        mw(t, 0x038, 8);
        return;
    case V_QUEUE_AFTER_DRIVER_OK:
        setup_live(NULL);
        mw(t, 0x038, 4);
        return;
    case V_QUEUE_WHILE_READY:
        drv_negotiate(t, FEATURES);
        drv_setup_queue(t, 0, 8, &q0);
        mw(t, 0x080, 0x1000);
        return;
    case V_QUEUE_SEL_RANGE:
        drv_negotiate(t, FEATURES);
        mw(t, 0x030, 1);
        mw(t, 0x038, 8);
        return;
    case V_QUEUE_NUM_ZERO:
        drv_negotiate(t, FEATURES);
        mw(t, 0x038, 0);
        return;
    case V_QUEUE_NUM_NOT_POW2:
        drv_negotiate(t, FEATURES);
        mw(t, 0x038, 12);
        return;
    case V_QUEUE_NUM_TOO_BIG:
        drv_negotiate(t, FEATURES);
        mw(t, 0x038, VIRTQ_MAX_SIZE * 2);
        return;
    case V_RING_OUTSIDE_RAM:
        drv_negotiate(t, FEATURES);
        mw(t, 0x038, 8);
        mw(t, 0x080, (uint32_t)(RAM_BASE + RAM_SIZE - 64)); /* 8 * 16 bytes do not fit */
        mw(t, 0x090, (uint32_t)(RAM_BASE + 0x2000));
        mw(t, 0x0a0, (uint32_t)(RAM_BASE + 0x3000));
        mw(t, 0x044, 1);
        return;
    case V_RING_MISALIGNED:
        drv_negotiate(t, FEATURES);
        mw(t, 0x038, 8);
        mw(t, 0x080, (uint32_t)(RAM_BASE + 0x1000));
        mw(t, 0x090, (uint32_t)(RAM_BASE + 0x2000));
        mw(t, 0x0a0, (uint32_t)(RAM_BASE + 0x3002)); /* used ring needs 4 */
        mw(t, 0x044, 1);
        return;
    case V_NOTIFY_BAD_QUEUE:
        setup_live(NULL);
        mw(t, 0x050, 1);
        return;
    case V_DRIVER_OK_UNREADY_QUEUE:
        drv_negotiate(t, FEATURES);
        mw(t, 0x038, 8);
        mw(t, 0x070, OK_STATUS);
        return;
    default:
        break;
    }
    /* Ring-level violations: a live device and one bad chain. */
    setup_live(NULL);
    put_hdr(HDR, VIRTIO_BLK_T_IN, 0);
    switch (v) {
    case V_DESC_OUTSIDE_RAM:
        drv_set_desc(&q0, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
        drv_set_desc(&q0, 1, RAM_BASE - 512, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
        drv_set_desc(&q0, 2, STAT, 1, VIRTQ_DESC_F_WRITE, 0);
        break;
    case V_DESC_STRADDLES_RAM_END:
        drv_set_desc(&q0, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
        drv_set_desc(&q0, 1, RAM_BASE + RAM_SIZE - 256, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE,
                     2);
        drv_set_desc(&q0, 2, STAT, 1, VIRTQ_DESC_F_WRITE, 0);
        break;
    case V_DESC_LOOP:
        drv_set_desc(&q0, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
        drv_set_desc(&q0, 1, DATA, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
        drv_set_desc(&q0, 2, STAT, 1, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
        break;
    case V_HEAD_OUT_OF_RANGE:
        drv_avail(&q0, 8);
        mw(t, 0x050, 0);
        return;
    case V_NEXT_OUT_OF_RANGE:
        drv_set_desc(&q0, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 200);
        break;
    case V_AVAIL_IDX_JUMP:
        vmm_put_le16(gp(q0.avail) + 2, 9); /* 9 chains in a queue of 8 */
        mw(t, 0x050, 0);
        return;
    case V_WRITE_BEFORE_READ:
        drv_set_desc(&q0, 0, STAT, 1, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
        drv_set_desc(&q0, 1, HDR, 16, 0, 0);
        break;
    case V_NO_STATUS_BYTE:
        drv_set_desc(&q0, 0, HDR, 16, 0, 0);
        break;
    case V_INDIRECT_NOT_NEGOTIATED:
        /* Renegotiate without INDIRECT_DESC. */
        mw(t, 0x070, 0);
        drv_negotiate(t, FEATURES);
        drv_setup_queue(t, 0, 8, &q0);
        mw(t, 0x070, OK_STATUS);
        drv_set_desc(&q0, 0, ind, 32, VIRTQ_DESC_F_INDIRECT, 0);
        break;
    case V_INDIRECT_NESTED:
        drv_set_desc(&q0, 0, ind, 32, VIRTQ_DESC_F_INDIRECT, 0);
        vmm_put_le64(gp(ind), ind);
        vmm_put_le32(gp(ind) + 8, 32);
        vmm_put_le16(gp(ind) + 12, VIRTQ_DESC_F_INDIRECT);
        break;
    case V_INDIRECT_LOOP:
        drv_set_desc(&q0, 0, ind, 32, VIRTQ_DESC_F_INDIRECT, 0);
        for (unsigned i = 0; i < 2; i++) {
            vmm_put_le64(gp(ind + 16 * i), HDR);
            vmm_put_le32(gp(ind + 16 * i) + 8, 16);
            vmm_put_le16(gp(ind + 16 * i) + 12, VIRTQ_DESC_F_NEXT);
            vmm_put_le16(gp(ind + 16 * i) + 14, (uint16_t)(1 - i));
        }
        break;
    case V_INDIRECT_BAD_LEN:
        drv_set_desc(&q0, 0, ind, 24, VIRTQ_DESC_F_INDIRECT, 0);
        break;
    default:
        fail();
    }
    drv_avail(&q0, 0);
    mw(t, 0x050, 0);
}

static void test_violations(void **state)
{
    (void)state;
    for (unsigned v = 0; v < V_COUNT; v++) {
        setup_ro(false);
        do_violation((enum violation)v);
        if (!drv_needs_reset(t)) {
            fail_msg("violation %u did not set DEVICE_NEEDS_RESET", v);
        }
        assert_failed();
        /* Nothing was completed and the image is untouched. */
        assert_memory_equal(disk, pristine, sizeof(disk));
        if (v >= V_DESC_OUTSIDE_RAM) {
            assert_int_equal(drv_used_idx(&q0), 0);
        }
        /* The device ignores the driver until it resets... */
        mw(t, 0x050, 0);
        mw(t, 0x030, 0);
        assert_true(drv_needs_reset(t));
        /* ...and a reset brings it back to a usable state. */
        mw(t, 0x064, VIRTIO_INT_CONFIG);
        assert_false(irq_level);
        mw(t, 0x070, 0);
        assert_int_equal(mr(t, 0x070), 0);
        assert_int_equal(mr(t, 0x060), 0);
        setup_live(NULL);
        assert_int_equal(request(VIRTIO_BLK_T_IN, 0, 512, true), VIRTIO_BLK_S_OK);
    }
}

static void test_read_write(void **state)
{
    uint32_t id, len;
    uint8_t buf[1024];
    (void)state;
    /* IN: sectors 5-6 into guest memory. */
    memset(gp(DATA), 0, 1024);
    assert_int_equal(request(VIRTIO_BLK_T_IN, 5, 1024, true), VIRTIO_BLK_S_OK);
    assert_memory_equal(gp(DATA), disk + 5 * 512, 1024);
    drv_used_elem(&q0, 0, &id, &len);
    assert_int_equal(len, 1025); /* data + status */
    assert_int_equal(mr(t, 0x060), VIRTIO_INT_VRING);
    assert_true(irq_level);
    mw(t, 0x064, VIRTIO_INT_VRING);
    assert_false(irq_level);
    /* OUT: sectors 10-11 from guest memory; nothing else changes. */
    for (unsigned i = 0; i < sizeof(buf); i++) {
        buf[i] = (uint8_t)(0xa5 ^ i);
    }
    memcpy(gp(DATA), buf, sizeof(buf));
    assert_int_equal(request(VIRTIO_BLK_T_OUT, 10, 1024, false), VIRTIO_BLK_S_OK);
    assert_memory_equal(disk + 10 * 512, buf, sizeof(buf));
    assert_memory_equal(disk, pristine, 10 * 512);
    assert_memory_equal(disk + 12 * 512, pristine + 12 * 512, sizeof(disk) - 12 * 512);
    /* Last sector is fine, one past it is not. */
    assert_int_equal(request(VIRTIO_BLK_T_OUT, SECTORS - 1, 512, false), VIRTIO_BLK_S_OK);
    memcpy(pristine, disk, sizeof(disk));
    assert_int_equal(request(VIRTIO_BLK_T_OUT, SECTORS - 1, 1024, false), VIRTIO_BLK_S_IOERR);
    assert_int_equal(request(VIRTIO_BLK_T_OUT, SECTORS, 512, false), VIRTIO_BLK_S_IOERR);
    assert_int_equal(request(VIRTIO_BLK_T_IN, SECTORS, 512, true), VIRTIO_BLK_S_IOERR);
    /* sector * 512 and sector + count would wrap. */
    assert_int_equal(request(VIRTIO_BLK_T_OUT, 0xffffffffffffffffull, 512, false),
                     VIRTIO_BLK_S_IOERR);
    assert_int_equal(request(VIRTIO_BLK_T_OUT, 0x0080000000000000ull, 512, false),
                     VIRTIO_BLK_S_IOERR);
    /* Data not a multiple of 512. */
    assert_int_equal(request(VIRTIO_BLK_T_OUT, 0, 100, false), VIRTIO_BLK_S_IOERR);
    assert_int_equal(request(VIRTIO_BLK_T_IN, 0, 513, true), VIRTIO_BLK_S_IOERR);
    /* The partial trailing sector is never written. */
    assert_memory_equal(disk, pristine, sizeof(disk));
    /* FLUSH, GET_ID, unknown. */
    assert_int_equal(request(VIRTIO_BLK_T_FLUSH, 0, 0, true), VIRTIO_BLK_S_OK);
    memset(gp(DATA), 0, 32);
    assert_int_equal(request(VIRTIO_BLK_T_GET_ID, 0, 20, true), VIRTIO_BLK_S_OK);
    assert_memory_equal(gp(DATA), "bulkhead-disk-012345", 20);
    assert_int_equal(request(99, 0, 512, true), VIRTIO_BLK_S_UNSUPP);
    assert_int_equal(request(VIRTIO_BLK_T_IN, 0, 512, true), VIRTIO_BLK_S_OK);
    assert_false(drv_needs_reset(t));
}

static void test_read_only(void **state)
{
    (void)state;
    setup_ro(true);
    mw(t, 0x014, 0);
    assert_int_equal(mr(t, 0x010) & (1u << VIRTIO_BLK_F_RO), 1u << VIRTIO_BLK_F_RO);
    assert_int_equal(drv_negotiate(t, FEATURES | (1ull << VIRTIO_BLK_F_RO)),
                     OK_STATUS & ~VIRTIO_STATUS_DRIVER_OK);
    drv_setup_queue(t, 0, 8, &q0);
    mw(t, 0x070, OK_STATUS);
    assert_int_equal(request(VIRTIO_BLK_T_OUT, 0, 512, false), VIRTIO_BLK_S_IOERR);
    assert_memory_equal(disk, pristine, sizeof(disk));
    assert_int_equal(request(VIRTIO_BLK_T_IN, 0, 512, true), VIRTIO_BLK_S_OK);
}

static void test_any_layout_and_indirect(void **state)
{
    const uint64_t ind = RAM_BASE + 0x50000u;
    uint32_t id, len;
    (void)state;
    /* Header split over two descriptors, data over two, status alone; head 3. */
    put_hdr(HDR, VIRTIO_BLK_T_IN, 7);
    drv_set_desc(&q0, 3, HDR, 5, VIRTQ_DESC_F_NEXT, 6);
    drv_set_desc(&q0, 6, HDR + 5, 11, VIRTQ_DESC_F_NEXT, 1);
    drv_set_desc(&q0, 1, DATA, 300, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 4);
    drv_set_desc(&q0, 4, DATA + 1000, 212, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 0);
    drv_set_desc(&q0, 0, STAT, 1, VIRTQ_DESC_F_WRITE, 0);
    drv_avail(&q0, 3);
    mw(t, 0x050, 0);
    assert_int_equal(*gp(STAT), VIRTIO_BLK_S_OK);
    assert_memory_equal(gp(DATA), disk + 7 * 512, 300);
    assert_memory_equal(gp(DATA + 1000), disk + 7 * 512 + 300, 212);
    drv_used_elem(&q0, 0, &id, &len);
    assert_int_equal(id, 3);
    /* The same request through an indirect table (3 entries). */
    memset(gp(DATA), 0, 512);
    *gp(STAT) = 0xee;
    put_hdr(HDR, VIRTIO_BLK_T_IN, 9);
    vmm_put_le64(gp(ind), HDR);
    vmm_put_le32(gp(ind) + 8, 16);
    vmm_put_le16(gp(ind) + 12, VIRTQ_DESC_F_NEXT);
    vmm_put_le16(gp(ind) + 14, 2);
    vmm_put_le64(gp(ind + 32), DATA);
    vmm_put_le32(gp(ind + 32) + 8, 512);
    vmm_put_le16(gp(ind + 32) + 12, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE);
    vmm_put_le16(gp(ind + 32) + 14, 1);
    vmm_put_le64(gp(ind + 16), STAT);
    vmm_put_le32(gp(ind + 16) + 8, 1);
    vmm_put_le16(gp(ind + 16) + 12, VIRTQ_DESC_F_WRITE);
    drv_set_desc(&q0, 5, ind, 48, VIRTQ_DESC_F_INDIRECT, 0);
    drv_avail(&q0, 5);
    mw(t, 0x050, 0);
    assert_false(drv_needs_reset(t));
    assert_int_equal(drv_used_idx(&q0), 2);
    assert_int_equal(*gp(STAT), VIRTIO_BLK_S_OK);
    assert_memory_equal(gp(DATA), disk + 9 * 512, 512);
}

/* An indirect table of n entries: header, n - 2 data sectors, status. */
static void indirect_request(unsigned n)
{
    const uint64_t ind = RAM_BASE + 0x50000u;
    put_hdr(HDR, VIRTIO_BLK_T_IN, 2);
    for (unsigned i = 0; i < n; i++) {
        uint8_t *d = gp(ind + 16u * i);
        uint64_t addr = i == 0 ? HDR : (i == n - 1 ? STAT : DATA + 512u * (i - 1));
        uint32_t len = i == 0 ? 16 : (i == n - 1 ? 1 : 512);
        vmm_put_le64(d, addr);
        vmm_put_le32(d + 8, len);
        vmm_put_le16(d + 12, (uint16_t)((i == 0 ? 0 : VIRTQ_DESC_F_WRITE) |
                                        (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0)));
        vmm_put_le16(d + 14, (uint16_t)(i + 1));
    }
    drv_set_desc(&q0, 0, ind, 16u * n, VIRTQ_DESC_F_INDIRECT, 0);
    drv_avail(&q0, 0);
    mw(t, 0x050, 0);
}

static void test_indirect_chain_length(void **state)
{
    (void)state;
    /* Queue size 8: a chain of 8 table entries is the longest legal one. */
    *gp(STAT) = 0xee;
    indirect_request(8);
    assert_false(drv_needs_reset(t));
    assert_int_equal(*gp(STAT), VIRTIO_BLK_S_OK);
    assert_memory_equal(gp(DATA), disk + 2 * 512, 6 * 512);
    indirect_request(9);
    assert_true(drv_needs_reset(t));
    assert_int_equal(drv_used_idx(&q0), 1);
}

static void test_batch_and_suppression(void **state)
{
    (void)state;
    /* Eight requests in one notify, ring wrap-around over several rounds. */
    for (unsigned round = 0; round < 3; round++) {
        for (uint16_t r = 0; r < 4; r++) {
            uint64_t hdr = HDR + 16u * r;
            put_hdr(hdr, VIRTIO_BLK_T_IN, r);
            drv_set_desc(&q0, (uint16_t)(2 * r), hdr, 16, VIRTQ_DESC_F_NEXT, (uint16_t)(2 * r + 1));
            drv_set_desc(&q0, (uint16_t)(2 * r + 1), DATA + 1024u * r, 513, VIRTQ_DESC_F_WRITE, 0);
            drv_avail(&q0, (uint16_t)(2 * r));
        }
        mw(t, 0x050, 0);
        assert_int_equal(drv_used_idx(&q0), 4 * (round + 1));
        for (uint16_t r = 0; r < 4; r++) {
            assert_memory_equal(gp(DATA + 1024u * r), disk + 512u * r, 512);
            assert_int_equal(*gp(DATA + 1024u * r + 512), VIRTIO_BLK_S_OK);
        }
    }
    assert_int_equal(irq_raises, 1); /* never ACKed: the line stayed high */
    mw(t, 0x064, VIRTIO_INT_VRING);
    /* VIRTQ_AVAIL_F_NO_INTERRUPT suppresses the used-buffer interrupt. */
    vmm_put_le16(gp(q0.avail), VIRTQ_AVAIL_F_NO_INTERRUPT);
    assert_int_equal(request(VIRTIO_BLK_T_IN, 0, 512, true), VIRTIO_BLK_S_OK);
    assert_int_equal(mr(t, 0x060), 0);
    assert_false(irq_level);
}

static void test_notify_before_driver_ok(void **state)
{
    (void)state;
    assert_int_equal(drv_negotiate(t, FEATURES), OK_STATUS & ~VIRTIO_STATUS_DRIVER_OK);
    drv_setup_queue(t, 0, 8, &q0);
    put_hdr(HDR, VIRTIO_BLK_T_IN, 1);
    drv_set_desc(&q0, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
    drv_set_desc(&q0, 1, DATA, 513, VIRTQ_DESC_F_WRITE, 0);
    drv_avail(&q0, 0);
    mw(t, 0x050, 0);
    assert_int_equal(drv_used_idx(&q0), 0); /* not consumed before DRIVER_OK */
    mw(t, 0x070, OK_STATUS);
    assert_int_equal(drv_used_idx(&q0), 1);
    assert_memory_equal(gp(DATA), disk + 512, 512);
}

static void test_guest_mem_translate(void **state)
{
    struct guest_mem m = {0x1000, 0x1000, ram};
    (void)state;
    assert_ptr_equal(guest_mem_translate(&m, 0x1000, 0x1000), ram);
    assert_ptr_equal(guest_mem_translate(&m, 0x1fff, 1), ram + 0xfff);
    assert_ptr_equal(guest_mem_translate(&m, 0x2000, 0), ram + 0x1000);
    assert_null(guest_mem_translate(&m, 0x2000, 1));
    assert_null(guest_mem_translate(&m, 0xfff, 1));
    assert_null(guest_mem_translate(&m, 0x1800, 0x801));
    assert_null(guest_mem_translate(&m, 0x1800, 0xffffffffffffffffull));
    assert_null(guest_mem_translate(&m, 0xfffffffffffff000ull, 0x2000));
    assert_null(guest_mem_translate(NULL, 0x1000, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_guest_mem_translate),
        cmocka_unit_test_setup(test_transport_ids, setup),
        cmocka_unit_test_setup(test_negotiation_happy, setup),
        cmocka_unit_test_setup(test_features_refused, setup),
        cmocka_unit_test_setup(test_violations, setup),
        cmocka_unit_test_setup(test_read_write, setup_live),
        cmocka_unit_test_setup(test_read_only, setup),
        cmocka_unit_test_setup(test_any_layout_and_indirect, setup_live),
        cmocka_unit_test_setup(test_indirect_chain_length, setup_live),
        cmocka_unit_test_setup(test_batch_and_suppression, setup_live),
        cmocka_unit_test_setup(test_notify_before_driver_ok, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
