/* Kernel console: formatted output to the platform UART. */
#ifndef KERNEL_CONSOLE_H
#define KERNEL_CONSOLE_H

#include <stdarg.h>
#include <stddef.h>

void console_init(unsigned long uart_base);
void console_putc(char c);
void kputs(const char *s);
void kwrite(const char *s, size_t n);
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kvprintf(const char *fmt, va_list ap);

/* Stops the machine after printing the reason: a kernel bug, never user error. */
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#endif
