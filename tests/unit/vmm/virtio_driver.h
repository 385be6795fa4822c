/* A minimal test-side virtio driver: guest RAM, register access and split
 * rings built by hand in guest memory, shared by the virtio tests. */
#ifndef VMM_TEST_VIRTIO_DRIVER_H
#define VMM_TEST_VIRTIO_DRIVER_H

#include <vmm/virtio_mmio.h>

#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x100000ull

extern uint8_t ram[RAM_SIZE];
extern struct guest_mem mem;
extern bool irq_level;
extern unsigned irq_raises;
extern const struct irq_line test_irq;

struct drv_q {
    uint64_t desc, avail, used;
    uint16_t num, avail_idx;
};

uint8_t *gp(uint64_t ipa);
uint32_t mr(struct virtio_mmio *t, uint32_t off);
void mw(struct virtio_mmio *t, uint32_t off, uint32_t v);
void drv_reset_ram(void);
/* ACKNOWLEDGE, DRIVER, features, FEATURES_OK; returns the Status read back. */
uint32_t drv_negotiate(struct virtio_mmio *t, uint64_t features);
/* Queue q at a fixed place in RAM (area 0x1000 * (1 + 4q)), num entries. */
void drv_setup_queue(struct virtio_mmio *t, unsigned q, uint16_t num, struct drv_q *dq);
void drv_set_desc(struct drv_q *dq, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
                  uint16_t next);
void drv_avail(struct drv_q *dq, uint16_t head);
uint16_t drv_used_idx(const struct drv_q *dq);
void drv_used_elem(const struct drv_q *dq, uint16_t i, uint32_t *id, uint32_t *len);
bool drv_needs_reset(struct virtio_mmio *t);

#endif
