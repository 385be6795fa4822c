/*
 * On-target kernel tests (issue 3), run as the root task: every object below
 * is retyped from untyped memory at run time.
 */
#include "ktest_util.h"

#include <string.h>

/* ---- 1. threads from untyped memory ---- */

static volatile uint64_t squares[3];

static void worker(uint64_t i, uint64_t done_cap)
{
    squares[i] = (i + 2) * (i + 2);
    bh_signal(done_cap);
}

static void test_threads(void)
{
    uint64_t done = kt_alloc(BH_OBJ_NOTIFICATION, 0);
    static struct kt_thread w[3];
    for (uint64_t i = 0; i < 3; i++) {
        uint64_t badged = kt_mint(done, BH_RIGHTS_ALL, 1ull << i, "mint a badged notification");
        kt_spawn(&w[i], "worker", worker, i, badged, 100, 0, 0, true);
    }
    uint64_t seen = 0;
    for (unsigned n = 0; n < 3 && seen != 7; n++) {
        uint64_t bits = 0;
        kt_check(bh_wait(done, &bits) == BH_OK, "wait on a notification");
        seen |= bits;
    }
    kt_check(seen == 7, "all three workers signalled");
    kt_check(squares[0] == 4 && squares[1] == 9 && squares[2] == 16, "workers' results");
    bh_printf("thread-test: 3 threads created from untyped memory ran and signalled (bits 0x%lx)\n",
              (unsigned long)seen);
}

/* ---- 2. IPC ping-pong with badges ---- */

static void test_ipc(void)
{
    uint64_t ep = kt_alloc(BH_OBJ_ENDPOINT, 0);
    uint64_t b1 = kt_mint(ep, BH_RIGHTS_ALL, 0x11, "mint badge 0x11");
    uint64_t b2 = kt_mint(ep, BH_RIGHTS_ALL, 0x22, "mint badge 0x22");
    static struct kt_thread server;
    kt_spawn(&server, "echo", kt_echo_server, ep, 0, 200, 0, 0, true);
    unsigned ok = 0;
    for (uint64_t i = 0; i < 1000; i++) {
        uint64_t mr[6] = {i, 0, 0, 0, 0, 0};
        unsigned n = 1;
        uint64_t label = 7;
        bh_error_t e = bh_call((i & 1) ? b2 : b1, &label, mr, &n);
        if (e == BH_OK && n == 2 && mr[0] == i + 1 && mr[1] == ((i & 1) ? 0x22u : 0x11u)) {
            ok++;
        }
    }
    kt_check(ok == 1000, "1000 calls answered with the right badge");
    bh_printf("ipc-test: %u/1000 calls answered, badges 0x11/0x22 delivered\n", ok);

    /* Error paths: a receive right is needed to receive; NBSend finds nobody. */
    uint64_t wonly = kt_slot();
    kt_check(bh_cnode_mint(CNODE, wonly, ep, BH_RIGHT_WRITE, 0x33) == BH_OK, "mint write-only");
    uint64_t label = 0;
    bh_error_t e1 = bh_recv(wonly, &label, 0, 0, 0);
    kt_check(e1 == BH_E_INSUFFICIENT_RIGHTS, "receive on a write-only capability refused");
    uint64_t lonely = kt_alloc(BH_OBJ_ENDPOINT, 0);
    struct bh_sysregs r = {{lonely, 0, 0, 0, 0, 0, 0, 0}, BH_SYS_NBSEND};
    bh_syscall(&r);
    kt_check(r.x[0] == BH_E_WOULD_BLOCK, "NBSend with no receiver");
    bh_error_t e3 = bh_send(kt_slot(), 0, 0, 0);
    kt_check(e3 == BH_E_INVALID_CAPABILITY, "send on an empty slot");
    bh_printf("ipc-test: errors: recv without read right %u, NBSend alone %lu, empty slot %u\n", e1,
              (unsigned long)r.x[0], e3);
}

/* ---- 3. capability transfer (grant right) ---- */

static volatile uint64_t xfer_caps[2];

static void cap_receiver(uint64_t ep, uint64_t slots)
{
    struct bh_ipc_buffer *b = bh_ipcbuf();
    for (unsigned round = 0; round < 2; round++) {
        uint64_t slot = round == 0 ? (slots & 0xffff) : (slots >> 16);
        b->recv_cnode = slot;
        b->recv_depth = 0;
        struct bh_sysregs r = {{ep, 0, 0, 0, 0, 0, 0, 0}, BH_SYS_RECV};
        bh_syscall(&r);
        xfer_caps[round] = bh_msginfo_caps(r.x[1]);
        if (xfer_caps[round] == 1) {
            bh_signal(slot); /* use the capability that just arrived */
        }
    }
}

static void send_cap(uint64_t ep, uint64_t cap)
{
    bh_ipcbuf()->caps[0] = cap;
    bh_ipcbuf()->cap_depth = 64;
    struct bh_sysregs r = {{ep, bh_msginfo(5, 1, 0), 0, 0, 0, 0, 0, 0}, BH_SYS_SEND};
    bh_syscall(&r);
    kt_check(r.x[0] == BH_OK, "send with a capability");
}

static void test_cap_transfer(void)
{
    uint64_t ep = kt_alloc(BH_OBJ_ENDPOINT, 0);
    uint64_t nogrant = kt_slot();
    kt_check(bh_cnode_mint(CNODE, nogrant, ep, BH_RIGHT_READ | BH_RIGHT_WRITE, 0) == BH_OK,
             "mint an endpoint capability without grant");
    uint64_t ntfn = kt_alloc(BH_OBJ_NOTIFICATION, 0);
    uint64_t dest1 = kt_slot();
    uint64_t dest2 = kt_slot();
    static struct kt_thread rcv;
    kt_spawn(&rcv, "capxfer", cap_receiver, ep, dest1 | (dest2 << 16), 200, 0, 0, true);
    send_cap(ep, ntfn);
    uint64_t bits = 0;
    kt_check(bh_wait(ntfn, &bits) == BH_OK, "signalled through the transferred capability");
    kt_check(xfer_caps[0] == 1, "one capability arrived with grant");
    send_cap(nogrant, ntfn);
    kt_check(xfer_caps[1] == 0, "no capability arrives without grant");
    /* dest2 must still be empty: copying from it fails. */
    bh_error_t e = bh_cnode_copy(CNODE, kt_slot(), dest2, BH_RIGHTS_ALL);
    kt_check(e == BH_E_INVALID_CAPABILITY, "receive slot stayed empty without grant");
    bh_printf("cap-transfer-test: with grant %lu cap(s) moved and used; without grant %lu, slot "
              "empty (%u)\n",
              (unsigned long)xfer_caps[0], (unsigned long)xfer_caps[1], e);
}

/* ---- 3b. unwrapping; receive slots inside a second CNode ---- */

#define XFER_UNTOUCHED 0xdeadull /* preset in the receiver's caps[]: the kernel left it */

/* One message: the receive slot the receiver names, then what its Recv saw. */
static volatile struct {
    uint64_t recv_cnode, recv_index, recv_depth;
    uint64_t err, info, badge, mr0;
    uint64_t caps[BH_MSG_MAX_CAPS];
} xr;

/* Receives one message per signal on go (receive slot from xr) and signals done. */
static void xfer_receiver(uint64_t ep, uint64_t go_done)
{
    uint64_t go = go_done & 0xffff;
    uint64_t done = go_done >> 16;
    struct bh_ipc_buffer *b = bh_ipcbuf();
    for (;;) {
        bh_wait(go, 0);
        b->recv_cnode = xr.recv_cnode;
        b->recv_index = xr.recv_index;
        b->recv_depth = xr.recv_depth;
        for (unsigned i = 0; i < BH_MSG_MAX_CAPS; i++) {
            b->caps[i] = XFER_UNTOUCHED;
        }
        struct bh_sysregs r = {{ep, 0, 0, 0, 0, 0, 0, 0}, BH_SYS_RECV};
        bh_syscall(&r);
        xr.err = r.x[0];
        xr.info = r.x[1];
        xr.mr0 = r.x[2];
        xr.badge = r.nr;
        for (unsigned i = 0; i < BH_MSG_MAX_CAPS; i++) {
            xr.caps[i] = b->caps[i];
        }
        bh_signal(done);
    }
}

static unsigned xfer_delivered;

struct xfer_ctx {
    uint64_t send_ep; /* the sender's (badged, granting) capability */
    uint64_t go, done;
};

/* Sends label 9, MR0 0x600d and caps[0..n-1] (root CNode addresses) to a
 * receiver whose receive slot is (cnode, index, depth); the receiver has
 * recorded what arrived in xr on return. */
static void xfer_round(const struct xfer_ctx *x, uint64_t cnode, uint64_t index, uint64_t depth,
                       const uint64_t *caps, unsigned n)
{
    xr.recv_cnode = cnode;
    xr.recv_index = index;
    xr.recv_depth = depth;
    xr.err = ~0ull;
    bh_signal(x->go);
    struct bh_ipc_buffer *b = bh_ipcbuf();
    for (unsigned i = 0; i < n; i++) {
        b->caps[i] = caps[i];
    }
    b->cap_depth = 64;
    struct bh_sysregs r = {{x->send_ep, bh_msginfo(9, n, 1), 0x600d, 0, 0, 0, 0, 0}, BH_SYS_SEND};
    bh_syscall(&r);
    kt_check(r.x[0] == BH_OK, "send with capabilities returns BH_OK");
    bh_wait(x->done, 0);
    bool ok = xr.err == BH_OK && bh_msginfo_label(xr.info) == 9 &&
              bh_msginfo_length(xr.info) == 1 && xr.mr0 == 0x600d && xr.badge == 0x5a;
    kt_check(ok, "the message itself arrives (label, MR0, sender's badge)");
    xfer_delivered += ok ? 1u : 0u;
}

/* Copies slot index (at depth) of the CNode at root slot cnode to a new root slot. */
static bh_error_t copy_out(uint64_t cnode, uint64_t index, uint64_t depth, uint64_t *dest)
{
    *dest = kt_slot();
    uint64_t mr[5] = {*dest, 64, index, depth, BH_RIGHTS_ALL};
    return bh_invoke(CNODE, BH_INV_CNODE_COPY, mr, 5, &cnode, 1, 0);
}

/* Signals the notification capability at root slot s; returns the bits seen on ntfn. */
static uint64_t signal_seen(uint64_t s, uint64_t ntfn)
{
    uint64_t bits = 0;
    kt_check(bh_signal(s) == BH_OK, "signal through a received capability");
    bh_poll(ntfn, &bits);
    return bits;
}

/* Unwrap: caps 0 and 2 are the endpoint the message goes through (badges 0x77,
 * 0x99): the receiver gets their badges in caps[0] and caps[2] and bits 0 and 2
 * of the unwrapped mask; cap 1 (a notification) lands in the receive slot and
 * caps[1] stays as the receiver left it. */
static void test_unwrap(const struct xfer_ctx *x, uint64_t ep)
{
    uint64_t n1 = kt_alloc(BH_OBJ_NOTIFICATION, 0);
    uint64_t u[3] = {kt_mint(ep, BH_RIGHTS_ALL, 0x77, "mint badge 0x77"),
                     kt_mint(n1, BH_RIGHTS_ALL, 0x4, "mint a notification badge 0x4"),
                     kt_mint(ep, BH_RIGHT_WRITE, 0x99, "mint badge 0x99")};
    uint64_t dest = kt_slot();
    xfer_round(x, dest, 0, 0, u, 3);
    uint64_t ncaps = bh_msginfo_caps(xr.info);
    uint64_t unw = bh_msginfo_unwrapped(xr.info);
    uint64_t got[3] = {xr.caps[0], xr.caps[1], xr.caps[2]};
    kt_check(ncaps == 3 && unw == 0x5, "three caps moved, caps 0 and 2 unwrapped");
    kt_check(got[0] == 0x77 && got[1] == XFER_UNTOUCHED && got[2] == 0x99,
             "badges of the unwrapped caps in caps[0] and caps[2] only");
    uint64_t bits = signal_seen(dest, n1);
    kt_check(bits == 0x4, "the notification arrived in the receive slot");
    /* The endpoint alone: unwrapped, the receive slot stays empty. */
    uint64_t dest2 = kt_slot();
    xfer_round(x, dest2, 0, 0, u, 1);
    uint64_t ncaps2 = bh_msginfo_caps(xr.info);
    uint64_t unw2 = bh_msginfo_unwrapped(xr.info);
    bh_error_t e = bh_cnode_copy(CNODE, kt_slot(), dest2, BH_RIGHTS_ALL);
    kt_check(ncaps2 == 1 && unw2 == 0x1 && xr.caps[0] == 0x77, "a lone endpoint cap unwrapped");
    kt_check(e == BH_E_INVALID_CAPABILITY, "no capability for an unwrapped one");
    bh_printf("cap-unwrap-test: sent ep 0x77, ntfn, ep 0x99: %lu moved, unwrapped 0x%lx, caps[] "
              "0x%lx 0x%lx 0x%lx, ntfn in receive slot signalled 0x%lx\n",
              (unsigned long)ncaps, (unsigned long)unw, (unsigned long)got[0],
              (unsigned long)got[1], (unsigned long)got[2], (unsigned long)bits);
    /* A capability to another endpoint is transferred, not unwrapped. */
    uint64_t other = kt_alloc(BH_OBJ_ENDPOINT, 0);
    uint64_t oc = kt_mint(other, BH_RIGHTS_ALL, 0x77, "mint another endpoint badge 0x77");
    uint64_t dest3 = kt_slot();
    xfer_round(x, dest3, 0, 0, &oc, 1);
    uint64_t ncaps3 = bh_msginfo_caps(xr.info);
    uint64_t unw3 = bh_msginfo_unwrapped(xr.info);
    uint64_t caps0 = xr.caps[0];
    bh_error_t e3 = bh_cnode_copy(CNODE, kt_slot(), dest3, BH_RIGHTS_ALL);
    kt_check(ncaps3 == 1 && unw3 == 0 && caps0 == XFER_UNTOUCHED && e3 == BH_OK,
             "another endpoint's capability is transferred");
    bh_printf("cap-unwrap-test: ep alone: %lu moved, unwrapped 0x%lx, receive slot empty (%u), "
              "other ep: %lu moved, unwrapped 0x%lx, caps[0] 0x%lx, in receive slot (%u)\n",
              (unsigned long)ncaps2, (unsigned long)unw2, e, (unsigned long)ncaps3,
              (unsigned long)unw3, (unsigned long)caps0, e3);
}

/*
 * A receive slot inside a second CNode (radix 4, no guard: resolving depth 4)
 * held in the receiver's root CNode: recv_cnode names that CNode's root slot,
 * recv_index the slot in it at recv_depth. A receive slot that does not
 * resolve or is occupied drops the capability (and stops the transfer); the
 * message itself is still delivered.
 */
static void test_recv_depth(const struct xfer_ctx *x)
{
    uint64_t cn2 = kt_alloc(BH_OBJ_CNODE, 4);
    uint64_t n2 = kt_alloc(BH_OBJ_NOTIFICATION, 0);
    uint64_t n3 = kt_alloc(BH_OBJ_NOTIFICATION, 0);
    uint64_t c2 = kt_mint(n2, BH_RIGHTS_ALL, 0x8, "mint a notification badge 0x8");
    uint64_t c3 = kt_mint(n3, BH_RIGHTS_ALL, 0x10, "mint a notification badge 0x10");
    uint64_t s = 0;

    xfer_round(x, cn2, 5, 4, &c2, 1);
    uint64_t moved = bh_msginfo_caps(xr.info);
    bh_error_t ce = copy_out(cn2, 5, 4, &s);
    uint64_t bits = ce == BH_OK ? signal_seen(s, n2) : 0;
    kt_check(moved == 1 && ce == BH_OK && bits == 0x8, "capability landed at index 5, depth 4");

    /* Depth 3 is too few bits for the radix-4 level; depth 8 leaves 4 bits
     * after it with no CNode to descend into. */
    xfer_round(x, cn2, 6, 3, &c3, 1);
    uint64_t moved3 = bh_msginfo_caps(xr.info);
    xfer_round(x, cn2, 6, 8, &c3, 1);
    uint64_t moved8 = bh_msginfo_caps(xr.info);
    bh_error_t empty = copy_out(cn2, 6, 4, &s);
    kt_check(moved3 == 0 && moved8 == 0 && empty == BH_E_INVALID_CAPABILITY,
             "a receive slot at a wrong depth drops the capability");

    /* Slot 5 is occupied: c3 is dropped and the transfer stops there, so the
     * endpoint capability after it is not unwrapped either. */
    uint64_t pair[2] = {c3, x->send_ep};
    xfer_round(x, cn2, 5, 4, pair, 2);
    uint64_t moved_occ = bh_msginfo_caps(xr.info);
    uint64_t unw_occ = bh_msginfo_unwrapped(xr.info);
    uint64_t caps1 = xr.caps[1];
    ce = copy_out(cn2, 5, 4, &s);
    uint64_t old_bits = ce == BH_OK ? signal_seen(s, n2) : 0;
    uint64_t new_bits = 0;
    bh_poll(n3, &new_bits);
    kt_check(moved_occ == 0 && unw_occ == 0 && caps1 == XFER_UNTOUCHED,
             "an occupied receive slot stops the transfer");
    kt_check(old_bits == 0x8 && new_bits == 0, "the occupied slot kept its capability");

    /* recv_cnode names a notification, not a CNode. */
    xfer_round(x, n2, 0, 4, &c3, 1);
    uint64_t moved_nc = bh_msginfo_caps(xr.info);
    kt_check(moved_nc == 0, "a receive CNode that is not a CNode drops the capability");
    bh_printf("cap-recv-slot-test: index 5 at depth 4 in a radix-4 CNode: %lu moved, signalled "
              "0x%lx, depth 3: %lu moved, depth 8: %lu moved, slot empty (%u)\n",
              (unsigned long)moved, (unsigned long)bits, (unsigned long)moved3,
              (unsigned long)moved8, empty);
    bh_printf("cap-recv-slot-test: occupied: %lu moved, unwrapped 0x%lx, old cap kept (0x%lx, new "
              "0x%lx), not a CNode: %lu moved\n",
              (unsigned long)moved_occ, (unsigned long)unw_occ, (unsigned long)old_bits,
              (unsigned long)new_bits, (unsigned long)moved_nc);
}

static void test_unwrap_and_recv_slots(void)
{
    uint64_t ep = kt_alloc(BH_OBJ_ENDPOINT, 0);
    struct xfer_ctx x = {kt_mint(ep, BH_RIGHTS_ALL, 0x5a, "mint the sender's endpoint cap"),
                         kt_alloc(BH_OBJ_NOTIFICATION, 0), kt_alloc(BH_OBJ_NOTIFICATION, 0)};
    static struct kt_thread rcv;
    kt_spawn(&rcv, "xfer", xfer_receiver, ep, x.go | (x.done << 16), 200, 0, 0, true);
    xfer_delivered = 0;
    test_unwrap(&x, ep);
    test_recv_depth(&x);
    kt_check(xfer_delivered == 8, "every message delivered");
    bh_printf("cap-xfer-messages: %u/8 delivered with label, MR0 and badge 0x5a\n", xfer_delivered);
}

/* ---- 4. revoke takes access away; the fault handler sees it ---- */

#define VICTIM_VA 0x3f000000ull
static volatile uint64_t victim_read;

static void victim(uint64_t go, uint64_t ack)
{
    bh_wait(go, 0);
    victim_read = *(volatile uint64_t *)VICTIM_VA;
    bh_signal(ack);
    bh_wait(go, 0);
    victim_read = *(volatile uint64_t *)VICTIM_VA; /* faults: the mapping was revoked */
    bh_signal(ack);
}

static void test_revoke(void)
{
    uint64_t frame = kt_alloc(BH_OBJ_FRAME_4K, 0);
    uint64_t copy = kt_slot();
    kt_check(bh_cnode_copy(CNODE, copy, frame, BH_RIGHTS_ALL) == BH_OK, "copy a frame cap");
    unsigned level = 0;
    bh_error_t e = bh_as_map_frame(VSPACE, copy, VICTIM_VA, BH_RIGHT_READ | BH_RIGHT_WRITE, &level);
    if (e == BH_E_LOOKUP_FAILED) {
        uint64_t pt = kt_alloc(BH_OBJ_PAGE_TABLE, 0);
        kt_check(bh_as_map_table(VSPACE, pt, VICTIM_VA, level) == BH_OK, "map a page table");
        e = bh_as_map_frame(VSPACE, copy, VICTIM_VA, BH_RIGHT_READ | BH_RIGHT_WRITE, &level);
    }
    kt_check(e == BH_OK, "map the derived frame capability");
    *(volatile uint64_t *)VICTIM_VA = 0x1234;
    /* An executable mapping is readable too, so it needs READ as well. */
    uint64_t xonly = kt_slot();
    kt_check(bh_cnode_copy(CNODE, xonly, frame, BH_RIGHT_EXECUTE) == BH_OK, "copy execute-only");
    e = bh_as_map_frame(VSPACE, xonly, VICTIM_VA + 0x1000, BH_RIGHT_EXECUTE, &level);
    kt_check(e == BH_E_INSUFFICIENT_RIGHTS, "execute without read refused");
    bh_printf("map-rights-test: execute-only capability mapped executable: %u\n", e);

    uint64_t fault_ep = kt_alloc(BH_OBJ_ENDPOINT, 0);
    uint64_t go = kt_alloc(BH_OBJ_NOTIFICATION, 0);
    uint64_t ack = kt_alloc(BH_OBJ_NOTIFICATION, 0);
    static struct kt_thread v;
    kt_spawn(&v, "victim", victim, go, ack, 200, fault_ep, 0, true);
    bh_signal(go);
    bh_wait(ack, 0);
    kt_check(victim_read == 0x1234, "victim read the shared frame");

    kt_check(bh_cnode_revoke(CNODE, frame) == BH_OK, "revoke the frame");
    e = bh_cnode_copy(CNODE, kt_slot(), copy, BH_RIGHTS_ALL);
    kt_check(e == BH_E_INVALID_CAPABILITY, "the derived capability is gone");
    bh_signal(go);
    uint64_t mr[6] = {0, 0, 0, 0, 0, 0};
    unsigned n = 0;
    uint64_t label = 0;
    uint64_t badge = 0;
    e = bh_recv(fault_ep, &label, mr, &n, &badge);
    kt_check(e == BH_OK && label == BH_FAULT_VM, "a VM fault message arrived");
    kt_check(mr[1] == VICTIM_VA, "the fault names the revoked address");
    bh_printf("revoke-test: after revoke the victim faulted: label %lu, address 0x%lx, pc 0x%lx\n",
              (unsigned long)label, (unsigned long)mr[1], (unsigned long)mr[0]);
    /* Reply "stop" (label 1): the victim stays stopped and never acks again. */
    struct bh_sysregs r = {{0, bh_msginfo(1, 0, 0), 0, 0, 0, 0, 0, 0}, BH_SYS_REPLY};
    bh_syscall(&r);
    kt_check(r.x[0] == BH_OK, "reply to the fault");
    uint64_t bits = 0;
    bh_poll(ack, &bits);
    kt_check(bits == 0, "a stopped thread does not run on");
}

/* ---- 4b. a stale mapping record never unmaps what replaced it ---- */

#define STALE_VA 0x8000000000ull /* a 1 GiB range nothing else maps */
#define RW       (BH_RIGHT_READ | BH_RIGHT_WRITE)

static void test_stale_records(void)
{
    uint64_t l2 = kt_alloc(BH_OBJ_PAGE_TABLE, 0);
    uint64_t l3 = kt_alloc(BH_OBJ_PAGE_TABLE, 0);
    uint64_t frame = kt_alloc(BH_OBJ_FRAME_4K, 0);
    unsigned level = 0;
    kt_check(bh_as_map_table(VSPACE, l2, STALE_VA, 2) == BH_OK, "map a level-2 table");
    kt_check(bh_as_map_table(VSPACE, l3, STALE_VA, 3) == BH_OK, "map a level-3 table");
    kt_check(bh_as_map_frame(VSPACE, frame, STALE_VA, RW, &level) == BH_OK, "map a frame");
    /* Deleting the level-2 table unlinks what hangs below it: the level-3
     * table's and the frame's records stay, and go stale once the same
     * places are filled again. */
    kt_check(bh_cnode_delete(CNODE, l2) == BH_OK, "delete the level-2 table");
    uint64_t l2b = kt_alloc(BH_OBJ_PAGE_TABLE, 0);
    uint64_t l3b = kt_alloc(BH_OBJ_PAGE_TABLE, 0);
    uint64_t frame2 = kt_alloc(BH_OBJ_FRAME_4K, 0);
    kt_check(bh_as_map_table(VSPACE, l2b, STALE_VA, 2) == BH_OK, "map a new level-2 table");
    kt_check(bh_as_map_table(VSPACE, l3b, STALE_VA, 3) == BH_OK, "map a new level-3 table");
    kt_check(bh_as_map_frame(VSPACE, frame2, STALE_VA, RW, &level) == BH_OK, "map a new frame");
    *(volatile uint64_t *)STALE_VA = 0x5a5a;
    /* The stale records name the places the new table and frame fill: they
     * must leave them alone (a stale table record used to panic the kernel). */
    bh_error_t eu = bh_frame_unmap(frame);
    bh_error_t ed = bh_cnode_delete(CNODE, l3);
    kt_check(eu == BH_OK && ed == BH_OK, "unmap and delete through stale records");
    bool kept = *(volatile uint64_t *)STALE_VA == 0x5a5a;
    kt_check(kept, "the new mapping survived");
    /* The current records do unmap: the frame (it maps again), then its
     * table (a map then finds the level-3 table missing). */
    kt_check(bh_frame_unmap(frame2) == BH_OK, "unmap the new frame");
    kt_check(bh_as_map_frame(VSPACE, frame2, STALE_VA, RW, &level) == BH_OK, "map it again");
    kt_check(bh_cnode_delete(CNODE, l3b) == BH_OK, "delete the new level-3 table");
    bh_error_t em = bh_as_map_frame(VSPACE, frame, STALE_VA, RW, &level);
    kt_check(em == BH_E_LOOKUP_FAILED && level == 3, "the level-3 table is gone");
    bh_printf("stale-record-test: stale unmap %u, stale delete %u, new mapping kept: %s; "
              "map after removal: error %u, missing level %u\n",
              eu, ed, kept ? "yes" : "NO", em, level);
}

/* ---- 5. long messages, destroyed endpoints, fault restart ---- */

static volatile uint64_t long_sum, long_len, destroyed_err;
static uint64_t done_ntfn;

static void long_receiver(uint64_t ep, uint64_t unused)
{
    (void)unused;
    struct bh_sysregs r = {{ep, 0, 0, 0, 0, 0, 0, 0}, BH_SYS_RECV};
    bh_syscall(&r);
    long_len = bh_msginfo_length(r.x[1]);
    uint64_t sum = 0;
    for (unsigned i = 0; i < long_len; i++) {
        sum += i < BH_MSG_REGS ? r.x[2 + i] : bh_ipcbuf()->mr[i];
    }
    long_sum = sum;
    /* Reply and wait again in one step; the endpoint is destroyed meanwhile. */
    struct bh_sysregs r2 = {{ep, bh_msginfo(0, 0, 0), 0, 0, 0, 0, 0, 0}, BH_SYS_REPLY_RECV};
    bh_syscall(&r2);
    destroyed_err = r2.x[0];
    bh_signal(done_ntfn);
}

static void restart_target(void)
{
    bh_signal(done_ntfn);
    bh_exit(0);
}

static void faulter(uint64_t a, uint64_t b)
{
    (void)a;
    (void)b;
    __asm__ volatile("udf #0"); /* undefined instruction: a user exception fault */
}

static void test_messages_and_faults(void)
{
    uint64_t ep = kt_alloc(BH_OBJ_ENDPOINT, 0);
    done_ntfn = kt_alloc(BH_OBJ_NOTIFICATION, 0);
    static struct kt_thread rcv;
    kt_spawn(&rcv, "longrcv", long_receiver, ep, 0, 200, 0, 0, true);
    /* 40 message registers: 6 in registers, the rest through the IPC buffer. */
    struct bh_ipc_buffer *b = bh_ipcbuf();
    uint64_t expect = 0;
    for (unsigned i = 0; i < 40; i++) {
        if (i >= BH_MSG_REGS) {
            b->mr[i] = 1000u + i;
        }
        expect += i < BH_MSG_REGS ? 100u + i : 1000u + i;
    }
    struct bh_sysregs r = {{ep, bh_msginfo(9, 0, 40), 100, 101, 102, 103, 104, 105}, BH_SYS_CALL};
    bh_syscall(&r);
    kt_check(r.x[0] == BH_OK, "call with a 40-word message");
    kt_check(long_len == 40 && long_sum == expect, "40 words arrived intact");
    /* The receiver is now blocked receiving; deleting the endpoint wakes it. */
    kt_check(bh_cnode_delete(CNODE, ep) == BH_OK, "delete the only endpoint capability");
    bh_wait(done_ntfn, 0);
    kt_check(destroyed_err == BH_E_DESTROYED, "a receiver on a destroyed endpoint wakes");
    bh_printf("message-test: 40-word message %s; receiver on a destroyed endpoint woke with %lu\n",
              long_sum == expect ? "intact" : "CORRUPTED", (unsigned long)destroyed_err);

    /* A fault handler that answers "restart at another pc". */
    uint64_t fep = kt_alloc(BH_OBJ_ENDPOINT, 0);
    static struct kt_thread f;
    kt_spawn(&f, "faulter", faulter, 0, 0, 200, fep, 0, true);
    uint64_t mr[6] = {0, 0, 0, 0, 0, 0};
    unsigned n = 0;
    uint64_t label = 0;
    bh_error_t e = bh_recv(fep, &label, mr, &n, 0);
    kt_check(e == BH_OK && label == BH_FAULT_USER_EXCEPTION, "undefined instruction reported");
    struct bh_sysregs rep = {
        {0, bh_msginfo(0, 0, 1), (uint64_t)(uintptr_t)restart_target, 0, 0, 0, 0, 0}, BH_SYS_REPLY};
    bh_syscall(&rep);
    kt_check(rep.x[0] == BH_OK, "reply restarting the thread");
    bh_wait(done_ntfn, 0); /* signalled from the new pc */
    bh_printf("fault-restart-test: undefined instruction at pc 0x%lx (ESR 0x%lx) reported; the "
              "handler's reply restarted it at a new pc\n",
              (unsigned long)mr[0], (unsigned long)mr[1]);
}

/* ---- 5b. CONFIGURE refuses an IPC buffer frame the kernel cannot use ---- */

#define IPCBUF_TEST_BASE 0x3e000000ull /* guard page, stack page, IPC buffer */

/* Sends 8 words: mr[6] and mr[7] only through the IPC buffer the kernel reads. */
static void ipcbuf_sender(uint64_t ep)
{
    struct bh_ipc_buffer *b = bh_ipcbuf();
    b->mr[6] = 0x66;
    b->mr[7] = 0x77;
    struct bh_sysregs r = {{ep, bh_msginfo(5, 0, 8), 0, 1, 2, 3, 4, 5}, BH_SYS_SEND};
    bh_syscall(&r);
    bh_exit(r.x[0]);
}

/* A Frame of device memory (never touched here), or 0 if there is none. Not
 * at physical address 0: that buffer would come back from the kernel as NULL
 * ("no buffer") and not show the EL2 data abort an unchecked one causes. */
static uint64_t any_device_frame(void)
{
    for (unsigned i = 0; i < kt_bi->untyped_count; i++) {
        if (kt_bi->untyped[i].is_device == 0 || kt_bi->untyped[i].paddr == 0) {
            continue;
        }
        uint64_t f = kt_slot();
        if (bh_retype(kt_bi->untyped_first + i, BH_OBJ_FRAME_4K, 0, CNODE, f, 1) == BH_OK) {
            return f;
        }
    }
    return 0;
}

static void test_ipcbuf_frame(void)
{
    const uint64_t va = IPCBUF_TEST_BASE + 0x2000;
    uint64_t tcb = kt_alloc(BH_OBJ_TCB, 0);
    uint64_t ep = kt_alloc(BH_OBJ_ENDPOINT, 0);
    kt_map_page(IPCBUF_TEST_BASE + 0x1000, BH_RIGHT_READ | BH_RIGHT_WRITE); /* stack */
    uint64_t frame = kt_map_page(va, BH_RIGHT_READ | BH_RIGHT_WRITE);
    uint64_t ro = kt_slot();
    uint64_t wo = kt_slot();
    uint64_t rw = kt_slot();
    kt_check(bh_cnode_copy(CNODE, ro, frame, BH_RIGHT_READ) == BH_OK, "copy a read-only frame");
    kt_check(bh_cnode_copy(CNODE, wo, frame, BH_RIGHT_WRITE) == BH_OK, "copy a write-only frame");
    kt_check(bh_cnode_copy(CNODE, rw, frame, BH_RIGHT_READ | BH_RIGHT_WRITE) == BH_OK,
             "copy a read-write frame");
    uint64_t dev = any_device_frame();
    kt_check(dev != 0, "a frame retyped from a device untyped");
    /* A device frame is not in the kernel's map: using it would abort at EL2. */
    bh_error_t e_dev = bh_tcb_configure(tcb, 0, CNODE, VSPACE, dev, va);
    kt_check(e_dev == BH_E_INVALID_CAPABILITY, "configure with a device IPC buffer refused");
    /* The kernel writes into the buffer for the thread: WRITE is needed, and READ. */
    bh_error_t e_ro = bh_tcb_configure(tcb, 0, CNODE, VSPACE, ro, va);
    kt_check(e_ro == BH_E_INVALID_CAPABILITY, "configure with a read-only IPC buffer refused");
    bh_error_t e_wo = bh_tcb_configure(tcb, 0, CNODE, VSPACE, wo, va);
    kt_check(e_wo == BH_E_INVALID_CAPABILITY, "configure with a write-only IPC buffer refused");
    /* Nothing was installed: the thread cannot be started yet. */
    bh_error_t e_res = bh_tcb_resume(tcb);
    kt_check(e_res == BH_E_INVALID_ARGUMENT, "a refused configure leaves the TCB unconfigured");
    bh_error_t e_ok = bh_tcb_configure(tcb, 0, CNODE, VSPACE, rw, va);
    kt_check(e_ok == BH_OK, "configure with a read-write RAM IPC buffer");
    kt_check(bh_tcb_set_priority(tcb, 200) == BH_OK, "set the sender's priority");
    kt_check(bh_tcb_write_regs(tcb, (uint64_t)(uintptr_t)ipcbuf_sender, IPCBUF_TEST_BASE + 0x2000,
                               ep) == BH_OK,
             "write the sender's registers");
    kt_check(bh_tcb_resume(tcb) == BH_OK, "resume the sender");
    struct bh_sysregs r = {{ep, 0, 0, 0, 0, 0, 0, 0}, BH_SYS_RECV};
    bh_syscall(&r);
    uint64_t len = bh_msginfo_length(r.x[1]);
    uint64_t w6 = len == 8 ? bh_ipcbuf()->mr[6] : 0;
    uint64_t w7 = len == 8 ? bh_ipcbuf()->mr[7] : 0;
    kt_check(r.x[0] == BH_OK && len == 8 && r.x[7] == 5 && w6 == 0x66 && w7 == 0x77,
             "8 words arrived through the configured IPC buffer");
    bh_printf("ipcbuf-frame-test: configure refused device frame %u, read-only %u, write-only %u, "
              "resume before %u, read-write frame %u: %lu words, mr6 0x%lx mr7 0x%lx\n",
              e_dev, e_ro, e_wo, e_res, e_ok, (unsigned long)len, (unsigned long)w6,
              (unsigned long)w7);
}

/* ---- 6. budgets: a spinning thread cannot delay a periodic one ---- */

#define PERIOD_US   10000u
#define BUDGET_US   2000u
#define ACTIVATIONS 20u

static volatile uint64_t spins;
static volatile bool stop_spinning;
static volatile bool spin_checksum_ok;
static volatile uint64_t misses, max_run_us, max_gap_us, activations;

/* Spins in registers; the closed-form check shows no register was corrupted
 * by the many preemptions it suffers. */
static void spinner(uint64_t done, uint64_t b)
{
    (void)b;
    uint64_t sum = 0;
    uint64_t i = 0;
    while (!stop_spinning) {
        sum += i * 3u;
        i++;
    }
    spins = i;
    spin_checksum_ok = sum == 3u * (i * (i - 1u) / 2u);
    bh_signal(done);
}

static void periodic(uint64_t done, uint64_t unused)
{
    (void)unused;
    uint64_t f = kt_bi->timer_freq;
    uint64_t period = f * PERIOD_US / 1000000u;
    uint64_t off_cpu = f * 500u / 1000000u; /* a gap this long means we were descheduled */
    uint64_t start = kt_now();
    uint64_t last = start;
    while (activations < ACTIVATIONS) {
        uint64_t now = kt_now();
        if (now - last > off_cpu) {
            uint64_t run = last - start;
            uint64_t gap = now - start;
            if (kt_us(run) > max_run_us) {
                max_run_us = kt_us(run);
            }
            if (kt_us(gap) > max_gap_us) {
                max_gap_us = kt_us(gap);
            }
            /* Released every period: a later start than one period (+10%) is a miss. */
            if (gap > period + period / 10) {
                misses++;
            }
            start = now;
            activations++;
        }
        last = now;
    }
    stop_spinning = true;
    bh_signal(done);
}

static volatile uint64_t timeouts;

static void timeout_monitor(uint64_t ep, uint64_t unused)
{
    (void)unused;
    for (;;) {
        uint64_t label = 0;
        uint64_t mr[6];
        unsigned n = 0;
        if (bh_recv(ep, &label, mr, &n, 0) == BH_OK && label == BH_FAULT_TIMEOUT) {
            timeouts++;
        }
    }
}

static void test_budget(void)
{
    uint64_t done = kt_alloc(BH_OBJ_NOTIFICATION, 0);
    uint64_t sc = kt_alloc(BH_OBJ_SCHED_CONTEXT, 0);
    uint64_t tep = kt_alloc(BH_OBJ_ENDPOINT, 0);
    kt_check(bh_sc_configure(sc, BUDGET_US, PERIOD_US, 0x5c) == BH_OK, "configure a budget");
    kt_check(bh_sc_configure(sc, PERIOD_US + 1, PERIOD_US, 0) == BH_E_RANGE,
             "budget above period refused");
    kt_check(bh_sc_configure(sc, BUDGET_US, PERIOD_US, 0x5c) == BH_OK, "reconfigure a budget");
    static struct kt_thread mon, hi, lo;
    kt_spawn(&mon, "tmonitor", timeout_monitor, tep, 0, 250, 0, 0, true);
    uint64_t spin_done = kt_alloc(BH_OBJ_NOTIFICATION, 0);
    kt_spawn(&lo, "spinner", spinner, spin_done, 0, 50, 0, 0, true);
    kt_spawn(&hi, "periodic", periodic, done, 0, 200, 0, 0, false);
    kt_check(bh_tcb_set_sched(hi.tcb, sc, tep) == BH_OK, "bind the budget");
    kt_check(bh_tcb_resume(hi.tcb) == BH_OK, "start the periodic thread");
    bh_wait(done, 0);
    bh_wait(spin_done, 0); /* the spinner reports once it sees the stop flag */
    kt_check(misses == 0, "no deadline misses");
    kt_check(spin_checksum_ok, "the preempted spinner's registers survived");
    kt_check(max_run_us <= BUDGET_US + BUDGET_US / 5, "never ran past its budget");
    kt_check(spins > 0, "the low-priority thread made progress");
    kt_check(timeouts >= ACTIVATIONS - 2, "budget exhaustion reported to the timeout handler");
    bh_printf("budget-test: %lu activations, deadline misses %lu, longest run %lu us (budget %u), "
              "longest release interval %lu us (period %u), timeout reports %lu, spinner %s%s\n",
              (unsigned long)activations, (unsigned long)misses, (unsigned long)max_run_us,
              BUDGET_US, (unsigned long)max_gap_us, PERIOD_US, (unsigned long)timeouts,
              spins > 0 ? "progressed" : "STARVED",
              spin_checksum_ok ? ", checksum ok" : ", checksum CORRUPTED");
}

int main(const struct bh_bootinfo *bi)
{
    kt_init(bi);
    bh_printf("ktest: %lu untyped capabilities, %lu MiB\n", (unsigned long)bi->untyped_count,
              (unsigned long)(bi->free_bytes >> 20));
    test_threads();
    test_ipc();
    test_cap_transfer();
    test_unwrap_and_recv_slots();
    test_revoke();
    test_stale_records();
    test_messages_and_faults();
    test_ipcbuf_frame();
    test_budget();
    bh_printf("ktest: %s (%d failure%s)\n", kt_failures == 0 ? "all passed" : "FAILED", kt_failures,
              kt_failures == 1 ? "" : "s");
    return kt_failures == 0 ? 0 : 1;
}
