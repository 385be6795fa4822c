/*
 * What the VMM program (userland/vmm/main.c) gets from whoever builds its
 * partition (a root task): an info page at VMM_INFO_VA (x0 at entry), its
 * address-space layout and the capability slots of its CSpace (a single
 * guarded CNode, so an address is a slot index).
 */
#ifndef VMM_INFO_H
#define VMM_INFO_H

#include <stdint.h>

#include <vmm/vmm_common.h>

#define VMM_INFO_MAGIC   0x4f464e494d4d56ull /* "VMMINFO" */
#define VMM_INFO_VERSION 1u

/* The VMM's address space (EL0 VA). The program itself is linked at 4 MiB. */
#define VMM_INFO_VA     0x10000000ull  /* one page, read-only */
#define VMM_IPCBUF_VA   0x10001000ull  /* one page */
#define VMM_STACK_TOP   0x20000000ull  /* grows down */
#define VMM_STACK_SIZE  0x10000ull     /* 64 KiB */
#define VMM_GUEST_VA    0x100000000ull /* all of guest RAM, read-write */
#define VMM_STAGE_VA    0x200000000ull /* the boot images, read-only, 2 MiB aligned each */
#define VMM_CNODE_RADIX 11u            /* the smallest a single guard (<= 53 bits) can cover */

/* CSpace slots. */
#define VMM_SLOT_EP        1u  /* receives the guest's exits (badge = vCPU index + 1) */
#define VMM_SLOT_PARENT    2u  /* send-only: the VMM's status to its parent */
#define VMM_SLOT_VCPU0     8u  /* vCPU n at VMM_SLOT_VCPU0 + n */
#define VMM_SLOT_VCPU_TCB0 16u /* the TCB running vCPU n */

/* Message labels to the parent (MR0 = detail). */
#define VMM_MSG_POWER_OFF 0x100u /* the guest powered off (MR0 = exits served) */
#define VMM_MSG_STOPPED   0x101u /* the VMM stopped the guest on an error */

#define VMM_NAME_MAX     32u
#define VMM_BOOTARGS_MAX 512u

struct vmm_info {
    uint64_t magic;
    uint64_t version;
    char name[VMM_NAME_MAX]; /* NUL-terminated: the console prefix */
    uint64_t nr_vcpus;
    uint64_t ram_ipa, ram_size;      /* guest RAM, seen by the VMM at VMM_GUEST_VA */
    uint64_t kernel_va, kernel_size; /* staged arm64 Image (in the VMM's space) */
    uint64_t initrd_va, initrd_size; /* staged initrd, size 0 for none */
    uint64_t disk_va, disk_size;     /* virtio-blk backing store (read-write), 0 for none */
    char bootargs[VMM_BOOTARGS_MAX];
};

#endif
