/*
 * virtio-mmio transport, version 2 only (virtio 1.2, section 4.2.2; no
 * legacy interface). Implements the register block, device status and the
 * FEATURES_OK handshake (VIRTIO_F_VERSION_1 required), queue setup and
 * notifications; the device model (virtio_blk, virtio_console) supplies its
 * id, features, config space and queue processing through
 * struct virtio_device_ops.
 *
 * A driver that breaks the protocol gets DEVICE_NEEDS_RESET (status bit 64)
 * and a configuration-change interrupt, and the device stops processing
 * until the driver writes 0 to Status. Violations: a Status write that
 * clears bits or skips a step (DRIVER before ACKNOWLEDGE, FEATURES_OK
 * before DRIVER, DRIVER_OK before FEATURES_OK), DriverFeatures written after
 * FEATURES_OK, queue registers written before FEATURES_OK, after DRIVER_OK,
 * while the queue is ready or with QueueSel out of range, a QueueNum of 0,
 * above QueueNumMax or not a power of two, QueueReady with rings misaligned
 * or outside guest RAM, QueueNotify of a missing or unready queue, and
 * every ring or descriptor fault the device finds (vmm/virtqueue.h).
 * Driver features the device did not offer, or no VIRTIO_F_VERSION_1, make
 * the device refuse FEATURES_OK (it reads back clear), as 3.1.1 specifies.
 * Control registers take 32-bit aligned accesses only; anything else is a
 * bad access (external abort).
 */
#ifndef VMM_VIRTIO_MMIO_H
#define VMM_VIRTIO_MMIO_H

#include <vmm/virtqueue.h>

#define VIRTIO_MMIO_SIZE   0x200u
#define VIRTIO_MMIO_MAGIC  0x74726976u /* "virt" */
#define VIRTIO_MMIO_VENDOR 0x48424d56u /* "VMBH" */
#define VIRTIO_MAX_QUEUES  2u

#define VIRTIO_F_INDIRECT_DESC 28u
#define VIRTIO_F_VERSION_1     32u

#define VIRTIO_STATUS_ACKNOWLEDGE        1u
#define VIRTIO_STATUS_DRIVER             2u
#define VIRTIO_STATUS_DRIVER_OK          4u
#define VIRTIO_STATUS_FEATURES_OK        8u
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 64u
#define VIRTIO_STATUS_FAILED             128u

#define VIRTIO_INT_VRING  1u
#define VIRTIO_INT_CONFIG 2u

struct virtio_mmio;

struct virtio_device_ops {
    uint32_t device_id;
    unsigned num_queues;
    /* Config space accesses at `offset` from 0x100; false = bad access. */
    bool (*config_read)(struct virtio_mmio *t, uint32_t offset, unsigned size, uint64_t *value);
    bool (*config_write)(struct virtio_mmio *t, uint32_t offset, unsigned size, uint64_t value);
    /* Process queue q (the driver notified it, or DRIVER_OK was set). Returns
     * false on a protocol violation. */
    bool (*queue_notify)(struct virtio_mmio *t, unsigned q);
    void (*reset)(struct virtio_mmio *t);
};

struct virtio_mmio {
    const struct virtio_device_ops *ops;
    void *dev; /* the device model that owns this transport */
    const struct guest_mem *mem;
    struct irq_line irq;
    bool irq_level;
    uint64_t device_features; /* offered, VIRTIO_F_VERSION_1 included */
    uint64_t driver_features;
    uint32_t status;
    uint32_t device_features_sel, driver_features_sel, queue_sel;
    uint32_t isr;
    uint32_t config_generation;
    struct virtq vq[VIRTIO_MAX_QUEUES];
};

void virtio_mmio_init(struct virtio_mmio *t, const struct virtio_device_ops *ops, void *dev,
                      uint64_t device_features, const struct guest_mem *mem,
                      const struct irq_line *irq);
bool virtio_mmio_access(void *t, uint64_t offset, unsigned size, bool write, uint64_t *value);

/* For device models: */
bool virtio_mmio_live(const struct virtio_mmio *t); /* DRIVER_OK and not NEEDS_RESET */
bool virtio_mmio_has_feature(const struct virtio_mmio *t, unsigned bit);
/* Used buffers were added to queue q: interrupt unless the driver suppressed it. */
void virtio_mmio_used(struct virtio_mmio *t, unsigned q);
/* Protocol violation: DEVICE_NEEDS_RESET and a config-change interrupt. */
void virtio_mmio_fail(struct virtio_mmio *t);
/* Config space changed: new ConfigGeneration and a config-change interrupt. */
void virtio_mmio_config_changed(struct virtio_mmio *t);

#endif
