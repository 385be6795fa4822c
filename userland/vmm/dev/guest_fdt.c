/*
 * Guest device tree generator: see vmm/guest_fdt.h. Bindings followed:
 * Linux Documentation/devicetree/bindings (arm/cpus, arm/psci,
 * interrupt-controller/arm,gic-v3, timer/arm,arch_timer, serial/pl011,
 * virtio/mmio) and Documentation/arch/arm64/booting.rst for /chosen; the
 * channel binding is Bulkhead's own (userland/vmm/README.md).
 */
#include <vmm/channel.h>
#include <vmm/guest_fdt.h>
#include <vmm/vgic.h>

#include <libfdt.h>

#define UART_CLOCK_HZ 24000000u
#define PPI_SEC_PHYS  13u /* DT PPI numbers: INTID - 16 */
#define PPI_PHYS      14u
#define PPI_VIRT      11u
#define PPI_HYP       10u
#define NAME_MAX_LEN  64u

/* "name@hex" into out (hex without leading zeros, as DT unit addresses are). */
static void unit_name(char *out, const char *name, uint64_t addr)
{
    size_t n = 0;
    char digits[16];
    unsigned nd = 0;

    while (name[n] != '\0' && n < NAME_MAX_LEN - 20u) {
        out[n] = name[n];
        n++;
    }
    out[n++] = '@';
    do {
        digits[nd++] = "0123456789abcdef"[addr & 0xfu];
        addr >>= 4;
    } while (addr != 0);
    while (nd > 0) {
        out[n++] = digits[--nd];
    }
    out[n] = '\0';
}

static int prop_reg(void *fdt, uint64_t base, uint64_t size)
{
    fdt64_t reg[2] = {cpu_to_fdt64(base), cpu_to_fdt64(size)};

    return fdt_property(fdt, "reg", reg, sizeof(reg));
}

/* interrupts = <type number flags> for one SPI given by INTID. */
static int prop_spi(void *fdt, uint32_t intid, uint32_t flags)
{
    fdt32_t cells[3] = {cpu_to_fdt32(0), cpu_to_fdt32(intid - VGIC_SPI_BASE), cpu_to_fdt32(flags)};

    return fdt_property(fdt, "interrupts", cells, sizeof(cells));
}

static bool is_spi(uint32_t intid)
{
    return intid >= VGIC_SPI_BASE && intid < 1020u;
}

static bool config_ok(const struct guest_fdt_config *c)
{
    if (c->nr_vcpus == 0 || c->nr_vcpus > VMM_MAX_VCPUS || c->ram_size == 0 ||
        c->nr_virtio > GUEST_FDT_MAX_VIRTIO || c->nr_passthrough > GUEST_FDT_MAX_PASSTHROUGH ||
        (c->nr_virtio > 0 && c->virtio == NULL) ||
        (c->nr_passthrough > 0 && c->passthrough == NULL) ||
        c->nr_channels > GUEST_FDT_MAX_CHANNELS || (c->nr_channels > 0 && c->channels == NULL) ||
        (c->uart_base != 0 && !is_spi(c->uart_intid))) {
        return false;
    }
    for (unsigned i = 0; i < c->nr_channels; i++) {
        const struct guest_fdt_channel *ch = &c->channels[i];
        if (ch->name == NULL || ch->shm_size == 0 || !is_spi(ch->intid)) {
            return false;
        }
    }
    if (c->initrd_start != 0 || c->initrd_end != 0) {
        if (c->initrd_end <= c->initrd_start || c->initrd_start < c->ram_base ||
            c->initrd_end - c->ram_base > c->ram_size) {
            return false;
        }
    }
    for (unsigned i = 0; i < c->nr_virtio; i++) {
        if (!is_spi(c->virtio[i].intid)) {
            return false;
        }
    }
    for (unsigned i = 0; i < c->nr_passthrough; i++) {
        const struct guest_fdt_passthrough *p = &c->passthrough[i];
        if (p->name == NULL || p->compatible == NULL || p->nr_irqs > GUEST_FDT_MAX_IRQS) {
            return false;
        }
        for (unsigned j = 0; j < p->nr_irqs; j++) {
            if (!is_spi(p->irqs[j].intid)) {
                return false;
            }
        }
    }
    return true;
}

/* Each step returns a libfdt error; TRY keeps the sequence readable. */
#define TRY(expr)                                                                                  \
    do {                                                                                           \
        int err_ = (expr);                                                                         \
        if (err_ < 0) {                                                                            \
            return err_;                                                                           \
        }                                                                                          \
    } while (0)

static int add_chosen(void *fdt, const struct guest_fdt_config *c, const char *uart_path)
{
    TRY(fdt_begin_node(fdt, "chosen"));
    if (c->bootargs != NULL) {
        TRY(fdt_property_string(fdt, "bootargs", c->bootargs));
    }
    if (uart_path != NULL) {
        TRY(fdt_property_string(fdt, "stdout-path", uart_path));
    }
    if (c->initrd_end != 0) {
        TRY(fdt_property_u64(fdt, "linux,initrd-start", c->initrd_start));
        TRY(fdt_property_u64(fdt, "linux,initrd-end", c->initrd_end));
    }
    return fdt_end_node(fdt);
}

static int add_cpus(void *fdt, const struct guest_fdt_config *c)
{
    char name[NAME_MAX_LEN];

    TRY(fdt_begin_node(fdt, "cpus"));
    /* Aff3 is zero (vmm_vcpu_mpidr), so one cell holds the MPIDR affinity. */
    TRY(fdt_property_u32(fdt, "#address-cells", 1));
    TRY(fdt_property_u32(fdt, "#size-cells", 0));
    for (unsigned i = 0; i < c->nr_vcpus; i++) {
        uint64_t mpidr = vmm_vcpu_mpidr(i);
        unit_name(name, "cpu", mpidr);
        TRY(fdt_begin_node(fdt, name));
        TRY(fdt_property_string(fdt, "device_type", "cpu"));
        TRY(fdt_property_string(fdt, "compatible", "arm,armv8"));
        TRY(fdt_property_u32(fdt, "reg", (uint32_t)mpidr));
        TRY(fdt_property_string(fdt, "enable-method", "psci"));
        TRY(fdt_end_node(fdt));
    }
    return fdt_end_node(fdt);
}

static int add_gic_timer(void *fdt, const struct guest_fdt_config *c)
{
    static const uint32_t ppis[4] = {PPI_SEC_PHYS, PPI_PHYS, PPI_VIRT, PPI_HYP};
    char name[NAME_MAX_LEN];
    fdt64_t reg[4] = {cpu_to_fdt64(c->gicd_base), cpu_to_fdt64(VGIC_DIST_SIZE),
                      cpu_to_fdt64(c->gicr_base),
                      cpu_to_fdt64((uint64_t)c->nr_vcpus * VGIC_REDIST_SIZE)};
    fdt32_t timer[12];

    unit_name(name, "interrupt-controller", c->gicd_base);
    TRY(fdt_begin_node(fdt, name));
    TRY(fdt_property_string(fdt, "compatible", "arm,gic-v3"));
    TRY(fdt_property_u32(fdt, "#interrupt-cells", 3));
    TRY(fdt_property(fdt, "interrupt-controller", NULL, 0));
    TRY(fdt_property(fdt, "reg", reg, sizeof(reg)));
    TRY(fdt_property_u32(fdt, "#redistributor-regions", 1));
    /* No ITS children, but interrupt providers carry #address-cells. */
    TRY(fdt_property_u32(fdt, "#address-cells", 2));
    TRY(fdt_property_u32(fdt, "#size-cells", 2));
    TRY(fdt_property(fdt, "ranges", NULL, 0));
    TRY(fdt_property_u32(fdt, "phandle", GUEST_FDT_PHANDLE_GIC));
    TRY(fdt_end_node(fdt));

    for (unsigned i = 0; i < 4; i++) {
        timer[3 * i] = cpu_to_fdt32(1); /* PPI */
        timer[3 * i + 1] = cpu_to_fdt32(ppis[i]);
        timer[3 * i + 2] = cpu_to_fdt32(GUEST_FDT_IRQ_LEVEL_HIGH);
    }
    TRY(fdt_begin_node(fdt, "timer"));
    TRY(fdt_property_string(fdt, "compatible", "arm,armv8-timer"));
    TRY(fdt_property(fdt, "interrupts", timer, sizeof(timer)));
    return fdt_end_node(fdt);
}

static int add_uart(void *fdt, const struct guest_fdt_config *c, const char *uart_name)
{
    static const char compat[] = "arm,pl011\0arm,primecell";
    static const char clock_names[] = "uartclk\0apb_pclk";
    fdt32_t clocks[2] = {cpu_to_fdt32(GUEST_FDT_PHANDLE_CLK), cpu_to_fdt32(GUEST_FDT_PHANDLE_CLK)};

    TRY(fdt_begin_node(fdt, "apb-pclk"));
    TRY(fdt_property_string(fdt, "compatible", "fixed-clock"));
    TRY(fdt_property_u32(fdt, "#clock-cells", 0));
    TRY(fdt_property_u32(fdt, "clock-frequency", UART_CLOCK_HZ));
    TRY(fdt_property_string(fdt, "clock-output-names", "clk24mhz"));
    TRY(fdt_property_u32(fdt, "phandle", GUEST_FDT_PHANDLE_CLK));
    TRY(fdt_end_node(fdt));

    TRY(fdt_begin_node(fdt, uart_name));
    TRY(fdt_property(fdt, "compatible", compat, sizeof(compat)));
    TRY(prop_reg(fdt, c->uart_base, 0x1000));
    TRY(prop_spi(fdt, c->uart_intid, GUEST_FDT_IRQ_LEVEL_HIGH));
    TRY(fdt_property(fdt, "clocks", clocks, sizeof(clocks)));
    TRY(fdt_property(fdt, "clock-names", clock_names, sizeof(clock_names)));
    return fdt_end_node(fdt);
}

static int add_devices(void *fdt, const struct guest_fdt_config *c)
{
    char name[NAME_MAX_LEN];

    for (unsigned i = 0; i < c->nr_virtio; i++) {
        const struct guest_fdt_virtio *v = &c->virtio[i];
        unit_name(name, "virtio", v->base);
        TRY(fdt_begin_node(fdt, name));
        TRY(fdt_property_string(fdt, "compatible", "virtio,mmio"));
        TRY(prop_reg(fdt, v->base, v->size));
        TRY(prop_spi(fdt, v->intid, GUEST_FDT_IRQ_EDGE_RISING));
        TRY(fdt_property(fdt, "dma-coherent", NULL, 0));
        TRY(fdt_end_node(fdt));
    }
    for (unsigned i = 0; i < c->nr_passthrough; i++) {
        const struct guest_fdt_passthrough *p = &c->passthrough[i];
        fdt32_t cells[3 * GUEST_FDT_MAX_IRQS];
        if (p->size != 0) {
            unit_name(name, p->name, p->base);
        } else {
            /* Interrupts only: a node without reg has no unit address. */
            size_t n = 0;
            while (p->name[n] != '\0' && n < NAME_MAX_LEN - 1u) {
                name[n] = p->name[n];
                n++;
            }
            name[n] = '\0';
        }
        TRY(fdt_begin_node(fdt, name));
        TRY(fdt_property_string(fdt, "compatible", p->compatible));
        if (p->size != 0) {
            TRY(prop_reg(fdt, p->base, p->size));
        }
        if (p->nr_irqs > 0) {
            for (unsigned j = 0; j < p->nr_irqs; j++) {
                cells[3 * j] = cpu_to_fdt32(0);
                cells[3 * j + 1] = cpu_to_fdt32(p->irqs[j].intid - VGIC_SPI_BASE);
                cells[3 * j + 2] = cpu_to_fdt32(p->irqs[j].type);
            }
            TRY(fdt_property(fdt, "interrupts", cells, 3u * sizeof(fdt32_t) * p->nr_irqs));
        }
        TRY(fdt_end_node(fdt));
    }
    for (unsigned i = 0; i < c->nr_channels; i++) {
        const struct guest_fdt_channel *ch = &c->channels[i];
        static const char reg_names[] = "shm\0doorbell";
        fdt64_t reg[4] = {cpu_to_fdt64(ch->shm_base), cpu_to_fdt64(ch->shm_size),
                          cpu_to_fdt64(ch->doorbell_base), cpu_to_fdt64(CHANNEL_PAGE_SIZE)};
        unit_name(name, "channel", ch->shm_base);
        TRY(fdt_begin_node(fdt, name));
        TRY(fdt_property_string(fdt, "compatible", "bulkhead,channel"));
        TRY(fdt_property(fdt, "reg", reg, sizeof(reg)));
        TRY(fdt_property(fdt, "reg-names", reg_names, sizeof(reg_names)));
        TRY(prop_spi(fdt, ch->intid, GUEST_FDT_IRQ_EDGE_RISING));
        TRY(fdt_property_string(fdt, "label", ch->name));
        if (ch->writable) {
            TRY(fdt_property(fdt, "bulkhead,writable", NULL, 0));
        }
        if (ch->can_notify) {
            TRY(fdt_property(fdt, "bulkhead,can-notify", NULL, 0));
        }
        TRY(fdt_end_node(fdt));
    }
    return 0;
}

static int build(void *fdt, const struct guest_fdt_config *c)
{
    static const char psci_compat[] = "arm,psci-1.0\0arm,psci-0.2";
    char name[NAME_MAX_LEN];
    char uart_name[NAME_MAX_LEN];
    char uart_path[NAME_MAX_LEN + 1];

    unit_name(uart_name, "pl011", c->uart_base);
    uart_path[0] = '/';
    for (size_t i = 0; i < NAME_MAX_LEN; i++) {
        uart_path[i + 1] = uart_name[i];
        if (uart_name[i] == '\0') {
            break;
        }
    }

    TRY(fdt_finish_reservemap(fdt));
    TRY(fdt_begin_node(fdt, ""));
    TRY(fdt_property_string(fdt, "compatible", "bulkhead,vm"));
    TRY(fdt_property_string(fdt, "model", c->model != NULL ? c->model : "bulkhead-vm"));
    TRY(fdt_property_u32(fdt, "#address-cells", 2));
    TRY(fdt_property_u32(fdt, "#size-cells", 2));
    TRY(fdt_property_u32(fdt, "interrupt-parent", GUEST_FDT_PHANDLE_GIC));

    TRY(add_chosen(fdt, c, c->uart_base != 0 ? uart_path : NULL));
    if (c->uart_base != 0) {
        TRY(fdt_begin_node(fdt, "aliases"));
        TRY(fdt_property_string(fdt, "serial0", uart_path));
        TRY(fdt_end_node(fdt));
    }

    unit_name(name, "memory", c->ram_base);
    TRY(fdt_begin_node(fdt, name));
    TRY(fdt_property_string(fdt, "device_type", "memory"));
    TRY(prop_reg(fdt, c->ram_base, c->ram_size));
    TRY(fdt_end_node(fdt));

    TRY(add_cpus(fdt, c));
    TRY(fdt_begin_node(fdt, "psci"));
    TRY(fdt_property(fdt, "compatible", psci_compat, sizeof(psci_compat)));
    TRY(fdt_property_string(fdt, "method", "hvc"));
    TRY(fdt_end_node(fdt));

    TRY(add_gic_timer(fdt, c));
    if (c->uart_base != 0) {
        TRY(add_uart(fdt, c, uart_name));
    }
    TRY(add_devices(fdt, c));
    TRY(fdt_end_node(fdt));
    return fdt_finish(fdt);
}

int guest_fdt_build(const struct guest_fdt_config *cfg, void *buf, size_t bufsize)
{
    int err;

    if (cfg == NULL || !config_ok(cfg)) {
        return -FDT_ERR_BADVALUE;
    }
    if (bufsize > INT32_MAX) {
        bufsize = INT32_MAX;
    }
    err = fdt_create(buf, (int)bufsize);
    if (err < 0) {
        return err;
    }
    return build(buf, cfg);
}
