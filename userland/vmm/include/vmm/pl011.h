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
 * Receiving follows the TRM: characters are taken only while UARTCR.UARTEN
 * and RXE are set, into the 16-entry FIFO (one holding register with
 * LCR_H.FEN clear); RXRIS rises when the FIFO reaches the IFLS trigger level
 * and clears when reads take it below; the receive timeout is modelled as
 * expiring at once after each push (a burst, then silence), so RTRIS is set
 * while characters wait and clears when the FIFO empties or through UARTICR.
 * A full FIFO takes no more: the VMM keeps the rest (no overrun). Baud rate, line
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

/* Control register bits. */
#define PL011_CR_UARTEN (1u << 0)
#define PL011_CR_TXE    (1u << 8)
#define PL011_CR_RXE    (1u << 9)

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
/* Input for the guest: returns how many bytes the receive FIFO took (none
 * while the UART or its receiver is disabled). */
size_t pl011_rx_push(struct pl011 *u, const uint8_t *data, size_t len);
/* True if a push now would take at least one byte. */
bool pl011_rx_ready(const struct pl011 *u);
/* Emits a pending partial output line. */
void pl011_flush(struct pl011 *u);

#endif
