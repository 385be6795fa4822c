/*
 * Split virtqueues (virtio 1.2, section 2.7) in guest memory. Every ring and
 * buffer address goes through guest_mem_translate(); every descriptor is
 * copied out of guest memory once before use, so a guest changing it
 * concurrently cannot make the device read outside guest RAM. Chains longer
 * than the queue size (which includes every loop), heads or next indices
 * out of range, writable-before-readable ordering, nested or chained
 * indirect tables and addresses outside guest RAM are protocol violations.
 */
#ifndef VMM_VIRTQUEUE_H
#define VMM_VIRTQUEUE_H

#include <vmm/vmm_common.h>

#define VIRTQ_MAX_SIZE 128u /* QueueNumMax of every device; also the longest legal chain */

#define VIRTQ_DESC_F_NEXT          1u
#define VIRTQ_DESC_F_WRITE         2u
#define VIRTQ_DESC_F_INDIRECT      4u
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u

struct virtq {
    uint16_t num; /* queue size the driver chose; 0 = not configured */
    bool ready;
    uint64_t desc, avail, used; /* guest addresses of the three areas */
    uint16_t last_avail;        /* next available-ring entry the device takes */
    uint16_t used_idx;          /* the device's copy of used->idx */
};

struct vq_buf {
    uint8_t *host;
    uint32_t len;
};

/* One popped descriptor chain: device-readable then device-writable buffers. */
struct vq_elem {
    uint16_t head;
    unsigned n_out, n_in;
    uint64_t out_len, in_len; /* total bytes */
    struct vq_buf out[VIRTQ_MAX_SIZE];
    struct vq_buf in[VIRTQ_MAX_SIZE];
};

enum vq_pop {
    VQ_POP_OK,
    VQ_POP_EMPTY,
    VQ_POP_ERROR, /* protocol violation: the device needs a reset */
};

void virtq_reset(struct virtq *q);
/* True if the configured rings are aligned and lie wholly in guest RAM. */
bool virtq_layout_ok(const struct virtq *q, const struct guest_mem *mem);
enum vq_pop virtq_pop(struct virtq *q, const struct guest_mem *mem, bool indirect_ok,
                      struct vq_elem *e);
/* Returns a chain to the driver with `len` bytes written; false if the used
 * ring is no longer in guest RAM. */
bool virtq_push(struct virtq *q, const struct guest_mem *mem, uint16_t head, uint32_t len);
/* False when the driver suppressed used-buffer notifications. */
bool virtq_should_notify(const struct virtq *q, const struct guest_mem *mem);

/* Copy from the readable buffers as one byte stream; returns bytes copied. */
size_t vq_elem_read(const struct vq_elem *e, uint64_t off, void *dst, size_t len);
/* Copy into the writable buffers as one byte stream; returns bytes copied. */
size_t vq_elem_write(const struct vq_elem *e, uint64_t off, const void *src, size_t len);

#endif
