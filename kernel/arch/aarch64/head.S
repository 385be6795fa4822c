/*
 * Kernel entry. The image starts with an arm64 Linux-protocol Image header so
 * QEMU's -kernel and board boot loaders load it at RAM base + text_offset and
 * pass the DTB in x0; as an ELF the same bytes are the entry point.
 */
#include <arch/regs.h>

#define SCTLR_EL2_RES1 0x30C50830

    .section .head.text, "ax"
    .global _head
_head:
    b       _start                  /* code0 */
    .long   0                       /* code1 */
    .quad   0x200000                /* text_offset: we are linked at RAM base + 2 MiB */
    .quad   _kernel_image_size      /* image_size (the builder extends it over the payload) */
    .quad   0x2                     /* flags: little-endian, 4 KiB pages, near DRAM base */
    .quad   0, 0, 0                 /* res2-4 */
    .ascii  "ARM\x64"               /* magic */
    .long   0                       /* res5 */

    .text
    .global _start
_start:
    mov     x19, x0                 /* DTB physical address (0 when booted as a plain ELF) */

    /* Known state before touching memory: MMU and caches off, little-endian. */
    mrs     x20, CurrentEL
    ubfx    x20, x20, #2, #2
    cmp     x20, #2
    b.ne    1f
    ldr     x1, =SCTLR_EL2_RES1
    msr     sctlr_el2, x1
    isb
    adr     x1, el2_vectors
    msr     vbar_el2, x1
    isb
1:
    /* Clear BSS (uses no stack). */
    ldr     x1, =_bss_start
    ldr     x2, =_bss_end
2:  cmp     x1, x2
    b.hs    3f
    str     xzr, [x1], #8
    b       2b
3:
    ldr     x1, =boot_stack_top
    mov     sp, x1
    mov     x29, xzr
    mov     x30, xzr
    cmp     x20, #2
    b.ne    4f
    mov     x0, x19
    bl      kmain
    b       halt_forever
4:
    /* Not at EL2: say so on the fallback console and stop. */
    mov     x0, x20
    mov     x1, x19
    bl      boot_wrong_el
    .global halt_forever
halt_forever:
    msr     daifset, #0xf
5:  wfi
    b       5b
    .ltorg

/*
 * Secondary CPUs (PSCI CPU_ON, smp.c): x0 = the CPU's struct percpu, already
 * cleaned to memory by the boot CPU. The MMU goes on first, with the boot
 * CPU's tables, so every later access is cacheable and coherent.
 */
    .global secondary_entry
secondary_entry:
    mrs     x20, CurrentEL
    ubfx    x20, x20, #2, #2
    cmp     x20, #2
    b.ne    halt_forever            /* PSCI starts us at the caller's EL: cannot happen */
    ldr     x1, =SCTLR_EL2_RES1
    msr     sctlr_el2, x1
    isb
    adr     x1, el2_vectors
    msr     vbar_el2, x1
    adrp    x2, mmu_boot_regs
    add     x2, x2, :lo12:mmu_boot_regs
    ldr     x1, [x2, #MMU_BOOT_MAIR]
    msr     mair_el2, x1
    ldr     x1, [x2, #MMU_BOOT_TCR]
    msr     tcr_el2, x1
    ldr     x1, [x2, #MMU_BOOT_TTBR0]
    msr     ttbr0_el2, x1
    isb
    tlbi    alle2
    dsb     ish
    isb
    ldr     x1, [x2, #MMU_BOOT_SCTLR]
    msr     sctlr_el2, x1
    isb
    msr     tpidr_el2, x0
    ldr     x1, [x0, #PERCPU_KSTACK_TOP]
    mov     sp, x1
    mov     x29, xzr
    mov     x30, xzr
    bl      secondary_main
    b       halt_forever
    .ltorg

    .bss
    .balign 16
boot_stack:
    .space  16384
    .global boot_stack_top
boot_stack_top:
