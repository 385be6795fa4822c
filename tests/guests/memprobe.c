/*
 * memprobe: reads and writes one word in every page of an IPA range and counts
 * the accesses that fault. The range is, first found: x1 (base) and x2 (size)
 * at entry when the VMM passes them (both 0 in the Linux boot protocol);
 * "memprobe=BASE,SIZE" in the device tree's /chosen/bootargs (the spec's
 * bootargs); the built-in one. For the isolation tests every access must
 * fault: a read that succeeds is written back unchanged, so a probe that gets
 * through changes nothing it did not already expose. Passes when every access
 * faulted.
 */
#include "guest.h"

const char guest_name[] = "memprobe";

#define PAGE 4096u
/* Default: a hole in QEMU virt's map, where every access must fault. */
#define DEFAULT_BASE 0x0b000000ul
#define DEFAULT_SIZE (64u * PAGE)
#define MAX_PAGES    (1u << 20)

void guest_main(uint64_t x0, uint64_t x1, uint64_t x2)
{
    uint64_t base = DEFAULT_BASE;
    uint64_t size = DEFAULT_SIZE;
    const char *from = "built-in range";
    uint64_t b = 0;
    uint64_t s = 0;
    if (x2 != 0) {
        base = x1;
        size = x2;
        from = "range from x1/x2";
    } else if (guest_arg_pair(guest_fdt_bootargs(x0), "memprobe", &b, &s) && s != 0) {
        base = b;
        size = s;
        from = "range from bootargs";
    }
    base &= ~(uint64_t)(PAGE - 1);
    uint64_t pages = (size + PAGE - 1) / PAGE;
    if (pages > MAX_PAGES) {
        pages = MAX_PAGES;
    }
    guest_puts("memprobe: probing ");
    guest_putdec(pages);
    guest_puts(" pages from ");
    guest_puthex(base);
    guest_puts(" (");
    guest_puts(from);
    guest_puts(")\n");

    uint64_t rfaults = 0;
    uint64_t wfaults = 0;
    uint64_t first_open = 0;
    bool any_open = false;
    for (uint64_t i = 0; i < pages; i++) {
        uint64_t a = base + i * PAGE;
        uint64_t esr = 0;
        uint64_t far = 0;
        uint32_t v = 0;
        bool rf = guest_probe_read32(a, &v, &esr, &far);
        if (rf) {
            rfaults++;
            if (rfaults == 1) {
                guest_puts("memprobe: first read fault: ");
                guest_put_abort(esr, far);
            }
        }
        bool wf = guest_probe_write32(a, rf ? 0u : v, &esr, &far);
        if (wf) {
            wfaults++;
            if (wfaults == 1) {
                guest_puts("memprobe: first write fault: ");
                guest_put_abort(esr, far);
            }
        }
        if ((!rf || !wf) && !any_open) {
            any_open = true;
            first_open = a;
        }
    }
    guest_puts("memprobe: ");
    guest_putdec(rfaults);
    guest_puts("/");
    guest_putdec(pages);
    guest_puts(" reads and ");
    guest_putdec(wfaults);
    guest_puts("/");
    guest_putdec(pages);
    guest_puts(" writes faulted\n");
    if (any_open) {
        guest_puts("memprobe: ACCESSIBLE page at ");
        guest_puthex(first_open);
        guest_puts("\n");
    }
    guest_finish(guest_name, !any_open && pages != 0);
}
