/* Generic timer: the EL2 physical timer drives the kernel's scheduling deadline. */
#ifndef ARCH_TIMER_H
#define ARCH_TIMER_H

#include <stdint.h>

void timer_init(void);
uint64_t timer_freq(void);
uint64_t timer_now(void);
void timer_set_deadline(uint64_t cval);
void timer_cancel(void);
uint64_t timer_us_to_ticks(uint64_t us);
uint64_t timer_ticks_to_us(uint64_t ticks);

#endif
