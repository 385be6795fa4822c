/*
 * virtio-console device (virtio 1.2, 5.3) with one port and no multiport
 * (no VIRTIO_CONSOLE_F_SIZE, _MULTIPORT or _EMERG_WRITE): queue 0 receiveq,
 * queue 1 transmitq. Output goes through the same whole-line, name-prefixed
 * assembly as the PL011 (vmm/conline.h); input pushed by the VMM waits in a
 * small buffer until the driver makes receive buffers available.
 */
#ifndef VMM_VIRTIO_CONSOLE_H
#define VMM_VIRTIO_CONSOLE_H

#include <vmm/conline.h>
#include <vmm/virtio_mmio.h>

#define VIRTIO_ID_CONSOLE       3u
#define VIRTIO_CONSOLE_RX_BUF   256u
#define VIRTIO_CONSOLE_CFG_SIZE 12u /* cols, rows, max_nr_ports, emerg_wr */

struct virtio_console {
    struct virtio_mmio mmio; /* first: the VMM maps virtio_mmio_access(&con->mmio) */
    struct conline out;
    uint8_t rx[VIRTIO_CONSOLE_RX_BUF];
    size_t rx_head, rx_count;
    struct vq_elem elem;
};

void virtio_console_init(struct virtio_console *c, const char *guest_name, conline_emit_fn emit,
                         void *emit_ctx, const struct guest_mem *mem, const struct irq_line *irq);
/* Input for the guest: returns how many bytes were accepted (buffered or delivered). */
size_t virtio_console_rx_push(struct virtio_console *c, const uint8_t *data, size_t len);

#endif
