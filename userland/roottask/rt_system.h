/* The root task's system builder and monitor (target only). */
#ifndef RT_SYSTEM_H
#define RT_SYSTEM_H

#include <bulkhead/bootimage.h>
#include <bulkhead/bootinfo.h>

/*
 * Builds and starts every partition of the spec in entry spec_entry of the
 * checked payload h, then monitors them. Returns the root task's exit status
 * (it returns only when nothing is left to watch or the spec is refused).
 */
int rt_system_run(const struct bh_bootinfo *bi, const struct bh_payload_header *h, int spec_entry);

#endif
