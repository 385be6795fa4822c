/*
 * On-target test of bound notifications (Notification BIND_TCB) and the
 * ConsoleInput object (BH_RT_SLOT_CONSOLE_INPUT). The QEMU test types a line
 * on the serial port after "console-test: waiting for input" appears.
 */
#include "ktest_util.h"

#include <string.h>

#define LABEL_CALL 7u /* the server replies with mr0 + 1 */
#define LABEL_HOLD 9u /* the server waits on the gate before its next receive */

static volatile uint64_t srv_err, srv_label, srv_badge, srv_mr0, srv_count;
static uint64_t gate;

/* Receives on ep forever, records what arrived and signals done each time. */
static void server(uint64_t ep, uint64_t done)
{
    for (;;) {
        uint64_t mr[6] = {0, 0, 0, 0, 0, 0};
        uint64_t label = 0, badge = 0;
        unsigned n = 0;
        bh_error_t e = bh_recv(ep, &label, mr, &n, &badge);
        srv_err = e;
        srv_label = label;
        srv_badge = badge;
        srv_mr0 = mr[0];
        srv_count++;
        if (e == BH_OK && label == LABEL_CALL) {
            struct bh_sysregs r = {{0, bh_msginfo(0, 0, 1), mr[0] + 1, 0, 0, 0, 0, 0},
                                   BH_SYS_REPLY};
            bh_syscall(&r);
        }
        bh_signal(done);
        if (e == BH_OK && label == LABEL_HOLD) {
            bh_wait(gate, 0);
        }
    }
}

static bh_error_t bind(uint64_t ntfn, uint64_t tcb)
{
    return bh_invoke(ntfn, BH_INV_NTFN_BIND_TCB, 0, 0, &tcb, 1, 0);
}

static volatile uint64_t binder_err = 99;
static uint64_t binder_done;

/* Binds ntfn to tcb from a thread below the receiver's priority, so the
 * receiver is already blocked in its Recv when the binding happens. */
static void binder(uint64_t ntfn, uint64_t tcb)
{
    binder_err = bind(ntfn, tcb);
    bh_signal(binder_done);
}

static bh_error_t unbind(uint64_t ntfn)
{
    uint64_t one = 1;
    return bh_invoke(ntfn, BH_INV_NTFN_BIND_TCB, &one, 1, 0, 0, 0);
}

static void test_bound(void)
{
    uint64_t ep = kt_alloc(BH_OBJ_ENDPOINT, 0);
    uint64_t done = kt_alloc(BH_OBJ_NOTIFICATION, 0);
    uint64_t ntfn = kt_alloc(BH_OBJ_NOTIFICATION, 0);
    gate = kt_alloc(BH_OBJ_NOTIFICATION, 0);
    uint64_t sig1 = kt_slot(), sig4 = kt_slot();
    kt_check(bh_cnode_mint(CNODE, sig1, ntfn, BH_RIGHT_WRITE, 0x1) == BH_OK, "mint badge 0x1");
    kt_check(bh_cnode_mint(CNODE, sig4, ntfn, BH_RIGHT_WRITE, 0x4) == BH_OK, "mint badge 0x4");
    static struct kt_thread srv;
    kt_spawn(&srv, "bound-srv", server, ep, done, 100, 0, 0, false);
    kt_check(bind(ntfn, srv.tcb) == BH_OK, "bind the notification to the server");
    kt_check(bh_tcb_resume(srv.tcb) == BH_OK, "start the server");

    /* 1. The server is blocked in Recv on the endpoint: a signal wakes it. */
    bh_signal(sig4);
    bh_wait(done, 0);
    bool woke = srv_err == BH_OK && srv_label == BH_MSG_NOTIFICATION && srv_badge == 0x4;
    kt_check(woke, "a signal ends the bound thread's Recv with the bits");
    uint64_t left = 0xff;
    bh_poll(ntfn, &left);
    kt_check(left == 0, "the delivered bits are cleared");

    /* 2. Signals while it is not receiving wait; its next Recv returns at once. */
    bh_send(ep, LABEL_HOLD, 0, 0);
    bh_wait(done, 0);
    bh_signal(sig1);
    bh_signal(sig4);
    bh_signal(gate);
    bh_wait(done, 0);
    bool pending = srv_label == BH_MSG_NOTIFICATION && srv_badge == 0x5;
    kt_check(pending, "pending bits end the next Recv at once, ORed");

    /* 3. Endpoint IPC is unchanged. */
    uint64_t label = LABEL_CALL, mr[6] = {41, 0, 0, 0, 0, 0};
    unsigned n = 1;
    bh_error_t ce = bh_call(ep, &label, mr, &n);
    bh_wait(done, 0);
    bool ipc_ok = ce == BH_OK && mr[0] == 42 && srv_label == LABEL_CALL && srv_mr0 == 41;
    kt_check(ipc_ok, "a Call to the bound thread is answered");
    uint64_t answered = mr[0];

    /* 4. One binding per notification and per TCB. */
    uint64_t other = kt_alloc(BH_OBJ_NOTIFICATION, 0);
    static struct kt_thread idle;
    kt_spawn(&idle, "bound-idle", server, ep, done, 100, 0, 0, false);
    bh_error_t e_ntfn = bind(ntfn, idle.tcb);
    bh_error_t e_tcb = bind(other, srv.tcb);
    kt_check(e_ntfn == BH_E_IN_USE && e_tcb == BH_E_IN_USE, "a second binding is refused");
    uint64_t ro = kt_slot();
    kt_check(bh_cnode_mint(CNODE, ro, other, BH_RIGHT_WRITE, 0) == BH_OK, "mint write-only");
    bh_error_t e_rights = bind(ro, idle.tcb);
    kt_check(e_rights == BH_E_INSUFFICIENT_RIGHTS, "binding needs the read right");

    /* 5. Unbound: a signal no longer wakes the server's Recv; the bits wait. */
    kt_check(unbind(ntfn) == BH_OK, "unbind");
    uint64_t before = srv_count;
    bh_signal(sig4);
    label = LABEL_CALL;
    mr[0] = 1;
    n = 1;
    ce = bh_call(ep, &label, mr, &n);
    bh_wait(done, 0);
    uint64_t bits = 0;
    bh_poll(ntfn, &bits);
    bool unbound = ce == BH_OK && srv_count == before + 1 && srv_label == LABEL_CALL && bits == 0x4;
    kt_check(unbound, "after unbind the signal stays in the notification");
    kt_check(bind(other, srv.tcb) == BH_OK, "the server can be bound again");

    /* 6. Destruction cleans up: the deleted notification's TCB is free, and a
     * notification whose TCB was deleted can be bound again. */
    kt_check(bh_cnode_delete(CNODE, ro) == BH_OK && bh_cnode_delete(CNODE, other) == BH_OK,
             "delete the bound notification (both capabilities)");
    bh_error_t e_after_ntfn = bind(ntfn, srv.tcb);
    kt_check(e_after_ntfn == BH_OK, "its TCB binds another notification");
    uint64_t third = kt_alloc(BH_OBJ_NOTIFICATION, 0);
    kt_check(bind(third, idle.tcb) == BH_OK, "bind a third notification to an idle thread");
    kt_check(bh_cnode_delete(CNODE, idle.tcb) == BH_OK, "delete that thread");
    static struct kt_thread spare;
    kt_spawn(&spare, "bound-spare", server, ep, done, 100, 0, 0, false);
    bh_error_t e_after_tcb = bind(third, spare.tcb);
    kt_check(e_after_tcb == BH_OK, "its notification binds another thread");

    /* 7. Bits signalled before the binding reach a thread already receiving. */
    uint64_t ep2 = kt_alloc(BH_OBJ_ENDPOINT, 0);
    uint64_t early = kt_alloc(BH_OBJ_NOTIFICATION, 0);
    uint64_t sig8 = kt_slot();
    kt_check(bh_cnode_mint(CNODE, sig8, early, BH_RIGHT_WRITE, 0x8) == BH_OK, "mint badge 0x8");
    bh_signal(sig8);
    binder_done = kt_alloc(BH_OBJ_NOTIFICATION, 0);
    static struct kt_thread late, bnd;
    kt_spawn(&late, "bound-late", server, ep2, done, 100, 0, 0, true);
    kt_spawn(&bnd, "bound-binder", binder, early, late.tcb, 50, 0, 0, true);
    bh_wait(done, 0);        /* the receiver woke ... */
    bh_wait(binder_done, 0); /* ... and the binding returned */
    bool early_ok = binder_err == BH_OK && srv_label == BH_MSG_NOTIFICATION && srv_badge == 0x8;
    kt_check(early_ok, "binding delivers bits signalled before it to a blocked receiver");

    bh_printf("bound-test: bound while receiving: bits 0x%lx\n",
              (unsigned long)(early_ok ? srv_badge : 0));
    bh_printf("bound-test: recv woken with label 0x%lx bits 0x%lx, pending bits 0x%lx, call "
              "answered %lu, second bind %u/%u, unbound bits 0x%lx, rebind after destroy %u/%u\n",
              (unsigned long)BH_MSG_NOTIFICATION, (unsigned long)(woke ? 0x4 : 0),
              (unsigned long)(pending ? 0x5 : 0), (unsigned long)answered, e_ntfn, e_tcb,
              (unsigned long)bits, e_after_ntfn, e_after_tcb);
}

/* Reads every waiting byte (40 per READ) into buf; returns the count. */
static unsigned console_read(char *buf, unsigned cap, bh_error_t *err)
{
    unsigned total = 0;
    for (;;) {
        struct bh_sysregs r;
        *err = bh_invoke(BH_RT_SLOT_CONSOLE_INPUT, BH_INV_CONSOLE_READ, 0, 0, 0, 0, &r);
        if (*err != BH_OK || r.x[2] == 0 || r.x[2] > 40) {
            return total;
        }
        for (unsigned i = 0; i < r.x[2]; i++) {
            char c = (char)(r.x[3 + i / 8] >> (8 * (i % 8)));
            if (total < cap) {
                buf[total++] = c;
            }
        }
    }
}

static void test_console_input(void)
{
    /* Made at boot, never by retype. */
    uint64_t slot = kt_slot();
    bh_error_t e_retype = BH_E_NOT_ENOUGH_MEMORY;
    for (uint64_t u = 0; u < kt_bi->untyped_count; u++) {
        if (kt_bi->untyped[u].is_device == 0) {
            e_retype = bh_retype(kt_bi->untyped_first + u, BH_OBJ_CONSOLE_INPUT, 0, CNODE, slot, 1);
            break;
        }
    }
    kt_check(e_retype != BH_OK, "ConsoleInput cannot be retyped");

    uint64_t ntfn = kt_alloc(BH_OBJ_NOTIFICATION, 0);
    uint64_t badged = kt_slot();
    kt_check(bh_cnode_mint(CNODE, badged, ntfn, BH_RIGHT_WRITE, 0x10) == BH_OK, "mint 0x10");
    bh_error_t e_set =
        bh_invoke(BH_RT_SLOT_CONSOLE_INPUT, BH_INV_CONSOLE_SET_NOTIFICATION, 0, 0, &badged, 1, 0);
    kt_check(e_set == BH_OK, "set the console input's notification");
    char line[128];
    unsigned len = 0;
    bh_error_t e_read = BH_OK;
    len = console_read(line, sizeof(line), &e_read); /* nothing typed yet: drains stray bytes */
    kt_check(e_read == BH_OK, "READ with nothing typed");
    len = 0;
    bh_printf("console-test: waiting for input\n");
    bh_flush();
    uint64_t bits = 0;
    /* Until a whole line arrived (it may come in several interrupts). */
    while (len == 0 || (line[len - 1] != '\n' && line[len - 1] != '\r')) {
        bh_wait(ntfn, &bits);
        kt_check(bits == 0x10, "the console signals with the notification's badge");
        unsigned got = console_read(line + len, sizeof(line) - 1 - len, &e_read);
        kt_check(e_read == BH_OK, "READ");
        len += got;
        if (len >= sizeof(line) - 1) {
            break;
        }
    }
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) {
        len--;
    }
    line[len] = '\0';
    bh_printf("console-test: read '%s' (%u bytes, badge 0x%lx)\n", line, len, (unsigned long)bits);
}

int main(const struct bh_bootinfo *bi)
{
    kt_init(bi);
    test_bound();
    test_console_input();
    bh_printf("ktest-bound: %s (%d failures)\n", kt_failures == 0 ? "all passed" : "FAILED",
              kt_failures);
    return kt_failures == 0 ? 0 : 1;
}
