/* Example server that faults on purpose: the monitor must report it and the
 * other partitions must keep running. */
#include <bh/print.h>
#include <srv/srv.h>

#define BAD_ADDRESS 0xdead0000ull

int main(const struct bh_bootinfo *arg)
{
    const struct bh_srv_info *si = srv_init(arg);
    bh_printf("[%s] writing to unmapped address 0x%lx on purpose\n", si->name,
              (unsigned long)BAD_ADDRESS);
    bh_flush();
    *(volatile uint64_t *)(uintptr_t)BAD_ADDRESS = 1;
    bh_printf("[%s] ERROR: the write did not fault\n", si->name);
    srv_exit(1);
}
