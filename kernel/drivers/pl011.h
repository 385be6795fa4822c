/* ARM PrimeCell PL011 UART: polled transmit and receive. */
#ifndef DRIVERS_PL011_H
#define DRIVERS_PL011_H

#include <stdbool.h>
#include <stdint.h>

void pl011_init(uintptr_t base);
void pl011_putc(uintptr_t base, char c);
bool pl011_getc(uintptr_t base, char *c);

#endif
