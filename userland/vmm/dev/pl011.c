/*
 * PL011 UART (PrimeCell UART TRM, DDI 0183, section 3): see vmm/pl011.h.
 */
#include <vmm/pl011.h>

#include <string.h>

#define UARTDR    0x000u
#define UARTRSR   0x004u
#define UARTFR    0x018u
#define UARTILPR  0x020u
#define UARTIBRD  0x024u
#define UARTFBRD  0x028u
#define UARTLCR_H 0x02cu
#define UARTCR    0x030u
#define UARTIFLS  0x034u
#define UARTIMSC  0x038u
#define UARTRIS   0x03cu
#define UARTMIS   0x040u
#define UARTICR   0x044u
#define UARTDMACR 0x048u
#define UARTID    0xfe0u

/* UARTPeriphID0-3 (PL011 r1p5) then UARTPCellID0-3. */
static const uint8_t pl011_id[8] = {0x11, 0x10, 0x34, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

static void pl011_update_irq(struct pl011 *u)
{
    bool level = (u->ris & u->imsc) != 0;

    if (level != u->irq_level) {
        u->irq_level = level;
        irq_line_set(&u->irq, level);
    }
}

static unsigned rx_capacity(const struct pl011 *u)
{
    /* With the FIFOs disabled the receive side is a one-character holding register. */
    return (u->lcr_h & PL011_LCRH_FEN) ? PL011_FIFO_LEN : 1u;
}

/* Receive interrupt trigger level (UARTIFLS.RXIFLSEL: 1/8 .. 7/8 full). */
static unsigned rx_trigger(const struct pl011 *u)
{
    static const unsigned level[8] = {2, 4, 8, 12, 14, 14, 14, 14};

    if (!(u->lcr_h & PL011_LCRH_FEN)) {
        return 1;
    }
    return level[(u->ifls >> 3) & 7u];
}

void pl011_init(struct pl011 *u, const char *guest_name, conline_emit_fn emit, void *emit_ctx,
                const struct irq_line *irq)
{
    memset(u, 0, sizeof(*u));
    conline_init(&u->out, guest_name, emit, emit_ctx);
    if (irq != NULL) {
        u->irq = *irq;
    }
    u->cr = 0x300;  /* TXE | RXE, UARTEN clear (TRM reset value) */
    u->ifls = 0x12; /* both trigger levels at 1/2 */
}

bool pl011_rx_ready(const struct pl011 *u)
{
    /* UARTCR: a disabled UART or receiver takes no characters (TRM 3.3.8). */
    return (u->cr & (PL011_CR_UARTEN | PL011_CR_RXE)) == (PL011_CR_UARTEN | PL011_CR_RXE) &&
           u->rx_count < rx_capacity(u);
}

size_t pl011_rx_push(struct pl011 *u, const uint8_t *data, size_t len)
{
    size_t n = 0;

    if ((u->cr & (PL011_CR_UARTEN | PL011_CR_RXE)) != (PL011_CR_UARTEN | PL011_CR_RXE)) {
        return 0;
    }
    while (n < len && u->rx_count < rx_capacity(u)) {
        u->rx[(u->rx_head + u->rx_count) % PL011_FIFO_LEN] = data[n++];
        u->rx_count++;
    }
    if (n > 0) {
        if (u->rx_count >= rx_trigger(u)) {
            u->ris |= PL011_INT_RX;
        }
        /* The pushed bytes are a burst followed by silence: the receive
         * timeout (FIFO not empty, no new character for 32 bit periods)
         * is modelled as expiring at once. */
        u->ris |= PL011_INT_RT;
        pl011_update_irq(u);
    }
    return n;
}

static uint32_t pl011_read_dr(struct pl011 *u)
{
    uint32_t ch;

    if (u->rx_count == 0) {
        return 0;
    }
    ch = u->rx[u->rx_head];
    u->rx_head = (u->rx_head + 1u) % PL011_FIFO_LEN;
    u->rx_count--;
    if (u->rx_count < rx_trigger(u)) {
        u->ris &= ~PL011_INT_RX;
    }
    if (u->rx_count == 0) {
        u->ris &= ~PL011_INT_RT;
    }
    pl011_update_irq(u);
    return ch;
}

static uint32_t pl011_fr(const struct pl011 *u)
{
    uint32_t fr = PL011_FR_TXFE;

    if (u->rx_count == 0) {
        fr |= PL011_FR_RXFE;
    }
    if (u->rx_count >= rx_capacity(u)) {
        fr |= PL011_FR_RXFF;
    }
    return fr;
}

static bool pl011_read(struct pl011 *u, uint32_t off, uint64_t *value)
{
    switch (off) {
    case UARTDR:
        *value = pl011_read_dr(u);
        return true;
    case UARTRSR:
        *value = 0; /* no framing, parity, break or overrun errors */
        return true;
    case UARTFR:
        *value = pl011_fr(u);
        return true;
    case UARTILPR:
        *value = u->ilpr;
        return true;
    case UARTIBRD:
        *value = u->ibrd;
        return true;
    case UARTFBRD:
        *value = u->fbrd;
        return true;
    case UARTLCR_H:
        *value = u->lcr_h;
        return true;
    case UARTCR:
        *value = u->cr;
        return true;
    case UARTIFLS:
        *value = u->ifls;
        return true;
    case UARTIMSC:
        *value = u->imsc;
        return true;
    case UARTRIS:
        *value = u->ris;
        return true;
    case UARTMIS:
        *value = u->ris & u->imsc;
        return true;
    case UARTICR:
        *value = 0; /* write-only */
        return true;
    case UARTDMACR:
        *value = u->dmacr;
        return true;
    default:
        break;
    }
    if (off >= UARTID && off < UARTID + 0x20u) {
        *value = pl011_id[(off - UARTID) / 4u];
        return true;
    }
    *value = 0; /* reserved and test registers read as zero */
    return true;
}

static void pl011_write(struct pl011 *u, uint32_t off, uint32_t v)
{
    switch (off) {
    case UARTDR:
        conline_putc(&u->out, (uint8_t)v);
        u->ris |= PL011_INT_TX;
        break;
    case UARTRSR:
        break; /* error clear: no errors to clear */
    case UARTILPR:
        u->ilpr = v & 0xffu;
        break;
    case UARTIBRD:
        u->ibrd = v & 0xffffu;
        break;
    case UARTFBRD:
        u->fbrd = v & 0x3fu;
        break;
    case UARTLCR_H:
        u->lcr_h = v & 0xffu;
        /* Changing the FIFO mode leaves at most what the new mode holds. */
        if (u->rx_count > rx_capacity(u)) {
            u->rx_count = rx_capacity(u);
        }
        break;
    case UARTCR:
        u->cr = v & 0xff87u;
        break;
    case UARTIFLS:
        u->ifls = v & 0x3fu;
        break;
    case UARTIMSC:
        u->imsc = v & PL011_INT_MASK;
        break;
    case UARTICR:
        u->ris &= ~(v & PL011_INT_MASK);
        break;
    case UARTDMACR:
        u->dmacr = v & 0x7u;
        break;
    default:
        break; /* read-only, reserved and ID registers ignore writes */
    }
    pl011_update_irq(u);
}

bool pl011_mmio(void *dev, uint64_t offset, unsigned size, bool write, uint64_t *value)
{
    struct pl011 *u = dev;

    /* Registers are at most 16 bits wide and word-spaced; Linux uses 8-, 16- and
     * 32-bit accesses at the register's address. */
    if (offset >= PL011_SIZE || (size != 1 && size != 2 && size != 4) || (offset & 3u) != 0) {
        return false;
    }
    if (write) {
        pl011_write(u, (uint32_t)offset, (uint32_t)*value);
        return true;
    }
    return pl011_read(u, (uint32_t)offset, value);
}

void pl011_flush(struct pl011 *u)
{
    conline_flush(&u->out);
}
