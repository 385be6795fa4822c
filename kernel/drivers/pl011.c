/*
 * PL011 UART (ARM DDI 0183). The boot firmware (or QEMU) has already set the
 * baud rate; we only make sure the transmitter and receiver are enabled and
 * poll the flag register, since the console must work before interrupts do.
 */
#include "pl011.h"

#define UART_DR   0x00
#define UART_FR   0x18
#define UART_CR   0x30
#define UART_IMSC 0x38
#define UART_ICR  0x44
#define INT_RX    (1u << 4) /* receive (FIFO at its trigger level) */
#define INT_RT    (1u << 6) /* receive timeout (bytes below the trigger level) */
#define FR_RXFE   (1u << 4)
#define FR_TXFF   (1u << 5)
#define CR_UARTEN (1u << 0)
#define CR_TXE    (1u << 8)
#define CR_RXE    (1u << 9)

static inline volatile uint32_t *reg(uintptr_t base, uintptr_t off)
{
    return (volatile uint32_t *)(base + off);
}

void pl011_init(uintptr_t base)
{
    uint32_t cr = *reg(base, UART_CR);
    if ((cr & (CR_UARTEN | CR_TXE | CR_RXE)) != (CR_UARTEN | CR_TXE | CR_RXE)) {
        *reg(base, UART_CR) = cr | CR_UARTEN | CR_TXE | CR_RXE;
    }
    *reg(base, UART_IMSC) = 0; /* polled: no UART interrupts */
}

void pl011_putc(uintptr_t base, char c)
{
    while ((*reg(base, UART_FR) & FR_TXFF) != 0) {
    }
    *reg(base, UART_DR) = (uint32_t)(unsigned char)c;
}

bool pl011_getc(uintptr_t base, char *c)
{
    if ((*reg(base, UART_FR) & FR_RXFE) != 0) {
        return false;
    }
    *c = (char)(*reg(base, UART_DR) & 0xffu);
    return true;
}

void pl011_rx_irq_enable(uintptr_t base)
{
    *reg(base, UART_ICR) = INT_RX | INT_RT;
    *reg(base, UART_IMSC) = INT_RX | INT_RT;
}

void pl011_rx_irq_clear(uintptr_t base)
{
    /* Cleared before the FIFO is drained: a byte that arrives after the
     * drain raises the interrupt again instead of waiting unseen. */
    *reg(base, UART_ICR) = INT_RX | INT_RT;
}
