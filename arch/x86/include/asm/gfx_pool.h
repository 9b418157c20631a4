/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86's side of gfx_pool: how a 2 MiB block of the direct map changes
 * domain. See "Other architectures" in Documentation/mm/gfx_pool.rst for
 * what each hook must do on any architecture.
 */
#ifndef _ASM_X86_GFX_POOL_H
#define _ASM_X86_GFX_POOL_H

#include <linux/gfx_pool.h>
#include <linux/gfx_pool_mm.h>
#include <linux/init.h>
#include <linux/types.h>

#include <asm/pgtable_types.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>

/**
 * arch_gfx_pool_pfn_is_ram() - is a page frame RAM of the pool's, no walk
 * @pfn: any page frame.
 *
 * lookup_memtype() asks this first, on every fault of a VM_PFNMAP mapping.
 * For RAM it would walk the resource tree (pat_pagerange_is_ram()) only
 * to learn that the page flags hold the memtype; the pool's memory is
 * RAM, so for it the page flags answer at once: the type a conversion
 * reserved for the whole 2 MiB (set_memory_wc() WC, set_memory_uc() UC-;
 * NP keeps WB), or whatever else PAT recorded there, exactly as after the
 * walk. Inline, so that a fault pays one call into the pool, and without
 * a pool none.
 *
 * Context: Any context.
 * Return: true if @pfn is in the pool's memory.
 */
static inline bool arch_gfx_pool_pfn_is_ram(unsigned long pfn)
{
	return gfx_pool_enabled() && gfx_pool_pfn_in_pool(pfn);
}

/*
 * CPA keeps a large page whole when one call changes all of it, so every
 * hook below is one set_memory_*() call over the whole aligned 2 MiB.
 */

void __init arch_gfx_pool_setup(unsigned long addr);
unsigned int arch_gfx_pool_map_shift(unsigned long addr);
int arch_gfx_pool_map_domain(unsigned long addr);
int arch_gfx_pool_enter(unsigned long addr, unsigned int nr,
			enum gfx_pool_domain domain);
int arch_gfx_pool_leave(unsigned long addr, unsigned int nr,
			enum gfx_pool_domain domain);
int arch_gfx_pool_reset(unsigned long addr, unsigned int nr,
			enum gfx_pool_domain domain);

/*
 * This CPU used all its zeroing slots since the last call: drop what its
 * TLB may hold of them (only this CPU ever used them), under any PCID.
 * One flush of this CPU's whole TLB, global entries and all PCIDs
 * (INVPCID, or a toggle of CR4.PGE), for all the slots at once: a flush
 * of the loaded PCID alone would miss a slot cached while another task's
 * PCID was loaded. Callable with interrupts off.
 */
static inline void arch_gfx_pool_flush_slots(void)
{
	__flush_tlb_all();
}

/*
 * After a hibernation image was restored: write back and drop every
 * cache line, so that none written through the boot kernel's WB mapping
 * of a pool page outlives it while the image kernel maps it WC or UC.
 */
static inline void arch_gfx_pool_flush_caches(void)
{
	wbinvd();
}

#endif /* _ASM_X86_GFX_POOL_H */
