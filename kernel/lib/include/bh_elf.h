/*
 * ELF64 structures and the constants a loader needs (System V gABI, AArch64
 * supplement). Shared by the kernel's root-task loader, the root task's
 * program loader, the test VMM and their tests.
 */
#ifndef BH_LIB_ELF_H
#define BH_LIB_ELF_H

#include <stdint.h>

#define ELF_ET_EXEC    2u
#define ELF_EM_AARCH64 183u
#define ELF_PT_LOAD    1u
#define ELF_PF_X       1u
#define ELF_PF_W       2u
#define ELF_PF_R       4u

struct elf64_ehdr {
    uint8_t ident[16]; /* "\177ELF", class 2 (64-bit), data 1 (little-endian), ... */
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

#endif
