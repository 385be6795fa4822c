/* virtio-blk (virtio 1.2, 5.2): see vmm/virtio_blk.h. */
#include <vmm/virtio_blk.h>

#include <string.h>

#define BLK_HDR_SIZE 16u /* le32 type, le32 reserved, le64 sector */

static bool blk_config_read(struct virtio_mmio *t, uint32_t off, unsigned size, uint64_t *value)
{
    const struct virtio_blk *b = t->dev;
    uint8_t cfg[VIRTIO_BLK_CONFIG_SIZE];

    memset(cfg, 0, sizeof(cfg));
    vmm_put_le64(cfg, b->sectors);
    /* size_max (offset 8) stays 0: not offered. */
    vmm_put_le32(cfg + 12, VIRTQ_MAX_SIZE - 2u); /* seg_max: header and status take two */
    /* geometry (16..19) stays 0: not offered. */
    vmm_put_le32(cfg + 20, VIRTIO_BLK_SECTOR_SIZE);
    *value = 0;
    for (unsigned i = 0; i < size; i++) {
        if (off + i < sizeof(cfg)) {
            *value |= (uint64_t)cfg[off + i] << (8 * i);
        }
    }
    return true;
}

/* Status of one request; *written = bytes placed in the writable buffers. */
static uint8_t blk_request(struct virtio_blk *b, const struct vq_elem *e, uint64_t *written)
{
    uint8_t hdr[BLK_HDR_SIZE];
    uint64_t data_len, sector, count;
    uint32_t type;

    *written = 0;
    if (vq_elem_read(e, 0, hdr, sizeof(hdr)) != sizeof(hdr)) {
        return VIRTIO_BLK_S_IOERR;
    }
    type = vmm_le32(hdr);
    sector = vmm_le64(hdr + 8);
    switch (type) {
    case VIRTIO_BLK_T_IN:
    case VIRTIO_BLK_T_OUT:
        data_len = type == VIRTIO_BLK_T_IN ? e->in_len - 1u : e->out_len - BLK_HDR_SIZE;
        if (data_len % VIRTIO_BLK_SECTOR_SIZE != 0) {
            return VIRTIO_BLK_S_IOERR;
        }
        count = data_len / VIRTIO_BLK_SECTOR_SIZE;
        /* Overflow-safe: sector + count <= sectors. */
        if (sector > b->sectors || count > b->sectors - sector) {
            return VIRTIO_BLK_S_IOERR;
        }
        if (type == VIRTIO_BLK_T_IN) {
            *written = vq_elem_write(e, 0, b->disk + sector * VIRTIO_BLK_SECTOR_SIZE, data_len);
            return VIRTIO_BLK_S_OK;
        }
        if (b->read_only) {
            return VIRTIO_BLK_S_IOERR;
        }
        (void)vq_elem_read(e, BLK_HDR_SIZE, b->disk + sector * VIRTIO_BLK_SECTOR_SIZE, data_len);
        return VIRTIO_BLK_S_OK;
    case VIRTIO_BLK_T_FLUSH:
        return VIRTIO_BLK_S_OK; /* the image is memory: nothing is cached */
    case VIRTIO_BLK_T_GET_ID: {
        size_t n =
            e->in_len - 1u < VIRTIO_BLK_ID_BYTES ? (size_t)(e->in_len - 1u) : VIRTIO_BLK_ID_BYTES;
        *written = vq_elem_write(e, 0, b->id, n);
        return VIRTIO_BLK_S_OK;
    }
    default:
        return VIRTIO_BLK_S_UNSUPP;
    }
}

static bool blk_notify(struct virtio_mmio *t, unsigned q)
{
    struct virtio_blk *b = t->dev;
    bool used = false;
    bool ok = true;

    if (q != 0) {
        return false;
    }
    for (;;) {
        enum vq_pop r = virtq_pop(&t->vq[0], t->mem,
                                  virtio_mmio_has_feature(t, VIRTIO_F_INDIRECT_DESC), &b->elem);
        uint64_t written;
        uint8_t status;
        if (r == VQ_POP_EMPTY) {
            break;
        }
        /* The status byte is the last writable byte; without one there is no answer. */
        if (r == VQ_POP_ERROR || b->elem.in_len == 0) {
            ok = false;
            break;
        }
        status = blk_request(b, &b->elem, &written);
        (void)vq_elem_write(&b->elem, b->elem.in_len - 1u, &status, 1);
        if (!virtq_push(&t->vq[0], t->mem, b->elem.head, (uint32_t)(written + 1u))) {
            ok = false;
            break;
        }
        used = true;
    }
    if (used) {
        virtio_mmio_used(t, 0);
    }
    return ok;
}

static const struct virtio_device_ops blk_ops = {
    .device_id = VIRTIO_ID_BLOCK,
    .num_queues = 1,
    .config_read = blk_config_read,
    .config_write = NULL, /* writeback/WCE is not offered: every field is read-only */
    .queue_notify = blk_notify,
    .reset = NULL,
};

void virtio_blk_init(struct virtio_blk *b, const struct guest_mem *mem, const struct irq_line *irq,
                     uint8_t *disk, uint64_t disk_bytes, bool read_only, const char *id)
{
    uint64_t features = (1ull << VIRTIO_BLK_F_SEG_MAX) | (1ull << VIRTIO_BLK_F_FLUSH) |
                        (1ull << VIRTIO_F_INDIRECT_DESC);

    memset(b, 0, sizeof(*b));
    b->disk = disk;
    b->sectors = disk_bytes / VIRTIO_BLK_SECTOR_SIZE;
    b->read_only = read_only;
    if (read_only) {
        features |= 1ull << VIRTIO_BLK_F_RO;
    }
    for (size_t i = 0; id != NULL && id[i] != '\0' && i < VIRTIO_BLK_ID_BYTES; i++) {
        b->id[i] = id[i];
    }
    virtio_mmio_init(&b->mmio, &blk_ops, b, features, mem, irq);
}
