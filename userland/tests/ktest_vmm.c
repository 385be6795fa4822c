#include "ktest_vmm.h"

#include <bh_elf.h>
#include <string.h>

bh_error_t kt_vm_map(uint64_t vm, uint64_t frame, uint64_t ipa, uint64_t rights, uint64_t mem)
{
    for (unsigned attempt = 0; attempt < 3; attempt++) {
        uint64_t mr[3] = {ipa, rights, mem};
        struct bh_sysregs r;
        bh_error_t e = bh_invoke(vm, BH_INV_VM_MAP_FRAME, mr, 3, &frame, 1, &r);
        if (e != BH_E_LOOKUP_FAILED) {
            return e;
        }
        uint64_t pt = kt_alloc(BH_OBJ_PAGE_TABLE, 0);
        uint64_t tmr[2] = {ipa, r.x[2]};
        e = bh_invoke(vm, BH_INV_VM_MAP_TABLE, tmr, 2, &pt, 1, 0);
        if (e != BH_OK) {
            return e;
        }
    }
    return BH_E_LOOKUP_FAILED;
}

bh_error_t kt_as_map_2m(uint64_t frame, uint64_t va)
{
    for (unsigned attempt = 0; attempt < 3; attempt++) {
        unsigned level = 0;
        bh_error_t e = bh_as_map_frame(VSPACE, frame, va, BH_RIGHT_READ | BH_RIGHT_WRITE, &level);
        if (e != BH_E_LOOKUP_FAILED) {
            return e;
        }
        e = bh_as_map_table(VSPACE, kt_alloc(BH_OBJ_PAGE_TABLE, 0), va, level);
        if (e != BH_OK) {
            return e;
        }
    }
    return BH_E_LOOKUP_FAILED;
}

bh_error_t kt_vcpu_write(uint64_t vcpu, uint64_t reg, uint64_t val)
{
    uint64_t mr[3] = {reg, 1, val};
    return bh_invoke(vcpu, BH_INV_VCPU_WRITE_REGS, mr, 3, 0, 0, 0);
}

bool kt_load_elf(const uint8_t *img, uint64_t size, uint8_t *ram_va, uint64_t *entry)
{
    const struct elf64_ehdr *eh = (const void *)img;
    if (size < sizeof(*eh) || memcmp(eh->ident, "\177ELF", 4) != 0 ||
        eh->machine != ELF_EM_AARCH64) {
        return false;
    }
    for (unsigned i = 0; i < eh->phnum; i++) {
        const struct elf64_phdr *ph = (const void *)(img + eh->phoff + i * eh->phentsize);
        if (ph->type != ELF_PT_LOAD) {
            continue;
        }
        if (ph->paddr < GUEST_RAM_IPA || ph->paddr + ph->memsz > GUEST_RAM_IPA + GUEST_RAM_SIZE ||
            ph->offset + ph->filesz > size) {
            return false;
        }
        memcpy(ram_va + (ph->paddr - GUEST_RAM_IPA), img + ph->offset, ph->filesz);
    }
    *entry = eh->entry;
    return true;
}

bool kt_line_put(char *line, unsigned *len, unsigned size, char c)
{
    if (c == '\r') {
        return false;
    }
    if (c != '\n' && *len < size - 1) {
        line[(*len)++] = c;
        return false;
    }
    line[*len] = '\0';
    *len = 0;
    return true;
}

void kt_reply_mmio(uint64_t d, uint64_t val, uint64_t *reply, unsigned *n)
{
    reply[0] = BH_VCPU_REPLY_ADVANCE;
    if ((d & BH_VCPU_DABT_WRITE) == 0) {
        reply[0] |= BH_VCPU_REPLY_SET_REG;
        reply[1] = (d >> BH_VCPU_DABT_SRT_SHIFT) & 0x1fu;
        reply[2] = val;
        *n = 3;
    }
}

void kt_reply_sysreg_raz(const uint64_t *m, uint64_t *reply, unsigned *n)
{
    reply[0] = BH_VCPU_REPLY_ADVANCE | BH_VCPU_REPLY_SET_REG;
    reply[1] = m[9] ? m[8] : 31;
    reply[2] = 0;
    *n = 3;
}

bool kt_serve(uint64_t ep, uint64_t max_badge, kt_exit_fn handle, void *ctx, bh_error_t *e,
              uint64_t *label)
{
    uint64_t mr[6];
    uint64_t m[BH_VCPU_EXIT_MRS];
    unsigned n = 0;
    uint64_t badge = 0;
    *label = 0;
    *e = bh_recv(ep, label, mr, &n, &badge);
    for (;;) {
        if (*e != BH_OK || *label != BH_FAULT_VCPU ||
            (max_badge != 0 && (badge < 1 || badge > max_badge))) {
            return false;
        }
        for (unsigned i = 0; i < BH_VCPU_EXIT_MRS; i++) {
            m[i] = i < 6 ? mr[i] : bh_ipcbuf()->mr[i];
        }
        uint64_t reply[6] = {0, 0, 0, 0, 0, 0};
        unsigned rn = 1;
        uint64_t rl = 0;
        if (!handle(ctx, m, reply, &rn, &rl)) {
            struct bh_sysregs r = {{0, bh_msginfo(rl, 0, 0), 0, 0, 0, 0, 0, 0}, BH_SYS_REPLY};
            bh_syscall(&r);
            return true;
        }
        for (unsigned i = 0; i < 6; i++) {
            mr[i] = reply[i];
        }
        n = rn;
        *e = bh_reply_recv(ep, rl, mr, &n, label, &badge);
    }
}
