/*
 * Bulkhead public ABI: kernel object types, rights, object sizes, capability
 * lookup failures and the CNode / Untyped invocation labels and message layouts.
 *
 * User level uses the sizes to compute how much untyped memory a system needs:
 * an object of size_bits S occupies 2^S bytes aligned to 2^S inside an untyped.
 * Values are stable ABI: append, never renumber.
 */
#ifndef BULKHEAD_OBJECTS_H
#define BULKHEAD_OBJECTS_H

/* Object types. 0 is "no object" (an empty slot). */
typedef enum bh_objtype {
    BH_OBJ_NULL = 0,
    BH_OBJ_UNTYPED = 1,
    BH_OBJ_CNODE = 2,
    BH_OBJ_TCB = 3,
    BH_OBJ_ENDPOINT = 4,
    BH_OBJ_NOTIFICATION = 5,
    BH_OBJ_REPLY = 6,
    BH_OBJ_SCHED_CONTEXT = 7,
    BH_OBJ_ADDRESS_SPACE = 8, /* EL0 address space: stage-2 root table + VMID */
    BH_OBJ_PAGE_TABLE = 9,    /* an intermediate stage-2 table */
    BH_OBJ_FRAME_4K = 10,
    BH_OBJ_FRAME_2M = 11,
    BH_OBJ_IRQ_CONTROL = 12, /* made by the kernel at boot, never retyped */
    BH_OBJ_IRQ_HANDLER = 13, /* made from IRQControl, never retyped */
    BH_OBJ_VM = 14,
    BH_OBJ_VCPU = 15,
    BH_OBJ_CONSOLE_INPUT = 16, /* made by the kernel at boot, never retyped */
    BH_OBJ_COUNT
} bh_objtype_t;

/* Object sizes (log2 bytes). Fixed-size types ignore the retype size argument. */
#define BH_TCB_SIZE_BITS           11u
#define BH_ENDPOINT_SIZE_BITS      4u
#define BH_NOTIFICATION_SIZE_BITS  5u
#define BH_REPLY_SIZE_BITS         5u
#define BH_SCHED_CONTEXT_SIZE_BITS 8u
#define BH_ADDRESS_SPACE_SIZE_BITS 14u
#define BH_PAGE_TABLE_SIZE_BITS    12u
#define BH_FRAME_4K_SIZE_BITS      12u
#define BH_FRAME_2M_SIZE_BITS      21u
#define BH_VM_SIZE_BITS            14u
#define BH_VCPU_SIZE_BITS          12u

/* A CNode of radix R has 2^R slots of 2^BH_SLOT_SIZE_BITS bytes: 2^(R+5) bytes. */
#define BH_SLOT_SIZE_BITS  5u
#define BH_CNODE_RADIX_MIN 1u
#define BH_CNODE_RADIX_MAX 16u
/* Untyped sizes accepted by retype (and by the boot code for initial untyped). */
#define BH_UNTYPED_MIN_BITS 4u
#define BH_UNTYPED_MAX_BITS 47u
/* A TCB object begins with this many capability slots (cspace root, address
 * space, fault endpoint, IPC buffer, ...; the kernel core assigns them). */
#define BH_TCB_CAP_SLOTS 8u
/* At most this many objects per retype call. */
#define BH_RETYPE_MAX_COUNT 256u

/* Rights. Derived capabilities only ever have a subset of their source's. */
#define BH_RIGHT_READ        0x01u
#define BH_RIGHT_WRITE       0x02u
#define BH_RIGHT_GRANT       0x04u /* may send capabilities through this endpoint */
#define BH_RIGHT_GRANT_REPLY 0x08u /* may send a reply capability (call) */
#define BH_RIGHT_EXECUTE     0x10u /* frames: executable mapping allowed */
#define BH_RIGHTS_ALL        0x1fu

/* CNode capability data (mint/mutate of a CNode cap): guard size in bits 0..5,
 * guard value above. guard size + radix <= 64 and guard < 2^guard size. */
#define BH_CNODE_DATA(guard, guard_size) (((unsigned long long)(guard) << 6) | (guard_size))
#define BH_GUARD_SIZE_MAX                53u

/* Why a capability address did not resolve (reported with BH_E_LOOKUP_FAILED). */
typedef enum bh_lookup_failure {
    BH_LOOKUP_NONE = 0,
    BH_LOOKUP_INVALID_ROOT = 1,   /* the root (or a level) is not a CNode cap */
    BH_LOOKUP_MISSING_CNODE = 2,  /* bits remain but the slot reached is not a CNode */
    BH_LOOKUP_DEPTH_MISMATCH = 3, /* a level needs more bits than remain */
    BH_LOOKUP_GUARD_MISMATCH = 4, /* the guard bits differ */
    BH_LOOKUP_INVALID_DEPTH = 5   /* depth is 0 or > 64 */
} bh_lookup_failure_t;

/* Filled in on BH_E_LOOKUP_FAILED; the syscall layer copies it to user level. */
typedef struct bh_lookup_fault {
    unsigned int kind;                 /* bh_lookup_failure_t */
    unsigned int level;                /* 0 = the root CNode */
    unsigned int bits_left;            /* address bits not yet resolved at that level */
    unsigned int bits_needed;          /* depth mismatch: guard + radix bits of the level */
    unsigned int guard_size;           /* guard mismatch: number of guard bits */
    unsigned int which;                /* which address: 0 destination (or only), 1 source */
    unsigned long long guard_expected; /* guard mismatch: the CNode's guard */
    unsigned long long guard_found;    /* guard mismatch: the address's bits */
} bh_lookup_fault_t;

/*
 * Invocation labels. Message registers (mr) and extra capabilities (cap):
 *
 * BH_INV_UNTYPED_RETYPE  invoked: untyped. mr0 type, mr1 size (CNode: radix;
 *     Untyped: size bits; ignored otherwise), mr2 node_index, mr3 node_depth,
 *     mr4 node_offset, mr5 count; cap0 root CNode. The destination CNode is
 *     cap0 itself if node_depth is 0, else the CNode cap found at
 *     (node_index, node_depth) from cap0. Objects go to slots
 *     node_offset .. node_offset+count-1, which must be empty.
 * BH_INV_CNODE_*: the invoked CNode is the root for the destination (or the
 *     only) slot address; cap0, where used, is the root for the source.
 *   REVOKE, DELETE: mr0 index, mr1 depth.
 *   COPY:   mr0 dest_index, mr1 dest_depth, mr2 src_index, mr3 src_depth, mr4 rights mask; cap0.
 *   MINT:   as COPY, plus mr5 data (badge, or CNode guard data).
 *   MOVE:   mr0..mr3 as COPY; cap0.
 *   MUTATE: mr0..mr3 as COPY, mr4 data; cap0.
 */
typedef enum bh_invocation_label {
    BH_INV_INVALID = 0,
    BH_INV_UNTYPED_RETYPE = 0x100,
    BH_INV_CNODE_REVOKE = 0x200,
    BH_INV_CNODE_DELETE = 0x201,
    BH_INV_CNODE_COPY = 0x202,
    BH_INV_CNODE_MINT = 0x203,
    BH_INV_CNODE_MOVE = 0x204,
    BH_INV_CNODE_MUTATE = 0x205
} bh_invocation_label_t;

#endif
