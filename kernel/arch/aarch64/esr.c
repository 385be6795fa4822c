#include <arch/esr.h>

#include <bh_fmt.h>

const char *esr_class_name(unsigned ec)
{
    switch (ec) {
    case 0x00:
        return "unknown reason (undefined instruction)";
    case 0x01:
        return "trapped WFI/WFE";
    case 0x03:
    case 0x04:
    case 0x05:
    case 0x06:
    case 0x0c:
        return "trapped AArch32 coprocessor access";
    case 0x07:
        return "trapped FP/SIMD access";
    case 0x0d:
        return "branch target exception";
    case 0x0e:
        return "illegal execution state";
    case 0x11:
        return "SVC from AArch32";
    case 0x12:
        return "HVC from AArch32";
    case 0x13:
        return "SMC from AArch32";
    case 0x15:
        return "SVC from AArch64";
    case 0x16:
        return "HVC from AArch64";
    case 0x17:
        return "SMC from AArch64";
    case 0x18:
        return "trapped system register access";
    case 0x19:
        return "trapped SVE access";
    case 0x1c:
        return "pointer authentication failure";
    case 0x20:
        return "instruction abort from a lower EL";
    case 0x21:
        return "instruction abort at the current EL";
    case 0x22:
        return "PC alignment fault";
    case 0x24:
        return "data abort from a lower EL";
    case 0x25:
        return "data abort at the current EL";
    case 0x26:
        return "SP alignment fault";
    case 0x28:
    case 0x2c:
        return "floating-point exception";
    case 0x2f:
        return "SError interrupt";
    case 0x30:
    case 0x31:
        return "breakpoint";
    case 0x32:
    case 0x33:
        return "software step";
    case 0x34:
    case 0x35:
        return "watchpoint";
    case 0x38:
    case 0x3c:
        return "BRK instruction";
    default:
        return "unallocated exception class";
    }
}

const char *esr_fault_status_name(unsigned fsc)
{
    switch (fsc & 0x3cu) {
    case 0x00:
        return "address size fault";
    case 0x04:
        return "translation fault";
    case 0x08:
        return "access flag fault";
    case 0x0c:
        return "permission fault";
    default:
        break;
    }
    switch (fsc) {
    case 0x10:
        return "synchronous external abort";
    case 0x11:
        return "synchronous tag check fault";
    case 0x14:
    case 0x15:
    case 0x16:
    case 0x17:
        return "synchronous external abort on table walk";
    case 0x18:
        return "synchronous parity/ECC error";
    case 0x21:
        return "alignment fault";
    case 0x30:
        return "TLB conflict abort";
    case 0x31:
        return "unsupported atomic hardware update fault";
    default:
        return "reserved fault status";
    }
}

static int fsc_has_level(unsigned fsc)
{
    return (fsc & 0x30u) == 0 || (fsc >= 0x14u && fsc <= 0x17u);
}

size_t esr_describe(uint64_t esr, char *buf, size_t size)
{
    unsigned ec = ESR_EC(esr);
    uint32_t iss = ESR_ISS(esr);
    const char *name = esr_class_name(ec);
    switch (ec) {
    case EC_DABT_LOWER:
    case EC_DABT_CUR:
    case EC_IABT_LOWER:
    case EC_IABT_CUR: {
        unsigned fsc = iss & 0x3fu;
        int is_data = ec == EC_DABT_LOWER || ec == EC_DABT_CUR;
        const char *dir = !is_data ? "fetch" : ((iss >> 6) & 1u) ? "write" : "read";
        if (fsc_has_level(fsc)) {
            return bh_snprintf(buf, size, "%s: %s, level %u, %s (EC 0x%02x, ISS 0x%07x)", name,
                               esr_fault_status_name(fsc), fsc & 3u, dir, ec, iss);
        }
        return bh_snprintf(buf, size, "%s: %s, %s (EC 0x%02x, ISS 0x%07x)", name,
                           esr_fault_status_name(fsc), dir, ec, iss);
    }
    case EC_SVC64:
    case EC_HVC64:
    case EC_SMC64:
    case EC_BRK64:
        return bh_snprintf(buf, size, "%s #%u (EC 0x%02x)", name, iss & 0xffffu, ec);
    case EC_SYSREG: {
        unsigned op0 = (iss >> 20) & 3u;
        unsigned op2 = (iss >> 17) & 7u;
        unsigned op1 = (iss >> 14) & 7u;
        unsigned crn = (iss >> 10) & 15u;
        unsigned rt = (iss >> 5) & 31u;
        unsigned crm = (iss >> 1) & 15u;
        return bh_snprintf(buf, size, "%s: %s S%u_%u_C%u_C%u_%u, x%u (EC 0x%02x)", name,
                           (iss & 1u) ? "read" : "write", op0, op1, crn, crm, op2, rt, ec);
    }
    default:
        return bh_snprintf(buf, size, "%s (EC 0x%02x, ISS 0x%07x)", name, ec, iss);
    }
}

size_t spsr_describe(uint64_t spsr, char *buf, size_t size)
{
    static const char *const modes[16] = {
        "EL0t", "?1",   "?2",  "?3",  "EL1t", "EL1h", "?6",  "?7",
        "EL2t", "EL2h", "?10", "?11", "EL3t", "EL3h", "?14", "?15",
    };
    const char *mode = (spsr & 0x10u) ? "AArch32" : modes[spsr & 0xfu];
    return bh_snprintf(buf, size, "mode %s, DAIF %c%c%c%c, NZCV %c%c%c%c", mode,
                       (spsr & (1u << 9)) ? 'D' : '-', (spsr & (1u << 8)) ? 'A' : '-',
                       (spsr & (1u << 7)) ? 'I' : '-', (spsr & (1u << 6)) ? 'F' : '-',
                       (spsr & (1ull << 31)) ? 'N' : '-', (spsr & (1ull << 30)) ? 'Z' : '-',
                       (spsr & (1ull << 29)) ? 'C' : '-', (spsr & (1ull << 28)) ? 'V' : '-');
}
