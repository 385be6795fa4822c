#include "ktest_util.h"

const struct bh_bootinfo *kt_bi;
int kt_failures;
static uint64_t next_slot;
static uint64_t untyped;
static uint64_t next_va = 0x30000000ull;

void kt_init(const struct bh_bootinfo *bi)
{
    kt_bi = bi;
    next_slot = bi->first_free_slot;
    unsigned best = 0;
    for (unsigned i = 1; i < bi->untyped_count; i++) {
        if (bi->untyped[i].is_device == 0 &&
            bi->untyped[i].size_bits > bi->untyped[best].size_bits) {
            best = i;
        }
    }
    untyped = bi->untyped_first + best;
}

void kt_check(bool ok, const char *what)
{
    if (!ok) {
        kt_failures++;
        bh_printf("ktest: FAIL: %s\n", what);
    }
}

uint64_t kt_slot(void)
{
    return next_slot++;
}

uint64_t kt_alloc(bh_objtype_t type, uint64_t size_bits)
{
    uint64_t s = kt_slot();
    bh_error_t e = bh_retype(untyped, type, size_bits, CNODE, s, 1);
    if (e != BH_OK) {
        kt_failures++;
        bh_printf("ktest: FAIL: retype into type %u: error %u\n", (unsigned)type, (unsigned)e);
    }
    return s;
}

uint64_t kt_map_page(uint64_t va, uint32_t rights)
{
    uint64_t f = kt_alloc(BH_OBJ_FRAME_4K, 0);
    for (unsigned attempt = 0; attempt < 3; attempt++) {
        unsigned level = 0;
        bh_error_t e = bh_as_map_frame(VSPACE, f, va, rights, &level);
        if (e == BH_OK) {
            return f;
        }
        if (e != BH_E_LOOKUP_FAILED) {
            bh_printf("ktest: FAIL: map frame at 0x%lx: error %u\n", (unsigned long)va, e);
            kt_failures++;
            return f;
        }
        uint64_t pt = kt_alloc(BH_OBJ_PAGE_TABLE, 0);
        e = bh_as_map_table(VSPACE, pt, va, level);
        if (e != BH_OK) {
            bh_printf("ktest: FAIL: map level-%u table at 0x%lx: error %u\n", level,
                      (unsigned long)va, e);
            kt_failures++;
            return f;
        }
    }
    return f;
}

static void trampoline(struct kt_thread *t)
{
    t->fn(t->a, t->b);
    bh_exit(0);
}

void kt_spawn(struct kt_thread *t, const char *name, void (*fn)(uint64_t, uint64_t), uint64_t a,
              uint64_t b, uint64_t prio, uint64_t fault_ep, uint64_t partition, bool start)
{
    t->fn = fn;
    t->a = a;
    t->b = b;
    t->tcb = kt_alloc(BH_OBJ_TCB, 0);
    /* Stack of two pages below an unmapped guard page, then the IPC buffer. */
    uint64_t base = next_va;
    next_va += 0x10000;
    kt_map_page(base + 0x1000, BH_RIGHT_READ | BH_RIGHT_WRITE);
    kt_map_page(base + 0x2000, BH_RIGHT_READ | BH_RIGHT_WRITE);
    uint64_t ipc = kt_map_page(base + 0x4000, BH_RIGHT_READ | BH_RIGHT_WRITE);
    kt_check(bh_tcb_configure(t->tcb, fault_ep, CNODE, VSPACE, ipc, base + 0x4000) == BH_OK,
             "configure a thread");
    kt_check(bh_tcb_set_name(t->tcb, name) == BH_OK, "name a thread");
    kt_check(bh_tcb_set_priority(t->tcb, prio) == BH_OK, "set a thread's priority");
    if (partition != 0) {
        kt_check(bh_tcb_set_partition(t->tcb, partition) == BH_OK, "set a thread's partition");
    }
    kt_check(bh_tcb_write_regs(t->tcb, (uint64_t)(uintptr_t)trampoline, base + 0x3000,
                               (uint64_t)(uintptr_t)t) == BH_OK,
             "write a thread's registers");
    if (start) {
        kt_check(bh_tcb_resume(t->tcb) == BH_OK, "resume a thread");
    }
}

uint64_t kt_mint(uint64_t cap, uint32_t rights, uint64_t badge, const char *what)
{
    uint64_t s = kt_slot();
    kt_check(bh_cnode_mint(CNODE, s, cap, rights, badge) == BH_OK, what);
    return s;
}

void kt_echo_server(uint64_t ep, uint64_t cpu)
{
    uint64_t mr[6];
    unsigned n = 0;
    uint64_t label = 0;
    uint64_t badge = 0;
    bh_recv(ep, &label, mr, &n, &badge);
    for (;;) {
        mr[0] = mr[0] + 1;
        mr[1] = badge;
        n = 2;
        if (cpu != 0) {
            mr[2] = bh_debug_cpu();
            n = 3;
        }
        bh_reply_recv(ep, 0, mr, &n, &label, &badge);
    }
}

uint64_t kt_now(void)
{
    return bh_counter();
}

uint64_t kt_us(uint64_t ticks)
{
    return ticks * 1000000u / kt_bi->timer_freq;
}
