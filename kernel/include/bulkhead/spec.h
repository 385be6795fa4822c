/*
 * Bulkhead compiled system spec (public ABI between `bulkhead build` and the
 * root task). It travels in the boot image as the BH_PAYLOAD_SPEC component.
 *
 * Layout: one bh_spec_header, then tables of fixed-size records, each table
 * at the byte offset its header field gives (from the start of the header,
 * 8-byte aligned), then a string table. Every integer is little-endian; every
 * name is NUL-terminated and NUL-padded. Indices refer to records of another
 * table; BH_SPEC_NONE means "none". The text source format is docs/SPEC.md.
 *
 * The root task checks magic, version, size and that every offset and count
 * stays inside the component before it trusts anything else.
 */
#ifndef BULKHEAD_SPEC_H
#define BULKHEAD_SPEC_H

#include <stdint.h>

#define BH_SPEC_MAGIC    "BHSPEC01"
#define BH_SPEC_VERSION  1u
#define BH_SPEC_NAME_LEN 32u /* same as BH_PAYLOAD_NAME_LEN: payload refs are image entry names */
#define BH_SPEC_NONE     0xffffffffu

/* Limits the tool enforces, so the root task can use fixed arrays. */
#define BH_SPEC_MAX_PARTITIONS 15u /* kernel time partitions 1..15 (bulkhead/schedule.h) */
#define BH_SPEC_MAX_VCPUS      8u  /* per VM */
#define BH_SPEC_MAX_REGIONS    256u
#define BH_SPEC_MAX_DEVICES    64u
#define BH_SPEC_MAX_IRQS       128u
#define BH_SPEC_MAX_CHANNELS   64u
#define BH_SPEC_MAX_WINDOWS    64u
#define BH_SPEC_MAX_DISKS      4u  /* per VM */
#define BH_SPEC_PART_NAME_MAX  16u /* characters of a partition or channel name */

enum bh_spec_part_kind {
    BH_SPEC_PART_VM = 1,     /* a guest at EL1 plus its implied VMM at EL0 */
    BH_SPEC_PART_SERVER = 2, /* an EL0 server program */
};

/* Emulated devices a VMM provides (bits of bh_spec_partition.emulated). */
enum bh_spec_emulated {
    BH_SPEC_EMU_PL011 = 1u << 0,          /* UART at 0x09000000, INTID 33 */
    BH_SPEC_EMU_VIRTIO_CONSOLE = 1u << 1, /* next free virtio-mmio slot */
    BH_SPEC_EMU_VIRTIO_NET = 1u << 2,
    BH_SPEC_EMU_VIRTIO_BLK = 1u << 3, /* one slot per disk, backed by the VM's disks */
    BH_SPEC_EMU_RTC = 1u << 4,        /* PL031 at 0x09010000, INTID 34 */
};

enum bh_spec_region_kind {
    BH_SPEC_REGION_RAM = 1,     /* guest RAM or server memory */
    BH_SPEC_REGION_CHANNEL = 2, /* one end's mapping of a channel's shared memory */
};

/* Where the physical memory of a region comes from. */
enum bh_spec_phys {
    BH_SPEC_PHYS_UNTYPED = 0, /* the root task retypes it from untyped memory */
};

/* Rights bits (regions and channel ends). */
#define BH_SPEC_RIGHT_READ  1u
#define BH_SPEC_RIGHT_WRITE 2u

struct bh_spec_header {
    char magic[8];     /* BH_SPEC_MAGIC, not NUL-terminated */
    uint32_t version;  /* BH_SPEC_VERSION */
    uint32_t size;     /* whole compiled spec in bytes, header included */
    uint64_t ram_base; /* platform RAM */
    uint64_t ram_size;
    uint64_t kernel_reserve; /* bytes at ram_base kept for the kernel, image and root task */
    uint64_t major_frame_us; /* 0: no time-partition schedule */
    uint32_t cpus;           /* physical CPUs */
    uint32_t flags;          /* reserved, 0 */
    uint32_t npartitions, partitions_off; /* struct bh_spec_partition[] */
    uint32_t nvcpus, vcpus_off;           /* struct bh_spec_vcpu[] */
    uint32_t nregions, regions_off;       /* struct bh_spec_region[] */
    uint32_t ndevices, devices_off;       /* struct bh_spec_device[] */
    uint32_t nirqs, irqs_off;             /* struct bh_spec_irq[] */
    uint32_t nchannels, channels_off;     /* struct bh_spec_channel[] */
    uint32_t nwindows, windows_off;       /* struct bh_spec_window[] */
    uint32_t npayloads, payloads_off;     /* struct bh_spec_payload_ref[] */
    uint32_t strings_size, strings_off;   /* NUL-terminated strings */
};

struct bh_spec_partition {
    char name[BH_SPEC_NAME_LEN];
    uint32_t kind;         /* enum bh_spec_part_kind */
    uint32_t priority;     /* 0..255, higher runs first */
    uint32_t vmm_priority; /* VM only: priority of its VMM */
    uint32_t emulated;     /* VM only: enum bh_spec_emulated bits */
    uint64_t budget_us;    /* 0 with period_us 0: no budget limit */
    uint64_t period_us;
    uint32_t first_vcpu, nvcpus;       /* VM only: into the vCPU table */
    uint32_t first_region, nregions;   /* RAM regions and channel mappings */
    uint32_t first_device, ndevices;   /* passthrough MMIO */
    uint32_t first_irq, nirqs;         /* passthrough interrupts */
    uint32_t first_payload, npayloads; /* into the payload reference table */
    uint32_t bootargs;                 /* VM only: string table offset, BH_SPEC_NONE if absent */
    uint32_t flags;                    /* BH_SPEC_PART_* (was reserved, 0) */
};

/* bh_spec_partition.flags */
#define BH_SPEC_PART_CONSOLE_INPUT                                                                 \
    1u /* VM only, at most one: receives the system console's input */

struct bh_spec_vcpu {
    uint32_t partition;
    uint32_t index; /* vCPU number inside the VM (MPIDR Aff0) */
    uint32_t pcpu;  /* physical CPU it is pinned to */
    uint32_t reserved;
};

struct bh_spec_region {
    uint32_t partition;
    uint32_t kind;     /* enum bh_spec_region_kind */
    uint32_t rights;   /* BH_SPEC_RIGHT_* */
    uint32_t phys;     /* enum bh_spec_phys */
    uint32_t channel;  /* CHANNEL regions: the channel index, else BH_SPEC_NONE */
    uint32_t reserved; /* 0 */
    uint64_t base; /* guest-physical (VM) or virtual (server); 0 for a server: root task chooses */
    uint64_t size; /* bytes, a multiple of 4 KiB */
};

struct bh_spec_device {
    uint32_t partition;
    uint32_t reserved;
    uint64_t base; /* physical MMIO; mapped at the same guest-physical address in a VM */
    uint64_t size;
};

struct bh_spec_irq {
    uint32_t partition;
    uint32_t intid; /* GIC interrupt ID (SPI: 32 + n) */
};

struct bh_spec_channel_end {
    uint32_t partition;
    uint32_t rights; /* BH_SPEC_RIGHT_* on the shared memory */
    uint32_t notify; /* 1: this end may signal the other end */
    uint32_t region; /* its mapping in the region table, BH_SPEC_NONE without memory */
};

struct bh_spec_channel {
    char name[BH_SPEC_NAME_LEN];
    uint64_t size; /* shared memory bytes, 0: notifications only */
    struct bh_spec_channel_end ends[2];
};

/* Sorted by start_us, non-overlapping, inside the major frame (bh_schedule rules). */
struct bh_spec_window {
    uint32_t partition;
    uint32_t reserved;
    uint64_t start_us; /* offset inside the major frame */
    uint64_t length_us;
};

enum bh_spec_payload_role {
    BH_SPEC_ROLE_PROGRAM = 1, /* server program or a VM's VMM */
    BH_SPEC_ROLE_KERNEL = 2,
    BH_SPEC_ROLE_INITRD = 3,
    BH_SPEC_ROLE_DISK = 4,
};

struct bh_spec_payload_ref {
    char name[BH_SPEC_NAME_LEN]; /* bh_payload_entry.name in the image */
    uint32_t kind;               /* enum bh_payload_kind */
    uint32_t role;               /* enum bh_spec_payload_role */
    uint32_t partition;
    uint32_t index; /* disk number for BH_SPEC_ROLE_DISK, else 0 */
};

#endif
