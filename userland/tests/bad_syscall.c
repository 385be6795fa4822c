/* QEMU test: a bad argument gets an error code; an unknown system call number
 * stops the thread with a precise report. */
#include <bh/print.h>
#include <bh/sys.h>

#include <bulkhead/bootinfo.h>

int main(const struct bh_bootinfo *bi)
{
    (void)bi;
    uint64_t r = bh_syscall_raw(BH_SYS_DEBUG_WRITE, 4096); /* length too large */
    bh_printf("syscall-test: oversized debug write returned %lu (%s)\n", (unsigned long)r,
              r == BH_E_RANGE ? "range error, as expected" : "WRONG");
    bh_printf("syscall-test: calling unknown system call 999\n");
    (void)bh_syscall_raw(999, 0);
    bh_printf("syscall-test: ERROR still running\n");
    return 1;
}
