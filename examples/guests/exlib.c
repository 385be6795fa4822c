/* The example guests' helpers (exlib.h). */
#include "exlib.h"

extern const char guest_name[];

#define GICD_IGROUPR   0x0080u
#define GICD_ISENABLER 0x0100u
#define GICD_IPRIORITY 0x0400u
#define GICD_ICFGR     0x0c00u
#define GICD_IROUTER   0x6000u

uint32_t ex_read32(uint64_t addr)
{
    return *(volatile uint32_t *)addr;
}

void ex_write32(uint64_t addr, uint32_t v)
{
    *(volatile uint32_t *)addr = v;
}

/* The walk's state: the child of the root being read. */
struct channel_walk {
    struct ex_channel *c;
    bool is_chan, has_reg, has_irq;
};

static bool channel_visit(void *ctx, const struct guest_fdt_item *it)
{
    struct channel_walk *w = ctx;
    struct ex_channel *c = w->c;
    const uint8_t *p = it->val;
    uint32_t len = it->len;
    if (it->event == GUEST_FDT_NODE) {
        w->is_chan = w->has_reg = w->has_irq = false;
        c->label[0] = '\0';
    } else if (it->event == GUEST_FDT_NODE_END) {
        return w->is_chan && w->has_reg && w->has_irq;
    } else if (guest_fdt_str_is(it->name, it->end, "compatible") && len > 0 && p[len - 1] == '\0') {
        w->is_chan = guest_fdt_str_is(p, p + len, "bulkhead,channel");
    } else if (guest_fdt_str_is(it->name, it->end, "reg") && len == 32) {
        c->shm = guest_fdt_be64(p);
        c->shm_size = guest_fdt_be64(p + 8);
        c->doorbell = guest_fdt_be64(p + 16);
        w->has_reg = true;
    } else if (guest_fdt_str_is(it->name, it->end, "interrupts") && len == 12 &&
               guest_fdt_be32(p) == 0) {
        c->intid = 32u + guest_fdt_be32(p + 4); /* <0 SPI flags>: SPI n is INTID 32 + n */
        w->has_irq = true;
    } else if (guest_fdt_str_is(it->name, it->end, "label") && len > 0 && len <= sizeof(c->label)) {
        for (uint32_t i = 0; i < len; i++) {
            c->label[i] = (char)p[i];
        }
        c->label[len - 1] = '\0';
    }
    return false;
}

bool ex_find_channel(uint64_t dtb, struct ex_channel *c)
{
    struct channel_walk w = {c, false, false, false};
    return guest_fdt_walk(dtb, channel_visit, &w);
}

void ex_open_channel(uint64_t dtb, struct ex_channel *c)
{
    if (!ex_find_channel(dtb, c)) {
        guest_puts("no bulkhead,channel node in the device tree\n");
        guest_finish(guest_name, false);
    }
    guest_puts("channel '");
    guest_puts(c->label);
    guest_puts("': memory ");
    guest_puthex(c->shm);
}

void ex_channel_irq_on(const struct ex_channel *c)
{
    guest_gic_init_ppi(GUEST_VTIMER_PPI);
    ex_gic_enable_spi(c->intid, true); /* the channel device rings as an edge */
}

void ex_ring(const struct ex_channel *c)
{
    __asm__ volatile("dmb ishst" ::: "memory");
    ex_write32(c->doorbell + CHAN_DOORBELL, 1);
}

void ex_gic_enable_spi(uint32_t intid, bool edge)
{
    /* guest_gic_init_ppi turned on the distributor and this CPU's interface. */
    uint64_t word = (intid / 32u) * 4u;
    uint32_t bit = 1u << (intid % 32u);
    ex_write32(GUEST_GICD_BASE + GICD_IGROUPR + word,
               ex_read32(GUEST_GICD_BASE + GICD_IGROUPR + word) | bit);
    uint64_t prio = GUEST_GICD_BASE + GICD_IPRIORITY + (intid / 4u) * 4u;
    unsigned shift = (intid % 4u) * 8u;
    ex_write32(prio, (ex_read32(prio) & ~(0xffu << shift)) | (0x80u << shift));
    /* ICFGR: two bits per interrupt, the upper one set for edge-triggered. */
    uint64_t cfg = GUEST_GICD_BASE + GICD_ICFGR + (intid / 16u) * 4u;
    uint32_t ebit = 2u << ((intid % 16u) * 2u);
    ex_write32(cfg, edge ? (ex_read32(cfg) | ebit) : (ex_read32(cfg) & ~ebit));
    /* IROUTER: affinity 0.0.0.0 (vCPU 0), 64-bit register written as two words. */
    ex_write32(GUEST_GICD_BASE + GICD_IROUTER + intid * 8u, 0);
    ex_write32(GUEST_GICD_BASE + GICD_IROUTER + intid * 8u + 4u, 0);
    ex_write32(GUEST_GICD_BASE + GICD_ISENABLER + word, bit);
}

uint32_t ex_wait_irq(void)
{
    for (;;) {
        uint32_t intid = guest_gic_ack();
        if (intid < 1020u) {
            return intid;
        }
        guest_wfi();
    }
}
