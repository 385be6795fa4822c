/*
 * In-memory form of a Bulkhead system spec on the host: what the loader reads
 * from the compiled device tree, what the validator checks, what the report
 * prints and what the compiler turns into the binary spec
 * (kernel/include/bulkhead/spec.h). Fixed-size arrays: no allocation besides
 * the error list; strings point into the DTB, which must outlive the model.
 */
#ifndef BH_TOOLS_BULKHEAD_MODEL_H
#define BH_TOOLS_BULKHEAD_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <bulkhead/spec.h>

#define BH_PAGE_SIZE        4096u
#define BH_PATH_LEN         192u
#define BH_MAX_MEM_REGIONS  8u
#define BH_MAX_PASSTHROUGH  8u
#define BH_MAX_RANGES       4u
#define BH_MAX_DEV_IRQS     8u
#define BH_MAX_PLAT_DEVICES 24u
#define BH_MAX_SEARCH_DIRS  8u
#define BH_VMM_MEMORY       0x100000ull /* accounted per VM for its VMM */
#define BH_DEFAULT_RESERVE  0x4000000ull
#define BH_MAX_BOOTARGS     1023u
#define BH_IPA_LIMIT        (1ull << 40)
#define BH_MAX_GUEST_KERNEL (256ull << 20) /* a decompressed guest kernel Image */

/* Errors, collected across a whole run. */
struct bh_diag {
    const char *file; /* the spec file name every message starts with */
    char **msgs;
    size_t n;
    size_t cap;
    bool oom;
};

void bh_diag_init(struct bh_diag *d, const char *file);
void bh_diag_free(struct bh_diag *d);
/* Adds "file: path/prop: text" (prop may be NULL). */
void bh_diag_add(struct bh_diag *d, const char *path, const char *prop, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Adds "file: text" verbatim (dtc messages, file-level problems). */
void bh_diag_addraw(struct bh_diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct bh_range {
    uint64_t base;
    uint64_t size;
};

struct bh_plat_device {
    char name[BH_SPEC_NAME_LEN];
    struct bh_range reg;
    uint32_t irqs[BH_MAX_DEV_IRQS];
    uint32_t nirqs;
    uint32_t irq_count; /* for blocks: irqs[0]..irqs[0]+irq_count-1 when nirqs == 0 */
    bool kernel_owned;  /* the kernel uses it: never assignable */
};

struct bh_platform {
    char path[BH_PATH_LEN];
    bool ok;            /* present and complete: rules that need the platform apply */
    const char *preset; /* NULL or "qemu-virt" */
    uint64_t ram_base;
    uint64_t ram_size;
    uint64_t reserve;
    uint32_t cpus;
    struct bh_plat_device devices[BH_MAX_PLAT_DEVICES];
    uint32_t ndevices;
};

struct bh_passthrough {
    char path[BH_PATH_LEN];
    struct bh_range regs[BH_MAX_RANGES];
    uint32_t nregs;
    uint32_t irqs[BH_MAX_DEV_IRQS];
    uint32_t nirqs;
};

/* A payload file named by the spec, resolved against the search path. */
struct bh_payload {
    const char *value;  /* as written in the spec */
    char resolved[512]; /* the file that will be used ("" if not found) */
    const char *prop;   /* property that named it */
    uint32_t role;      /* enum bh_spec_payload_role */
    uint32_t index;
};

struct bh_part {
    char path[BH_PATH_LEN];
    const char *name;
    uint32_t kind; /* enum bh_spec_part_kind */
    uint32_t priority;
    uint32_t vmm_priority;
    bool has_vmm_priority;
    uint64_t budget_us;
    uint64_t period_us;
    bool has_budget;
    bool has_period;
    /* VM */
    const char *bootargs;
    struct bh_range mem[BH_MAX_MEM_REGIONS];
    uint32_t nmem;
    uint32_t vcpus;
    uint32_t cpus[BH_SPEC_MAX_VCPUS];
    uint32_t ncpus;
    bool has_cpus;
    uint32_t emulated;
    /* server */
    uint64_t mem_size;
    bool has_mem_size;
    /* both */
    struct bh_payload payloads[3 + BH_SPEC_MAX_DISKS];
    uint32_t npayloads;
    uint32_t ndisks;
    struct bh_passthrough pt[BH_MAX_PASSTHROUGH];
    uint32_t npt;
};

struct bh_chan_end {
    char path[BH_PATH_LEN];
    const char *partition;
    int part; /* index, -1 if unknown */
    uint32_t rights;
    bool notify;
    uint64_t address;
    bool has_address;
};

struct bh_channel {
    char path[BH_PATH_LEN];
    const char *name;
    uint64_t size;
    struct bh_chan_end ends[2];
    uint32_t nends;
};

struct bh_window {
    char path[BH_PATH_LEN];
    const char *partition;
    int part;
    uint64_t start_us;
    uint64_t length_us;
};

struct bh_model {
    struct bh_platform plat;
    struct bh_part parts[BH_SPEC_MAX_PARTITIONS];
    uint32_t nparts;
    struct bh_channel chans[BH_SPEC_MAX_CHANNELS];
    uint32_t nchans;
    bool has_schedule;
    char sched_path[BH_PATH_LEN];
    uint64_t major_frame_us;
    struct bh_window windows[BH_SPEC_MAX_WINDOWS];
    uint32_t nwindows;
    const char *console_input; /* /console-input: the VM that gets console input, or NULL */
    int console_part;          /* its index once validated, -1 otherwise */
};

struct bh_load_opts {
    const char *spec_dir;                        /* directory of the spec file */
    const char *search_dirs[BH_MAX_SEARCH_DIRS]; /* --payload-dir, in order */
    size_t nsearch;
    bool check_payloads; /* open payload files and check their headers */
};

/*
 * Reads a compiled spec (DTB bytes) into m, adding an error for every
 * structural problem (unknown node or property, wrong type, missing property).
 * Returns false when the blob is not usable at all.
 */
bool bh_spec_load(const void *dtb, size_t size, struct bh_model *m, struct bh_diag *d);

/* Checks every cross-cutting rule; adds one error per violation. */
void bh_spec_validate(struct bh_model *m, const struct bh_load_opts *o, struct bh_diag *d);

/* gzip-compressed guest kernels (gunzip.c). */
bool bh_is_gzip(const uint8_t *b, size_t n);
/*
 * Decompresses the gzip file at path into a malloc'd buffer of at most
 * BH_MAX_GUEST_KERNEL bytes that must be an arm64 Image. On failure writes
 * what is wrong (e.g. "is gzip-compressed but corrupt (...)") into why.
 */
bool bh_gunzip_kernel(const char *path, uint8_t **out, size_t *size, char *why, size_t whylen);

/* The resource report of `bulkhead check`. */
void bh_spec_report(const struct bh_model *m, const char *file, FILE *out);

/* Image entry name of payload i of partition p (e.g. "linux.kernel"). */
void bh_spec_payload_name(const struct bh_model *m, uint32_t p, uint32_t i, char *buf, size_t len);

/*
 * Builds the binary spec (kernel/include/bulkhead/spec.h) into a malloc'd
 * buffer. The model must have validated without errors.
 */
bool bh_spec_compile(const struct bh_model *m, uint8_t **out, size_t *size);

/*
 * Builds the image's BH_PAYLOAD_SCHEDULE component (struct bh_boot_schedule,
 * kernel/include/bulkhead/bootimage.h) from /schedule into a malloc'd buffer:
 * windows sorted by start, the owner of the window of spec partition i is
 * time partition i + 1 (the root task puts partition i's threads there; 0 is
 * the system partition). Returns false without a schedule or out of memory.
 */
bool bh_spec_boot_schedule(const struct bh_model *m, uint8_t **out, size_t *size);

#endif
