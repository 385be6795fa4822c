/* virtio-mmio version 2 transport (virtio 1.2, 4.2.2): see vmm/virtio_mmio.h. */
#include <vmm/virtio_mmio.h>

#include <string.h>

#define REG_MAGIC          0x000u
#define REG_VERSION        0x004u
#define REG_DEVICE_ID      0x008u
#define REG_VENDOR_ID      0x00cu
#define REG_DEV_FEATURES   0x010u
#define REG_DEV_FEAT_SEL   0x014u
#define REG_DRV_FEATURES   0x020u
#define REG_DRV_FEAT_SEL   0x024u
#define REG_QUEUE_SEL      0x030u
#define REG_QUEUE_NUM_MAX  0x034u
#define REG_QUEUE_NUM      0x038u
#define REG_QUEUE_READY    0x044u
#define REG_QUEUE_NOTIFY   0x050u
#define REG_INT_STATUS     0x060u
#define REG_INT_ACK        0x064u
#define REG_STATUS         0x070u
#define REG_QUEUE_DESC_LO  0x080u
#define REG_QUEUE_DESC_HI  0x084u
#define REG_QUEUE_AVAIL_LO 0x090u
#define REG_QUEUE_AVAIL_HI 0x094u
#define REG_QUEUE_USED_LO  0x0a0u
#define REG_QUEUE_USED_HI  0x0a4u
#define REG_SHM_SEL        0x0acu
#define REG_SHM_LEN_LO     0x0b0u
#define REG_SHM_LEN_HI     0x0b4u
#define REG_SHM_BASE_LO    0x0b8u
#define REG_SHM_BASE_HI    0x0bcu
#define REG_CONFIG_GEN     0x0fcu
#define REG_CONFIG         0x100u

static void update_irq(struct virtio_mmio *t)
{
    bool level = t->isr != 0;

    if (level != t->irq_level) {
        t->irq_level = level;
        irq_line_set(&t->irq, level);
    }
}

static void device_reset(struct virtio_mmio *t)
{
    t->driver_features = 0;
    t->status = 0;
    t->device_features_sel = 0;
    t->driver_features_sel = 0;
    t->queue_sel = 0;
    t->isr = 0;
    for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++) {
        virtq_reset(&t->vq[i]);
    }
    if (t->ops->reset != NULL) {
        t->ops->reset(t);
    }
    update_irq(t);
}

void virtio_mmio_init(struct virtio_mmio *t, const struct virtio_device_ops *ops, void *dev,
                      uint64_t device_features, const struct guest_mem *mem,
                      const struct irq_line *irq)
{
    memset(t, 0, sizeof(*t));
    t->ops = ops;
    t->dev = dev;
    t->mem = mem;
    if (irq != NULL) {
        t->irq = *irq;
    }
    t->device_features = device_features | (1ull << VIRTIO_F_VERSION_1);
    device_reset(t);
}

bool virtio_mmio_live(const struct virtio_mmio *t)
{
    return (t->status & (VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_DEVICE_NEEDS_RESET)) ==
           VIRTIO_STATUS_DRIVER_OK;
}

bool virtio_mmio_has_feature(const struct virtio_mmio *t, unsigned bit)
{
    return bit < 64 && ((t->driver_features >> bit) & 1u) != 0;
}

void virtio_mmio_fail(struct virtio_mmio *t)
{
    if (t->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET) {
        return;
    }
    t->status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
    /* 2.1.2: with DRIVER_OK set the device must tell the driver. Before it the
     * driver finds the bit when it next reads Status; the interrupt then does
     * no harm, so send it in both cases. */
    t->isr |= VIRTIO_INT_CONFIG;
    update_irq(t);
}

void virtio_mmio_config_changed(struct virtio_mmio *t)
{
    t->config_generation++;
    t->isr |= VIRTIO_INT_CONFIG;
    update_irq(t);
}

void virtio_mmio_used(struct virtio_mmio *t, unsigned q)
{
    if (q < VIRTIO_MAX_QUEUES && virtq_should_notify(&t->vq[q], t->mem)) {
        t->isr |= VIRTIO_INT_VRING;
        update_irq(t);
    }
}

static void run_queue(struct virtio_mmio *t, unsigned q)
{
    if (!t->ops->queue_notify(t, q)) {
        virtio_mmio_fail(t);
    }
}

static void write_status(struct virtio_mmio *t, uint32_t v)
{
    /* Bit 64 belongs to the device: the driver's copy of it is ignored. */
    uint32_t old = t->status & ~VIRTIO_STATUS_DEVICE_NEEDS_RESET;
    uint32_t set;

    if (v == 0) {
        device_reset(t);
        return;
    }
    v &= ~VIRTIO_STATUS_DEVICE_NEEDS_RESET;
    if ((v & old) != old) {
        virtio_mmio_fail(t); /* bits are only cleared by a reset */
        return;
    }
    set = v & ~old;
    if ((set & VIRTIO_STATUS_DRIVER) && !(v & VIRTIO_STATUS_ACKNOWLEDGE)) {
        virtio_mmio_fail(t);
        return;
    }
    if ((set & VIRTIO_STATUS_FEATURES_OK) && !(v & VIRTIO_STATUS_DRIVER)) {
        virtio_mmio_fail(t);
        return;
    }
    if (set & VIRTIO_STATUS_FEATURES_OK) {
        /* 3.1.1 step 5-6: accept only a subset of what we offered, with VERSION_1. */
        if ((t->driver_features & ~t->device_features) != 0 ||
            !virtio_mmio_has_feature(t, VIRTIO_F_VERSION_1)) {
            v &= ~VIRTIO_STATUS_FEATURES_OK;
        }
    }
    /* Checked after the feature decision: a refused FEATURES_OK is not there. */
    if ((set & VIRTIO_STATUS_DRIVER_OK) && !(v & VIRTIO_STATUS_FEATURES_OK)) {
        virtio_mmio_fail(t);
        return;
    }
    if (set & VIRTIO_STATUS_DRIVER_OK) {
        /* Every configured queue must be ready before the device goes live. */
        for (unsigned q = 0; q < t->ops->num_queues; q++) {
            if (t->vq[q].num != 0 && !t->vq[q].ready) {
                virtio_mmio_fail(t);
                return;
            }
        }
    }
    t->status = v | (t->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    if (set & VIRTIO_STATUS_DRIVER_OK) {
        /* Buffers made available before DRIVER_OK were not consumed yet. */
        for (unsigned q = 0; q < t->ops->num_queues && virtio_mmio_live(t); q++) {
            if (t->vq[q].ready) {
                run_queue(t, q);
            }
        }
    }
}

/* Queue configuration registers: only between FEATURES_OK and DRIVER_OK. */
static void write_queue_reg(struct virtio_mmio *t, uint32_t off, uint32_t v)
{
    struct virtq *q;

    if (!(t->status & VIRTIO_STATUS_FEATURES_OK) || (t->status & VIRTIO_STATUS_DRIVER_OK) ||
        t->queue_sel >= t->ops->num_queues) {
        virtio_mmio_fail(t);
        return;
    }
    q = &t->vq[t->queue_sel];
    if (off == REG_QUEUE_READY) {
        if (v == 0) {
            q->ready = false;
            return;
        }
        if (!virtq_layout_ok(q, t->mem)) {
            virtio_mmio_fail(t);
            return;
        }
        q->ready = true;
        q->last_avail = 0;
        q->used_idx = 0;
        return;
    }
    if (q->ready) {
        virtio_mmio_fail(t); /* the queue is in use */
        return;
    }
    switch (off) {
    case REG_QUEUE_NUM:
        /* Split rings have power-of-two sizes (2.7). */
        if (v == 0 || v > VIRTQ_MAX_SIZE || (v & (v - 1u)) != 0) {
            virtio_mmio_fail(t);
            return;
        }
        q->num = (uint16_t)v;
        return;
    case REG_QUEUE_DESC_LO:
        q->desc = (q->desc & ~0xffffffffull) | v;
        return;
    case REG_QUEUE_DESC_HI:
        q->desc = (q->desc & 0xffffffffull) | ((uint64_t)v << 32);
        return;
    case REG_QUEUE_AVAIL_LO:
        q->avail = (q->avail & ~0xffffffffull) | v;
        return;
    case REG_QUEUE_AVAIL_HI:
        q->avail = (q->avail & 0xffffffffull) | ((uint64_t)v << 32);
        return;
    case REG_QUEUE_USED_LO:
        q->used = (q->used & ~0xffffffffull) | v;
        return;
    case REG_QUEUE_USED_HI:
        q->used = (q->used & 0xffffffffull) | ((uint64_t)v << 32);
        return;
    default:
        return;
    }
}

static void write_reg(struct virtio_mmio *t, uint32_t off, uint32_t v)
{
    if (off == REG_STATUS) {
        write_status(t, v);
        return;
    }
    if (off == REG_INT_ACK) {
        t->isr &= ~v;
        update_irq(t);
        return;
    }
    /* After a violation only a reset (Status = 0) and ACKs are accepted. */
    if (t->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET) {
        return;
    }
    switch (off) {
    case REG_DEV_FEAT_SEL:
        t->device_features_sel = v;
        return;
    case REG_DRV_FEAT_SEL:
        t->driver_features_sel = v;
        return;
    case REG_DRV_FEATURES:
        if (t->status & VIRTIO_STATUS_FEATURES_OK) {
            virtio_mmio_fail(t);
            return;
        }
        if (t->driver_features_sel == 0) {
            t->driver_features = (t->driver_features & ~0xffffffffull) | v;
        } else if (t->driver_features_sel == 1) {
            t->driver_features = (t->driver_features & 0xffffffffull) | ((uint64_t)v << 32);
        }
        return; /* higher selectors: no such feature bits, ignored */
    case REG_QUEUE_SEL:
        t->queue_sel = v;
        return;
    case REG_QUEUE_NUM:
    case REG_QUEUE_READY:
    case REG_QUEUE_DESC_LO:
    case REG_QUEUE_DESC_HI:
    case REG_QUEUE_AVAIL_LO:
    case REG_QUEUE_AVAIL_HI:
    case REG_QUEUE_USED_LO:
    case REG_QUEUE_USED_HI:
        write_queue_reg(t, off, v);
        return;
    case REG_QUEUE_NOTIFY:
        if (v >= t->ops->num_queues) {
            virtio_mmio_fail(t);
            return;
        }
        /* 3.1.1: nothing is consumed before DRIVER_OK; setting it runs the queues. */
        if (!(t->status & VIRTIO_STATUS_DRIVER_OK)) {
            return;
        }
        if (!t->vq[v].ready) {
            virtio_mmio_fail(t);
            return;
        }
        run_queue(t, v);
        return;
    default:
        return; /* read-only and reserved registers ignore writes */
    }
}

static uint32_t read_reg(struct virtio_mmio *t, uint32_t off)
{
    const struct virtq *q = t->queue_sel < t->ops->num_queues ? &t->vq[t->queue_sel] : NULL;

    switch (off) {
    case REG_MAGIC:
        return VIRTIO_MMIO_MAGIC;
    case REG_VERSION:
        return 2;
    case REG_DEVICE_ID:
        return t->ops->device_id;
    case REG_VENDOR_ID:
        return VIRTIO_MMIO_VENDOR;
    case REG_DEV_FEATURES:
        if (t->device_features_sel > 1) {
            return 0;
        }
        return (uint32_t)(t->device_features >> (32u * t->device_features_sel));
    case REG_QUEUE_NUM_MAX:
        return q != NULL ? VIRTQ_MAX_SIZE : 0; /* 0: the queue does not exist */
    case REG_QUEUE_READY:
        return q != NULL && q->ready;
    case REG_INT_STATUS:
        return t->isr;
    case REG_STATUS:
        return t->status;
    case REG_QUEUE_DESC_LO:
        return q != NULL ? (uint32_t)q->desc : 0;
    case REG_QUEUE_DESC_HI:
        return q != NULL ? (uint32_t)(q->desc >> 32) : 0;
    case REG_QUEUE_AVAIL_LO:
        return q != NULL ? (uint32_t)q->avail : 0;
    case REG_QUEUE_AVAIL_HI:
        return q != NULL ? (uint32_t)(q->avail >> 32) : 0;
    case REG_QUEUE_USED_LO:
        return q != NULL ? (uint32_t)q->used : 0;
    case REG_QUEUE_USED_HI:
        return q != NULL ? (uint32_t)(q->used >> 32) : 0;
    case REG_SHM_LEN_LO:
    case REG_SHM_LEN_HI:
    case REG_SHM_BASE_LO:
    case REG_SHM_BASE_HI:
        return 0xffffffffu; /* 4.2.2.1: no shared memory region */
    case REG_CONFIG_GEN:
        return t->config_generation;
    default:
        return 0; /* write-only and reserved registers read as zero */
    }
}

bool virtio_mmio_access(void *dev, uint64_t offset, unsigned size, bool write, uint64_t *value)
{
    struct virtio_mmio *t = dev;

    if (offset >= REG_CONFIG && offset < VIRTIO_MMIO_SIZE) {
        uint32_t off = (uint32_t)(offset - REG_CONFIG);
        if ((size != 1 && size != 2 && size != 4) || (offset & (size - 1u)) != 0) {
            return false;
        }
        if (write) {
            if (t->ops->config_write == NULL) {
                return true; /* no writable config fields */
            }
            return t->ops->config_write(t, off, size, *value);
        }
        return t->ops->config_read(t, off, size, value);
    }
    if (offset >= REG_CONFIG || size != 4 || (offset & 3u) != 0) {
        return false;
    }
    if (write) {
        write_reg(t, (uint32_t)offset, (uint32_t)*value);
    } else {
        *value = read_reg(t, (uint32_t)offset);
    }
    return true;
}
