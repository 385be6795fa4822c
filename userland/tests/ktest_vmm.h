/*
 * Helpers for the EL0 test VMMs (vmm_test.c, ktest_smp_vm.c): a guest's
 * 2 MiB of RAM at IPA 0x4000_0000, stage-2 and VMM mappings that add page
 * tables as the kernel asks for them, vCPU registers and the guest's ELF.
 */
#ifndef KTEST_VMM_H
#define KTEST_VMM_H

#include "ktest_util.h"

#define GUEST_RAM_IPA  0x40000000ull
#define GUEST_RAM_SIZE 0x200000ull
#define VMM_RAM_VA     0x200000000ull /* where the VMM sees guest RAM */
#define UART_IPA       0x09000000ull
#define GIC_IPA        0x08000000ull
#define GIC_END        0x08200000ull

#define PSCI_VERSION    0x84000000ull
#define PSCI_SYSTEM_OFF 0x84000008ull

/* Maps frame at ipa in vm's stage 2 (rights, BH_VM_MEM_* type mem). */
bh_error_t kt_vm_map(uint64_t vm, uint64_t frame, uint64_t ipa, uint64_t rights, uint64_t mem);
/* Maps a 2 MiB frame read-write at va in the root task's address space. */
bh_error_t kt_as_map_2m(uint64_t frame, uint64_t va);
/* Sets one register (x0..x30 or BH_VCPU_REG_*) of a vCPU. */
bh_error_t kt_vcpu_write(uint64_t vcpu, uint64_t reg, uint64_t val);
/* Copies the guest ELF's loadable segments into its RAM (seen at ram_va);
 * false for a bad ELF or a segment outside the RAM. */
bool kt_load_elf(const uint8_t *img, uint64_t size, uint8_t *ram_va, uint64_t *entry);
/* Replies to an emulated MMIO access (d: the exit's data-abort syndrome
 * word): skip the instruction and, for a load, set its register to val. */
void kt_reply_mmio(uint64_t d, uint64_t val, uint64_t *reply, unsigned *n);
/* Replies to a trapped system register access (m: the exit's words) as
 * RAZ/WI: skip the instruction, a read gets 0. */
void kt_reply_sysreg_raz(const uint64_t *m, uint64_t *reply, unsigned *n);
/* Adds c, written by a guest to its UART, to line (len characters so far,
 * size bytes): true when the line is complete, NUL-terminated in line (the
 * next character starts a new one). A full line ends early; '\r' is dropped. */
bool kt_line_put(char *line, unsigned *len, unsigned size, char c);
/* Handles one vCPU exit (m: its BH_VCPU_EXIT_MRS words): fills the reply
 * (words and *rn, label *rl; they start as the one word 0, label 0: resume);
 * false when the guest is finished. */
typedef bool (*kt_exit_fn)(void *ctx, const uint64_t *m, uint64_t *reply, unsigned *rn,
                           uint64_t *rl);
/* Serves the vCPU exits that arrive on ep with handle until it returns false
 * (its reply is still sent): true. False at once on a message that is not a
 * vCPU exit, or, with max_badge, whose badge is not 1..max_badge (*e and
 * *label then say what came). */
bool kt_serve(uint64_t ep, uint64_t max_badge, kt_exit_fn handle, void *ctx, bh_error_t *e,
              uint64_t *label);

#endif
