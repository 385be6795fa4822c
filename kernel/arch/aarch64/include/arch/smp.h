/*
 * Symmetric multiprocessing: secondary CPU start (PSCI CPU_ON), per-CPU data,
 * the big kernel lock, inter-processor interrupts and remote calls.
 * Design: docs/ARCHITECTURE.md "SMP".
 */
#ifndef ARCH_SMP_H
#define ARCH_SMP_H

#include <arch/regs.h>
#include <kernel/platform.h>
#include <kernel/sched.h>

#define SMP_MAX_CPUS SCHED_MAX_CPUS

/* SGIs the kernel uses (Group 1, per CPU). */
#define SGI_KICK 0u /* enter the kernel: reschedule, refill list registers, remote call */
#define SGI_STOP 1u /* another CPU panicked: halt */

#define MPIDR_AFF_MASK 0xff00ffffffull

/* The per-CPU data of online CPU index cpu (0 = boot CPU). */
struct percpu *smp_cpu(unsigned cpu);
unsigned smp_online(void);

/* Boot CPU, first thing after the MMU is on: its per-CPU data and stack. */
void smp_boot_cpu_init(uint64_t mpidr);
/* Starts every other CPU of the platform, one at a time; each that comes up
 * gets the next CPU index. Returns the number of CPUs online. */
unsigned smp_start_secondaries(const struct platform *p, unsigned timer_intid);

/*
 * The big kernel lock (ticket lock). Taken on every entry from a lower EL
 * and by the idle loop when it takes an interrupt; released on the way out.
 * While it spins, a CPU answers remote calls (stall, vCPU flush) and stops if
 * another CPU panicked.
 */
void smp_lock(void);
void smp_unlock(void);
/* Sends SGI_KICK to every CPU in mask (bit = CPU index). */
void smp_kick(uint32_t mask);

/* Remote calls, made by the lock holder; return once the target has done it. */
#define SMP_CALL_STALL      1u
#define SMP_CALL_VCPU_FLUSH 2u
void smp_call(unsigned cpu, uint32_t op, void *arg);

/* Panic: true for the first CPU to panic (it prints), after telling every
 * other CPU to stop; false on any later one (it halts quietly). */
bool smp_panic_begin(void);
/* The panic report's line about the other CPUs (none on one CPU). */
void smp_report_stop(void);
void smp_halt(void) __attribute__((noreturn));

/* EL2 system registers every CPU sets the same way (boot.c). */
void el2_cpu_config(void);

#endif
