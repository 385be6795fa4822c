/*
 * ConsoleInput (portable): bytes typed on the system console, buffered for
 * whoever holds the capability (BH_RT_SLOT_CONSOLE_INPUT at boot). The
 * console driver's receive interrupt pushes bytes; READ takes them.
 */
#ifndef KERNEL_CONSOLE_INPUT_H
#define KERNEL_CONSOLE_INPUT_H

#include <kernel/objects.h>

/* Bytes kept while nobody reads; older bytes are dropped (and counted) first. */
#define CONSOLE_INPUT_RING 1024u
/* Bytes one READ returns: mr1..mr5, 8 per word. */
#define CONSOLE_INPUT_READ_MAX 40u

/* The object behind the capability the kernel makes at boot. */
paddr_t console_input_object(void);
/* From the console's receive interrupt: keeps the bytes, signals the notification. */
void console_input_push(const uint8_t *bytes, unsigned n);
/* Takes up to max bytes (oldest first) into out; returns how many. */
unsigned console_input_take(uint8_t *out, unsigned max);
/* Bytes dropped because the buffer was full, since boot. */
uint64_t console_input_dropped(void);
/* The notification set with SET_NOTIFICATION is being destroyed. */
void console_input_notification_destroyed(const struct notification *n);

/* The console's receive interrupt (from kernel_irq): drains the UART and
 * deactivates the line. False if intid is not the console's. */
bool console_input_irq(uint32_t intid);
/* Which interrupt is the console's (console_rx_start calls it). */
void console_input_set_irq(uint32_t intid);

/* Provided by the console driver (kernel/src/console.c): receive interrupts
 * on (called once at boot with the UART's INTID from the device tree). */
void console_rx_start(unsigned intid);
/* Drains the UART's receive FIFO into console_input_push. */
void console_rx_irq(void);

#endif
