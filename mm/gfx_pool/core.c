// SPDX-License-Identifier: GPL-2.0
/*
 * gfx_pool: write-combined, uncached and unmapped pages for graphics
 * drivers, without cache-attribute aliases and without splitting the
 * direct map.
 *
 * Why: a driver that maps a page write-combined (WC) or uncached (UC) into
 * user space or the GPU must not leave the kernel's direct map of the same
 * page write-back (WB): that is an illegal cache-attribute alias. Fixing it
 * page by page (set_pages_array_wc()) makes x86 CPA split the 2 MiB and
 * 1 GiB direct-map entries covering those pages into 4 KiB ones, and
 * nothing ever merges them back.
 *
 * How: physically contiguous regions (one per node, or one at a fixed
 * address) are reserved from memblock at boot (gfx_pool= or
 * CONFIG_GFX_POOL_SIZE_MBYTES) and cut into
 * 2 MiB blocks, one direct-map PMD each, on their node's lists. Every
 * block is in one domain at a time (WB, WC, UC or NP for "not present"),
 * and only a wholly free block changes domain,
 * with one arch hook of <asm/gfx_pool.h> covering the whole aligned
 * 2 MiB (on x86 one set_memory_*() call: CPA keeps a large page whole
 * when one call changes all of it), so the pool never splits a PMD. Where
 * the direct map uses 1 GiB pages, the first conversion inside such a
 * page would demote it to 2 MiB pages; the pool does that once per GiB,
 * at init or when a block comes in (gfx_pool_demote_gbpage()), never at
 * a later conversion.
 *
 * Inside a block, allocations of order 0 to 9 are served from a 512-bit
 * bitmap (bitmap_find_next_zero_area(), naturally aligned); order 10
 * (MAX_PAGE_ORDER, which TTM asks for first) takes two wholly free,
 * aligned blocks. A bitmap and
 * not a buddy: a block is only 512 pages, so a search is eight words, the
 * block only needs "is it wholly free" to change domain, and the per-page
 * order record (struct gfx_pool_block::order) that lets a wrong free be
 * refused is needed anyway. This is the same choice the execmem ROX cache
 * and the unmapped_alloc proposal make: refill in whole 2 MiB blocks so
 * the large page stays whole, and keep the small-page allocator inside it.
 *
 * Nothing walks the node's blocks: partly used blocks are listed by their
 * free order (the largest aligned free run), so an allocation looks at
 * one list head per order above its own; wholly free blocks have a list
 * and a count per domain; and free aligned pairs of blocks, which order
 * 10 needs, have lists of their own by the pair's domains.
 *
 * The warm path (a block of the asked domain has room) takes the node lock
 * for those looks and one bitmap search, and changes no direct-map entry. A
 * cold path that needs a conversion drops the lock and converts a
 * wholly free block; that needs a gfp that may sleep. Blocks of the asked domain are
 * always used before any other block is converted. When no block is free,
 * elastic.c brings one in: a lent block of the node's region taken back, or one
 * grown from the page allocator.
 *
 * Locking: each &struct gfx_pool_node has a spinlock, taken with
 * interrupts off (pages may be freed from any context), that protects the
 * node's lists and every mutable field of the node's blocks; and a mutex
 * that serialises conversions on the node, so that an allocation
 * waiting for a conversion finds the converted block instead of failing
 * or converting a second one. A block being converted is off every list
 * and marked converting, and the arch hook runs with the spinlock dropped. The
 * mutex also guards the hibernation state (the node's snapshot flag and
 * each block's snapshot_mapped), so that the PM callbacks and conversions
 * agree on whether an NP block is mapped.
 *
 * Free pages are PageOffline() and carry a dirty bit per page; see the
 * Zeroing section below. The files beside this one: region.c (the
 * gfx_pool= parameter, the reservation, init and the 1 GiB demotion),
 * elastic.c (lending, taking back, growth, giving back), pm.c (suspend
 * and hibernation), debugfs.c and fail.c (fault injection).
 *
 * Lock order: gfx_pool_node.convert_lock, then gfx_pool_node.lock.
 */

#define pr_fmt(fmt) "gfx_pool: " fmt

#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/cacheflush.h>
#include <linux/gfp.h>
#include <linux/gfx_pool.h>
#include <linux/init.h>
#include <linux/log2.h>
#include <linux/memcontrol.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/page-flags.h>
#include <linux/percpu.h>
#include <linux/pgtable.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <linux/vmstat.h>

#include <kunit/static_stub.h>
#include <kunit/visibility.h>

#include <asm/tlbflush.h>

#include "gfx_pool.h"
#include "pcp.h"

#define CREATE_TRACE_POINTS
#include <trace/events/gfx_pool.h>

/* === The pool ============================================================ */

DEFINE_PER_CPU(unsigned long, gfx_pool_events[GFX_POOL_NR_DOMAINS][GFX_POOL_NR_COUNTERS]);

struct gfx_pool gfx_pool = {
	.grown = XARRAY_INIT(gfx_pool.grown, 0),
};

const char *const gfx_pool_domain_names[GFX_POOL_NR_DOMAINS] = {
	[GFX_POOL_WB] = "wb",
	[GFX_POOL_WC] = "wc",
	[GFX_POOL_UC] = "uc",
	[GFX_POOL_NP] = "np",
};

static_assert(ARRAY_SIZE(gfx_pool_domain_names) == GFX_POOL_NR_DOMAINS);

/*
 * The block of @pfn: in the region, by index; a grown one, in the xarray.
 * A region block lives as long as the pool. A grown block's struct is
 * freed an RCU grace period after it is given back, so the pointer is
 * good inside an RCU read-side section (since v4.20 a section with
 * preemption or interrupts off is one: a spinlock held, the per-CPU
 * lists' pinning), or while the caller holds a page of the block, or the
 * node's convert_lock.
 */
struct gfx_pool_block *gfx_pool_pfn_to_block(unsigned long pfn)
{
	if (!gfx_pool_is_ready())
		return NULL;
	return gfx_pool_lookup_block(pfn);
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_pfn_to_block);

/* The region @block belongs to, or NULL for a grown block. */
struct gfx_pool_region *gfx_pool_block_region(const struct gfx_pool_block *block)
{
	struct gfx_pool_region *region;
	unsigned int r;

	for (r = 0; r < gfx_pool.nr_regions; r++) {
		region = &gfx_pool.region[r];
		if (block >= region->blocks &&
		    block < region->blocks + region->nr_blocks)
			return region;
	}
	return NULL;
}

/* === Direct-map changes ================================================== */

/*
 * Every change the pool makes to the direct map is one of the arch hooks
 * of <asm/gfx_pool.h>, over the whole block at @addr, so that its 2 MiB
 * entry stays one: entering a domain from WB, leaving it for WB, or
 * putting a block back to WB after a failed enter. fail_gfx_pool can make
 * any of them fail first. Each failure is counted (direct_map_failures in
 * debugfs).
 */
static int gfx_pool_arch_failed(int ret)
{
	if (ret)
		atomic_long_inc(&gfx_pool.direct_map_failures);
	return ret;
}

static int gfx_pool_arch_enter(unsigned long addr, enum gfx_pool_domain to)
{
	int ret = -ENOMEM;

	if (!gfx_pool_should_fail(GFX_POOL_FAIL_DIRECT_MAP, GFX_POOL_BLOCK_SIZE))
		ret = arch_gfx_pool_enter(addr, GFX_POOL_BLOCK_PAGES, to);
	return gfx_pool_arch_failed(ret);
}

static void gfx_pool_drop_slots(void);

/*
 * The block at @addr, in domain @from, mapped WB (and present) again. An
 * NP block's pages may still be in some CPU's TLB through a zeroing slot
 * (see "Zeroing" below): dropped on every CPU before the block can change
 * memtype or owner, whatever the leave did or failed to do.
 */
int gfx_pool_leave_domain(unsigned long addr, enum gfx_pool_domain from)
{
	int ret = -ENOMEM;

	if (!gfx_pool_should_fail(GFX_POOL_FAIL_DIRECT_MAP, GFX_POOL_BLOCK_SIZE))
		ret = arch_gfx_pool_leave(addr, GFX_POOL_BLOCK_PAGES, from);
	if (from == GFX_POOL_NP)
		gfx_pool_drop_slots();
	return gfx_pool_arch_failed(ret);
}

static int gfx_pool_reset_wb(unsigned long addr, enum gfx_pool_domain to)
{
	int ret = -ENOMEM;

	if (!gfx_pool_should_fail(GFX_POOL_FAIL_DIRECT_MAP, GFX_POOL_BLOCK_SIZE))
		ret = arch_gfx_pool_reset(addr, GFX_POOL_BLOCK_PAGES, to);
	return gfx_pool_arch_failed(ret);
}

/*
 * A direct-map entry larger than a block (a 1 GiB page on x86) cannot
 * hold blocks of two domains: the first conversion inside it demotes
 * it to block-sized entries (the arch hooks promise that much, and no
 * more). Do that on purpose, with a WB -> WC -> WB round trip of the
 * wholly free, WB block at @pfn, so that it happens once and is counted,
 * and not at some later conversion. Memory outside the pool that the
 * large entry also maps keeps 2 MiB entries; nothing is ever mapped 4K.
 *
 * Context: Process context; the block is off every list and marked
 * converting, or (at init, before the pool is ready) nobody else's yet.
 * Return: 1 if a 1G page was demoted, 0 if the block was not mapped by
 * one, or a negative error: the block may then be half changed, or WC
 * with its memtype held, and must not be handed out before
 * gfx_pool_repair() puts it back to WB (@block->broken says how).
 */
VISIBLE_IF_KUNIT int __gfx_pool_demote_gbpage(struct gfx_pool_block *block)
{
	unsigned long addr = gfx_pool_block_addr(block);
	int ret;

	if (arch_gfx_pool_map_shift(addr) <= GFX_POOL_BLOCK_SHIFT)
		return 0;
	ret = gfx_pool_arch_enter(addr, GFX_POOL_WC);
	if (ret) {
		block->broken = GFX_POOL_BROKEN_ENTER | GFX_POOL_WC;
	} else {
		ret = gfx_pool_leave_domain(addr, GFX_POOL_WC);
		if (ret)
			block->broken = GFX_POOL_BROKEN_LEAVE | GFX_POOL_WC;
	}
	if (ret) {
		/* Once at init; a repair that fails again says it rate-limited. */
		pr_err_ratelimited("could not demote the 1G page at %#lx (%d); block at pfn %#lx taken out of use\n",
				   addr, ret, block->pfn);
		return ret;
	}
	atomic_long_inc(&gfx_pool.gbpage_demotions);
	return 1;
}
EXPORT_SYMBOL_IF_KUNIT(__gfx_pool_demote_gbpage);

/* KUnit may stand in for it, to see the scope the caller's gfp put around. */
int gfx_pool_demote_gbpage(struct gfx_pool_block *block)
{
	KUNIT_STATIC_STUB_REDIRECT(gfx_pool_demote_gbpage, block);
	return __gfx_pool_demote_gbpage(block);
}

/* === Zeroing ============================================================= */

/*
 * Pages are zeroed at most once between two uses: struct
 * gfx_pool_block::dirty says which free pages may hold old data. A block
 * that is converted to WC, UC or NP is zeroed while it is wholly free and
 * still WB, through the direct map, which is cheap; after that only pages
 * given back dirty need zeroing again, through their own mapping. NP pages
 * have none, so they are zeroed through mapping slots of each CPU's own:
 * kernel PTEs set, used and cleared with interrupts off, on this CPU
 * only. No vmap(), no TLB shootdown, and it works in atomic context.
 *
 * Each CPU has GFX_POOL_SLOTS of them and takes the next one each time;
 * only when it has used all does it flush its TLB, once, for all of them:
 * a flush of everything, global entries and every PCID, because a slot
 * used while one task's PCID was loaded is cached under that PCID and a
 * flush of the current one would leave it. Until then a cleared slot may
 * linger in this CPU's TLB, reachable through the slot's address only,
 * which nothing but this code uses: as vfree() leaves the TLB entries of
 * freed pages to a lazy purge. One flush per GFX_POOL_SLOTS pages instead
 * of one per page, which under QEMU's TCG costs a whole TLB flush each (a
 * flush of one page inside its large-page range flushes everything).
 */

static struct vm_struct *gfx_pool_slot_area;
static unsigned long gfx_pool_slot_base;	/* GFX_POOL_SLOTS pages a CPU */
static DEFINE_PER_CPU(pte_t *, gfx_pool_slot_pte[GFX_POOL_SLOTS]);
/* The next slot to use; at GFX_POOL_SLOTS, flush first. */
static DEFINE_PER_CPU(unsigned int, gfx_pool_slot_next);
#if IS_ENABLED(CONFIG_KUNIT)
/* Flushes of the slots, for the tests: one per GFX_POOL_SLOTS pages. */
static DEFINE_PER_CPU(unsigned long, gfx_pool_slot_flushes);
/* The slots dropped on every CPU, for the tests: one per NP block left. */
static atomic_long_t gfx_pool_slot_drops;
#endif

static int __init gfx_pool_slot_pte_fn(pte_t *pte, unsigned long addr,
				       void *data)
{
	unsigned long idx = (addr - gfx_pool_slot_base) >> PAGE_SHIFT;
	unsigned int cpu = idx / GFX_POOL_SLOTS;

	/* Slots of CPUs that can never exist stay unused. */
	if (cpu_possible(cpu))
		*per_cpu_ptr(&gfx_pool_slot_pte[idx % GFX_POOL_SLOTS], cpu) = pte;
	return 0;
}

int __init gfx_pool_slot_init(void)
{
	unsigned long size = ((unsigned long)nr_cpu_ids * GFX_POOL_SLOTS) <<
			     PAGE_SHIFT;
	struct vm_struct *area;
	int ret;

	/* VM_IOREMAP: /proc/kcore reads the area as zeroes, never through it. */
	area = gfx_pool_should_fail(GFX_POOL_FAIL_INIT, size) ? NULL :
		get_vm_area(size, VM_IOREMAP);
	if (!area)
		return -ENOMEM;
	gfx_pool_slot_base = (unsigned long)area->addr;
	ret = apply_to_page_range(&init_mm, gfx_pool_slot_base, size,
				  gfx_pool_slot_pte_fn, NULL);
	if (ret) {
		free_vm_area(area);
		gfx_pool_slot_base = 0;
		return ret;
	}
	gfx_pool_slot_area = area;
	return 0;
}

/* Undo gfx_pool_slot_init() when init fails after it. */
void __init gfx_pool_slot_exit(void)
{
	free_vm_area(gfx_pool_slot_area);
	gfx_pool_slot_area = NULL;
	gfx_pool_slot_base = 0;
}

/*
 * Drop the zeroing slots from every CPU's TLB. A CPU flushes its own only
 * when it has used them all, so a slot it cleared may still map, WB, a
 * page of an NP block that is now leaving NP: to be mapped WC or UC next,
 * or to go to the page allocator, whose next user may change its caching
 * (set_pages_array_wc()) with a flush of the direct-map addresses only.
 * The leave's own flush covers the slots only while a whole block is
 * above tlb_single_page_flush_ceiling (x86 debugfs; 33 pages unless an
 * admin raised it), which is not ours to rely on.
 * flush_tlb_kernel_range() reaches every CPU and, with PTI, every PCID.
 *
 * Context: Process context, interrupts on (it sends IPIs).
 */
static void gfx_pool_drop_slots(void)
{
	if (!gfx_pool_slot_base)
		return;
	flush_tlb_kernel_range(gfx_pool_slot_base, gfx_pool_slot_base +
			       (((unsigned long)nr_cpu_ids * GFX_POOL_SLOTS) <<
				PAGE_SHIFT));
#if IS_ENABLED(CONFIG_KUNIT)
	atomic_long_inc(&gfx_pool_slot_drops);
#endif
}

/* Zero one page of an NP block. Context: any; takes no lock. */
VISIBLE_IF_KUNIT void gfx_pool_clear_np_page(struct page *page)
{
	unsigned long flags, addr;
	unsigned int slot;
	pte_t *ptep;

	local_irq_save(flags);
	slot = this_cpu_read(gfx_pool_slot_next);
	if (slot == GFX_POOL_SLOTS) {
		/* Every slot was used since the last flush: drop them all. */
		arch_gfx_pool_flush_slots();
#if IS_ENABLED(CONFIG_KUNIT)
		this_cpu_inc(gfx_pool_slot_flushes);
#endif
		slot = 0;
	}
	this_cpu_write(gfx_pool_slot_next, slot + 1);
	addr = gfx_pool_slot_base +
	       ((smp_processor_id() * GFX_POOL_SLOTS + slot) << PAGE_SHIFT);
	ptep = this_cpu_read(gfx_pool_slot_pte[slot]);
	/* WB is the memtype NP pages keep: this mapping is no alias. */
	set_pte(ptep, mk_pte(page, PAGE_KERNEL));
	/* clear_page() is not instrumented: KASAN has no shadow here. */
	clear_page((void *)addr);
	pte_clear(&init_mm, addr, ptep);
	local_irq_restore(flags);
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_clear_np_page);

#if IS_ENABLED(CONFIG_KUNIT)
/**
 * gfx_pool_slot_flushes_read() - this CPU's flushes of its zeroing slots
 * @next: set to the slot this CPU uses next (at %GFX_POOL_SLOTS, it
 *	flushes first).
 * @clear: set if every slot of this CPU maps nothing.
 *
 * For the tests, which call it with preemption off, to read one CPU.
 *
 * Return: the flushes of this CPU so far.
 */
unsigned long gfx_pool_slot_flushes_read(unsigned int *next, bool *clear)
{
	unsigned int i;

	*next = this_cpu_read(gfx_pool_slot_next);
	*clear = true;
	for (i = 0; i < GFX_POOL_SLOTS; i++)
		*clear &= pte_none(ptep_get(this_cpu_read(gfx_pool_slot_pte[i])));
	return this_cpu_read(gfx_pool_slot_flushes);
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_slot_flushes_read);

/**
 * gfx_pool_slot_drops_read() - the zeroing slots' drops on every CPU
 * @last: set to the address of the slot this CPU used last, or to 0 if it
 *	used none since its last flush. For the tests, with preemption off.
 *
 * Return: how many times the slots were dropped from every CPU's TLB, one
 * per NP block that left NP.
 */
unsigned long gfx_pool_slot_drops_read(unsigned long *last)
{
	unsigned int next = this_cpu_read(gfx_pool_slot_next);

	*last = next ? gfx_pool_slot_base +
		       ((smp_processor_id() * GFX_POOL_SLOTS + next - 1) <<
			PAGE_SHIFT) : 0;
	return atomic_long_read(&gfx_pool_slot_drops);
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_slot_drops_read);
#endif

/*
 * Zero @nr pages from @page, which are in @domain, through their mapping;
 * a poisoned one is not touched (init_on_free=1 of a poisoned page): it
 * will never be handed out again.
 */
static void gfx_pool_clear_pages(struct page *page, unsigned long nr,
				 enum gfx_pool_domain domain)
{
	unsigned long i;

	for (i = 0; i < nr; i++) {
		if (PageHWPoison(page + i))
			continue;
		if (domain == GFX_POOL_NP)
			gfx_pool_clear_np_page(page + i);
		else
			clear_page(page_address(page + i));
	}
	if (domain == GFX_POOL_WC)
		wmb();	/* drain the write-combining buffers */
}

/*
 * Zero the dirty pages of a wholly free block that is being converted and
 * is WB right now. The block is off every list and marked converting, so
 * nobody else touches its bitmaps.
 */
static void gfx_pool_block_clear_dirty(struct gfx_pool_block *block)
{
	unsigned int start, end;

	for_each_set_bitrange(start, end, block->dirty, GFX_POOL_BLOCK_PAGES) {
		memset(pfn_to_kaddr(block->pfn + start), 0,
		       (end - start) << PAGE_SHIFT);
		cond_resched();
	}
	bitmap_zero(block->dirty, GFX_POOL_BLOCK_PAGES);
}

/* === Conversions ========================================================= */

/*
 * Map the block at @addr, WB and present now, in domain @to: one call over
 * the whole 2 MiB. KUnit may stand in for it to make a conversion fail.
 */
int gfx_pool_enter_domain(unsigned long addr, enum gfx_pool_domain to)
{
	KUNIT_STATIC_STUB_REDIRECT(gfx_pool_enter_domain, addr, to);
	return to == GFX_POOL_WB ? 0 : gfx_pool_arch_enter(addr, to);
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_enter_domain);

/*
 * Change how the direct map maps a wholly free block: every step is one
 * arch hook over the whole aligned 2 MiB, so the entry stays whole. Every
 * domain is entered from WB and left to WB (on x86 because the PAT
 * memtype of RAM only moves to and from WB). On the way through WB, the
 * block's dirty pages are zeroed, while that is a plain memset().
 *
 * If leaving the old domain fails, the block's state is unknown and it is
 * reported broken. If entering the new one fails, the block is put back
 * to plain WB; if even that fails, it is reported broken.
 *
 * Context: Process context, the node's convert_lock held, the block off
 * every list and marked converting.
 * Return: the domain the block is in afterwards (@to on success), or
 * %GFX_POOL_BROKEN.
 */
unsigned int gfx_pool_convert(struct gfx_pool_node *node,
			      struct gfx_pool_block *block,
			      enum gfx_pool_domain to)
{
	unsigned long addr = gfx_pool_block_addr(block);
	enum gfx_pool_domain from = block->domain;
	int ret = 0;

	might_sleep();
	lockdep_assert_held(&node->convert_lock);
	/*
	 * An NP block is mapped already if hibernation mapped it for its
	 * image; the zeroing slots may still map its pages all the same.
	 */
	if (from != GFX_POOL_WB && !block->snapshot_mapped)
		ret = gfx_pool_leave_domain(addr, from);
	else if (from == GFX_POOL_NP)
		gfx_pool_drop_slots();
	block->snapshot_mapped = false;
	if (ret) {
		pr_err_ratelimited("block at pfn %#lx: leaving domain %s failed (%d); block taken out of use\n",
				   block->pfn, gfx_pool_domain_names[from], ret);
		block->broken = GFX_POOL_BROKEN_LEAVE | from;
		return GFX_POOL_BROKEN;
	}

	if (to != GFX_POOL_WB)
		gfx_pool_block_clear_dirty(block);

	/* The snapshot must find an NP block mapped until thaw or restore. */
	if (to == GFX_POOL_NP && node->snapshot)
		block->snapshot_mapped = true;
	else
		ret = gfx_pool_enter_domain(addr, to);
	if (!ret) {
		trace_gfx_pool_convert(block->pfn, block->nid, from, to);
		gfx_pool_count(to, GFX_POOL_CONVERSIONS);
		count_vm_event(GFX_POOL_CONVERSION);
		return to;
	}

	/* The entry may be half changed: back to plain WB. */
	pr_warn_ratelimited("block at pfn %#lx: entering domain %s failed (%d)\n",
			    block->pfn, gfx_pool_domain_names[to], ret);
	ret = gfx_pool_reset_wb(addr, to);
	if (ret) {
		pr_err_ratelimited("block at pfn %#lx: cannot put it back to wb (%d); block taken out of use\n",
				   block->pfn, ret);
		block->broken = GFX_POOL_BROKEN_ENTER | to;
		return GFX_POOL_BROKEN;
	}
	return GFX_POOL_WB;
}

/*
 * Get a broken block back to WB: do again what failed, then the 1G
 * demotion if the block is still inside a 1G entry. CPA's changes over a
 * whole 2 MiB are idempotent, so doing a step twice is harmless. Return:
 * true if the block is WB and whole.
 */
static bool gfx_pool_repair_block(struct gfx_pool_block *block)
{
	unsigned long addr = gfx_pool_block_addr(block);
	enum gfx_pool_domain domain = block->broken & GFX_POOL_BROKEN_DOMAIN;
	int ret;

	if (block->broken & GFX_POOL_BROKEN_LEAVE)
		ret = gfx_pool_leave_domain(addr, domain);
	else
		ret = gfx_pool_reset_wb(addr, domain);
	if (!ret) {
		block->broken = 0;
		ret = gfx_pool_demote_gbpage(block);
	}
	return ret >= 0;
}

/**
 * gfx_pool_repair() - get broken blocks back into use
 *
 * A change of the direct map that fails half way (CPA ran out of memory
 * for a page table, say) leaves its block broken: in no known state, so
 * never handed out. Such failures are transient, so a work (elastic.c)
 * calls this some time after a block broke, and again, less and less
 * often, while some stay broken. A grown block that is repaired can then
 * go back to the page allocator.
 *
 * Context: Process context; may sleep. Takes every node's convert_lock.
 * Return: the number of blocks repaired.
 */
unsigned long gfx_pool_repair(void)
{
	struct gfx_pool_block *block, *tmp;
	struct gfx_pool_node *node;
	unsigned long flags, done = 0;
	LIST_HEAD(broken);
	int nid;

	if (!gfx_pool_is_ready() || !atomic_long_read(&gfx_pool.broken_blocks))
		return 0;
	for_each_node(nid) {
		node = gfx_pool.node[nid];
		if (!node)
			continue;
		mutex_lock(&node->convert_lock);
		spin_lock_irqsave(&node->lock, flags);
		list_splice_init(&node->broken, &broken);
		spin_unlock_irqrestore(&node->lock, flags);
		list_for_each_entry_safe(block, tmp, &broken, list) {
			list_del_init(&block->list);
			if (!gfx_pool_repair_block(block)) {
				spin_lock_irqsave(&node->lock, flags);
				list_add_tail(&block->list, &node->broken);
				spin_unlock_irqrestore(&node->lock, flags);
				continue;
			}
			pr_info_ratelimited("block at pfn %#lx: repaired, back in use\n",
					    block->pfn);
			spin_lock_irqsave(&node->lock, flags);
			atomic_long_dec(&gfx_pool.broken_blocks);
			if (block->grown)
				atomic_long_dec(&gfx_pool.broken_grown);
			/* Whatever the failed steps left in it: not zero. */
			bitmap_fill(block->dirty, GFX_POOL_BLOCK_PAGES);
			__gfx_pool_block_converted(node, block, GFX_POOL_WB, true);
			spin_unlock_irqrestore(&node->lock, flags);
			atomic_long_inc(&gfx_pool.repaired_total);
			done++;
		}
		mutex_unlock(&node->convert_lock);
	}
	return done;
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_repair);

/* === Allocation and free ================================================= */

/**
 * struct gfx_pool_alloc_ctx - one allocation on its way through a node
 * @domain: the domain asked for.
 * @order: the order asked for.
 * @zero: the pages must be zero (%__GFP_ZERO or init_on_alloc).
 * @dirty: out: with @zero, some of the pages may hold old data and must
 *	be zeroed; their dirty bits are already cleared.
 */
struct gfx_pool_alloc_ctx {
	enum gfx_pool_domain domain;
	unsigned int order;
	bool zero;
	bool dirty;
};

/* === Block lists ========================================================= */

/*
 * For a run of 1 << (i + 1) bits: bit j set for j a multiple of it. The
 * pool is 64-bit only (ARCH_HAS_GFX_POOL is x86-64's).
 */
static const unsigned long gfx_pool_run_start[] = {
	0x5555555555555555UL, 0x1111111111111111UL, 0x0101010101010101UL,
	0x0001000100010001UL, 0x0000000100000001UL, 0x0000000000000001UL,
};

static_assert(BITS_PER_LONG == 64);
static_assert(ARRAY_SIZE(gfx_pool_run_start) == ilog2(BITS_PER_LONG));

/*
 * The largest order of an aligned run of set bits in @free, one word of a
 * block's free pages; @free is not zero. Each step keeps the bits that
 * start a run twice as long, at twice the alignment: a few shifts and
 * ANDs, no division.
 */
static unsigned int gfx_pool_word_free_order(unsigned long free)
{
	unsigned long next;
	unsigned int order;

	for (order = 0; order < ARRAY_SIZE(gfx_pool_run_start); order++) {
		next = free & (free >> (1U << order)) &
		       gfx_pool_run_start[order];
		if (!next)
			break;
		free = next;
	}
	return order;
}

/*
 * The free order of @block: the largest order of an aligned run of its
 * free pages, which an allocation of that order could take. One look at
 * each of its eight bitmap words: if some are wholly free, the answer is
 * the runs of those; else the best of the words. Return: -1 if the block
 * is full.
 */
static int gfx_pool_block_free_order(const struct gfx_pool_block *block)
{
	unsigned int i, nr_words = BITS_TO_LONGS(GFX_POOL_BLOCK_PAGES);
	unsigned long free_words = 0;
	int order = -1;

	static_assert(BITS_TO_LONGS(GFX_POOL_BLOCK_PAGES) <= BITS_PER_LONG);
	for (i = 0; i < nr_words; i++)
		if (!block->used[i])
			free_words |= BIT(i);
	/* Runs of wholly free words, aligned as the words are. */
	if (free_words)
		return ilog2(BITS_PER_LONG) +
		       gfx_pool_word_free_order(free_words);
	for (i = 0; i < nr_words; i++)
		if (~block->used[i])
			order = max_t(int, order,
				      gfx_pool_word_free_order(~block->used[i]));
	return order;
}

/*
 * The aligned pair @block is part of, if its two blocks are this node's:
 * @first gets the block whose pfn is aligned to 1 << GFX_POOL_MAX_ORDER.
 * Context: @node's lock held, which is also an RCU read-side section for
 * the lookup of a grown neighbour; or init, once every region is set up.
 */
static struct gfx_pool_block *__gfx_pool_pair_other(struct gfx_pool_node *node,
						    struct gfx_pool_block *block,
						    struct gfx_pool_block **first)
{
	unsigned long pfn = block->pfn ^ GFX_POOL_BLOCK_PAGES;
	struct gfx_pool_block *other;

	lockdep_assert(!gfx_pool_is_ready() || lockdep_is_held(&node->lock));
	if (GFX_POOL_MAX_ORDER == GFX_POOL_BLOCK_ORDER)
		return NULL;
	other = gfx_pool_lookup_block(pfn);
	if (!other || other->nid != node->nid)
		return NULL;
	*first = IS_ALIGNED(block->pfn, 1UL << GFX_POOL_MAX_ORDER) ? block :
									other;
	return other;
}

/*
 * @block just went on or off its domain's free list: put its pair on the
 * pair list its domains say (at the head, or the @tail, as the block went
 * on its free list), or off every pair list.
 *
 * The pair freed last is taken first, as a block freed last is: an
 * order-10 user that frees and allocates again gets the same pair back,
 * with its pages still in the CPU's caches and TLB, and the pairs it does
 * not need stay idle, so that the idle work can give them back. Taken
 * from the tail, a steady user would rotate through every free pair and
 * keep them all from ever being idle.
 */
static void __gfx_pool_pair_update(struct gfx_pool_node *node,
				   struct gfx_pool_block *block, bool tail)
{
	struct gfx_pool_block *first, *other, *second;
	struct list_head *list;

	other = __gfx_pool_pair_other(node, block, &first);
	if (!other)
		return;
	second = first == block ? other : block;
	if (!block->listed_free || !other->listed_free) {
		list_del_init(&first->pair);
		return;
	}
	list = &node->pairs[first->domain][second->domain];
	if (tail)
		list_move_tail(&first->pair, list);
	else
		list_move(&first->pair, list);
}

/* Put @block on its domain's free list: at the head, or the @tail. */
static void __gfx_pool_block_list_free(struct gfx_pool_node *node,
				       struct gfx_pool_block *block, bool tail)
{
	struct gfx_pool_domain_lists *dom = &node->domain[block->domain];

	block->free_order = -1;
	if (tail)
		list_move_tail(&block->list, &dom->free);
	else
		list_move(&block->list, &dom->free);
	if (!block->listed_free) {
		block->listed_free = true;
		dom->nr_free++;
		__gfx_pool_pair_update(node, block, tail);
	}
}

/* Take @block off whichever list it is on. */
static void __gfx_pool_block_unlist(struct gfx_pool_node *node,
				    struct gfx_pool_block *block)
{
	list_del_init(&block->list);
	block->free_order = -1;
	if (block->listed_free) {
		block->listed_free = false;
		node->domain[block->domain].nr_free--;
		__gfx_pool_pair_update(node, block, false);
	}
}

/**
 * gfx_pool_list_blocks() - put the region blocks that are not lent on lists
 *
 * Each goes to the tail of its domain's free list, in physical order, and
 * is paired with its neighbour like any block that becomes free.
 *
 * Context: init, once the blocks of every region are set up (so that a
 * block's neighbour is too), before the pool is ready.
 */
void __init gfx_pool_list_blocks(void)
{
	struct gfx_pool_block *block;
	struct gfx_pool_node *node;
	unsigned long i;

	for (i = 0; i < gfx_pool.nr_blocks; i++) {
		block = &gfx_pool.blocks[i];
		if (block->lent)
			continue;
		node = gfx_pool.node[block->nid];
		node->domain[block->domain].nr_blocks++;
		__gfx_pool_block_list_free(node, block, true);
	}
}

/*
 * Take a wholly free @block off its list and mark it converting: nobody
 * else touches it until __gfx_pool_block_converted() puts it back (or
 * never, if it is broken or goes back to the page allocator).
 * Context: @node's lock held, or init before the pool is ready.
 */
void __gfx_pool_block_detach(struct gfx_pool_node *node,
			     struct gfx_pool_block *block)
{
	lockdep_assert(!gfx_pool_is_ready() || lockdep_is_held(&node->lock));
	__gfx_pool_block_unlist(node, block);
	node->domain[block->domain].nr_blocks--;
	/* Read locklessly, as a hint, by the idle work and the shrinker. */
	WRITE_ONCE(block->converting, true);
}

/*
 * Put @block on the list its state says, after a change under the lock:
 * the free list, the partial list of its free order, or none when full.
 */
static void __gfx_pool_block_relist(struct gfx_pool_node *node,
				    struct gfx_pool_block *block)
{
	struct gfx_pool_domain_lists *dom = &node->domain[block->domain];
	int order;

	lockdep_assert_held(&node->lock);
	if (!block->nr_used) {
		__gfx_pool_block_list_free(node, block, false);
		gfx_pool_block_now_free(block);
		return;
	}
	__gfx_pool_block_unlist(node, block);
	order = gfx_pool_block_free_order(block);
	block->free_order = order;
	if (order >= 0)
		list_add(&block->list, &dom->partial[order]);
}

/*
 * The first partly used block of @domain on @node with a free run of
 * @order or more, from the most broken-up list that has one.
 */
static struct gfx_pool_block *__gfx_pool_partial(struct gfx_pool_node *node,
						 enum gfx_pool_domain domain,
						 unsigned int order)
{
	struct gfx_pool_domain_lists *dom = &node->domain[domain];
	struct gfx_pool_block *block;

	for (; order < GFX_POOL_BLOCK_ORDER; order++) {
		block = list_first_entry_or_null(&dom->partial[order],
						 struct gfx_pool_block, list);
		if (block)
			return block;
	}
	return NULL;
}

/*
 * Take pages [@off, @off + @nr) of @block: bitmaps and zeroing, not the
 * page type (pages for a per-CPU list stay PageOffline()).
 */
static void __gfx_pool_block_take_pages(struct gfx_pool_node *node,
					struct gfx_pool_block *block,
					unsigned long off, unsigned long nr,
					struct gfx_pool_alloc_ctx *ac)
{
	lockdep_assert_held(&node->lock);
	bitmap_set(block->used, off, nr);
	block->nr_used += nr;
	node->domain[block->domain].nr_used += nr;
	if (ac->zero && find_next_bit(block->dirty, off + nr, off) < off + nr) {
		bitmap_clear(block->dirty, off, nr);
		ac->dirty = true;
	}
}

/* Hand out pages [@off, @off + @nr) of @block: bitmaps, zeroing, type. */
static void __gfx_pool_block_take(struct gfx_pool_node *node,
				  struct gfx_pool_block *block,
				  unsigned long off, unsigned long nr,
				  struct gfx_pool_alloc_ctx *ac)
{
	__gfx_pool_block_take_pages(node, block, off, nr, ac);
	gfx_pool_set_offline(pfn_to_page(block->pfn + off), nr, false);
}

/*
 * Does a take or give of pages [@off, @off + @nr) of @block, a partly used
 * block, leave its free order as it is? While a block has a wholly free
 * word of its bitmap, its free order comes from those words alone; a take
 * or give whose end words are partly used both before and after it
 * changes none of them. Asked before a take (the words are partly used
 * after it, as they were) and after a give (they were, as they are).
 * That is the common case of order 0, which fills a block word by word:
 * the lists are then left alone, and only one take in 64 recomputes.
 * Context: @node's lock held.
 */
static bool __gfx_pool_keeps_order(const struct gfx_pool_block *block,
				   unsigned long off, unsigned long nr)
{
	return block->free_order >= ilog2(BITS_PER_LONG) &&
	       nr <= BITS_PER_LONG && block->used[BIT_WORD(off)] &&
	       block->used[BIT_WORD(off + nr - 1)];
}

/*
 * After pages of @block were taken: the lists, unless @keeps_order said
 * they stay right, and the warm blocks of its domain, which has one
 * wholly free block fewer if it @was_partial not.
 */
static void __gfx_pool_block_taken(struct gfx_pool_node *node,
				   struct gfx_pool_block *block,
				   bool was_partial, bool keeps_order)
{
	if (!keeps_order)
		__gfx_pool_block_relist(node, block);
	if (!was_partial)
		__gfx_pool_warm_check(node, block->domain);
}

static struct page *__gfx_pool_block_alloc(struct gfx_pool_node *node,
					   struct gfx_pool_block *block,
					   struct gfx_pool_alloc_ctx *ac)
{
	unsigned long nr = 1UL << ac->order;
	bool was_partial = block->nr_used != 0;
	unsigned long off;
	bool keeps;

	lockdep_assert_held(&node->lock);
	off = bitmap_find_next_zero_area(block->used, GFX_POOL_BLOCK_PAGES, 0,
					 nr, nr - 1);
	/* The lists promise room: a block without it is a pool bug. */
	if (WARN_ON_ONCE(off >= GFX_POOL_BLOCK_PAGES))
		return NULL;

	keeps = was_partial && __gfx_pool_keeps_order(block, off, nr);
	__gfx_pool_block_take(node, block, off, nr, ac);
	block->order[off] = ac->order + 1;
	__gfx_pool_block_taken(node, block, was_partial, keeps);
	return pfn_to_page(block->pfn + off);
}

/*
 * The warm path: pages from a block already in the domain, partly used
 * ones first so that free blocks stay free for other domains and orders.
 * No walk: one look at each partial list from @ac->order up, then the
 * free list.
 */
static struct page *__gfx_pool_node_alloc_warm(struct gfx_pool_node *node,
					       struct gfx_pool_alloc_ctx *ac)
{
	struct gfx_pool_block *block;

	lockdep_assert_held(&node->lock);
	/* A partly used block never has room for a whole block. */
	block = ac->order < GFX_POOL_BLOCK_ORDER ?
		__gfx_pool_partial(node, ac->domain, ac->order) : NULL;
	if (!block)
		block = list_first_entry_or_null(&node->domain[ac->domain].free,
						 struct gfx_pool_block, list);
	return block ? __gfx_pool_block_alloc(node, block, ac) : NULL;
}

static struct page *gfx_pool_node_alloc_warm(struct gfx_pool_node *node,
					     struct gfx_pool_alloc_ctx *ac)
{
	unsigned long flags;
	struct page *page;

	spin_lock_irqsave(&node->lock, flags);
	page = __gfx_pool_node_alloc_warm(node, ac);
	spin_unlock_irqrestore(&node->lock, flags);
	return page;
}

/**
 * __gfx_pool_take_pcp() - take free pages of a node for a per-CPU list
 * @node: the node.
 * @domain: the domain.
 * @run: out: the pages, as runs of one block and one dirty state, in the
 *	order the blocks give them.
 * @max: at most this many pages (and so runs).
 * @nr_runs: out: the number of runs.
 *
 * Runs of free pages of the blocks of @domain that have room, partly used
 * blocks first, as the warm path takes them; none is converted. Fewer
 * than @max where that ends them at a cache line of order records. The pages
 * stay PageOffline(): a page on a per-CPU list is free to everyone but
 * the pool, and leaves that state when the list hands it out.
 *
 * Context: @node's lock held.
 * Return: the number of pages, each handed out as far as its block knows
 * and its order record %GFX_POOL_ORDER_PCP.
 */
unsigned int __gfx_pool_take_pcp(struct gfx_pool_node *node,
				 enum gfx_pool_domain domain,
				 struct gfx_pool_pcp_run *run, unsigned int max,
				 unsigned int *nr_runs)
{
	struct gfx_pool_domain_lists *dom = &node->domain[domain];
	struct gfx_pool_alloc_ctx ac = { .domain = domain };
	unsigned long off, end, k, i, j;
	struct gfx_pool_block *block;
	bool was_partial, keeps, dirty;
	unsigned int n = 0, r = 0;

	lockdep_assert_held(&node->lock);
	while (n < max) {
		block = __gfx_pool_partial(node, domain, 0);
		if (!block)
			block = list_first_entry_or_null(&dom->free,
							 struct gfx_pool_block,
							 list);
		if (!block)
			break;
		/* A block on either list has a free page. */
		was_partial = block->nr_used != 0;
		off = find_first_zero_bit(block->used, GFX_POOL_BLOCK_PAGES);
		end = find_next_bit(block->used, GFX_POOL_BLOCK_PAGES, off);
		k = min_t(unsigned long, end - off, max - n);
		/*
		 * A fill that stops inside a free run stops at a line of
		 * order records if it crossed one, and so is the last: the
		 * next fill, maybe another CPU's, starts on a line of its
		 * own. After an allocation of a higher order, a block's free
		 * run starts anywhere.
		 */
		if (off + k < end &&
		    round_down(off + k, GFX_POOL_PCP_BATCH) > off) {
			k = round_down(off + k, GFX_POOL_PCP_BATCH) - off;
			max = n + k;
		}
		keeps = was_partial && __gfx_pool_keeps_order(block, off, k);
		__gfx_pool_block_take_pages(node, block, off, k, &ac);
		memset(&block->order[off], GFX_POOL_ORDER_PCP, k);
		/* A run per stretch of one dirty state. */
		for (i = off; i < off + k; i = j) {
			dirty = test_bit(i, block->dirty);
			j = dirty ? find_next_zero_bit(block->dirty, off + k, i) :
				    find_next_bit(block->dirty, off + k, i);
			run[r++] = (struct gfx_pool_pcp_run){
				.pfn = block->pfn + i, .nr = j - i,
				.dirty = dirty,
			};
		}
		n += k;
		__gfx_pool_block_taken(node, block, was_partial, keeps);
	}
	*nr_runs = r;
	return n;
}

/*
 * @block, detached, is broken (@block->broken says how): on the node's
 * broken list, still marked converting, so never handed out, converted,
 * given back or lent until gfx_pool_repair() gets it back; walks that
 * skip converting blocks (the snapshot's, the shrinker's) pass it by.
 * Context: @node's lock held, or init before the pool is ready.
 */
void __gfx_pool_block_broken(struct gfx_pool_node *node,
			     struct gfx_pool_block *block)
{
	lockdep_assert(!gfx_pool_is_ready() || lockdep_is_held(&node->lock));
	list_add_tail(&block->list, &node->broken);
	atomic_long_inc(&gfx_pool.broken_blocks);
	if (block->grown)
		atomic_long_inc(&gfx_pool.broken_grown);
	gfx_pool_repair_later();
}

/*
 * Put a wholly free block back on the lists after gfx_pool_convert() left
 * it in domain @now. A block that fell back to WB goes to the tail of the
 * WB list, so that the next conversion tries another block first.
 * Return: false if it is broken and stays off them.
 */
bool __gfx_pool_block_converted(struct gfx_pool_node *node,
				struct gfx_pool_block *block,
				unsigned int now, bool failed)
{
	lockdep_assert_held(&node->lock);
	if (now == GFX_POOL_BROKEN) {
		__gfx_pool_block_broken(node, block);
		return false;
	}
	WRITE_ONCE(block->domain, now);
	/* Read locklessly, as a hint, by the idle work and the shrinker. */
	WRITE_ONCE(block->converting, false);
	node->domain[now].nr_blocks++;
	__gfx_pool_block_list_free(node, block, failed);
	gfx_pool_block_now_free(block);
	return true;
}

/*
 * The cold path: convert a wholly free block of another domain. A
 * conversion that fails (a memtype conflict, no memory for page tables) leaves
 * that block WB; other free blocks are tried, at most as many as were
 * free when this began, so that a conversion that always fails cannot
 * loop. One that breaks a block ends it: what made the direct map fail
 * there will likely fail for the next block too, and each try costs a
 * TLB flush on every CPU and the block until gfx_pool_repair().
 */
static struct page *gfx_pool_node_alloc_cold(struct gfx_pool_node *node,
					     struct gfx_pool_alloc_ctx *ac)
{
	unsigned long flags, tries = 0;
	struct gfx_pool_block *block;
	struct page *page = NULL;
	unsigned int now;
	int d;

	lockdep_assert_held(&node->convert_lock);
	spin_lock_irqsave(&node->lock, flags);
	for (d = 0; d < GFX_POOL_NR_DOMAINS; d++)
		if (d != ac->domain)
			tries += node->domain[d].nr_free;
	while (!page && tries--) {
		block = NULL;
		for (d = 0; d < GFX_POOL_NR_DOMAINS && !block; d++) {
			if (d == ac->domain)
				continue;
			block = list_first_entry_or_null(&node->domain[d].free,
							 struct gfx_pool_block,
							 list);
		}
		if (!block)
			break;
		/* Not converted: it is a partly used block now. */
		if (__gfx_pool_block_keep_poisoned(node, block))
			continue;
		__gfx_pool_block_detach(node, block);
		/*
		 * Drop the lock for the conversion, which sleeps and sends IPIs. The
		 * block is off every list and marked converting, so nobody
		 * else touches it.
		 */
		spin_unlock_irqrestore(&node->lock, flags);

		now = gfx_pool_convert(node, block, ac->domain);

		spin_lock_irqsave(&node->lock, flags);
		if (__gfx_pool_block_converted(node, block, now,
					       now != ac->domain) &&
		    now == ac->domain)
			page = __gfx_pool_block_alloc(node, block, ac);
		if (now == GFX_POOL_BROKEN)
			break;
	}
	spin_unlock_irqrestore(&node->lock, flags);
	return page;
}

/*
 * Allocations above GFX_POOL_BLOCK_ORDER take 1 << (order - block order)
 * wholly free blocks, naturally aligned, on one node: of the region,
 * grown, or one of each where a grown block lies next to a region block.
 * That is a pair (MAX_PAGE_ORDER is one above a block's order), and the
 * node keeps its free pairs on lists by their domains,
 * so finding one is a look at a few list heads; the blocks are marked
 * full and only the first one records the order.
 */
static unsigned int gfx_pool_span(unsigned int order)
{
	return 1U << (order - GFX_POOL_BLOCK_ORDER);
}

/* The @i-th block of the group that starts at @first. */
static struct gfx_pool_block *gfx_pool_group_block(struct gfx_pool_block *first,
						   unsigned int i)
{
	return i ? gfx_pool_pfn_to_block(first->pfn +
					 (i << GFX_POOL_BLOCK_ORDER)) : first;
}

/* What converting a wholly free block of domain @from to @to costs. */
static unsigned int gfx_pool_convert_steps(unsigned int from, unsigned int to)
{
	/* Every domain is entered from WB and left to WB. */
	return from == to ? 0 : from == GFX_POOL_WB || to == GFX_POOL_WB ? 1 : 2;
}

/*
 * A free aligned group for @domain: in @domain only, or if @any in
 * whatever domains, the one with the fewest conversion steps first.
 * Return: its first block, or NULL if there is none.
 */
static struct gfx_pool_block *__gfx_pool_find_group(struct gfx_pool_node *node,
						    unsigned int domain,
						    bool any)
{
	struct gfx_pool_block *first, *best = NULL;
	unsigned int a, b, steps, best_steps = UINT_MAX;

	lockdep_assert_held(&node->lock);
	if (!any)
		return list_first_entry_or_null(&node->pairs[domain][domain],
						struct gfx_pool_block, pair);
	for (a = 0; a < GFX_POOL_NR_DOMAINS; a++) {
		for (b = 0; b < GFX_POOL_NR_DOMAINS; b++) {
			first = list_first_entry_or_null(&node->pairs[a][b],
							 struct gfx_pool_block,
							 pair);
			steps = gfx_pool_convert_steps(a, domain) +
				gfx_pool_convert_steps(b, domain);
			if (first && steps < best_steps) {
				best = first;
				best_steps = steps;
			}
		}
	}
	return best;
}

static struct page *__gfx_pool_group_take(struct gfx_pool_node *node,
					  struct gfx_pool_block *first,
					  struct gfx_pool_alloc_ctx *ac)
{
	struct gfx_pool_block *block;
	unsigned int i;

	lockdep_assert_held(&node->lock);
	for (i = 0; i < gfx_pool_span(ac->order); i++) {
		block = gfx_pool_group_block(first, i);
		__gfx_pool_block_take(node, block, 0, GFX_POOL_BLOCK_PAGES, ac);
		__gfx_pool_block_unlist(node, block);
	}
	first->order[0] = ac->order + 1;
	__gfx_pool_warm_check(node, ac->domain);
	return pfn_to_page(first->pfn);
}

static struct page *gfx_pool_node_alloc_group_warm(struct gfx_pool_node *node,
						   struct gfx_pool_alloc_ctx *ac)
{
	struct gfx_pool_block *first;
	struct page *page = NULL;
	unsigned long flags;

	spin_lock_irqsave(&node->lock, flags);
	first = __gfx_pool_find_group(node, ac->domain, false);
	if (first)
		page = __gfx_pool_group_take(node, first, ac);
	spin_unlock_irqrestore(&node->lock, flags);
	return page;
}

/*
 * Convert the blocks of a free group that are not in the domain yet. Every
 * block of the group is off the lists and marked converting meanwhile, so
 * that no other allocation takes one of them from under us.
 */
static struct page *gfx_pool_node_alloc_group_cold(struct gfx_pool_node *node,
						   struct gfx_pool_alloc_ctx *ac)
{
	struct gfx_pool_block *group[1U << (GFX_POOL_MAX_ORDER - GFX_POOL_BLOCK_ORDER)];
	unsigned int now[1U << (GFX_POOL_MAX_ORDER - GFX_POOL_BLOCK_ORDER)];
	unsigned int i, span = gfx_pool_span(ac->order);
	struct gfx_pool_block *block;
	struct page *page = NULL;
	unsigned long flags;
	bool all = true, kept;

	lockdep_assert_held(&node->convert_lock);
	spin_lock_irqsave(&node->lock, flags);
	/* A group with a poisoned page is not free: each try has one fewer. */
	do {
		group[0] = __gfx_pool_find_group(node, ac->domain, true);
		if (!group[0])
			goto out_unlock;
		kept = false;
		for (i = 0; i < span; i++)
			kept |= __gfx_pool_block_keep_poisoned(node,
					gfx_pool_group_block(group[0], i));
	} while (kept);
	for (i = 0; i < span; i++) {
		block = gfx_pool_group_block(group[0], i);
		group[i] = block;
		__gfx_pool_block_detach(node, block);
	}
	/* As in gfx_pool_node_alloc_cold(): no lock for conversions. */
	spin_unlock_irqrestore(&node->lock, flags);

	for (i = 0; i < span; i++) {
		block = group[i];
		now[i] = block->domain == ac->domain ? ac->domain :
			 gfx_pool_convert(node, block, ac->domain);
	}

	spin_lock_irqsave(&node->lock, flags);
	for (i = 0; i < span; i++)
		all &= __gfx_pool_block_converted(node, group[i], now[i],
						  now[i] != ac->domain) &&
		       now[i] == ac->domain;
	if (all)
		page = __gfx_pool_group_take(node, group[0], ac);
out_unlock:
	spin_unlock_irqrestore(&node->lock, flags);
	return page;
}

/*
 * Warm, then cold; then, if @may_grow, grow the node by the blocks the
 * order needs and convert those (elastic.c decides whether it may).
 */
static struct page *gfx_pool_node_alloc(struct gfx_pool_node *node, gfp_t gfp,
					struct gfx_pool_alloc_ctx *ac,
					bool may_grow)
{
	bool group = ac->order > GFX_POOL_BLOCK_ORDER;
	struct page *page;

	page = group ? gfx_pool_node_alloc_group_warm(node, ac) :
		       gfx_pool_node_alloc_warm(node, ac);
	if (page || !gfpflags_allow_blocking(gfp))
		return page;

	/*
	 * A caller that may not enter the filesystem or do I/O does not wait
	 * for the lock: its holder may be in reclaim with __GFP_FS and
	 * __GFP_IO (cma_alloc()'s migration for the warm work, a GFP_KERNEL
	 * caller's growth), and reclaim may wait on what such a caller holds
	 * (a journal handle, pages under I/O). It goes without a conversion
	 * this time, as an atomic caller does. So does a caller inside a
	 * memalloc_nofs_save() or memalloc_noio_save() scope.
	 */
	if ((current_gfp_context(gfp) & (__GFP_FS | __GFP_IO)) ==
	    (__GFP_FS | __GFP_IO))
		mutex_lock(&node->convert_lock);
	else if (!mutex_trylock(&node->convert_lock))
		return NULL;
	/* Whoever held the mutex may have converted a block we can use. */
	if (group) {
		page = gfx_pool_node_alloc_group_warm(node, ac);
		if (!page)
			page = gfx_pool_node_alloc_group_cold(node, ac);
		if (!page && gfx_pool_pcp_drain(node->nid))
			page = gfx_pool_node_alloc_group_cold(node, ac);
		if (!page && may_grow && gfx_pool_grow(node, gfp, ac->order))
			page = gfx_pool_node_alloc_group_cold(node, ac);
	} else {
		page = gfx_pool_node_alloc_warm(node, ac);
		if (!page)
			page = gfx_pool_node_alloc_cold(node, ac);
		/* Pages on per-CPU lists may keep a block from being free. */
		if (!page && gfx_pool_pcp_drain(node->nid)) {
			page = gfx_pool_node_alloc_warm(node, ac);
			if (!page)
				page = gfx_pool_node_alloc_cold(node, ac);
		}
		if (!page && may_grow && gfx_pool_grow(node, gfp, ac->order)) {
			page = gfx_pool_node_alloc_warm(node, ac);
			if (!page)
				page = gfx_pool_node_alloc_cold(node, ac);
		}
	}
	mutex_unlock(&node->convert_lock);
	return page;
}

/*
 * Check a free of @page at @order and take its order record, so that a
 * second free of the same pages is refused from now on; the pages stay
 * marked in use until gfx_pool_release(). @domain is set to the block's
 * domain, read under the lock.
 * Return: 0, or -EINVAL if @page is not the head of an allocation of
 * @order that is handed out.
 */
static int gfx_pool_claim_free(struct gfx_pool_block *block, struct page *page,
			       unsigned int order, enum gfx_pool_domain *domain)
{
	struct gfx_pool_node *node = gfx_pool.node[block->nid];
	unsigned long off = page_to_pfn(page) - block->pfn;
	unsigned long flags;
	int ret = -EINVAL;

	spin_lock_irqsave(&node->lock, flags);
	*domain = block->domain;
	/* Against a free to a per-CPU list, which takes no lock. */
	if (cmpxchg(&block->order[off], order + 1, 0) == order + 1)
		ret = 0;
	spin_unlock_irqrestore(&node->lock, flags);
	return ret;
}

/*
 * Does any of the @nr pages from @page carry PG_hwpoison? memory_failure()
 * sets it on a pool page, handed out or free, and can do no more with it:
 * the page is PageReserved, neither on the LRU nor the buddy's, so it is
 * "unhandlable" there. The pool takes it out of use itself, when it comes
 * back or is about to be handed out.
 */
static bool gfx_pool_range_poisoned(const struct page *page, unsigned long nr)
{
	if (!IS_ENABLED(CONFIG_MEMORY_FAILURE))
		return false;
	for (; nr; nr--, page++)
		if (unlikely(PageHWPoison(page)))
			return true;
	return false;
}

static void __gfx_pool_block_give(struct gfx_pool_node *node,
				  struct gfx_pool_block *block,
				  unsigned long off, unsigned long nr,
				  bool zeroed);

/*
 * @page, poisoned, stays handed out to nobody. Offline, as free pages
 * are: the snapshot and kcore skip it.
 */
static void gfx_pool_keep_poisoned(struct page *page)
{
	gfx_pool_set_offline(page, 1, true);
	atomic_long_inc(&gfx_pool.hwpoison_pages);
	pr_warn_ratelimited("pfn %#lx is hardware poisoned: the pool keeps it out of use\n",
			    page_to_pfn(page));
}

/*
 * Give pages [@off, @off + @nr) back, but keep each poisoned one handed
 * out to nobody for good: its used bit stays set and its order record
 * zero, so it is never handed out again, never freed (a free of it is
 * refused), and its block never counts as wholly free, so it is never
 * converted (its zeroing would touch the page), lent or given back. What
 * reads all memory (the hibernation snapshot, /proc/kcore) skips it.
 */
static void __gfx_pool_block_give_poisoned(struct gfx_pool_node *node,
					   struct gfx_pool_block *block,
					   unsigned long off, unsigned long nr,
					   bool zeroed)
{
	struct page *page;
	unsigned long i;

	for (i = off; i < off + nr; i++) {
		page = pfn_to_page(block->pfn + i);
		if (PageHWPoison(page))
			gfx_pool_keep_poisoned(page);
		else
			__gfx_pool_block_give(node, block, i, 1, zeroed);
	}
}

/**
 * __gfx_pool_block_keep_poisoned() - keep the poisoned pages of a free block
 * @node: the node of @block.
 * @block: a wholly free block, on its domain's free list.
 *
 * memory_failure() may poison a page of a block that is wholly free, and
 * the pool would not see it until an allocation hands that page out.
 * Before a free block is converted (which zeroes it), lent or given back
 * (after which the page allocator or CMA could never take the page, and
 * the block never back), each poisoned page of it is taken out of use as
 * __gfx_pool_block_give_poisoned() does for one that comes back. The rest
 * of the block serves as a partly used block. One flag read per page,
 * against a conversion that writes all of them.
 *
 * Context: @node's lock held.
 * Return: true if @block had a poisoned page and is no longer wholly free.
 */
bool __gfx_pool_block_keep_poisoned(struct gfx_pool_node *node,
				    struct gfx_pool_block *block)
{
	struct gfx_pool_alloc_ctx ac = { .domain = block->domain };
	struct page *page = pfn_to_page(block->pfn);
	unsigned long i;

	lockdep_assert_held(&node->lock);
	if (likely(!gfx_pool_range_poisoned(page, GFX_POOL_BLOCK_PAGES)))
		return false;
	for (i = 0; i < GFX_POOL_BLOCK_PAGES; i++) {
		if (!PageHWPoison(page + i))
			continue;
		/* Its order record stays 0: a free of it is refused. */
		__gfx_pool_block_take(node, block, i, 1, &ac);
		gfx_pool_keep_poisoned(page + i);
	}
	__gfx_pool_block_taken(node, block, false, false);
	return true;
}

/* Return pages [@off, @off + @nr), free pages now, to @block's bitmaps. */
static void __gfx_pool_block_put(struct gfx_pool_node *node,
				 struct gfx_pool_block *block,
				 unsigned long off, unsigned long nr,
				 bool zeroed)
{
	lockdep_assert_held(&node->lock);
	if (zeroed)
		bitmap_clear(block->dirty, off, nr);
	else
		bitmap_set(block->dirty, off, nr);
	bitmap_clear(block->used, off, nr);
	block->nr_used -= nr;
	node->domain[block->domain].nr_used -= nr;
	if (__gfx_pool_keeps_order(block, off, nr))
		return;
	__gfx_pool_block_relist(node, block);
}

/*
 * Return pages [@off, @off + @nr) to @block, @zeroed or dirty; a poisoned
 * one stays out of use.
 */
static void __gfx_pool_block_give(struct gfx_pool_node *node,
				  struct gfx_pool_block *block,
				  unsigned long off, unsigned long nr,
				  bool zeroed)
{
	lockdep_assert_held(&node->lock);
	if (gfx_pool_range_poisoned(pfn_to_page(block->pfn + off), nr)) {
		__gfx_pool_block_give_poisoned(node, block, off, nr, zeroed);
		return;
	}
	gfx_pool_set_offline(pfn_to_page(block->pfn + off), nr, true);
	__gfx_pool_block_put(node, block, off, nr, zeroed);
}

#if IS_ENABLED(CONFIG_KUNIT) && defined(CONFIG_MEMORY_FAILURE)
/*
 * KUnit: give back a page that __gfx_pool_block_give_poisoned() kept out
 * of use, once the case has cleared its PG_hwpoison. The kernel has no
 * such way back: unpoison_memory() leaves reserved pages alone.
 */
void gfx_pool_unpoison(struct page *page)
{
	struct gfx_pool_block *block = gfx_pool_pfn_to_block(page_to_pfn(page));
	struct gfx_pool_node *node = gfx_pool.node[block->nid];
	unsigned long off = page_to_pfn(page) - block->pfn;
	unsigned long flags;

	spin_lock_irqsave(&node->lock, flags);
	if (!WARN_ON_ONCE(PageHWPoison(page) || !test_bit(off, block->used) ||
			  block->order[off])) {
		atomic_long_dec(&gfx_pool.hwpoison_pages);
		__gfx_pool_block_give(node, block, off, 1, false);
	}
	spin_unlock_irqrestore(&node->lock, flags);
}
#endif

/**
 * __gfx_pool_give_pcp() - give pages of a per-CPU list back to their block
 * @node: the node of @block.
 * @block: the block.
 * @off: the first page, by its offset in @block.
 * @nr: this many pages from there, each with the order record
 *	%GFX_POOL_ORDER_PCP, and PageOffline() as the list keeps them.
 * @dirty: they may hold old data.
 *
 * Context: @node's lock held.
 */
void __gfx_pool_give_pcp(struct gfx_pool_node *node,
			 struct gfx_pool_block *block, unsigned long off,
			 unsigned long nr, bool dirty)
{
	lockdep_assert_held(&node->lock);
	memset(&block->order[off], 0, nr);
	if (gfx_pool_range_poisoned(pfn_to_page(block->pfn + off), nr))
		__gfx_pool_block_give_poisoned(node, block, off, nr, !dirty);
	else
		__gfx_pool_block_put(node, block, off, nr, !dirty);
}

/*
 * Give back an allocation that gfx_pool_claim_free() accepted, or that
 * gfx_pool_alloc_pages() made and could not finish.
 */
static void gfx_pool_release(struct gfx_pool_block *block, struct page *page,
			     unsigned int order, bool zeroed)
{
	struct gfx_pool_node *node = gfx_pool.node[block->nid];
	unsigned long off = page_to_pfn(page) - block->pfn;
	unsigned long flags;
	unsigned int i;

	spin_lock_irqsave(&node->lock, flags);
	block->order[off] = 0;
	if (order <= GFX_POOL_BLOCK_ORDER) {
		__gfx_pool_block_give(node, block, off, 1UL << order, zeroed);
	} else {
		/* Whole blocks: the group starts at this one, offset 0. */
		for (i = 0; i < gfx_pool_span(order); i++)
			__gfx_pool_block_give(node,
					      gfx_pool_group_block(block, i),
					      0, GFX_POOL_BLOCK_PAGES, zeroed);
	}
	spin_unlock_irqrestore(&node->lock, flags);
}

/*
 * API misuse is reported rate-limited and with the caller, never with
 * WARN(): a buggy driver must neither flood the log nor panic a
 * panic_on_warn machine. The call is refused and counted.
 */
#define gfx_pool_misuse(domain, fmt, ...)				\
do {									\
	pr_err_ratelimited("%pS: " fmt, __builtin_return_address(0),	\
			   ##__VA_ARGS__);				\
	gfx_pool_count(domain, GFX_POOL_REFUSED);			\
} while (0)

/**
 * gfx_pool_alloc_pages() - allocate pool pages in a caching domain
 * @nid: preferred node, or %NUMA_NO_NODE for the local one. Other nodes
 *	are tried after it unless @gfp has %__GFP_THISNODE.
 * @domain: how the direct map must map the pages.
 * @gfp: allocation flags. %__GFP_ZERO gives zeroed pages in every domain.
 *	A gfp that may sleep lets the pool convert a free 2 MiB block to
 *	@domain when no block of @domain has room, take a lent block of
 *	the node's region back (migrating what lives there, honouring the absence
 *	of %__GFP_IO or %__GFP_FS), or grow within gfx_pool.grow_limit
 *	(with the caller's reclaim flags and %__GFP_NORETRY); without
 *	%__GFP_IO or %__GFP_FS only if no other task is doing so on the
 *	node (it may be in reclaim that waits on the caller). An atomic gfp
 *	only takes pages from blocks already in @domain. %__GFP_DMA is never met,
 *	%__GFP_DMA32 only when every region lies below 4 GiB (growth then
 *	stays there too). %__GFP_ACCOUNT charges the pages to the caller's
 *	memcg, as for alloc_pages(); over its limit the call returns NULL
 *	(with %__GFP_RETRY_MAYFAIL or %__GFP_NORETRY without invoking the
 *	memcg OOM killer). Other flags are ignored.
 * @order: 0 to %MAX_PAGE_ORDER, as for alloc_pages(); the pages are
 *	naturally aligned. Above the order of a 2 MiB block they are whole
 *	blocks, which must all be free.
 *
 * The pages are physically contiguous and mapped in the direct map as
 * @domain says (not at all for %GFX_POOL_NP), by a 2 MiB entry (4 KiB
 * ones in a grown block whose range something split before it grew; see
 * gfx_pool_page_map_shift()).
 * Their struct pages are PageReserved and their refcount is not the
 * caller's to drop: give them back with gfx_pool_free_pages() only.
 * %__GFP_ZERO and init_on_alloc=1 work in every domain and context.
 *
 * Context: Any context the gfp allows, as for alloc_pages(): the pool
 * takes a spinlock_t, so with PREEMPT_RT neither hard interrupt context
 * nor preemption or interrupts disabled; might_alloc(@gfp).
 * Return: the first page, or NULL if the pool is off, exhausted, cannot
 * meet @gfp, or the call is malformed (that one with a rate-limited
 * error).
 */
struct page *gfx_pool_alloc_pages(int nid, enum gfx_pool_domain domain,
				  gfp_t gfp, unsigned int order)
{
	struct gfx_pool_alloc_ctx ac = {
		.domain = domain,
		.order = order,
		.zero = want_init_on_alloc(gfp),
	};
	struct gfx_pool_node *node;
	struct page *page = NULL;
	bool dirty;
	int n, grow;

	might_alloc(gfp);
	if ((unsigned int)domain >= GFX_POOL_NR_DOMAINS) {
		gfx_pool_misuse(GFX_POOL_WB, "bad allocation: domain %d\n",
				domain);
		return NULL;
	}
	if (order > GFX_POOL_MAX_ORDER ||
	    (nid != NUMA_NO_NODE && (nid < 0 || nid >= MAX_NUMNODES))) {
		gfx_pool_misuse(domain, "bad allocation: order %u nid %d\n",
				order, nid);
		return NULL;
	}
	/*
	 * The branch, not only ready: no page is handed out before
	 * gfx_pool_owns_page() can say it is the pool's.
	 */
	if (!gfx_pool_enabled() || !gfx_pool_is_ready())
		return NULL;
	/* The pool has no ZONE_DMA memory; ZONE_DMA32 only if all below 4G. */
	if ((gfp & __GFP_DMA) || ((gfp & __GFP_DMA32) && !gfx_pool.dma32))
		goto exhausted;

	/*
	 * The asked node first, growing it if it must; then the blocks the
	 * other nodes have, and only then growth there.
	 */
	if (nid == NUMA_NO_NODE)
		nid = numa_mem_id();
again:
	ac.dirty = false;	/* a retry's page says it anew */
	/* Order 0 on this CPU's node: its per-CPU list first, no lock. */
	if (!order) {
		page = gfx_pool_pcp_alloc(nid, domain, &dirty);
		if (page) {
			ac.dirty = ac.zero && dirty;
			goto charge;
		}
	}
	node = gfx_pool.node[nid];
	if (node)
		page = gfx_pool_node_alloc(node, gfp, &ac, true);
	for (grow = 0; grow < 2 && !page && !(gfp & __GFP_THISNODE); grow++) {
		for_each_node(n) {
			node = gfx_pool.node[n];
			if (n == nid || !node)
				continue;
			page = gfx_pool_node_alloc(node, gfp, &ac, grow);
			if (page)
				break;
		}
	}
	if (!page)
		goto exhausted;

charge:
	/*
	 * __GFP_ACCOUNT: charged to the caller's memcg as kernel memory, as
	 * alloc_pages() charges it. Over the limit, the pages go back and
	 * the caller gets NULL: that is the memcg's limit, not the pool
	 * running out, so it is not counted as exhausted.
	 */
	if ((gfp & __GFP_ACCOUNT) && memcg_kmem_charge_page(page, gfp, order)) {
		gfx_pool_release(gfx_pool_pfn_to_block(page_to_pfn(page)), page,
				 order, false);
		return NULL;
	}

	/* __GFP_ZERO, or init_on_alloc=1 as the page allocator honours it. */
	if (ac.dirty)
		gfx_pool_clear_pages(page, 1UL << order, domain);
	/*
	 * A page poisoned while it was free, or since: given back, it stays
	 * out of use for good (see __gfx_pool_block_give_poisoned()), so
	 * each retry meets one poisoned page fewer. Looked at after the
	 * zeroing, which leaves a poisoned page as it is: one poisoned while
	 * the charge slept would otherwise go out with its old data.
	 */
	if (unlikely(gfx_pool_range_poisoned(page, 1UL << order))) {
		memcg_kmem_uncharge_page(page, order);
		gfx_pool_release(gfx_pool_pfn_to_block(page_to_pfn(page)), page,
				 order, false);
		page = NULL;
		goto again;
	}
	trace_gfx_pool_alloc(page, order, domain, gfp, _RET_IP_);
	gfx_pool_count(domain, GFX_POOL_ALLOCS);
	count_vm_event(GFX_POOL_ALLOC);
	return page;

exhausted:
	gfx_pool_count(domain, GFX_POOL_EXHAUSTED);
	return NULL;
}
EXPORT_SYMBOL_GPL(gfx_pool_alloc_pages);

/**
 * gfx_pool_free_pages() - give pages back to the pool
 * @page: first page, as gfx_pool_alloc_pages() returned it.
 * @order: the order it was allocated with.
 *
 * The contents are not cleared (unless init_on_free=1); the next
 * %__GFP_ZERO caller gets them zeroed. Freeing a page the pool does not
 * own, a page that is not the first of an allocation, an allocation with
 * another order than it was made with, or one already freed is refused
 * with a rate-limited error and changes nothing. Freeing NULL does
 * nothing.
 *
 * Context: Any context where a spinlock_t may be taken.
 */
void gfx_pool_free_pages(struct page *page, unsigned int order)
{
	struct gfx_pool_block *block;
	enum gfx_pool_domain domain;
	unsigned long pfn;
	bool zero, claimed;

	if (!page)
		return;
	pfn = page_to_pfn(page);
	/*
	 * Order 0: claimed without the node lock for this CPU's list; the
	 * page then stays handed out as far as its block knows, so its
	 * domain holds still. Preemption is off around the lookup and the
	 * claim: an RCU read-side section (since v4.20), for a bad free
	 * that races with the giving back of a grown block (the claim then
	 * fails on a struct that is still there), and cheaper than
	 * rcu_read_lock() with PREEMPT_RCU. A good free holds its block.
	 */
	if (!order) {
		preempt_disable();
		block = gfx_pool_is_ready() ? gfx_pool_lookup_block(pfn) : NULL;
		claimed = block && cmpxchg(&block->order[pfn - block->pfn], 1,
					   GFX_POOL_ORDER_PCP) == 1;
		preempt_enable();
		if (claimed) {
			domain = READ_ONCE(block->domain);
			memcg_kmem_uncharge_page(page, 0);
			zero = want_init_on_free();
			if (zero)
				gfx_pool_clear_pages(page, 1, domain);
			/*
			 * A poisoned page goes to its block, which keeps it
			 * at once: on a per-CPU list it would be counted only
			 * when taken off.
			 */
			if (unlikely(gfx_pool_range_poisoned(page, 1)) ||
			    !gfx_pool_pcp_free(block, page, domain, !zero))
				gfx_pool_release(block, page, 0, zero);
			goto out_count;
		}
	}
	/* The same RCU section as above, for the node's path. */
	rcu_read_lock();
	block = gfx_pool_pfn_to_block(pfn);
	if (!block) {
		rcu_read_unlock();
		gfx_pool_misuse(GFX_POOL_WB, "freeing pfn %#lx, which the pool does not own\n",
				pfn);
		return;
	}
	/* Checked before it is used: 1UL << 64 is undefined. */
	if (order > GFX_POOL_MAX_ORDER ||
	    gfx_pool_claim_free(block, page, order, &domain)) {
		domain = READ_ONCE(block->domain);
		rcu_read_unlock();
		gfx_pool_misuse(domain,
				"refusing to free pfn %#lx order %u: not an allocation of that order (double free?)\n",
				pfn, order);
		return;
	}
	rcu_read_unlock();
	/* Only if __GFP_ACCOUNT charged it: it says so in the page. */
	memcg_kmem_uncharge_page(page, order);
	/* init_on_free=1: clear the pages before anyone can have them. */
	zero = want_init_on_free();
	if (zero)
		gfx_pool_clear_pages(page, 1UL << order, domain);
	gfx_pool_release(block, page, order, zero);
out_count:
	trace_gfx_pool_free(page, order, domain, _RET_IP_);
	gfx_pool_count(domain, GFX_POOL_FREES);
	count_vm_event(GFX_POOL_FREE);
}
EXPORT_SYMBOL_GPL(gfx_pool_free_pages);

/**
 * gfx_pool_pfn_in_pool() - is a page frame in the pool's memory, for arch code
 * @pfn: any page frame.
 *
 * What x86 PAT's lookup_memtype() asks first, on every fault of a
 * VM_PFNMAP mapping: a pfn of a region or of a grown block is RAM,
 * whatever its block's state (handed out, free, lent to the page
 * allocator, being converted, broken), so PAT's own page flags hold its
 * memtype, and no walk of the resource tree needs to say that it is RAM.
 * One region compare, or an xarray lookup while blocks are grown; a pfn
 * that is not the pool's costs the region compares, and the xarray only
 * while blocks are grown. A grown block being given back is in the
 * xarray until its pages go back to the page allocator: RAM either way.
 * KUnit may stand in for it to see that PAT asks.
 *
 * Context: Any context; takes no lock.
 * Return: true if @pfn is in a region or a grown block.
 */
bool gfx_pool_pfn_in_pool(unsigned long pfn)
{
	KUNIT_STATIC_STUB_REDIRECT(gfx_pool_pfn_in_pool, pfn);
	if (!gfx_pool_is_ready())
		return false;
	/*
	 * No RCU section: a region block lives as long as the pool, and a
	 * grown block is only asked for, not looked at (xa_load() takes
	 * its own). Every pfn of every VM_PFNMAP fault comes here, MMIO
	 * included: two calls with PREEMPT_RCU that no answer needs.
	 */
	return gfx_pool_region_block(pfn) || gfx_pool_grown_block(pfn);
}

/**
 * gfx_pool_page_reserved() - is @page pool memory outside MemTotal?
 * @page: any page, or NULL.
 *
 * A region that does not lend (gfx_pool.lend=0, no CONFIG_CMA, or a
 * region CMA could not take) is reserved apart from system memory: it is
 * not in totalram_pages(), and what is handed out of it takes nothing
 * from anyone else. A region that lends is part of MemTotal (CMA adds it
 * when it activates the area), and a grown block came from the page
 * allocator: their pages in use are system memory like any, and a limit
 * on system memory (TTM's ttm_pages_limit, half of totalram) must count
 * them.
 *
 * Context: Any context; takes no lock.
 * Return: true if @page is a page of a region that does not lend, handed
 * out or not; false for any other page, and without a pool.
 */
bool gfx_pool_page_reserved(const struct page *page)
{
	struct gfx_pool_block *block;

	if (!page || !gfx_pool_enabled() || !gfx_pool_is_ready())
		return false;
	/* Region blocks live as long as the pool, and so does ->cma. */
	block = gfx_pool_region_block(page_to_pfn(page));
	return block && !gfx_pool_block_region(block)->cma;
}
EXPORT_SYMBOL_GPL(gfx_pool_page_reserved);

/*
 * gfx_pool_owns_page() once the pool is on: a look at the block of @page,
 * out of line, so that the header needs none of the pool's structures.
 */
bool __gfx_pool_owns_page(const struct page *page)
{
	struct gfx_pool_block *block;
	unsigned long pfn;

	if (!page || !gfx_pool_is_ready())
		return false;
	pfn = page_to_pfn(page);
	/*
	 * A region block lives as long as the pool, and a grown block is
	 * only asked for, not looked at (xa_load() takes its own RCU
	 * section): no RCU section here, which is two calls with
	 * PREEMPT_RCU on every page TTM frees. A lent block's pages are the
	 * page allocator's for now; a grown block is never lent.
	 */
	block = gfx_pool_region_block(pfn);
	if (block)
		return !READ_ONCE(block->lent);
	return gfx_pool_grown_block(pfn);
}
EXPORT_SYMBOL_GPL(__gfx_pool_owns_page);

/*
 * gfx_pool_enabled(), a static branch in the users' hot paths: turned on
 * by gfx_pool_init() right after the pool is ready, never off again.
 */
DEFINE_STATIC_KEY_FALSE(gfx_pool_enabled_key);
EXPORT_SYMBOL_GPL(gfx_pool_enabled_key);

/* === Accounting for debugfs and tests ==================================== */

#if defined(CONFIG_DEBUG_FS) || IS_ENABLED(CONFIG_KUNIT)

unsigned long gfx_pool_counter_read(enum gfx_pool_domain domain,
				    enum gfx_pool_counter counter)
{
	unsigned long n = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		n += per_cpu(gfx_pool_events[domain][counter], cpu);
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_counter_read);
#endif /* CONFIG_DEBUG_FS || CONFIG_KUNIT */

/* Sum a per-node gauge of one domain, each node under its lock. */
unsigned long gfx_pool_gauge(enum gfx_pool_domain domain, bool blocks)
{
	unsigned long flags, sum = 0;
	struct gfx_pool_node *node;
	int nid;

	for_each_node(nid) {
		node = gfx_pool.node[nid];
		if (!node)
			continue;
		spin_lock_irqsave(&node->lock, flags);
		sum += blocks ? node->domain[domain].nr_blocks :
				node->domain[domain].nr_used;
		spin_unlock_irqrestore(&node->lock, flags);
	}
	/* Pages on per-CPU lists are free to users, only not to blocks. */
	if (!blocks)
		sum -= min(sum, gfx_pool_pcp_count(domain));
	return sum;
}

/*
 * What the pool's bookkeeping takes, in bytes: a struct per block of the
 * regions and per grown block, a struct per node, and each possible CPU's
 * lists, event counters and zeroing slots (their PTEs and the pointers to
 * them). (The xarray of grown blocks is left out: a few hundred bytes per
 * 64 of them.)
 */
unsigned long gfx_pool_metadata_bytes(void)
{
	/* What grows with the pool stays under 0.1% of it. */
	static_assert(sizeof(struct gfx_pool_block) * 1000 <= GFX_POOL_BLOCK_SIZE);
	unsigned long bytes;
	int nid;

	/* A grown block's struct and a node's are kmalloc()ed: their slab size. */
	bytes = gfx_pool.nr_blocks * sizeof(struct gfx_pool_block) +
		atomic_long_read(&gfx_pool.nr_grown) *
		kmalloc_size_roundup(sizeof(struct gfx_pool_block));
	for_each_node(nid)
		if (gfx_pool.node[nid])
			bytes += kmalloc_size_roundup(sizeof(*gfx_pool.node[nid]));
	return bytes + gfx_pool_pcp_bytes() +
	       num_possible_cpus() * sizeof(gfx_pool_events) +
	       nr_cpu_ids * GFX_POOL_SLOTS * sizeof(pte_t) +
	       num_possible_cpus() * sizeof(gfx_pool_slot_pte);
}

unsigned long gfx_pool_pages_in_use(void)
{
	unsigned long sum = 0;
	int d;

	for (d = 0; d < GFX_POOL_NR_DOMAINS; d++)
		sum += gfx_pool_gauge(d, false);
	return sum;
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_pages_in_use);

static void gfx_pool_meminfo_line(struct seq_file *m, const char *name,
				  unsigned long pages)
{
	seq_printf(m, "%-16s%8lu kB\n", name, pages << (PAGE_SHIFT - 10));
}

/**
 * gfx_pool_report_meminfo() - the pool's lines in /proc/meminfo
 * @m: the seq_file of /proc/meminfo.
 *
 * GfxPoolTotal is the memory the pool counts as its own: the regions,
 * lent or not, and the blocks it grew (a lending region is CMA memory, in
 * MemTotal and CmaTotal; one that does not lend is reserved, outside
 * MemTotal). GfxPoolLent is the part of the regions lent to the page
 * allocator now (what of it is unused is in MemFree and CmaFree),
 * GfxPoolGrown the blocks taken from the page allocator beyond the
 * regions, from the moment growth charges them to the limit.
 * GfxPoolUsedWB, -WC, -UC and -NP are the pages handed out in each
 * domain, and those kept out of use after a memory failure. All are 0 kB
 * when the pool is off, so that the format does not depend on the boot.
 *
 * Context: Process context; takes each node's lock in turn.
 */
void gfx_pool_report_meminfo(struct seq_file *m)
{
	static const char *const used[GFX_POOL_NR_DOMAINS] = {
		[GFX_POOL_WB] = "GfxPoolUsedWB:",
		[GFX_POOL_WC] = "GfxPoolUsedWC:",
		[GFX_POOL_UC] = "GfxPoolUsedUC:",
		[GFX_POOL_NP] = "GfxPoolUsedNP:",
	};
	bool ready = gfx_pool_is_ready();
	unsigned long grown = 0, total = 0, lent = 0;
	int d;

	if (ready) {
		grown = atomic_long_read(&gfx_pool.nr_grown);
		lent = gfx_pool_nr_lent();
		total = gfx_pool.nr_blocks + grown;
	}
	gfx_pool_meminfo_line(m, "GfxPoolTotal:", total << GFX_POOL_BLOCK_ORDER);
	gfx_pool_meminfo_line(m, "GfxPoolLent:", lent << GFX_POOL_BLOCK_ORDER);
	gfx_pool_meminfo_line(m, "GfxPoolGrown:", grown << GFX_POOL_BLOCK_ORDER);
	for (d = 0; d < GFX_POOL_NR_DOMAINS; d++)
		gfx_pool_meminfo_line(m, used[d],
				      ready ? gfx_pool_gauge(d, false) : 0);
}

#if IS_ENABLED(CONFIG_KUNIT)
/* Only the KUnit suites ask for these; without KUnit they would be unused. */

/**
 * gfx_pool_page_domain() - the domain of a handed-out pool page
 * @page: any page.
 *
 * For the tests: a driver knows the domain it asked for.
 *
 * Context: Any context where a spinlock_t may be taken.
 * Return: the &enum gfx_pool_domain of @page if the pool handed it out,
 * -ENOENT if the pool does not own it or it is free.
 */
VISIBLE_IF_KUNIT int gfx_pool_page_domain(const struct page *page)
{
	struct gfx_pool_block *block;
	struct gfx_pool_node *node;
	unsigned long flags, off;
	int ret = -ENOENT;

	rcu_read_lock();
	block = page ? gfx_pool_pfn_to_block(page_to_pfn(page)) : NULL;
	if (block) {
		node = gfx_pool.node[block->nid];
		off = page_to_pfn(page) - block->pfn;
		spin_lock_irqsave(&node->lock, flags);
		/* On a per-CPU list: handed out to nobody. */
		if (test_bit(off, block->used) &&
		    block->order[off] != GFX_POOL_ORDER_PCP)
			ret = block->domain;
		spin_unlock_irqrestore(&node->lock, flags);
	}
	rcu_read_unlock();
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_page_domain);

/**
 * gfx_pool_page_map_shift() - the entries the pool keeps over a page
 * @page: a page the pool owns.
 *
 * Context: Any context.
 * Return: the size of the direct-map entries its block keeps through every
 * conversion, as arch_gfx_pool_map_shift() gives it: %GFX_POOL_BLOCK_SHIFT,
 * or for a grown block whatever the direct map had when it grew; 0 if the
 * pool does not own @page.
 */
VISIBLE_IF_KUNIT unsigned int gfx_pool_page_map_shift(const struct page *page)
{
	struct gfx_pool_block *block;
	unsigned int shift = 0;

	rcu_read_lock();
	block = gfx_pool_pfn_to_block(page_to_pfn(page));
	if (block)
		shift = gfx_pool_block_shift(block);
	rcu_read_unlock();
	return shift;
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_page_map_shift);

/**
 * gfx_pool_nr_free() - pages of the pool not handed out
 *
 * For the tests. Some of them may sit in blocks of other domains that are
 * not wholly free, or on other nodes, so a nonzero count does not promise
 * that any allocation succeeds; that is why no user steers by it.
 *
 * Context: Any context where a spinlock_t may be taken; takes each node's
 * lock in turn, so not for a hot path.
 * Return: the number of pages.
 */
VISIBLE_IF_KUNIT unsigned long gfx_pool_nr_free(void)
{
	unsigned long total;
	long blocks;

	if (!gfx_pool_is_ready())
		return 0;
	/* Region and grown blocks, the broken of both left out. */
	blocks = gfx_pool.nr_blocks + atomic_long_read(&gfx_pool.nr_grown) -
		 atomic_long_read(&gfx_pool.broken_blocks);
	total = (unsigned long)max(blocks, 0L) << GFX_POOL_BLOCK_ORDER;
	return total - min(total, gfx_pool_pages_in_use());
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_nr_free);

/**
 * gfx_pool_nr_usable_blocks() - blocks of the regions that can be handed out
 *
 * Context: Any context.
 * Return: the blocks of all regions, lent or not, but for the broken ones.
 */
VISIBLE_IF_KUNIT unsigned long gfx_pool_nr_usable_blocks(void)
{
	if (!gfx_pool_is_ready())
		return 0;
	return gfx_pool.nr_blocks - gfx_pool_broken_region_blocks();
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_nr_usable_blocks);

/**
 * gfx_pool_has_region_on() - does the pool have a region on a node?
 * @nid: the node.
 *
 * Context: Any context.
 * Return: true if one of the regions reserved at boot is on @nid.
 */
VISIBLE_IF_KUNIT bool gfx_pool_has_region_on(int nid)
{
	unsigned int r;

	for (r = 0; gfx_pool_is_ready() && r < gfx_pool.nr_regions; r++)
		if (gfx_pool.region[r].nid == nid)
			return true;
	return false;
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_has_region_on);

VISIBLE_IF_KUNIT unsigned long gfx_pool_gbpage_demotions(void)
{
	return atomic_long_read(&gfx_pool.gbpage_demotions);
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_gbpage_demotions);

VISIBLE_IF_KUNIT unsigned long gfx_pool_nr_grown(void)
{
	return atomic_long_read(&gfx_pool.nr_grown);
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_nr_grown);

VISIBLE_IF_KUNIT unsigned long gfx_pool_nr_broken_blocks(void)
{
	return atomic_long_read(&gfx_pool.broken_blocks);
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_nr_broken_blocks);

VISIBLE_IF_KUNIT void gfx_pool_regions_span(unsigned long *start_pfn,
					    unsigned long *nr_blocks)
{
	struct gfx_pool_region *last;

	*start_pfn = 0;
	*nr_blocks = 0;
	if (!gfx_pool_is_ready() || !gfx_pool.nr_regions)
		return;
	/*
	 * The span of all regions, gaps between them included: the agpgart
	 * suite places its GART's reach around it.
	 */
	last = &gfx_pool.region[gfx_pool.nr_regions - 1];
	*start_pfn = gfx_pool.region[0].start_pfn;
	*nr_blocks = (last->start_pfn - *start_pfn +
		      (last->nr_blocks << GFX_POOL_BLOCK_ORDER)) >>
		     GFX_POOL_BLOCK_ORDER;
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_regions_span);
#endif
