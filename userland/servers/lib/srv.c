#include <bh/kobj.h>
#include <bh/print.h>
#include <bh/sys.h>
#include <srv/srv.h>
#include <string.h>

const struct bh_srv_info *srv_init(const struct bh_bootinfo *arg)
{
    const struct bh_srv_info *si = (const void *)arg;
    if ((uintptr_t)arg != BH_SRV_INFO_VA || si->magic != BH_SRV_INFO_MAGIC ||
        si->version != BH_SRV_INFO_VERSION) {
        bh_printf("server: not started by the root task (no server info at 0x%lx)\n",
                  (unsigned long)BH_SRV_INFO_VA);
        srv_exit(1);
    }
    return si;
}

const struct bh_srv_channel *srv_channel(const struct bh_srv_info *si, const char *name)
{
    for (uint32_t i = 0; i < si->nchannels && i < BH_SRV_MAX_CHANNELS; i++) {
        if (strncmp(si->channels[i].name, name, BH_SRV_NAME_LEN) == 0) {
            return &si->channels[i];
        }
    }
    return NULL;
}

uint64_t srv_wait(const struct bh_srv_info *si)
{
    uint64_t bits = 0;
    if (bh_wait(si->ntfn_slot, &bits) != BH_OK) {
        return 0;
    }
    return bits;
}

int srv_signal(const struct bh_srv_channel *ch)
{
    if (ch->signal_slot == 0) {
        return BH_E_INSUFFICIENT_RIGHTS;
    }
    return bh_signal(ch->signal_slot);
}

void srv_exit(uint64_t status)
{
    bh_flush();
    /* The monitor recognises this BRK and reads the status from x0. */
    register uint64_t x0 __asm__("x0") = status;
    __asm__ volatile("brk %1" ::"r"(x0), "i"(BH_SRV_EXIT_BRK) : "memory");
    bh_exit(status); /* only if the monitor lets us run on */
}
