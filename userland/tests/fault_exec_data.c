/* QEMU test: jump into the (never-executable) stack. W^X must hold at EL0:
 * the kernel reports an instruction abort (permission fault). */
#include <bh/print.h>

#include <bulkhead/bootinfo.h>

int main(const struct bh_bootinfo *bi)
{
    (void)bi;
    volatile unsigned int code[2] = {0xd503201fu /* nop */, 0xd65f03c0u /* ret */};
    void (*fn)(void) = (void (*)(void))(unsigned long)code;
    bh_printf("fault-test: executing from the stack at 0x%lx\n", (unsigned long)code);
    fn();
    bh_printf("fault-test: ERROR executed data\n");
    return 1;
}
