/* QEMU test: EL0 spins for 50 ms of counter time while the kernel's timer
 * interrupts it; the thread must come back intact after every interrupt. */
#include <bh/print.h>
#include <bh/sys.h>

#include <bulkhead/bootinfo.h>

int main(const struct bh_bootinfo *bi)
{
    uint64_t start = bh_counter();
    uint64_t until = start + bi->timer_freq / 20;
    uint64_t sum = 0;
    uint64_t i = 0;
    while (bh_counter() < until) {
        sum += i * 3u;
        i++;
    }
    /* The closed form checks that no register was corrupted across interrupts. */
    uint64_t expect = 3u * (i * (i - 1u) / 2u);
    bh_printf("spin-test: %lu iterations, checksum %s\n", (unsigned long)i,
              sum == expect ? "ok" : "CORRUPTED");
    return sum == expect ? 0 : 1;
}
