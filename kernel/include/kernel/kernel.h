/*
 * The portable kernel's entry points and its view of the architecture.
 *
 * Every kernel entry (system call, fault, interrupt) runs:
 *   kernel_enter(now)      bill time, release replenished threads, timeouts
 *   ... handle the event ...
 *   kernel_schedule(now)   choose the next thread and the timer deadline
 * with interrupts masked; every step is bounded.
 */
#ifndef KERNEL_KERNEL_H
#define KERNEL_KERNEL_H

#include <bulkhead/errors.h>
#include <kernel/objects.h>
#include <stddef.h>

/* ---- provided by the architecture (kernel/arch/aarch64; doubles in host tests) ---- */

void arch_console_write(const char *s, size_t n);
/* Makes t's address space current (VTTBR_EL2). BH_E_IN_USE if no VMID is free. */
bh_error_t arch_activate(struct tcb *t);
/* Interrupt line control for IRQHandler objects. */
bh_error_t arch_irq_claim(uint32_t intid);
void arch_irq_release(uint32_t intid);
void arch_irq_ack(uint32_t intid);
/* Routes a shared peripheral interrupt to a CPU (GICD_IROUTER). */
void arch_irq_route(uint32_t intid, unsigned cpu);
/* MPIDR affinity bits of an online CPU. */
uint64_t arch_cpu_mpidr(unsigned cpu);
/* t runs on another CPU right now: returns once that CPU has saved t's
 * registers to memory and waits for the kernel lock (so it will look at t's
 * scheduling state afresh before running it again). No effect otherwise. */
void arch_stall(struct tcb *t);
/* The same for every other CPU (an address space they may run in goes away). */
void arch_stall_others(void);

/* ---- the portable kernel ---- */

void kernel_init(uint64_t now, uint64_t timeslice_ticks, uint64_t timer_hz);
/* A secondary CPU came online (holding the kernel lock). */
void kernel_cpu_start(unsigned cpu, uint64_t now);
/* The thread running at EL0 on this CPU, or NULL when idle. */
struct tcb *kernel_current(void);
void kernel_enter(uint64_t now);
/* The time of the current kernel entry. */
uint64_t kernel_now_hint(void);
/* Chooses what runs next; *deadline = when the timer must fire (UINT64_MAX: never). */
struct tcb *kernel_schedule(uint64_t now, uint64_t *deadline);

/* The current thread made system call nr. */
void kernel_syscall(struct tcb *t, uint64_t now);
/* The current thread faulted: label and message per bulkhead/ipc.h. */
void kernel_fault(struct tcb *t, uint64_t label, const uint64_t msg[6], const char *what);
/* As kernel_fault with len words (guest exits); msg[1] is the pc reported. */
void kernel_fault_n(struct tcb *t, uint64_t label, const uint64_t *msg, unsigned len,
                    const char *what);
/* An interrupt the kernel does not own itself arrived. Returns false if nobody claimed it. */
bool kernel_irq(uint32_t intid);

/* The root task: its exit ends the system. */
void kernel_set_root(struct tcb *t);
bool kernel_root_stopped(void);

/* Boot: gives t the scheduling state of a started thread. */
void kernel_start_thread(struct tcb *t, uint8_t prio);

#endif
