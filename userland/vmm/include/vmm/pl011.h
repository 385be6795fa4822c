/*
 * PL011 UART emulation (Arm PrimeCell UART, DDI 0183). Guest output is
 * assembled into whole lines prefixed with the guest's name (vmm/conline.h);
 * input pushed by the VMM (when the console routes input to this guest)
 * goes through a 16-entry receive FIFO with the receive, receive-timeout
 * and transmit interrupts as the TRM describes them, through
 * IMSC/RIS/MIS/ICR to one interrupt line.
 *
 * Transmission is instantaneous: the transmit FIFO is always empty (TXFE=1,
 * BUSY=0, TXFF=0) and each write to UARTDR passes the FIFO through the
 * transmit trigger level, so TXRIS is set on every write (cleared by ICR).
 * The receive timeout is modelled as immediate: RTRIS is set whenever
 * characters arrive and stay below the trigger level. Baud rate, line
 * control and DMA registers are stored and read back but have no effect;
 * output is not gated on UARTEN/TXE (early consoles write before enabling).
 */
#ifndef VMM_PL011_H
#define VMM_PL011_H

#include <vmm/conline.h>

#define PL011_SIZE     0x1000u
#define PL011_FIFO_LEN 16u

/* Interrupt bits of IMSC, RIS, MIS and ICR. */
#define PL011_INT_RX   (1u << 4)
#define PL011_INT_TX   (1u << 5)
#define PL011_INT_RT   (1u << 6)
#define PL011_INT_MASK 0x7ffu

/* Flag register bits. */
#define PL011_FR_BUSY (1u << 3)
#define PL011_FR_RXFE (1u << 4)
#define PL011_FR_TXFF (1u << 5)
#define PL011_FR_RXFF (1u << 6)
#define PL011_FR_TXFE (1u << 7)

#define PL011_LCRH_FEN (1u << 4)

struct pl011 {
    struct conline out;
    struct irq_line irq;
    uint8_t rx[PL011_FIFO_LEN];
    unsigned rx_head;
    unsigned rx_count;
    uint32_t ris;
    uint32_t imsc;
    uint32_t ilpr, ibrd, fbrd, lcr_h, cr, ifls, dmacr;
    bool irq_level;
};

void pl011_init(struct pl011 *u, const char *guest_name, conline_emit_fn emit, void *emit_ctx,
                const struct irq_line *irq);
bool pl011_mmio(void *u, uint64_t offset, unsigned size, bool write, uint64_t *value);
/* Input for the guest: returns how many bytes fitted in the receive FIFO. */
size_t pl011_rx_push(struct pl011 *u, const uint8_t *data, size_t len);
/* Emits a pending partial output line. */
void pl011_flush(struct pl011 *u);

#endif
