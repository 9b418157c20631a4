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
 * How: a physically contiguous region is reserved from memblock at boot
 * (gfx_pool= or CONFIG_GFX_POOL_SIZE_MBYTES) and cut into 2 MiB blocks, one
 * direct-map PMD each. Every block is in one domain at a time (WB, WC, UC
 * or NP for "not present"), and only a wholly free block changes domain,
 * with one set_memory_*() call covering the whole aligned 2 MiB. CPA keeps
 * a large page whole when one call changes all of it, so the pool never
 * splits a PMD. Where the direct map uses 1 GiB pages, the first domain
 * change inside such a page would demote it to 2 MiB pages; the pool does
 * that once per GiB at init (gfx_pool_demote_gbpages()), never later.
 *
 * Inside a block, allocations of order 0 to 9 are served from a 512-bit
 * bitmap (bitmap_find_next_zero_area(), naturally aligned). A bitmap and
 * not a buddy: a block is only 512 pages, so a search is eight words, the
 * block only needs "is it wholly free" to change domain, and the per-page
 * order record (struct gfx_pool_block::order) that lets a wrong free be
 * refused is needed anyway. This is the same choice the execmem ROX cache
 * and the unmapped_alloc proposal make: refill in whole 2 MiB blocks so
 * the large page stays whole, and keep the small-page allocator inside it.
 *
 * The warm path (a block of the asked domain has room) takes the node lock
 * for a list walk and a bitmap search, and makes no CPA call. A cold path
 * that needs a domain change drops the lock and converts a wholly free
 * block; that needs a gfp that may sleep. Blocks of the asked domain are
 * always used before any other block is converted.
 *
 * Locking: each &struct gfx_pool_node has one spinlock, taken with
 * interrupts off (pages may be freed from any context); it protects that
 * node's lists and every mutable field of the blocks on the node. A block
 * being converted is off every list and marked converting, so CPA runs
 * with no pool lock held. There is no other lock and so no lock order.
 */

#define pr_fmt(fmt) "gfx_pool: " fmt

#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/debugfs.h>
#include <linux/gfp.h>
#include <linux/gfx_pool.h>
#include <linux/init.h>
#include <linux/log2.h>
#include <linux/memblock.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/nodemask.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include <kunit/visibility.h>

#include <asm/cacheflush.h>
#include <asm/pgtable.h>
#include <asm/set_memory.h>
#include <asm/tlbflush.h>

#include "gfx_pool.h"

/* === Data structures ===================================================== */

/**
 * struct gfx_pool_domain_lists - the blocks of one domain on one node
 * @empty: wholly free blocks, already mapped in this domain.
 * @partial: blocks with both used and free pages.
 * @nr_blocks: blocks in this domain, on a list or full.
 * @nr_used: pages of this domain handed out.
 */
struct gfx_pool_domain_lists {
	struct list_head empty;
	struct list_head partial;
	unsigned long nr_blocks;
	unsigned long nr_used;
};

/**
 * struct gfx_pool_node - the part of the pool on one NUMA node
 * @lock: protects @domain and every mutable field of this node's blocks.
 * @domain: per-domain block lists and gauges.
 */
struct gfx_pool_node {
	spinlock_t lock;	/* protects @domain and this node's blocks */
	struct gfx_pool_domain_lists domain[GFX_POOL_NR_DOMAINS];
};

/**
 * struct gfx_pool - the one pool
 * @base: physical start of the region, 2 MiB aligned.
 * @size: size of the region in bytes, a multiple of 2 MiB; 0 if off.
 * @start_pfn: first page frame of the region.
 * @nr_blocks: number of 2 MiB blocks.
 * @blocks: the blocks, in physical order.
 * @node: per-node structures, NULL where the pool has no memory.
 * @ready: set once init is done; read with smp_load_acquire().
 * @global: the direct map had _PAGE_GLOBAL on the region, so a block that
 *	comes back from %GFX_POOL_NP gets it back too.
 * @gbpage_demotions: 1 GiB direct-map pages demoted to 2 MiB at init.
 * @counters: per-domain events, see &enum gfx_pool_counter.
 *
 * Everything but @counters is written only before @ready is set.
 */
struct gfx_pool {
	phys_addr_t base;
	phys_addr_t size;
	unsigned long start_pfn;
	unsigned long nr_blocks;
	struct gfx_pool_block *blocks;
	struct gfx_pool_node *node[MAX_NUMNODES];
	bool ready;
	bool global;
	unsigned long gbpage_demotions;
	atomic_long_t counters[GFX_POOL_NR_DOMAINS][GFX_POOL_NR_COUNTERS];
};

static struct gfx_pool gfx_pool;

static const char *const gfx_pool_domain_names[GFX_POOL_NR_DOMAINS] = {
	[GFX_POOL_WB] = "wb",
	[GFX_POOL_WC] = "wc",
	[GFX_POOL_UC] = "uc",
	[GFX_POOL_NP] = "np",
};

static const char *const gfx_pool_counter_names[GFX_POOL_NR_COUNTERS] = {
	[GFX_POOL_ALLOCS] = "allocs",
	[GFX_POOL_FREES] = "frees",
	[GFX_POOL_CONVERSIONS] = "conversions",
	[GFX_POOL_EXHAUSTED] = "exhausted",
	[GFX_POOL_REFUSED] = "refused",
};

static_assert(ARRAY_SIZE(gfx_pool_domain_names) == GFX_POOL_NR_DOMAINS);
static_assert(ARRAY_SIZE(gfx_pool_counter_names) == GFX_POOL_NR_COUNTERS);

static void gfx_pool_count(enum gfx_pool_domain domain,
			   enum gfx_pool_counter counter)
{
	atomic_long_inc(&gfx_pool.counters[domain][counter]);
}

static bool gfx_pool_is_ready(void)
{
	/* Pairs with the release in gfx_pool_init(): all set up is seen. */
	return smp_load_acquire(&gfx_pool.ready);
}

VISIBLE_IF_KUNIT struct gfx_pool_block *gfx_pool_pfn_to_block(unsigned long pfn)
{
	unsigned long idx = (pfn - gfx_pool.start_pfn) >> GFX_POOL_BLOCK_ORDER;

	/* Unsigned: a pfn below the region wraps and fails the check too. */
	if (!gfx_pool_is_ready() || pfn < gfx_pool.start_pfn ||
	    idx >= gfx_pool.nr_blocks)
		return NULL;
	return &gfx_pool.blocks[idx];
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_pfn_to_block);

static unsigned long gfx_pool_block_addr(const struct gfx_pool_block *block)
{
	return (unsigned long)pfn_to_kaddr(block->pfn);
}

/* === Boot parameter and reservation ====================================== */

/**
 * gfx_pool_parse_param() - parse the value of gfx_pool=<size>[@<base>]
 * @str: the value, as the kernel command line gave it.
 * @param: filled in on success.
 * @why: on failure, set to a message saying what is wrong.
 *
 * Size and base take memparse() suffixes (K, M, G, ...). Both must be
 * multiples of 2 MiB, since the pool works in whole 2 MiB direct-map
 * entries. A size of 0 is valid and turns the pool off.
 *
 * Context: Any context.
 * Return: 0 on success, -EINVAL if @str is malformed.
 */
VISIBLE_IF_KUNIT int gfx_pool_parse_param(const char *str,
					  struct gfx_pool_param *param,
					  const char **why)
{
	char *end;

	memset(param, 0, sizeof(*param));
	*why = NULL;
	if (!str || !*str) {
		*why = "no size given";
		return -EINVAL;
	}
	param->size = memparse(str, &end);
	if (end == str) {
		*why = "the size is not a number";
		return -EINVAL;
	}
	if (*end == '@') {
		const char *b = end + 1;

		param->base = memparse(b, &end);
		if (end == b) {
			*why = "no base address after '@'";
			return -EINVAL;
		}
		param->fixed_base = true;
	}
	if (*end) {
		*why = "trailing characters";
		return -EINVAL;
	}
	if (!IS_ALIGNED(param->size, GFX_POOL_BLOCK_SIZE)) {
		*why = "the size is not a multiple of 2M";
		return -EINVAL;
	}
	if (param->fixed_base && !param->size) {
		*why = "a base makes no sense with size 0";
		return -EINVAL;
	}
	if (param->fixed_base && !IS_ALIGNED(param->base, GFX_POOL_BLOCK_SIZE)) {
		*why = "the base is not 2M aligned";
		return -EINVAL;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_parse_param);

/**
 * gfx_pool_check_param() - check a parsed gfx_pool= against the machine
 * @param: the parsed parameter.
 * @ram: bytes of RAM memblock knows about.
 * @why: on failure, set to a message saying what is wrong.
 *
 * The pool may take at most half of RAM, so that a typo cannot leave the
 * rest of the kernel too little memory to boot.
 *
 * Context: Any context.
 * Return: 0 if the pool may be reserved, -E2BIG if it is too large.
 */
VISIBLE_IF_KUNIT int gfx_pool_check_param(const struct gfx_pool_param *param,
					  phys_addr_t ram, const char **why)
{
	*why = NULL;
	if (param->size > ram / 2) {
		*why = "more than half of RAM";
		return -E2BIG;
	}
	if (param->fixed_base && param->base + param->size < param->base) {
		*why = "base + size overflows";
		return -E2BIG;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_check_param);

static char gfx_pool_cmdline[64] __initdata;
static struct gfx_pool_param gfx_pool_param __initdata;
static bool gfx_pool_param_given __initdata;
static bool gfx_pool_param_bad __initdata;

static int __init early_gfx_pool(char *p)
{
	const char *why;

	gfx_pool_param_given = true;
	strscpy(gfx_pool_cmdline, p ? p : "", sizeof(gfx_pool_cmdline));
	if (gfx_pool_parse_param(p, &gfx_pool_param, &why)) {
		pr_err("ignoring gfx_pool=%s: %s; the pool stays off\n",
		       gfx_pool_cmdline, why);
		gfx_pool_param_bad = true;
	}
	/* Never fail: a bad value must not stop the boot. */
	return 0;
}
early_param("gfx_pool", early_gfx_pool);

/*
 * Called from setup_arch() next to the CMA reservation. With no size
 * configured it does nothing. Errors are reported and leave the pool off;
 * they never stop the boot.
 *
 * Placement: a fixed base is taken as given. Otherwise the region is
 * aligned to its size rounded up to a power of two, at most 1 GiB, so that
 * it never straddles a GiB boundary it does not have to: each GiB window
 * the pool touches may cost one 1 GiB -> 2 MiB demotion of the direct map.
 */
void __init gfx_pool_reserve(void)
{
	struct gfx_pool_param *param = &gfx_pool_param;
	phys_addr_t ram = memblock_phys_mem_size();
	phys_addr_t align, addr = 0;
	const char *why;

	if (gfx_pool_param_bad)
		return;
	if (!gfx_pool_param_given) {
		param->size = (phys_addr_t)CONFIG_GFX_POOL_SIZE_MBYTES * SZ_1M;
		if (!IS_ALIGNED(param->size, GFX_POOL_BLOCK_SIZE)) {
			pr_err("CONFIG_GFX_POOL_SIZE_MBYTES=%d is not a multiple of 2; the pool stays off\n",
			       CONFIG_GFX_POOL_SIZE_MBYTES);
			return;
		}
		scnprintf(gfx_pool_cmdline, sizeof(gfx_pool_cmdline), "%dM",
			  CONFIG_GFX_POOL_SIZE_MBYTES);
	}
	if (!param->size) {
		if (gfx_pool_param_given)
			pr_info("off (gfx_pool=%s)\n", gfx_pool_cmdline);
		return;
	}
	if (gfx_pool_check_param(param, ram, &why)) {
		pr_err("ignoring gfx_pool=%s: %s (%pa bytes of RAM); the pool stays off\n",
		       gfx_pool_cmdline, why, &ram);
		return;
	}

	if (param->fixed_base) {
		if (!memblock_is_region_memory(param->base, param->size)) {
			pr_err("ignoring gfx_pool=%s: the range is not all RAM; the pool stays off\n",
			       gfx_pool_cmdline);
			return;
		}
		addr = memblock_phys_alloc_range(param->size,
						 GFX_POOL_BLOCK_SIZE,
						 param->base,
						 param->base + param->size);
		if (addr != param->base) {
			pr_err("ignoring gfx_pool=%s: the range is already in use; the pool stays off\n",
			       gfx_pool_cmdline);
			if (addr)
				memblock_phys_free(addr, param->size);
			return;
		}
	} else {
		align = min_t(phys_addr_t, roundup_pow_of_two(param->size),
			      SZ_1G);
		addr = memblock_phys_alloc(param->size, align);
		if (!addr && align > GFX_POOL_BLOCK_SIZE)
			addr = memblock_phys_alloc(param->size,
						   GFX_POOL_BLOCK_SIZE);
		if (!addr) {
			pr_err("gfx_pool=%s: no free range of that size; the pool stays off\n",
			       gfx_pool_cmdline);
			return;
		}
	}

	gfx_pool.base = addr;
	gfx_pool.size = param->size;
	pr_info("reserved %llu MiB at %pa\n",
		(unsigned long long)(param->size >> 20), &addr);
}

/* === Domain changes ====================================================== */

static void gfx_pool_restore_global(unsigned long addr)
{
	/* set_memory_np() dropped _PAGE_GLOBAL, set_memory_p() does not
	 * restore it; give it back if the direct map had it. Failing this
	 * costs TLB efficiency only, so it is not an error.
	 */
	if (gfx_pool.global)
		set_memory_global(addr, GFX_POOL_BLOCK_PAGES);
}

/*
 * Change how the direct map maps a wholly free block: every step is one
 * set_memory_*() call over the whole aligned 2 MiB, so CPA keeps the PMD.
 * WC and UC go through WB because the PAT memtype of RAM pages only moves
 * to and from WB. Before a block goes NP its cache lines are written back:
 * nothing else would, and a dirty WB line written back over data that a
 * WC user mapping put there later would corrupt it.
 *
 * Return: the domain the block is in afterwards; @to on success.
 */
static enum gfx_pool_domain gfx_pool_convert(struct gfx_pool_block *block,
					     enum gfx_pool_domain to)
{
	unsigned long addr = gfx_pool_block_addr(block);
	enum gfx_pool_domain from = block->domain;
	int ret = 0;

	might_sleep();
	switch (from) {
	case GFX_POOL_WC:
	case GFX_POOL_UC:
		ret = set_memory_wb(addr, GFX_POOL_BLOCK_PAGES);
		break;
	case GFX_POOL_NP:
		ret = set_memory_p(addr, GFX_POOL_BLOCK_PAGES);
		if (!ret)
			gfx_pool_restore_global(addr);
		break;
	default:
		break;
	}
	if (ret) {
		pr_warn_ratelimited("block %#lx: leaving domain %s failed: %d\n",
				    block->pfn, gfx_pool_domain_names[from], ret);
		return from;
	}

	switch (to) {
	case GFX_POOL_WC:
		ret = set_memory_wc(addr, GFX_POOL_BLOCK_PAGES);
		break;
	case GFX_POOL_UC:
		ret = set_memory_uc(addr, GFX_POOL_BLOCK_PAGES);
		break;
	case GFX_POOL_NP:
		clflush_cache_range((void *)addr, GFX_POOL_BLOCK_SIZE);
		ret = set_memory_np(addr, GFX_POOL_BLOCK_PAGES);
		break;
	default:
		break;
	}
	if (ret) {
		pr_warn_ratelimited("block %#lx: entering domain %s failed: %d\n",
				    block->pfn, gfx_pool_domain_names[to], ret);
		return GFX_POOL_WB;
	}
	gfx_pool_count(to, GFX_POOL_CONVERSIONS);
	return to;
}

/* === Allocation and free ================================================= */

/* Put @block on the list its state says, after a change under the lock. */
static void __gfx_pool_block_relist(struct gfx_pool_node *node,
				    struct gfx_pool_block *block)
{
	struct gfx_pool_domain_lists *dom = &node->domain[block->domain];

	lockdep_assert_held(&node->lock);
	if (!block->nr_used)
		list_move(&block->list, &dom->empty);
	else if (block->nr_used == GFX_POOL_BLOCK_PAGES)
		list_del_init(&block->list);
	else
		list_move(&block->list, &dom->partial);
}

static struct page *__gfx_pool_block_alloc(struct gfx_pool_node *node,
					   struct gfx_pool_block *block,
					   unsigned int order)
{
	unsigned long nr = 1UL << order;
	bool was_partial = block->nr_used != 0;
	unsigned long off;

	lockdep_assert_held(&node->lock);
	off = bitmap_find_next_zero_area(block->used, GFX_POOL_BLOCK_PAGES, 0,
					 nr, nr - 1);
	if (off >= GFX_POOL_BLOCK_PAGES)
		return NULL;

	bitmap_set(block->used, off, nr);
	block->order[off] = order + 1;
	block->nr_used += nr;
	node->domain[block->domain].nr_used += nr;
	/* A partial block that still has room stays where it is. */
	if (!was_partial || block->nr_used == GFX_POOL_BLOCK_PAGES)
		__gfx_pool_block_relist(node, block);
	return pfn_to_page(block->pfn + off);
}

/* A wholly free block of another domain, taken off its list, or NULL. */
static struct gfx_pool_block *
__gfx_pool_take_empty(struct gfx_pool_node *node, enum gfx_pool_domain domain)
{
	struct gfx_pool_block *block;
	int d;

	lockdep_assert_held(&node->lock);
	for (d = 0; d < GFX_POOL_NR_DOMAINS; d++) {
		if (d == domain)
			continue;
		block = list_first_entry_or_null(&node->domain[d].empty,
						 struct gfx_pool_block, list);
		if (block) {
			list_del_init(&block->list);
			node->domain[d].nr_blocks--;
			block->converting = true;
			return block;
		}
	}
	return NULL;
}

static struct page *gfx_pool_node_alloc(struct gfx_pool_node *node,
					enum gfx_pool_domain domain,
					gfp_t gfp, unsigned int order)
{
	struct gfx_pool_domain_lists *dom = &node->domain[domain];
	struct gfx_pool_block *block;
	enum gfx_pool_domain now;
	struct page *page = NULL;
	unsigned long flags;

	spin_lock_irqsave(&node->lock, flags);
	list_for_each_entry(block, &dom->partial, list) {
		page = __gfx_pool_block_alloc(node, block, order);
		if (page)
			goto out_unlock;
	}
	block = list_first_entry_or_null(&dom->empty, struct gfx_pool_block,
					 list);
	if (block) {
		page = __gfx_pool_block_alloc(node, block, order);
		goto out_unlock;
	}
	if (!gfpflags_allow_blocking(gfp))
		goto out_unlock;
	block = __gfx_pool_take_empty(node, domain);
	if (!block)
		goto out_unlock;

	/*
	 * Drop the lock for CPA, which sleeps and sends IPIs. The block is
	 * off every list and marked converting, so nobody else touches it.
	 */
	spin_unlock_irqrestore(&node->lock, flags);
	now = gfx_pool_convert(block, domain);
	spin_lock_irqsave(&node->lock, flags);

	block->converting = false;
	block->domain = now;
	node->domain[now].nr_blocks++;
	list_add(&block->list, &node->domain[now].empty);
	if (now == domain)
		page = __gfx_pool_block_alloc(node, block, order);
out_unlock:
	spin_unlock_irqrestore(&node->lock, flags);
	return page;
}

/* Zero an NP allocation through a short-lived WC mapping of its own. */
static int gfx_pool_zero_np(struct page *page, unsigned int order, gfp_t gfp)
{
	unsigned long i, nr = 1UL << order;
	struct page **pages;
	void *vaddr;

	pages = kvmalloc_array(nr, sizeof(*pages), gfp & GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	for (i = 0; i < nr; i++)
		pages[i] = page + i;
	/*
	 * WC, so no cache line of the page is left behind for a later user
	 * mapping of another mode to collide with.
	 */
	vaddr = vmap(pages, nr, VM_MAP, pgprot_writecombine(PAGE_KERNEL));
	kvfree(pages);
	if (!vaddr)
		return -ENOMEM;
	memset(vaddr, 0, nr << PAGE_SHIFT);
	wmb();	/* drain the write-combining buffers before the alias goes */
	vunmap(vaddr);
	/* vunmap() flushes lazily: drop the TLB entries of the alias now. */
	flush_tlb_kernel_range((unsigned long)vaddr,
			       (unsigned long)vaddr + (nr << PAGE_SHIFT));
	return 0;
}

static int gfx_pool_zero(struct page *page, enum gfx_pool_domain domain,
			 gfp_t gfp, unsigned int order)
{
	if (domain == GFX_POOL_NP)
		return gfx_pool_zero_np(page, order, gfp);
	memset(page_address(page), 0, PAGE_SIZE << order);
	if (domain == GFX_POOL_WC)
		wmb();	/* drain the write-combining buffers */
	return 0;
}

/* Return @page to its block; the caller has checked that it is ours. */
static int gfx_pool_release(struct gfx_pool_block *block, struct page *page,
			    unsigned int order)
{
	struct gfx_pool_node *node = gfx_pool.node[block->nid];
	unsigned long off = page_to_pfn(page) - block->pfn;
	unsigned long nr = 1UL << order;
	unsigned long flags;

	spin_lock_irqsave(&node->lock, flags);
	if (order > GFX_POOL_MAX_ORDER || block->order[off] != order + 1) {
		spin_unlock_irqrestore(&node->lock, flags);
		return -EINVAL;
	}
	block->order[off] = 0;
	bitmap_clear(block->used, off, nr);
	block->nr_used -= nr;
	node->domain[block->domain].nr_used -= nr;
	__gfx_pool_block_relist(node, block);
	spin_unlock_irqrestore(&node->lock, flags);
	return 0;
}

struct page *gfx_pool_alloc_pages(int nid, enum gfx_pool_domain domain,
				  gfp_t gfp, unsigned int order)
{
	struct gfx_pool_node *node;
	struct page *page = NULL;
	int n;

	might_alloc(gfp);
	if (WARN_ONCE((unsigned int)domain >= GFX_POOL_NR_DOMAINS ||
		      order > GFX_POOL_MAX_ORDER ||
		      (nid != NUMA_NO_NODE && (nid < 0 || nid >= MAX_NUMNODES)),
		      "gfx_pool: bad allocation: domain %d order %u nid %d\n",
		      domain, order, nid)) {
		if ((unsigned int)domain < GFX_POOL_NR_DOMAINS)
			gfx_pool_count(domain, GFX_POOL_REFUSED);
		return NULL;
	}
	if (!gfx_pool_is_ready())
		return NULL;
	/* Zeroing an NP page needs a temporary mapping, which may sleep. */
	if (domain == GFX_POOL_NP && (gfp & __GFP_ZERO) &&
	    WARN_ONCE(!gfpflags_allow_blocking(gfp),
		      "gfx_pool: __GFP_ZERO on NP pages needs a gfp that may sleep\n")) {
		gfx_pool_count(domain, GFX_POOL_REFUSED);
		return NULL;
	}
	/* The pool has no ZONE_DMA memory; ZONE_DMA32 only if all below 4G. */
	if ((gfp & __GFP_DMA) ||
	    ((gfp & __GFP_DMA32) &&
	     gfx_pool.base + gfx_pool.size > SZ_4G))
		goto exhausted;

	if (nid == NUMA_NO_NODE)
		nid = numa_mem_id();
	node = gfx_pool.node[nid];
	if (node)
		page = gfx_pool_node_alloc(node, domain, gfp, order);
	if (!page && !(gfp & __GFP_THISNODE)) {
		for_each_node(n) {
			node = gfx_pool.node[n];
			if (n == nid || !node)
				continue;
			page = gfx_pool_node_alloc(node, domain, gfp, order);
			if (page)
				break;
		}
	}
	if (!page)
		goto exhausted;

	if ((gfp & __GFP_ZERO) && gfx_pool_zero(page, domain, gfp, order)) {
		gfx_pool_release(gfx_pool_pfn_to_block(page_to_pfn(page)),
				 page, order);
		goto exhausted;
	}
	gfx_pool_count(domain, GFX_POOL_ALLOCS);
	return page;

exhausted:
	gfx_pool_count(domain, GFX_POOL_EXHAUSTED);
	return NULL;
}
EXPORT_SYMBOL_GPL(gfx_pool_alloc_pages);

void gfx_pool_free_pages(struct page *page, unsigned int order)
{
	struct gfx_pool_block *block;
	enum gfx_pool_domain domain;

	if (!page)
		return;
	block = gfx_pool_pfn_to_block(page_to_pfn(page));
	if (!block) {
		WARN(1, "gfx_pool: freeing pfn %#lx, which the pool does not own\n",
		     page_to_pfn(page));
		gfx_pool_count(GFX_POOL_WB, GFX_POOL_REFUSED);
		return;
	}
	/* Stable: a block with a page handed out does not change domain. */
	domain = READ_ONCE(block->domain);
	if (gfx_pool_release(block, page, order)) {
		WARN(1, "gfx_pool: refusing to free pfn %#lx order %u: not an allocation of that order (double free?)\n",
		     page_to_pfn(page), order);
		gfx_pool_count(domain, GFX_POOL_REFUSED);
		return;
	}
	gfx_pool_count(domain, GFX_POOL_FREES);
}
EXPORT_SYMBOL_GPL(gfx_pool_free_pages);

bool gfx_pool_owns_page(const struct page *page)
{
	return page && gfx_pool_pfn_to_block(page_to_pfn(page));
}
EXPORT_SYMBOL_GPL(gfx_pool_owns_page);

int gfx_pool_page_domain(const struct page *page)
{
	struct gfx_pool_block *block;
	struct gfx_pool_node *node;
	unsigned long flags, off;
	int ret = -ENOENT;

	block = page ? gfx_pool_pfn_to_block(page_to_pfn(page)) : NULL;
	if (!block)
		return -ENOENT;
	node = gfx_pool.node[block->nid];
	off = page_to_pfn(page) - block->pfn;
	spin_lock_irqsave(&node->lock, flags);
	if (test_bit(off, block->used))
		ret = block->domain;
	spin_unlock_irqrestore(&node->lock, flags);
	return ret;
}
EXPORT_SYMBOL_GPL(gfx_pool_page_domain);

bool gfx_pool_enabled(void)
{
	return gfx_pool_is_ready();
}
EXPORT_SYMBOL_GPL(gfx_pool_enabled);

/* === Accounting for debugfs and tests ==================================== */

VISIBLE_IF_KUNIT unsigned long gfx_pool_counter_read(enum gfx_pool_domain domain,
						     enum gfx_pool_counter counter)
{
	return atomic_long_read(&gfx_pool.counters[domain][counter]);
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_counter_read);

/* Sum a per-node gauge of one domain, each node under its lock. */
static unsigned long gfx_pool_gauge(enum gfx_pool_domain domain, bool blocks)
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
	return sum;
}

VISIBLE_IF_KUNIT unsigned long gfx_pool_pages_in_use(void)
{
	unsigned long sum = 0;
	int d;

	for (d = 0; d < GFX_POOL_NR_DOMAINS; d++)
		sum += gfx_pool_gauge(d, false);
	return sum;
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_pages_in_use);

VISIBLE_IF_KUNIT unsigned long gfx_pool_gbpage_demotions(void)
{
	return gfx_pool.gbpage_demotions;
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_gbpage_demotions);

VISIBLE_IF_KUNIT void gfx_pool_region(unsigned long *start_pfn,
				      unsigned long *nr_blocks)
{
	bool ready = gfx_pool_is_ready();

	*start_pfn = ready ? gfx_pool.start_pfn : 0;
	*nr_blocks = ready ? gfx_pool.nr_blocks : 0;
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_region);

/* === debugfs ============================================================= */

#ifdef CONFIG_DEBUG_FS

static int gfx_pool_stats_show(struct seq_file *m, void *v)
{
	int d, c;

	seq_printf(m, "base: %pa\nsize: %pa\nblocks: %lu\ngbpage_demotions: %lu\n",
		   &gfx_pool.base, &gfx_pool.size, gfx_pool.nr_blocks,
		   gfx_pool.gbpage_demotions);
	seq_printf(m, "%-6s %8s %12s", "domain", "blocks", "pages_in_use");
	for (c = 0; c < GFX_POOL_NR_COUNTERS; c++)
		seq_printf(m, " %12s", gfx_pool_counter_names[c]);
	seq_putc(m, '\n');
	for (d = 0; d < GFX_POOL_NR_DOMAINS; d++) {
		seq_printf(m, "%-6s %8lu %12lu", gfx_pool_domain_names[d],
			   gfx_pool_gauge(d, true), gfx_pool_gauge(d, false));
		for (c = 0; c < GFX_POOL_NR_COUNTERS; c++)
			seq_printf(m, " %12lu", gfx_pool_counter_read(d, c));
		seq_putc(m, '\n');
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(gfx_pool_stats);

static const char *const gfx_pool_level_names[] = {
	[PG_LEVEL_NONE] = "none",
	[PG_LEVEL_4K] = "4k",
	[PG_LEVEL_2M] = "2M",
	[PG_LEVEL_1G] = "1G",
	[PG_LEVEL_512G] = "512G",
};

static int gfx_pool_blocks_show(struct seq_file *m, void *v)
{
	struct gfx_pool_block *block;
	struct gfx_pool_node *node;
	unsigned long i, flags;
	unsigned int level;
	bool converting;
	int domain;
	u32 used;

	seq_printf(m, "%-6s %-18s %4s %-6s %5s %-5s\n",
		   "block", "pfn", "nid", "domain", "used", "level");
	for (i = 0; i < gfx_pool.nr_blocks; i++) {
		block = &gfx_pool.blocks[i];
		node = gfx_pool.node[block->nid];
		spin_lock_irqsave(&node->lock, flags);
		domain = block->domain;
		used = block->nr_used;
		converting = block->converting;
		spin_unlock_irqrestore(&node->lock, flags);
		lookup_address(gfx_pool_block_addr(block), &level);
		seq_printf(m, "%-6lu %#-18lx %4d %-6s %5u %-5s%s\n", i,
			   block->pfn, block->nid,
			   gfx_pool_domain_names[domain], used,
			   level < ARRAY_SIZE(gfx_pool_level_names) ?
			   gfx_pool_level_names[level] : "?",
			   converting ? " converting" : "");
		cond_resched();
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(gfx_pool_blocks);

static void __init gfx_pool_debugfs_init(void)
{
	struct dentry *dir = debugfs_create_dir("gfx_pool", NULL);

	debugfs_create_file("stats", 0444, dir, NULL, &gfx_pool_stats_fops);
	debugfs_create_file("blocks", 0444, dir, NULL, &gfx_pool_blocks_fops);
}
#else
static inline void gfx_pool_debugfs_init(void)
{
}
#endif /* CONFIG_DEBUG_FS */

/* === Init ================================================================ */

/*
 * A 1 GiB direct-map page cannot hold blocks of two domains. The first
 * domain change inside it would demote it to 2 MiB pages anyway, at some
 * random later time and from an allocation path; do it here, once per GiB
 * window, with a WB -> WC -> WB round trip of the window's first pool
 * block, and count it. Where the window also maps memory outside the pool
 * that memory keeps 2 MiB pages; a pool of whole, GiB-aligned gigabytes
 * avoids that.
 */
static void __init gfx_pool_demote_gbpages(void)
{
	unsigned long pfn = gfx_pool.start_pfn;
	unsigned long end = pfn + (gfx_pool.nr_blocks << GFX_POOL_BLOCK_ORDER);
	unsigned long addr, next;
	unsigned int level;

	for (; pfn < end; pfn = next) {
		next = min(ALIGN(pfn + 1, PUD_SIZE >> PAGE_SHIFT), end);
		addr = (unsigned long)pfn_to_kaddr(pfn);
		if (!lookup_address(addr, &level) || level != PG_LEVEL_1G)
			continue;
		if (set_memory_wc(addr, GFX_POOL_BLOCK_PAGES) ||
		    set_memory_wb(addr, GFX_POOL_BLOCK_PAGES)) {
			pr_warn("could not demote the 1G page at %#lx\n", addr);
			continue;
		}
		gfx_pool.gbpage_demotions++;
		pr_info("demoted the 1G direct-map page over pfn %#lx to 2M pages%s\n",
			pfn, next - pfn < (PUD_SIZE >> PAGE_SHIFT) ?
			" (it also maps memory outside the pool)" : "");
	}
}

static int __init gfx_pool_init(void)
{
	unsigned long i, nr_blocks = gfx_pool.size >> PMD_SHIFT;
	struct gfx_pool_block *block;
	struct gfx_pool_node *node;
	unsigned int level;
	int nid, d;
	pte_t *pte;

	if (!nr_blocks)
		return 0;

	gfx_pool.start_pfn = PHYS_PFN(gfx_pool.base);
	gfx_pool.blocks = kvcalloc(nr_blocks, sizeof(*gfx_pool.blocks),
				   GFP_KERNEL);
	if (!gfx_pool.blocks)
		goto out_give_back;

	for (i = 0; i < nr_blocks; i++) {
		block = &gfx_pool.blocks[i];
		block->pfn = gfx_pool.start_pfn + (i << GFX_POOL_BLOCK_ORDER);
		block->nid = pfn_to_nid(block->pfn);
		block->domain = GFX_POOL_WB;
		INIT_LIST_HEAD(&block->list);

		node = gfx_pool.node[block->nid];
		if (!node) {
			node = kzalloc_node(sizeof(*node), GFP_KERNEL,
					    block->nid);
			if (!node)
				goto out_free_nodes;
			spin_lock_init(&node->lock);
			for (d = 0; d < GFX_POOL_NR_DOMAINS; d++) {
				INIT_LIST_HEAD(&node->domain[d].empty);
				INIT_LIST_HEAD(&node->domain[d].partial);
			}
			gfx_pool.node[block->nid] = node;
		}
		list_add_tail(&block->list, &node->domain[GFX_POOL_WB].empty);
		node->domain[GFX_POOL_WB].nr_blocks++;
	}
	gfx_pool.nr_blocks = nr_blocks;

	pte = lookup_address((unsigned long)__va(gfx_pool.base), &level);
	gfx_pool.global = pte && (pte_flags(*pte) & _PAGE_GLOBAL);
	gfx_pool_demote_gbpages();

	/* Pairs with gfx_pool_is_ready(): publish everything set up above. */
	smp_store_release(&gfx_pool.ready, true);
	gfx_pool_debugfs_init();
	pr_info("%lu blocks of 2M ready at %pa\n", nr_blocks, &gfx_pool.base);
	return 0;

out_free_nodes:
	for_each_node(nid) {
		kfree(gfx_pool.node[nid]);
		gfx_pool.node[nid] = NULL;
	}
	kvfree(gfx_pool.blocks);
	gfx_pool.blocks = NULL;
out_give_back:
	pr_err("no memory for the metadata of %lu blocks; giving the region back\n",
	       nr_blocks);
	free_reserved_area(__va(gfx_pool.base),
			   __va(gfx_pool.base + gfx_pool.size), -1, NULL);
	gfx_pool.size = 0;
	return -ENOMEM;
}
subsys_initcall(gfx_pool_init);
