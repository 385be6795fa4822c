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
