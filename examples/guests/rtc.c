/*
 * rtc: the guest of examples/passthrough.dts. It owns QEMU virt's PL031
 * real-time clock, passed through: the MMIO page mapped 1:1 into its stage 2
 * as Device memory and INTID 34 routed by the kernel straight into its vCPU.
 * It reads the clock, sets the match register one second ahead and waits for
 * the alarm interrupt, ALARMS times, then powers its VM off.
 */
#include "exlib.h"

const char guest_name[] = "rtc";

#define RTC_BASE  0x09010000ul
#define RTC_INTID 34u
#define RTCDR     0x00u /* data: seconds */
#define RTCMR     0x04u /* match */
#define RTCCR     0x0cu /* control: 1 starts the clock */
#define RTCIMSC   0x10u /* interrupt mask: 1 enables */
#define RTCRIS    0x14u
#define RTCICR    0x1cu /* interrupt clear */
#define RTC_PID0  0xfe0u
#define ALARMS    3u

void guest_main(uint64_t x0, uint64_t x1, uint64_t x2)
{
    (void)x0;
    (void)x1;
    (void)x2;
    uint32_t pid = ex_read32(RTC_BASE + RTC_PID0) & 0xffu;
    guest_puts("PL031 at ");
    guest_puthex(RTC_BASE);
    guest_puts(": part number ");
    guest_puthex(pid);
    guest_puts(", time ");
    guest_putdec(ex_read32(RTC_BASE + RTCDR));
    guest_puts(" s\n");
    guest_gic_init_ppi(GUEST_VTIMER_PPI);
    ex_gic_enable_spi(RTC_INTID, false); /* the PL031 holds its line */
    ex_write32(RTC_BASE + RTCCR, 1);
    for (uint32_t n = 1; n <= ALARMS; n++) {
        uint32_t now = ex_read32(RTC_BASE + RTCDR);
        ex_write32(RTC_BASE + RTCMR, now + 1u);
        ex_write32(RTC_BASE + RTCIMSC, 1);
        uint32_t intid = ex_wait_irq();
        /* A level interrupt: quiet the device, then complete it (the guest's
         * EOI deactivates the physical interrupt: no VMM round trip). */
        ex_write32(RTC_BASE + RTCICR, 1);
        ex_write32(RTC_BASE + RTCIMSC, 0);
        guest_gic_eoi(intid);
        guest_puts("alarm ");
        guest_putdec(n);
        guest_puts(": INTID ");
        guest_putdec(intid);
        guest_puts(" at ");
        guest_putdec(ex_read32(RTC_BASE + RTCDR));
        guest_puts(" s\n");
    }
    guest_finish(guest_name, true);
}
