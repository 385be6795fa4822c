/* Test-side virtio driver: see virtio_driver.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "virtio_driver.h"

uint8_t ram[RAM_SIZE] __attribute__((aligned(4096)));
struct guest_mem mem = {RAM_BASE, RAM_SIZE, ram};
bool irq_level;
unsigned irq_raises;

static void irq_set(void *ctx, uint32_t intid, bool level)
{
    (void)ctx;
    assert_int_equal(intid, 48);
    if (level && !irq_level) {
        irq_raises++;
    }
    irq_level = level;
}

const struct irq_line test_irq = {irq_set, NULL, 48};

uint8_t *gp(uint64_t ipa)
{
    assert_true(ipa >= RAM_BASE && ipa < RAM_BASE + RAM_SIZE);
    return ram + (ipa - RAM_BASE);
}

uint32_t mr(struct virtio_mmio *t, uint32_t off)
{
    uint64_t v = 0xdeadbeef;
    assert_true(virtio_mmio_access(t, off, 4, false, &v));
    return (uint32_t)v;
}

void mw(struct virtio_mmio *t, uint32_t off, uint32_t v)
{
    uint64_t val = v;
    assert_true(virtio_mmio_access(t, off, 4, true, &val));
}

void drv_reset_ram(void)
{
    memset(ram, 0, sizeof(ram));
    irq_level = false;
    irq_raises = 0;
}

uint32_t drv_negotiate(struct virtio_mmio *t, uint64_t features)
{
    mw(t, 0x070, VIRTIO_STATUS_ACKNOWLEDGE);
    mw(t, 0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    mw(t, 0x024, 0);
    mw(t, 0x020, (uint32_t)features);
    mw(t, 0x024, 1);
    mw(t, 0x020, (uint32_t)(features >> 32));
    mw(t, 0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    return mr(t, 0x070);
}

void drv_setup_queue(struct virtio_mmio *t, unsigned q, uint16_t num, struct drv_q *dq)
{
    uint64_t base = RAM_BASE + 0x1000u * (1u + 4u * q);
    dq->desc = base;
    dq->avail = base + 0x1000;
    dq->used = base + 0x2000;
    dq->num = num;
    dq->avail_idx = 0;
    mw(t, 0x030, q);
    assert_int_equal(mr(t, 0x034), VIRTQ_MAX_SIZE);
    mw(t, 0x038, num);
    mw(t, 0x080, (uint32_t)dq->desc);
    mw(t, 0x084, (uint32_t)(dq->desc >> 32));
    mw(t, 0x090, (uint32_t)dq->avail);
    mw(t, 0x094, (uint32_t)(dq->avail >> 32));
    mw(t, 0x0a0, (uint32_t)dq->used);
    mw(t, 0x0a4, (uint32_t)(dq->used >> 32));
    mw(t, 0x044, 1);
    assert_int_equal(mr(t, 0x044), 1);
}

void drv_set_desc(struct drv_q *dq, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
                  uint16_t next)
{
    uint8_t *d = gp(dq->desc + 16u * i);
    vmm_put_le64(d, addr);
    vmm_put_le32(d + 8, len);
    vmm_put_le16(d + 12, flags);
    vmm_put_le16(d + 14, next);
}

void drv_avail(struct drv_q *dq, uint16_t head)
{
    uint8_t *a = gp(dq->avail);
    vmm_put_le16(a + 4 + 2u * (dq->avail_idx % dq->num), head);
    dq->avail_idx++;
    vmm_put_le16(a + 2, dq->avail_idx);
}

uint16_t drv_used_idx(const struct drv_q *dq)
{
    return vmm_le16(gp(dq->used) + 2);
}

void drv_used_elem(const struct drv_q *dq, uint16_t i, uint32_t *id, uint32_t *len)
{
    const uint8_t *e = gp(dq->used) + 4 + 8u * (i % dq->num);
    *id = vmm_le32(e);
    *len = vmm_le32(e + 4);
}

bool drv_needs_reset(struct virtio_mmio *t)
{
    return (mr(t, 0x070) & VIRTIO_STATUS_DEVICE_NEEDS_RESET) != 0;
}
