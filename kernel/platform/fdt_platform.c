/*
 * Platform discovery from a flattened device tree (Devicetree Specification
 * v0.4; bindings: arm,gic-v3, arm,pl011, arm,armv8-timer, arm,psci).
 * Portable: built into the kernel and into a host unit test that feeds it the
 * DTB QEMU generates for -M virt.
 */
#include <kernel/platform.h>

#include <libfdt.h>
#include <string.h>

static uint64_t read_cells(const fdt32_t *cells, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++) {
        v = (v << 32) | fdt32_to_cpu(cells[i]);
    }
    return v;
}

/* Reads entry `index` of a node's "reg" using its parent's cell sizes. */
static bool read_reg(const void *fdt, int node, int index, struct plat_range *out)
{
    int parent = fdt_parent_offset(fdt, node);
    if (parent < 0) {
        return false;
    }
    int ac = fdt_address_cells(fdt, parent);
    int sc = fdt_size_cells(fdt, parent);
    if (ac < 1 || ac > 2 || sc < 0 || sc > 2) {
        return false;
    }
    int len = 0;
    const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
    int stride = (ac + sc) * (int)sizeof(fdt32_t);
    if (reg == NULL || len < stride * (index + 1)) {
        return false;
    }
    const fdt32_t *e = reg + (ac + sc) * index;
    out->base = read_cells(e, ac);
    out->size = sc > 0 ? read_cells(e + ac, sc) : 0;
    return true;
}

static bool node_enabled(const void *fdt, int node)
{
    const char *status = fdt_getprop(fdt, node, "status", NULL);
    return status == NULL || strcmp(status, "okay") == 0 || strcmp(status, "ok") == 0;
}

/* GIC interrupt specifier (3 cells: type, number, flags) -> INTID. */
static unsigned gic_intid(const fdt32_t *spec)
{
    uint32_t type = fdt32_to_cpu(spec[0]);
    uint32_t num = fdt32_to_cpu(spec[1]);
    return type == 1 ? num + 16u : num + 32u; /* 1 = PPI, 0 = SPI */
}

static void find_memory(const void *fdt, struct platform *p)
{
    int node = -1;
    while ((node = fdt_next_node(fdt, node, NULL)) >= 0) {
        const char *type = fdt_getprop(fdt, node, "device_type", NULL);
        if (type == NULL || strcmp(type, "memory") != 0 || !node_enabled(fdt, node)) {
            continue;
        }
        for (int i = 0; p->nram < PLAT_MAX_RAM; i++) {
            struct plat_range r;
            if (!read_reg(fdt, node, i, &r)) {
                break;
            }
            if (r.size != 0) {
                p->ram[p->nram++] = r;
            }
        }
    }
}

static void find_reserved(const void *fdt, struct platform *p)
{
    int n = fdt_num_mem_rsv(fdt);
    for (int i = 0; i < n && p->nreserved < PLAT_MAX_RESV; i++) {
        uint64_t base = 0;
        uint64_t size = 0;
        if (fdt_get_mem_rsv(fdt, i, &base, &size) == 0 && size != 0) {
            p->reserved[p->nreserved++] = (struct plat_range){base, size};
        }
    }
    int rm = fdt_path_offset(fdt, "/reserved-memory");
    if (rm < 0) {
        return;
    }
    int child;
    fdt_for_each_subnode(child, fdt, rm)
    {
        struct plat_range r;
        if (p->nreserved < PLAT_MAX_RESV && read_reg(fdt, child, 0, &r) && r.size != 0) {
            p->reserved[p->nreserved++] = r;
        }
    }
}

static int find_console(const void *fdt)
{
    /* Prefer /chosen/stdout-path ("path" or "path:options"); else any PL011. */
    int chosen = fdt_path_offset(fdt, "/chosen");
    if (chosen >= 0) {
        int len = 0;
        const char *sp = fdt_getprop(fdt, chosen, "stdout-path", &len);
        if (sp != NULL && len > 0) {
            const char *colon = memchr(sp, ':', (size_t)len);
            int plen = colon != NULL ? (int)(colon - sp) : (int)strnlen(sp, (size_t)len);
            int node = fdt_path_offset_namelen(fdt, sp, plen);
            if (node >= 0 && fdt_node_check_compatible(fdt, node, "arm,pl011") == 0) {
                return node;
            }
        }
    }
    int node = -1;
    while ((node = fdt_node_offset_by_compatible(fdt, node, "arm,pl011")) >= 0) {
        if (node_enabled(fdt, node)) {
            return node;
        }
    }
    return -1;
}

static void find_cpus(const void *fdt, struct platform *p)
{
    int cpus = fdt_path_offset(fdt, "/cpus");
    if (cpus < 0) {
        return;
    }
    int ac = fdt_address_cells(fdt, cpus);
    int child;
    fdt_for_each_subnode(child, fdt, cpus)
    {
        const char *type = fdt_getprop(fdt, child, "device_type", NULL);
        if (type == NULL || strcmp(type, "cpu") != 0 || p->ncpus >= PLAT_MAX_CPUS) {
            continue;
        }
        int len = 0;
        const fdt32_t *reg = fdt_getprop(fdt, child, "reg", &len);
        if (reg != NULL && ac >= 1 && ac <= 2 && len >= ac * 4) {
            p->cpu_mpidr[p->ncpus++] = read_cells(reg, ac);
        }
    }
}

static void find_psci(const void *fdt, struct platform *p)
{
    static const char *const compat[] = {"arm,psci-1.0", "arm,psci-0.2"};
    for (unsigned i = 0; i < 2; i++) {
        int node = fdt_node_offset_by_compatible(fdt, -1, compat[i]);
        if (node < 0) {
            continue;
        }
        const char *method = fdt_getprop(fdt, node, "method", NULL);
        if (method != NULL && strcmp(method, "smc") == 0) {
            p->psci = PSCI_SMC;
        } else if (method != NULL && strcmp(method, "hvc") == 0) {
            p->psci = PSCI_HVC;
        }
        return;
    }
}

const char *platform_from_fdt(const void *fdt, struct platform *p)
{
    memset(p, 0, sizeof(*p));
    if (fdt_check_header(fdt) != 0) {
        return "not a valid flattened device tree";
    }
    p->from_fdt = true;
    p->dtb_base = (uint64_t)(uintptr_t)fdt;
    p->dtb_size = fdt_totalsize(fdt);

    const char *model = fdt_getprop(fdt, 0, "model", NULL);
    if (model != NULL) {
        size_t n = strnlen(model, sizeof(p->model) - 1);
        memcpy(p->model, model, n);
        p->model[n] = '\0';
    }

    find_memory(fdt, p);
    if (p->nram == 0) {
        return "no /memory node with a usable reg";
    }
    find_reserved(fdt, p);

    int uart = find_console(fdt);
    if (uart < 0 || !read_reg(fdt, uart, 0, &p->uart)) {
        return "no PL011 console (arm,pl011) found";
    }
    int len = 0;
    const fdt32_t *irq = fdt_getprop(fdt, uart, "interrupts", &len);
    if (irq != NULL && len >= 12) {
        p->uart_intid = gic_intid(irq);
    }

    int gic = fdt_node_offset_by_compatible(fdt, -1, "arm,gic-v3");
    if (gic < 0) {
        return "no GICv3 (arm,gic-v3) interrupt controller found";
    }
    if (!read_reg(fdt, gic, 0, &p->gicd) || !read_reg(fdt, gic, 1, &p->gicr)) {
        return "GICv3 node lacks distributor and redistributor regions in reg";
    }

    int timer = fdt_node_offset_by_compatible(fdt, -1, "arm,armv8-timer");
    if (timer < 0) {
        return "no generic timer (arm,armv8-timer) found";
    }
    const fdt32_t *ti = fdt_getprop(fdt, timer, "interrupts", &len);
    /* Order per binding: secure phys, non-secure phys, virtual, hypervisor. */
    if (ti == NULL || len < 4 * 12) {
        return "timer node lacks the four interrupts (secure, non-secure, virtual, hyp)";
    }
    p->timer_phys_intid = gic_intid(ti + 3);
    p->timer_virt_intid = gic_intid(ti + 6);
    p->timer_hyp_intid = gic_intid(ti + 9);

    find_cpus(fdt, p);
    if (p->ncpus == 0) {
        return "no /cpus/cpu node found";
    }
    find_psci(fdt, p);
    return NULL;
}

void platform_fallback(struct platform *p)
{
    /* QEMU -M virt,virtualization=on,gic-version=3 (docs/ARCHITECTURE.md). */
    memset(p, 0, sizeof(*p));
    memcpy(p->model, "fallback: QEMU virt", sizeof("fallback: QEMU virt"));
    p->ram[0] = (struct plat_range){0x40000000ull, 128ull << 20};
    p->nram = 1;
    p->uart = (struct plat_range){0x09000000ull, 0x1000};
    p->uart_intid = 33;
    p->gicd = (struct plat_range){0x08000000ull, 0x10000};
    p->gicr = (struct plat_range){0x080A0000ull, 0x20000};
    p->timer_phys_intid = 30;
    p->timer_virt_intid = 27;
    p->timer_hyp_intid = 26;
    p->cpu_mpidr[0] = 0;
    p->ncpus = 1;
    p->psci = PSCI_SMC;
}
