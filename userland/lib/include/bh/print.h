/* Console output for EL0 programs, line-buffered so lines arrive whole. */
#ifndef BH_USER_PRINT_H
#define BH_USER_PRINT_H

int bh_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void bh_flush(void);

#endif
