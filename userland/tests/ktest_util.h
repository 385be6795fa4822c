/*
 * Helpers for the on-target kernel tests: a root task that builds its test
 * objects from untyped memory in its own CSpace and address space.
 */
#ifndef KTEST_UTIL_H
#define KTEST_UTIL_H

#include <bh/kobj.h>
#include <bh/print.h>
#include <bh/sys.h>

#include <stdbool.h>

#define CNODE  BH_RT_SLOT_CNODE
#define VSPACE BH_RT_SLOT_VSPACE

extern const struct bh_bootinfo *kt_bi;
extern int kt_failures;

void kt_init(const struct bh_bootinfo *bi);
void kt_check(bool ok, const char *what);
/* Retypes one object from the largest untyped into the next free slot. */
uint64_t kt_alloc(bh_objtype_t type, uint64_t size_bits);
uint64_t kt_slot(void); /* an empty slot */
/* A fresh 4 KiB frame mapped at va (page tables supplied as needed). */
uint64_t kt_map_page(uint64_t va, uint32_t rights);

struct kt_thread {
    uint64_t tcb;
    void (*fn)(uint64_t, uint64_t);
    uint64_t a;
    uint64_t b;
};

/* Creates a thread in the root task's CSpace and address space and starts it. */
void kt_spawn(struct kt_thread *t, const char *name, void (*fn)(uint64_t, uint64_t), uint64_t a,
              uint64_t b, uint64_t prio, uint64_t fault_ep, uint64_t partition, bool start);
/* A new slot holding a copy of cap with rights and badge (checked: what). */
uint64_t kt_mint(uint64_t cap, uint32_t rights, uint64_t badge, const char *what);
/* Thread body: answers every call on endpoint ep with mr[0] + 1 and the
 * caller's badge, and with cpu != 0 also the CPU it runs on (3 words). */
void kt_echo_server(uint64_t ep, uint64_t cpu);
uint64_t kt_now(void);
uint64_t kt_us(uint64_t ticks);

#endif
