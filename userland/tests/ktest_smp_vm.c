/*
 * SMP guest test, run as the root task on CPU 0 of a four-CPU machine: a VMM
 * for one two-vCPU guest (tests/guests/sgi_pair.c) whose vCPU threads are
 * pinned to physical CPUs 1 and 2 with SET_AFFINITY. It serves the guest's
 * exits: PL011 transmit, a do-nothing GIC distributor/redistributor (the
 * CPU interface is the hardware's virtual one), PSCI VERSION / CPU_ON /
 * SYSTEM_OFF over HVC, and trapped ICC_SGI1R_EL1 writes, which become
 * VCPU_INJECT_IRQ into the target vCPU (running on another CPU: the kernel
 * kicks that CPU so its list registers are refilled).
 */
#include "ktest_vmm.h"

#include <bulkhead/bootimage.h>

#include <bh_fmt.h>
#include <string.h>

#define PSCI_CPU_ON    0xc4000003ull
#define PSCI_E_INVALID ((uint64_t)-2)
#define PSCI_E_ALREADY ((uint64_t)-4)

#define NVCPUS 2u

static uint64_t vm, ep;
static uint64_t vcpu[NVCPUS], tcb[NVCPUS];
static const unsigned pcpu[NVCPUS] = {1, 2};      /* physical CPU of each vCPU */
static const uint64_t vprio[NVCPUS] = {110, 100}; /* vCPU 0 above vCPU 1 */
static bool started[NVCPUS];
static uint8_t *ram_va;
static char line[160];
static unsigned linelen;
static unsigned sgis_routed;

static bh_error_t vcpu_write(unsigned v, uint64_t reg, uint64_t val)
{
    return kt_vcpu_write(vcpu[v], reg, val);
}

static void create_vm(const uint8_t *img, uint64_t size)
{
    vm = kt_alloc(BH_OBJ_VM, 0);
    ep = kt_alloc(BH_OBJ_ENDPOINT, 0);
    uint64_t ram = kt_alloc(BH_OBJ_FRAME_2M, 0);
    uint64_t ram_copy = kt_slot();
    kt_check(bh_cnode_copy(CNODE, ram_copy, ram, BH_RIGHTS_ALL) == BH_OK, "copy RAM cap");
    kt_check(kt_as_map_2m(ram, VMM_RAM_VA) == BH_OK, "map guest RAM into the VMM");
    ram_va = (uint8_t *)(uintptr_t)VMM_RAM_VA;
    kt_check(kt_vm_map(vm, ram_copy, GUEST_RAM_IPA,
                       BH_RIGHT_READ | BH_RIGHT_WRITE | BH_RIGHT_EXECUTE,
                       BH_VM_MEM_NORMAL) == BH_OK,
             "map guest RAM into the VM");
    uint64_t entry = 0;
    kt_check(kt_load_elf(img, size, ram_va, &entry), "load the guest ELF");
    for (unsigned v = 0; v < NVCPUS; v++) {
        vcpu[v] = kt_alloc(BH_OBJ_VCPU, 0);
        tcb[v] = kt_alloc(BH_OBJ_TCB, 0);
        /* Each vCPU's exits arrive with badge = its index + 1. */
        uint64_t badged = kt_slot();
        kt_check(bh_cnode_mint(CNODE, badged, ep, BH_RIGHTS_ALL, v + 1) == BH_OK, "badge");
        kt_check(bh_tcb_configure(tcb[v], badged, CNODE, vm, 0, 0) == BH_OK, "configure vCPU TCB");
        kt_check(bh_tcb_set_name(tcb[v], v == 0 ? "sgi_pair-v0" : "sgi_pair-v1") == BH_OK, "name");
        kt_check(bh_tcb_set_priority(tcb[v], vprio[v]) == BH_OK, "vCPU priority");
        kt_check(bh_tcb_set_affinity(tcb[v], pcpu[v]) == BH_OK, "pin the vCPU");
        uint64_t aff = v; /* VMPIDR Aff0 = vCPU index */
        kt_check(bh_invoke(vcpu[v], BH_INV_VCPU_SET_TCB, &aff, 1, &tcb[v], 1, 0) == BH_OK,
                 "bind the vCPU");
    }
    kt_check(vcpu_write(0, BH_VCPU_REG_PC, entry) == BH_OK, "guest PC");
    kt_check(vcpu_write(0, 0, 0) == BH_OK, "guest x0");
    bh_printf("vmm: sgi_pair: 2 vCPUs, vCPU 0 on CPU %u (priority %lu), vCPU 1 on CPU %u "
              "(priority %lu), VMM on CPU %u\n",
              pcpu[0], (unsigned long)vprio[0], pcpu[1], (unsigned long)vprio[1], bh_debug_cpu());
}

static void console_char(char c)
{
    if (kt_line_put(line, &linelen, sizeof(line), c)) {
        bh_printf("[sgi_pair] %s\n", line);
    }
}

/* PSCI CPU_ON: the target vCPU starts at entry with x0 = context, EL1h,
 * interrupts masked, MMU off (its SCTLR_EL1 reset value). */
static uint64_t cpu_on(uint64_t target, uint64_t entry, uint64_t context)
{
    if (target >= NVCPUS) {
        return PSCI_E_INVALID;
    }
    unsigned v = (unsigned)target;
    if (started[v]) {
        return PSCI_E_ALREADY;
    }
    bh_error_t e = vcpu_write(v, BH_VCPU_REG_PC, entry);
    if (e == BH_OK) {
        e = vcpu_write(v, 0, context);
    }
    if (e == BH_OK) {
        e = bh_tcb_resume(tcb[v]);
    }
    started[v] = e == BH_OK;
    return e == BH_OK ? 0 : PSCI_E_INVALID;
}

/* A trapped write to ICC_SGI1R_EL1 (op0 3, op1 0, CRn 12, CRm 11, op2 5):
 * the SGI goes to each vCPU in the target list (Aff1..3 = 0 here). */
static void route_sgi(uint64_t val)
{
    unsigned intid = (unsigned)(val >> 24) & 0xfu;
    for (unsigned v = 0; v < NVCPUS; v++) {
        if ((val & (1ull << v)) != 0) {
            uint64_t mr[2] = {intid, 0xa0};
            kt_check(bh_invoke(vcpu[v], BH_INV_VCPU_INJECT_IRQ, mr, 2, 0, 0, 0) == BH_OK,
                     "inject an SGI");
            sgis_routed++;
        }
    }
}

/* Builds the reply to one exit (kt_serve starts it as "resume"); returns
 * false when the guest is finished. */
static bool handle_exit(const uint64_t *m, uint64_t *reply, unsigned *n, uint64_t *label)
{
    switch (m[0]) {
    case BH_VCPU_EXIT_DATA_ABORT: {
        uint64_t ipa = m[3];
        uint64_t d = m[5];
        bool write = (d & BH_VCPU_DABT_WRITE) != 0;
        if ((d & BH_VCPU_DABT_ISV) != 0 &&
            ((ipa >= UART_IPA && ipa < UART_IPA + 0x1000) || (ipa >= GIC_IPA && ipa < GIC_END))) {
            if (write && ipa == UART_IPA) {
                console_char((char)m[6]);
            }
            kt_reply_mmio(d, 0, reply, n);
            return true;
        }
        bh_printf("vmm: sgi_pair: FAIL: stage-2 abort at IPA 0x%lx\n", (unsigned long)ipa);
        *label = 1;
        return false;
    }
    case BH_VCPU_EXIT_HVC: {
        uint64_t fn = m[3];
        reply[0] = BH_VCPU_REPLY_SET_X0_X3;
        *n = 6;
        reply[2] = (uint64_t)-1; /* SMCCC NOT_SUPPORTED */
        if (fn == PSCI_VERSION) {
            reply[2] = 0x10001;
        } else if (fn == PSCI_CPU_ON) {
            reply[2] = cpu_on(m[4], m[5], m[6]);
        } else if (fn == PSCI_SYSTEM_OFF) {
            *label = 1;
            return false;
        }
        return true;
    }
    case BH_VCPU_EXIT_SYSREG: {
        bool sgi1r = m[3] == 3 && m[4] == 0 && m[5] == 12 && m[6] == 11 && m[7] == 5;
        if (sgi1r && m[9] == 0) {
            route_sgi(m[10]);
        }
        kt_reply_sysreg_raz(m, reply, n);
        return true;
    }
    default:
        bh_printf("vmm: sgi_pair: FAIL: exit %lu at pc 0x%lx (ESR 0x%lx)\n", (unsigned long)m[0],
                  (unsigned long)m[1], (unsigned long)m[2]);
        *label = 1;
        return false;
    }
}

static bool on_exit(void *ctx, const uint64_t *m, uint64_t *reply, unsigned *rn, uint64_t *rl)
{
    (void)ctx;
    return handle_exit(m, reply, rn, rl);
}

static void serve(void)
{
    bh_error_t e = BH_OK;
    uint64_t label = 0;
    /* Each vCPU's exits carry badge = its index + 1. */
    if (!kt_serve(ep, NVCPUS, on_exit, NULL, &e, &label)) {
        bh_printf("vmm: sgi_pair: FAIL: unexpected message (error %u, label %lu)\n", e,
                  (unsigned long)label);
        kt_failures++;
    }
}

int main(const struct bh_bootinfo *bi)
{
    kt_init(bi);
    if (bi->ncpus < 3) {
        bh_printf("vmm: sgi_pair: FAIL: needs 3 CPUs, %lu online\n", (unsigned long)bi->ncpus);
        bh_exit(1);
    }
    const struct bh_payload_header *h = (const void *)(uintptr_t)bi->payload_va;
    const struct bh_payload_entry *guest = NULL;
    for (unsigned i = 0; i < h->count; i++) {
        if (h->entries[i].kind == BH_PAYLOAD_GUEST_KERNEL) {
            guest = &h->entries[i];
        }
    }
    if (guest == NULL) {
        bh_printf("vmm: sgi_pair: FAIL: no guest-kernel component\n");
        bh_exit(1);
    }
    create_vm((const uint8_t *)h + guest->offset, guest->size);
    started[0] = true;
    kt_check(bh_tcb_resume(tcb[0]) == BH_OK, "start vCPU 0");
    serve();
    /* The guest is finished: stop vCPU 1 (it waits in WFI on CPU 2). */
    kt_check(bh_tcb_suspend(tcb[1]) == BH_OK, "stop vCPU 1");
    bh_printf("vmm: sgi_pair: %u SGIs routed between the vCPUs\n", sgis_routed);
    bh_printf("vmm: %s (%d failures)\n", kt_failures == 0 ? "all passed" : "FAILED", kt_failures);
    bh_exit(kt_failures == 0 ? 0 : 1);
}
