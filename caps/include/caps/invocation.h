/* Decoder for Untyped and CNode invocations (labels and layouts: objects.h). */
#ifndef CAPS_INVOCATION_H
#define CAPS_INVOCATION_H

#include <bulkhead/errors.h>
#include <caps/cap.h>

/*
 * invoked: the slot of the invoked capability; mr/mr_count: message words;
 * extra/extra_count: the extra capabilities (already looked up by the syscall
 * layer); budget: work units for delete/revoke. On BH_E_LOOKUP_FAILED *fault
 * says which address (fault->which), level and why (fault->kind). BH_E_TRUNCATED: too few
 * message words or extra caps. Unknown label: BH_E_ILLEGAL_OPERATION. A null
 * capability: BH_E_INVALID_CAPABILITY. Types other than Untyped and CNode:
 * BH_E_ILLEGAL_OPERATION (decoded elsewhere). *fault is zeroed first.
 * Proved (contract at the definition, invocation.c; PROOFS.md).
 */
bh_error_t caps_decode_invocation(cte_t *invoked, uint64_t label, const uint64_t *mr,
                                  uint32_t mr_count, const cap_t *extra, uint32_t extra_count,
                                  uint32_t budget, bh_lookup_fault_t *fault);

#endif
