/* Test double for the finalisation hooks: records every call. */
#ifndef CAPS_FINALISE_DOUBLE_H
#define CAPS_FINALISE_DOUBLE_H

#include <caps/finalise.h>

typedef enum { EV_UNMAP, EV_FINALISE } fin_kind_t;

typedef struct {
    fin_kind_t kind;
    bh_objtype_t type;
    uint64_t obj;   /* object address, or IRQ number for IRQHandler */
    uint64_t extra; /* CNode radix, frame size bits, unmap: vaddr */
    uint16_t vmid;
    bool container_was_empty; /* CNode/TCB: all slots empty when finalised */
} fin_event_t;

#define FIN_MAX_EVENTS 4096u
extern fin_event_t fin_events[FIN_MAX_EVENTS];
extern unsigned fin_count;
extern unsigned fin_overflow;

void fin_reset(void);
/* Number of recorded events matching kind/type/obj. */
unsigned fin_find(fin_kind_t kind, bh_objtype_t type, uint64_t obj);

#endif
