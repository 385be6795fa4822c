/* ARM PrimeCell PL011 UART: polled transmit; receive polled or by interrupt. */
#ifndef DRIVERS_PL011_H
#define DRIVERS_PL011_H

#include <stdbool.h>
#include <stdint.h>

void pl011_init(uintptr_t base);
void pl011_putc(uintptr_t base, char c);
bool pl011_getc(uintptr_t base, char *c);
/* Receive and receive-timeout interrupts on (the console's input). */
void pl011_rx_irq_enable(uintptr_t base);
void pl011_rx_irq_clear(uintptr_t base);

#endif
