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
#define VMM_INFO_VERSION 2u

/* The VMM's address space (EL0 VA). The program itself is linked at 4 MiB. */
#define VMM_INFO_VA     0x10000000ull  /* one page, read-only */
#define VMM_IPCBUF_VA   0x10001000ull  /* one page */
#define VMM_STACK_TOP   0x20000000ull  /* grows down */
#define VMM_STACK_SIZE  0x10000ull     /* 64 KiB */
#define VMM_GUEST_VA    0x100000000ull /* all of guest RAM, read-write */
#define VMM_STAGE_VA    0x200000000ull /* the boot images, read-only, 2 MiB aligned each */
#define VMM_CNODE_RADIX 11u            /* the smallest a single guard (<= 53 bits) can cover */

/* CSpace slots. */
#define VMM_SLOT_EP         1u  /* receives the guest's exits (badge = vCPU index + 1) */
#define VMM_SLOT_PARENT     2u  /* send-only: the VMM's status to its parent */
#define VMM_SLOT_CONSOLE_IN 3u  /* the system's ConsoleInput, if input is routed to this guest */
#define VMM_SLOT_NTFN       4u  /* the VMM's notification, bound to its TCB (bits below) */
#define VMM_SLOT_CHAN0      24u /* channel n: badged send cap to the peer's notification */
#define VMM_SLOT_VCPU0      8u  /* vCPU n at VMM_SLOT_VCPU0 + n */
#define VMM_SLOT_VCPU_TCB0  16u /* the TCB running vCPU n */

/* Message labels to the parent (MR0 = detail). */
#define VMM_MSG_POWER_OFF 0x100u /* the guest powered off (MR0 = exits served) */
#define VMM_MSG_STOPPED   0x101u /* the VMM stopped the guest on an error */

#define VMM_NAME_MAX        32u
#define VMM_BOOTARGS_MAX    512u
#define VMM_MAX_PASSTHROUGH 8u
#define VMM_MAX_PT_IRQS     32u
#define VMM_MAX_CHANNELS    8u

/* Emulated devices (vmm_info.devices); the same bits as the spec's
 * enum bh_spec_emulated. */
#define VMM_DEV_PL011          (1u << 0)
#define VMM_DEV_VIRTIO_CONSOLE (1u << 1)
#define VMM_DEV_VIRTIO_BLK     (1u << 3)

/* Bits of the VMM's own notification (VMM_SLOT_NTFN). */
#define VMM_NTFN_CONSOLE_IN (1ull << 0) /* bytes are waiting on VMM_SLOT_CONSOLE_IN */
#define VMM_NTFN_CHAN0      (1ull << 8) /* channel n's peer signalled: bit 8 + n */

/* A device range the builder mapped 1:1 into the guest (Device memory). */
struct vmm_passthrough {
    uint64_t ipa, size;
};

/*
 * One end of a channel, as this guest sees it. The builder mapped the shared
 * memory at `ipa` in the guest's stage 2 with `rights`; the VMM describes it
 * in the device tree and emulates a doorbell page at `doorbell_ipa`: a guest
 * write there signals the peer through VMM_SLOT_CHAN0 + n (if can_notify),
 * and the peer's signals (bit VMM_NTFN_CHAN0 << n) become virtual SPI `intid`.
 */
struct vmm_channel {
    char name[VMM_NAME_MAX];
    uint64_t ipa, size;
    uint64_t rights; /* BH_RIGHT_READ | BH_RIGHT_WRITE as mapped for the guest */
    uint64_t can_notify;
    uint64_t doorbell_ipa; /* chosen by the builder, outside RAM and other devices */
    uint64_t intid;        /* chosen by the builder, a free SPI */
};

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
    /* Version 2. */
    uint64_t devices;                 /* VMM_DEV_* */
    uint64_t vcpu_cpu[VMM_MAX_VCPUS]; /* physical CPU of vCPU n (informational) */
    uint64_t console_input;           /* 1: VMM_SLOT_CONSOLE_IN holds the console */
    uint64_t npassthrough;
    struct vmm_passthrough passthrough[VMM_MAX_PASSTHROUGH];
    uint64_t npt_irqs;
    uint64_t pt_irqs[VMM_MAX_PT_IRQS]; /* INTIDs the builder bound to vCPU 0 (HW bit) */
    uint64_t nchannels;
    struct vmm_channel channels[VMM_MAX_CHANNELS];
};

_Static_assert(sizeof(struct vmm_info) <= 4096, "the info page is one page");

#endif
