/*
 * Bulkhead boot image format (public ABI between `bulkhead build`, the kernel
 * and the root task).
 *
 * An image is the kernel as an arm64 Linux-protocol "Image" (64-byte header,
 * magic "ARM\x64" at offset 56, so QEMU's -kernel and board boot loaders load
 * it at RAM base + text_offset and pass the DTB in x0), followed, at the first
 * 4 KiB boundary after the kernel's memory footprint (its BSS included), by a
 * payload: this header, an entry table, then each component 4 KiB-aligned.
 * The Image header's image_size covers the payload, so a loader never places
 * the DTB or an initrd over it. All integers are little-endian.
 */
#ifndef BULKHEAD_BOOTIMAGE_H
#define BULKHEAD_BOOTIMAGE_H

#include <stdint.h>

#define BH_PAYLOAD_MAGIC       "BHPAYLD1"
#define BH_PAYLOAD_VERSION     1u
#define BH_PAYLOAD_MAX_ENTRIES 64u
#define BH_PAYLOAD_NAME_LEN    32u
#define BH_PAYLOAD_ALIGN       4096u

enum bh_payload_kind {
    BH_PAYLOAD_ROOTTASK = 1, /* ELF64 AArch64 executable: the first EL0 thread */
    BH_PAYLOAD_SPEC = 2,     /* compiled system spec (kernel/include/bulkhead/spec.h) */
    BH_PAYLOAD_VMM = 3,      /* ELF64: a VMM server program */
    BH_PAYLOAD_SERVER = 4,   /* ELF64: another EL0 server */
    BH_PAYLOAD_GUEST_KERNEL = 5,
    BH_PAYLOAD_GUEST_INITRD = 6,
    BH_PAYLOAD_GUEST_DISK = 7,
    BH_PAYLOAD_GUEST_DTB = 8,
    BH_PAYLOAD_TEST = 9,      /* ELF64: a test program the root task starts */
    BH_PAYLOAD_SCHEDULE = 10, /* struct bh_boot_schedule: installed by the kernel at boot */
};

/*
 * The static time-partition schedule (ARINC 653 major frame), in microseconds.
 * The kernel converts it to timer ticks, validates it and installs it before
 * the root task starts; nothing can change it at run time.
 */
struct bh_boot_window {
    uint64_t offset_us;
    uint64_t length_us;
    uint32_t partition; /* 1..15; time outside every window belongs to partition 0 */
    uint32_t reserved;
};

struct bh_boot_schedule {
    uint64_t major_frame_us;
    uint32_t num_windows;
    uint32_t reserved;
    struct bh_boot_window windows[];
};

struct bh_payload_entry {
    char name[BH_PAYLOAD_NAME_LEN]; /* NUL-terminated */
    uint32_t kind;                  /* enum bh_payload_kind */
    uint32_t flags;                 /* reserved, 0 */
    uint64_t offset;                /* from the payload header, 4 KiB aligned */
    uint64_t size;                  /* bytes of content */
    uint8_t sha256[32];             /* of the content */
};

struct bh_payload_header {
    char magic[8];     /* BH_PAYLOAD_MAGIC, not NUL-terminated */
    uint32_t version;  /* BH_PAYLOAD_VERSION */
    uint32_t count;    /* entries that follow */
    uint64_t size;     /* whole payload in bytes, header included */
    uint64_t reserved; /* 0 */
    struct bh_payload_entry entries[];
};

/* arm64 Image header (Linux Documentation/arch/arm64/booting.rst). */
struct bh_arm64_image_header {
    uint32_t code0;
    uint32_t code1;
    uint64_t text_offset;
    uint64_t image_size;
    uint64_t flags;
    uint64_t res2;
    uint64_t res3;
    uint64_t res4;
    uint32_t magic; /* 0x644d5241, "ARM\x64" */
    uint32_t res5;
};

#define BH_ARM64_IMAGE_MAGIC 0x644d5241u

#endif
