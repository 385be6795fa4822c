/*
 * Bulkhead public ABI: every error code a system call or invocation returns.
 *
 * This is the one list; user level, the kernel, the tools and docs use it.
 * Values are stable ABI: append, never renumber.
 */
#ifndef BULKHEAD_ERRORS_H
#define BULKHEAD_ERRORS_H

typedef enum bh_error {
    BH_OK = 0,
    BH_E_INVALID_ARGUMENT = 1,   /* an argument is out of its domain */
    BH_E_INVALID_CAPABILITY = 2, /* the slot is empty or holds the wrong type */
    BH_E_ILLEGAL_OPERATION = 3,  /* the object does not support this method */
    BH_E_RANGE = 4,              /* a number is outside the allowed range */
    BH_E_ALIGNMENT = 5,          /* an address or size is not suitably aligned */
    BH_E_LOOKUP_FAILED = 6,      /* capability address did not resolve (see lookup info) */
    BH_E_TRUNCATED = 7,          /* a message or buffer was too short */
    BH_E_DELETE_FIRST = 8,       /* the destination slot is not empty */
    BH_E_REVOKE_FIRST = 9,       /* the object still has derived capabilities or children */
    BH_E_NOT_ENOUGH_MEMORY = 10, /* untyped memory left is too small */
    BH_E_INSUFFICIENT_RIGHTS = 11,
    BH_E_UNKNOWN_SYSCALL = 12,
    BH_E_DESTROYED = 13,      /* the object was destroyed while the caller waited on it */
    BH_E_WOULD_BLOCK = 14,    /* non-blocking operation found no partner */
    BH_E_MAPPING_EXISTS = 15, /* an address is already mapped */
    BH_E_NOT_MAPPED = 16,     /* no mapping at that address */
    BH_E_IN_USE = 17,         /* resource (IRQ, VMID, binding) already taken */
    BH_E_PREEMPTED = 18,      /* bounded work done; call again to continue */
    BH_E_NO_REPLY = 19,       /* there is no caller waiting for a reply */
    BH_E_FAULT = 20,          /* a user buffer is not mapped or not accessible */
    BH_E_NOT_SUPPORTED = 21,  /* valid request the hardware or build cannot do */
    BH_E_COUNT                /* number of codes; not an error */
} bh_error_t;

/* Short stable names for diagnostics, indexed by bh_error_t. */
#define BH_ERROR_NAMES                                                                             \
    {                                                                                              \
        "ok", "invalid argument", "invalid capability", "illegal operation", "range error",        \
            "alignment error", "lookup failed", "truncated", "delete first", "revoke first",       \
            "not enough memory", "insufficient rights", "unknown syscall", "destroyed",            \
            "would block", "mapping exists", "not mapped", "in use", "preempted", "no reply",      \
            "fault", "not supported"                                                               \
    }

#endif
