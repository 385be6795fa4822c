#include <arch/timer.h>

#include <arch/sysreg.h>

#define CTL_ENABLE (1u << 0)
#define CTL_IMASK  (1u << 1)

static uint64_t freq;

void timer_init(void)
{
    freq = READ_SYSREG(cntfrq_el0);
    WRITE_SYSREG(cnthp_ctl_el2, CTL_IMASK);
    /* Lower ELs may read the physical counter; the virtual counter has no offset
     * until a vCPU sets one. EL0 threads may read CNTVCT_EL0. */
    WRITE_SYSREG(cnthctl_el2, CNTHCTL_EL1PCTEN | CNTHCTL_EL1PCEN);
    WRITE_SYSREG(cntvoff_el2, 0);
    WRITE_SYSREG(cntkctl_el1, CNTKCTL_EL0VCTEN);
    ISB();
}

uint64_t timer_freq(void)
{
    return freq;
}

uint64_t timer_now(void)
{
    ISB();
    return READ_SYSREG(cntpct_el0);
}

void timer_set_deadline(uint64_t cval)
{
    WRITE_SYSREG(cnthp_cval_el2, cval);
    WRITE_SYSREG(cnthp_ctl_el2, CTL_ENABLE);
    ISB();
}

void timer_cancel(void)
{
    WRITE_SYSREG(cnthp_ctl_el2, CTL_IMASK);
    ISB();
}

uint64_t timer_us_to_ticks(uint64_t us)
{
    return us * freq / 1000000u;
}

uint64_t timer_ticks_to_us(uint64_t ticks)
{
    return freq == 0 ? 0 : ticks * 1000000u / freq;
}
