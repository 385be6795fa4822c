/*
 * virtio-blk device (virtio 1.2, 5.2) on the virtio-mmio transport, backed by
 * a memory region holding a disk image (512-byte sectors; a trailing partial
 * sector is not exposed). Requests: IN, OUT, FLUSH, GET_ID; others get
 * VIRTIO_BLK_S_UNSUPP. A request whose sectors are not wholly inside the
 * image, whose data length is not a multiple of 512, or a write to a
 * read-only disk gets VIRTIO_BLK_S_IOERR; a request without a writable
 * status byte is a protocol violation (DEVICE_NEEDS_RESET). Features:
 * VIRTIO_BLK_F_SEG_MAX, VIRTIO_BLK_F_FLUSH, VIRTIO_BLK_F_RO (read-only
 * images), VIRTIO_F_INDIRECT_DESC and VIRTIO_F_VERSION_1. One request queue.
 */
#ifndef VMM_VIRTIO_BLK_H
#define VMM_VIRTIO_BLK_H

#include <vmm/virtio_mmio.h>

#define VIRTIO_ID_BLOCK 2u

#define VIRTIO_BLK_F_SEG_MAX 2u
#define VIRTIO_BLK_F_RO      5u
#define VIRTIO_BLK_F_FLUSH   9u

#define VIRTIO_BLK_T_IN     0u
#define VIRTIO_BLK_T_OUT    1u
#define VIRTIO_BLK_T_FLUSH  4u
#define VIRTIO_BLK_T_GET_ID 8u

#define VIRTIO_BLK_S_OK     0u
#define VIRTIO_BLK_S_IOERR  1u
#define VIRTIO_BLK_S_UNSUPP 2u

#define VIRTIO_BLK_SECTOR_SIZE 512u
#define VIRTIO_BLK_ID_BYTES    20u
#define VIRTIO_BLK_CONFIG_SIZE 24u /* capacity, size_max, seg_max, geometry, blk_size */

struct virtio_blk {
    struct virtio_mmio mmio; /* first: the VMM maps virtio_mmio_access(&blk->mmio) */
    uint8_t *disk;
    uint64_t sectors;
    bool read_only;
    char id[VIRTIO_BLK_ID_BYTES];
    struct vq_elem elem; /* scratch for the chain being processed */
};

void virtio_blk_init(struct virtio_blk *b, const struct guest_mem *mem, const struct irq_line *irq,
                     uint8_t *disk, uint64_t disk_bytes, bool read_only, const char *id);

#endif
