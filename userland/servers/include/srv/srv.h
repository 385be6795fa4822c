/* Helpers for EL0 server partitions started by the root task (srv/info.h). */
#ifndef BH_SRV_SRV_H
#define BH_SRV_SRV_H

#include <stdint.h>

#include <bulkhead/bootinfo.h>
#include <srv/info.h>

/* The info page the root task passed in x0 (crt0 hands it to main as its
 * argument); a server started any other way stops here with a message. */
const struct bh_srv_info *srv_init(const struct bh_bootinfo *arg);

/* The channel of that name, or NULL. */
const struct bh_srv_channel *srv_channel(const struct bh_srv_info *si, const char *name);

/* Waits on the partition's notification; returns the bits that arrived. */
uint64_t srv_wait(const struct bh_srv_info *si);

/* Signals the peer of a channel (BH_OK, or an error if this end may not). */
int srv_signal(const struct bh_srv_channel *ch);

/* Leaves, telling the monitor (the fault handler) the status. */
void srv_exit(uint64_t status) __attribute__((noreturn));

#endif
