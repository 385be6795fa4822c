/* QEMU test: an EL0 store to an address nobody mapped. The kernel must report
 * a stage-2 translation fault for this thread and carry on, not crash. */
#include <bh/print.h>

#include <bulkhead/bootinfo.h>

int main(const struct bh_bootinfo *bi)
{
    (void)bi;
    volatile unsigned long *p = (volatile unsigned long *)0xdead0000ul;
    bh_printf("fault-test: storing to unmapped 0xdead0000\n");
    *p = 42;
    bh_printf("fault-test: ERROR still running after the store\n");
    return 1;
}
