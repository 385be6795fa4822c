/* Console output for EL0 programs, line-buffered so lines arrive whole. */
#ifndef BH_USER_PRINT_H
#define BH_USER_PRINT_H

#include <stddef.h>

int bh_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Writes n bytes to the console in as few kernel calls as possible (up to
 * 256 bytes each, through message registers 32..63 of the IPC buffer, which
 * it overwrites), so a line is never interleaved with another thread's output. */
void bh_console_write(const char *s, size_t n);
void bh_flush(void);

#endif
