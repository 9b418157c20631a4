// SPDX-License-Identifier: GPL-2.0
/*
 * The elastic pool: blocks come into the pool when it needs them and go
 * back to the rest of the system when it does not.
 *
 * Lending. With CONFIG_CMA, the region reserved at boot is a CMA area
 * (region.c): while a block of it is not the pool's, it is "lent", and
 * the page allocator serves movable allocations from it. When an
 * allocation finds no free block, the pool takes a lent block back with
 * cma_alloc(), which migrates whatever lives there, and converts it.
 *
 * Growth. When the region has nothing left to take back, the pool takes
 * whole, 2 MiB-aligned blocks from the page allocator, up to
 * gfx_pool.grow_limit. The pages come with one light try
 * (__GFP_NORETRY, the caller's reclaim rules, no reserves): the pool
 * would rather fail than start a reclaim or compaction storm for a
 * graphics buffer.
 *
 * Warm blocks. Each domain in use on a node keeps gfx_pool.warm_blocks
 * wholly free blocks converted ahead of demand, so that an allocation
 * rarely waits for a migration or a conversion.
 *
 * Giving back. A block taken back or grown goes back (lent again, or
 * freed to the page allocator) once it has been wholly free for
 * GFX_POOL_IDLE and is not a warm block, or earlier when a shrinker asks:
 * grown blocks first, then lent ones. It goes back in WB, with one arch
 * hook over its 2 MiB.
 *
 * Such a block is a block like any other: on its node's lists, in one
 * domain at a time, converted whole, so it never splits a 2 MiB
 * direct-map entry either. Where the direct map maps it with a 1 GiB
 * page, that page is demoted to 2 MiB pages once, when the block comes
 * in, and counted (gfx_pool_demote_gbpage()). Where something split a
 * grown block's range to 4 KiB before, it keeps those 4 KiB entries: the
 * pool changes all 512 of them together and splits nothing more (struct
 * gfx_pool_block::grown_shift records which). While the pool's, every
 * page is PageReserved and a free one is PageOffline, as in a fixed
 * region; every page has its own refcount (cma_alloc() makes them so, a
 * grown allocation is split_page()d), so each block can go back alone.
 *
 * Growth is 0 unless gfx_pool.grow_limit= says otherwise: it pins memory
 * in 2 MiB pieces the page allocator must find, and a kernel that did not
 * ask for it should behave as before. Lending needs no limit: the region
 * is the pool's anyway.
 *
 * Locking: taking back, growing and giving back run under the node's
 * convert_lock, which also protects the node's list of grown blocks and
 * a region block's lent flag. The xarray of grown blocks, for
 * gfx_pool_pfn_to_block(), is read under RCU; a grown block's struct is
 * freed with kfree_rcu().
 */

#define pr_fmt(fmt) "gfx_pool: " fmt

#include <linux/cma.h>
#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/jiffies.h>
#include <linux/kstrtox.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/moduleparam.h>
#include <linux/page-flags.h>
#include <linux/pgtable.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/vmstat.h>
#include <linux/workqueue.h>

#include <kunit/static_stub.h>
#include <kunit/visibility.h>

#include "gfx_pool.h"
#include "pcp.h"

#include <trace/events/gfx_pool.h>

/* gfx_pool.grow_limit, not elastic.grow_limit. */
#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "gfx_pool."

static void gfx_pool_idle_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(gfx_pool_idle_work, gfx_pool_idle_fn);

/*
 * The pool's background work: freezable, so frozen with the kernel
 * threads, before any device suspends (hibernation's preallocation of
 * memory, before that, may still see it run), and unbound, so that a
 * conversion ahead of demand does not run on (and delay) the CPU whose
 * allocation asked for it. system_freezable_wq until init has made it.
 */
static struct workqueue_struct *gfx_pool_wq;

static struct workqueue_struct *gfx_pool_workqueue(void)
{
	return READ_ONCE(gfx_pool_wq) ?: system_freezable_wq;
}

/* === The limit =========================================================== */

static int gfx_pool_grow_limit_set(const char *val,
				   const struct kernel_param *kp)
{
	const char *end;
	u64 bytes;

	if (gfx_pool_parse_size(val, &end, &bytes))
		end = val;
	else if (*end == '\n')	/* as echo writes it to sysfs */
		end++;
	if (end == val || *end || !IS_ALIGNED(bytes, GFX_POOL_BLOCK_SIZE)) {
		pr_err("gfx_pool.grow_limit=%s: not a size that is a multiple of 2M\n",
		       val);
		return -EINVAL;
	}
	/* At boot, before init, it decides whether the pool comes up. */
	if (system_state != SYSTEM_BOOTING && !gfx_pool_is_ready()) {
		pr_err("gfx_pool.grow_limit: the pool is off; boot with gfx_pool= or gfx_pool.grow_limit=\n");
		return -ENODEV;
	}
	gfx_pool_set_grow_limit(bytes >> PMD_SHIFT);
	return 0;
}

static int gfx_pool_grow_limit_get(char *buffer, const struct kernel_param *kp)
{
	return sysfs_emit(buffer, "%luM\n",
			  READ_ONCE(gfx_pool.grow_limit) * (GFX_POOL_BLOCK_SIZE / SZ_1M));
}

static const struct kernel_param_ops gfx_pool_grow_limit_ops = {
	.set = gfx_pool_grow_limit_set,
	.get = gfx_pool_grow_limit_get,
};
module_param_cb(grow_limit, &gfx_pool_grow_limit_ops, NULL, 0644);
MODULE_PARM_DESC(grow_limit,
		 "Most memory the pool may take from the page allocator beyond its region, a multiple of 2M (default 0: no growth)");

/**
 * gfx_pool_set_grow_limit() - set the growth limit
 * @blocks: the new limit, in 2 MiB blocks.
 *
 * Grown blocks above a lowered limit are given back as soon as they are
 * wholly free, idle or not.
 *
 * Context: Any context.
 * Return: the old limit.
 */
unsigned long gfx_pool_set_grow_limit(unsigned long blocks)
{
	unsigned long old = xchg(&gfx_pool.grow_limit, blocks);

	if (blocks < old && gfx_pool_is_ready())
		mod_delayed_work(gfx_pool_workqueue(), &gfx_pool_idle_work, 0);
	return old;
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_set_grow_limit);

/*
 * Take @nr blocks of the limit, or fail without taking any. Never above
 * the limit, not even for a moment: an add taken back after the check
 * let gfx_pool_over_limit() say yes meanwhile (and the idle work give
 * back grown blocks that were not idle), and two growths that both fit
 * one at a time could both fail.
 */
static bool gfx_pool_grow_charge(unsigned long nr)
{
	long cur = atomic_long_read(&gfx_pool.nr_grown);

	do {
		if (cur + (long)nr > (long)READ_ONCE(gfx_pool.grow_limit))
			return false;
	} while (!atomic_long_try_cmpxchg(&gfx_pool.nr_grown, &cur, cur + nr));
	return true;
}

/* === Growing ============================================================= */

/*
 * The caller's rules for reclaim and I/O, but one light try and no
 * reserves; on this node, and below 4 GiB if the region is, so that the
 * pool can go on serving __GFP_DMA32.
 */
VISIBLE_IF_KUNIT gfp_t gfx_pool_grow_gfp(gfp_t gfp)
{
	return (gfp & (__GFP_RECLAIM | __GFP_IO | __GFP_FS)) |
	       __GFP_THISNODE | __GFP_NORETRY | __GFP_NOWARN |
	       __GFP_NOMEMALLOC | (gfx_pool.dma32 ? __GFP_DMA32 : 0);
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_grow_gfp);

/* @nr pages at @page, each with its own refcount, become the pool's. */
static void gfx_pool_own_pages(struct page *page, unsigned long nr)
{
	unsigned long i;

	for (i = 0; i < nr; i++)
		SetPageReserved(page + i);
	gfx_pool_set_offline(page, nr, true);
}

/* ... and are the page allocator's again, to be freed by the caller. */
static void gfx_pool_disown_pages(struct page *page, unsigned long nr)
{
	unsigned long i;

	gfx_pool_set_offline(page, nr, false);
	for (i = 0; i < nr; i++)
		ClearPageReserved(page + i);
}

/*
 * The 1G window over a block of a region also maps memory outside that
 * region: as at init (gfx_pool_demote_gbpages()), the message says so.
 * A grown block's window always does; "to grow" says that already.
 */
static const char *gfx_pool_gbpage_shared(const struct gfx_pool_block *block)
{
	const struct gfx_pool_region *region = gfx_pool_block_region(block);
	unsigned long start = ALIGN_DOWN(block->pfn, PUD_SIZE >> PAGE_SHIFT);
	unsigned long end = start + (PUD_SIZE >> PAGE_SHIFT);

	if (!region || (start >= region->start_pfn &&
			end <= region->start_pfn +
			       (region->nr_blocks << GFX_POOL_BLOCK_ORDER)))
		return "";
	return " (it also maps memory outside the pool)";
}

/*
 * A block comes in: demoted from 1G if need be, WB and on the lists.
 * Return: false if the demotion failed and the block is broken instead.
 */
static bool gfx_pool_block_comes_in(struct gfx_pool_node *node,
				    struct gfx_pool_block *block,
				    const char *how)
{
	unsigned long flags;
	int ret;

	ret = gfx_pool_demote_gbpage(block);
	if (ret > 0)
		pr_info("demoted the 1G direct-map page over pfn %#lx to 2M pages to %s%s\n",
			block->pfn, how, gfx_pool_gbpage_shared(block));
	spin_lock_irqsave(&node->lock, flags);
	/* Whatever the last user left there: not zero. */
	bitmap_fill(block->dirty, GFX_POOL_BLOCK_PAGES);
	/* A failed demotion leaves it broken and off every list. */
	__gfx_pool_block_converted(node, block,
				   ret < 0 ? GFX_POOL_BROKEN : GFX_POOL_WB,
				   false);
	spin_unlock_irqrestore(&node->lock, flags);
	return ret >= 0;
}

/*
 * Take blocks for an allocation from the page allocator, within the
 * limit. Return: true if @node grew by blocks it can use: not if one
 * broke as it came in.
 */
static bool gfx_pool_grow_alloc(struct gfx_pool_node *node, gfp_t gfp,
				unsigned int order)
{
	struct gfx_pool_block *blocks[1U << (GFX_POOL_MAX_ORDER - GFX_POOL_BLOCK_ORDER)] = {};
	unsigned int i, stored = 0, border = max(order, GFX_POOL_BLOCK_ORDER);
	unsigned int span = 1U << (border - GFX_POOL_BLOCK_ORDER);
	gfp_t meta_gfp = (gfp & GFP_KERNEL) | __GFP_NOWARN;
	struct gfx_pool_block *block;
	struct page *page = NULL;
	bool usable = true;
	int ret;

	lockdep_assert_held(&node->convert_lock);
	if (!gfx_pool_grow_charge(span))
		return false;
	for (i = 0; i < span; i++) {
		if (!gfx_pool_should_fail(GFX_POOL_FAIL_GROW, sizeof(*block)))
			blocks[i] = kzalloc_node(sizeof(*block), meta_gfp,
						 node->nid);
		if (!blocks[i])
			goto out_free_meta;
	}
	if (!gfx_pool_should_fail(GFX_POOL_FAIL_GROW, PAGE_SIZE << border))
		page = alloc_pages_node(node->nid, gfx_pool_grow_gfp(gfp),
					border);
	if (!page)
		goto out_free_meta;
	/* Every page on its own, so that each block can go back alone. */
	split_page(page, border);
	gfx_pool_own_pages(page, 1UL << border);

	for (i = 0; i < span; i++) {
		block = blocks[i];
		block->pfn = page_to_pfn(page) + (i << GFX_POOL_BLOCK_ORDER);
		block->nid = node->nid;
		block->domain = GFX_POOL_WB;
		block->grown = true;
		/* Off every list until __gfx_pool_block_converted() below. */
		block->converting = true;
		INIT_LIST_HEAD(&block->list);
		INIT_LIST_HEAD(&block->pair);
		block->free_order = -1;
		ret = xa_err(xa_store(&gfx_pool.grown,
				      block->pfn >> GFX_POOL_BLOCK_ORDER, block,
				      meta_gfp));
		if (ret)
			goto out_erase;
		stored++;
	}

	for (i = 0; i < span; i++) {
		block = blocks[i];
		list_add_tail(&block->grown_list, &node->grown);
		/* The entries it had, after a 1G demotion: never smaller. */
		block->grown_shift =
			min_t(unsigned int,
			      arch_gfx_pool_map_shift(gfx_pool_block_addr(block)),
			      GFX_POOL_BLOCK_SHIFT);
		usable &= gfx_pool_block_comes_in(node, block, "grow");
	}
	trace_gfx_pool_block_grown(page_to_pfn(page), border, node->nid);
	atomic_long_add(span, &gfx_pool.grown_total);
	count_vm_events(GFX_POOL_BLOCK_GROWN, span);
	return usable;

out_erase:
	for (i = 0; i < stored; i++)
		xa_erase(&gfx_pool.grown, blocks[i]->pfn >> GFX_POOL_BLOCK_ORDER);
	/* A lookup may have found one: wait for it before the pages go. */
	synchronize_rcu();
	gfx_pool_disown_pages(page, 1UL << border);
	for (i = 0; i < (1UL << border); i++)
		__free_page(page + i);
out_free_meta:
	for (i = 0; i < span; i++)
		kfree(blocks[i]);
	atomic_long_sub(span, &gfx_pool.nr_grown);
	atomic_long_inc(&gfx_pool.grow_failures);
	return false;
}

/* === Taking lent blocks back ============================================ */

/*
 * cma_alloc() of @nr pages of @region, aligned to @order. KUnit may stand
 * in for it, to see the scope the caller's gfp put around it.
 */
VISIBLE_IF_KUNIT struct page *gfx_pool_cma_alloc(struct gfx_pool_region *region,
						 unsigned long nr,
						 unsigned int order)
{
	KUNIT_STATIC_STUB_REDIRECT(gfx_pool_cma_alloc, region, nr, order);
	return cma_alloc(region->cma, nr, order, true);
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_cma_alloc);

/**
 * gfx_pool_node_has_room() - may a block be taken back ahead of demand?
 * @nid: the node.
 *
 * Only while @nid has memory to spare: what its zones have free for a
 * kernel allocation stays above the sum of their high watermarks, where
 * kswapd has nothing to do, with a block fewer. Taking a block back uses
 * up that much, whether its pages were free (a lent block's free pages
 * are CMA pages, which allocations that are not movable cannot use, and
 * which the watermark checks of such allocations do not count) or in use
 * (their migration takes free pages outside the area). Free for a kernel
 * allocation is each zone's free pages but its CMA ones and the part it
 * reserves from allocations that could use a higher zone
 * (lowmem_reserve). Below that, reclaim runs or is about to, and its
 * shrinker would lend a warm block again right away. KUnit may stand in
 * for it.
 *
 * Context: Any context; racy by nature, a hint.
 * Return: true if a block may be taken back for a warm block.
 */
VISIBLE_IF_KUNIT bool gfx_pool_node_has_room(int nid)
{
	struct pglist_data *pgdat = NODE_DATA(nid);
	int z, highest = gfp_zone(GFP_KERNEL);
	long free = 0, high = 0, n;
	struct zone *zone;

	KUNIT_STATIC_STUB_REDIRECT(gfx_pool_node_has_room, nid);
	for (z = 0; z <= highest; z++) {
		zone = &pgdat->node_zones[z];
		if (!populated_zone(zone))
			continue;
		n = (long)zone_page_state_snapshot(zone, NR_FREE_PAGES) -
		    (long)zone_page_state_snapshot(zone, NR_FREE_CMA_PAGES) -
		    zone->lowmem_reserve[highest];
		free += max(n, 0L);
		high += high_wmark_pages(zone);
	}
	return free > high + (long)GFX_POOL_BLOCK_PAGES;
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_node_has_room);

/*
 * Take back a lent block of the region (two, aligned, for an order-10
 * allocation): cma_alloc() migrates what the page allocator put there.
 * @ahead: for a warm block, not an allocation: only if the node has room
 * (gfx_pool_node_has_room()).
 * Context: within gfx_pool_grow()'s scope, or the warm work's.
 * Return: true if blocks came in that can be used: not if one broke as it
 * came in (its 1G demotion failed), so that the caller grows instead.
 */
static bool gfx_pool_take_back(struct gfx_pool_node *node, gfp_t gfp,
			       unsigned int order, bool ahead)
{
	unsigned int i, border = max(order, GFX_POOL_BLOCK_ORDER);
	struct gfx_pool_region *region = node->region;
	unsigned long nr = 1UL << border;
	struct gfx_pool_block *block;
	struct page *page = NULL;
	bool usable = true;

	lockdep_assert_held(&node->convert_lock);
	if (!IS_ENABLED(CONFIG_CMA) || !region ||
	    atomic_long_read(&region->nr_lent) < (long)(nr >> GFX_POOL_BLOCK_ORDER))
		return false;
	if (ahead && !gfx_pool_node_has_room(node->nid)) {
		atomic_long_inc(&gfx_pool.warm_held_back);
		return false;
	}
	if (!gfx_pool_should_fail(GFX_POOL_FAIL_TAKE_BACK, nr << PAGE_SHIFT))
		page = gfx_pool_cma_alloc(region, nr, border);
	if (!page) {
		atomic_long_inc(&gfx_pool.take_back_failures);
		return false;
	}
	gfx_pool_own_pages(page, nr);
	for (i = 0; i < nr >> GFX_POOL_BLOCK_ORDER; i++) {
		block = gfx_pool_pfn_to_block(page_to_pfn(page) +
					      (i << GFX_POOL_BLOCK_ORDER));
		WRITE_ONCE(block->lent, false);
		usable &= gfx_pool_block_comes_in(node, block,
						  "take a block back");
	}
	trace_gfx_pool_block_taken_back(page_to_pfn(page), border, node->nid);
	atomic_long_sub(nr >> GFX_POOL_BLOCK_ORDER, &region->nr_lent);
	atomic_long_add(nr >> GFX_POOL_BLOCK_ORDER, &gfx_pool.taken_back_total);
	count_vm_events(GFX_POOL_BLOCK_TAKEN_BACK, nr >> GFX_POOL_BLOCK_ORDER);
	return usable;
}

/**
 * gfx_pool_grow() - bring in blocks for an allocation the pool cannot serve
 * @node: the node.
 * @gfp: the allocation's flags.
 * @order: the allocation's order: one block, or the group it needs.
 *
 * A lent block of @node's region first, if it has one that lends; else blocks
 * from the page allocator, within gfx_pool.grow_limit. The new blocks are
 * WB, wholly free and on @node's lists when this returns true; the
 * caller's conversion takes them from there.
 *
 * cma_alloc()'s migration, and CPA's split of a 1G direct-map page when
 * a block comes in inside one, allocate with GFP_KERNEL: a caller that
 * may not enter the filesystem or do I/O gets that honoured through the
 * scope API, over all of it.
 *
 * Context: Process context, @node's convert_lock held.
 * Return: true if blocks came in that the allocation can use.
 */
bool gfx_pool_grow(struct gfx_pool_node *node, gfp_t gfp, unsigned int order)
{
	unsigned int scope;
	bool ret;

	scope = memalloc_flags_save(!(gfp & __GFP_IO) ? PF_MEMALLOC_NOIO :
				    !(gfp & __GFP_FS) ? PF_MEMALLOC_NOFS : 0);
	ret = gfx_pool_take_back(node, gfp, order, false) ||
	      gfx_pool_grow_alloc(node, gfp, order);
	memalloc_flags_restore(scope);
	return ret;
}

/* === Warm blocks ========================================================= */

/*
 * Per node and domain in use, the pool keeps gfx_pool.warm_blocks wholly
 * free blocks warm: already in the domain. An allocation that takes the
 * domain below that queues the node's warm work, which converts a spare
 * free block of another domain, or takes a lent block back and converts
 * it, so that the next allocation that needs a block finds one without
 * waiting for a migration or a conversion. A domain with no page in use
 * on the node keeps none: the idle pool costs the rest of the system
 * nothing more. The idle work leaves warm blocks alone; the shrinker
 * takes them too.
 *
 * The warm work never grows the pool: a grown warm block would hold part
 * of gfx_pool.grow_limit that an allocation on another node, or in
 * another domain, may need, and growth is one page allocation, not a
 * migration. A failure just leaves the domain short until an allocation
 * tries for itself.
 */
#define GFX_POOL_MAX_WARM	8

static unsigned int warm_blocks = 1;

static int gfx_pool_warm_blocks_set(const char *val,
				    const struct kernel_param *kp)
{
	unsigned int n;

	if (kstrtouint(val, 0, &n) || n > GFX_POOL_MAX_WARM) {
		pr_err("gfx_pool.warm_blocks=%s: not a number of blocks from 0 to %u\n",
		       val, GFX_POOL_MAX_WARM);
		return -EINVAL;
	}
	gfx_pool_set_warm_blocks(n);
	return 0;
}

static const struct kernel_param_ops gfx_pool_warm_blocks_ops = {
	.set = gfx_pool_warm_blocks_set,
	.get = param_get_uint,
};
module_param_cb(warm_blocks, &gfx_pool_warm_blocks_ops, &warm_blocks, 0644);
MODULE_PARM_DESC(warm_blocks,
		 "Wholly free blocks kept converted per node and domain in use, 0 to 8 (default 1)");

/**
 * gfx_pool_set_warm_blocks() - set how many blocks each domain keeps warm
 * @blocks: wholly free blocks per node and domain in use, at most 8.
 *
 * Context: Any context.
 * Return: the old value.
 */
unsigned int gfx_pool_set_warm_blocks(unsigned int blocks)
{
	return xchg(&warm_blocks, min(blocks, GFX_POOL_MAX_WARM));
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_set_warm_blocks);

/* Wholly free blocks kept warm per node and domain in use. */
unsigned int gfx_pool_warm_blocks(void)
{
	return READ_ONCE(warm_blocks);
}

/* How many warm blocks @domain should have on @node now. */
static unsigned int __gfx_pool_warm_target(struct gfx_pool_node *node,
					   unsigned int domain)
{
	lockdep_assert_held(&node->lock);
	return node->domain[domain].nr_used ? gfx_pool_warm_blocks() : 0;
}

/* Is @block one of the warm blocks its domain keeps? */
static bool __gfx_pool_block_is_warm(struct gfx_pool_node *node,
				     struct gfx_pool_block *block)
{
	unsigned int want = __gfx_pool_warm_target(node, block->domain);

	return want && node->domain[block->domain].nr_free <= want;
}

/**
 * __gfx_pool_warm_check() - top up @domain's warm blocks if it is short
 * @node: the node.
 * @domain: a domain whose wholly free blocks just went down by one.
 *
 * Context: Any context, @node's lock held.
 */
void __gfx_pool_warm_check(struct gfx_pool_node *node,
			   enum gfx_pool_domain domain)
{
	unsigned int want = __gfx_pool_warm_target(node, domain);

	if (want && node->domain[domain].nr_free < want)
		/*
		 * A tick later: the allocation that asked returns before the
		 * conversion's IPIs and cache flushes begin, and the
		 * allocations right behind it ask once.
		 */
		queue_delayed_work(gfx_pool_workqueue(), &node->warm_work, 1);
}

/*
 * A wholly free block that another domain can spare for @domain: one
 * above that domain's own warm blocks, WB first.
 */
static struct gfx_pool_block *__gfx_pool_spare_block(struct gfx_pool_node *node,
						     unsigned int domain)
{
	unsigned int d, want;

	lockdep_assert_held(&node->lock);
	for (d = 0; d < GFX_POOL_NR_DOMAINS; d++) {
		if (d == domain)
			continue;
		want = __gfx_pool_warm_target(node, d);
		if (node->domain[d].nr_free > want)
			return list_first_entry(&node->domain[d].free,
						struct gfx_pool_block, list);
	}
	return NULL;
}

/*
 * One step towards @domain's warm blocks on @node.
 * Return: 1 if a block became warm or came in, 0 if @domain has what it
 * should, -1 if no block can be had.
 */
static int gfx_pool_warm_one(struct gfx_pool_node *node, unsigned int domain)
{
	struct gfx_pool_block *block;
	unsigned long flags;
	unsigned int want, now;

	lockdep_assert_held(&node->convert_lock);
	spin_lock_irqsave(&node->lock, flags);
	want = __gfx_pool_warm_target(node, domain);
	if (node->domain[domain].nr_free >= want) {
		spin_unlock_irqrestore(&node->lock, flags);
		return 0;
	}
	/* Each block with a poisoned page is kept, partly used: one fewer. */
	do {
		block = __gfx_pool_spare_block(node, domain);
	} while (block && __gfx_pool_block_keep_poisoned(node, block));
	if (block)
		__gfx_pool_block_detach(node, block);
	spin_unlock_irqrestore(&node->lock, flags);

	if (!block) {
		/* A lent block comes back WB; the next step converts it. */
		if (!gfx_pool_take_back(node, GFP_KERNEL, GFX_POOL_BLOCK_ORDER,
					true))
			return -1;
		if (domain == GFX_POOL_WB)
			atomic_long_inc(&gfx_pool.warmed_total);
		return 1;
	}

	now = gfx_pool_convert(node, block, domain);
	spin_lock_irqsave(&node->lock, flags);
	__gfx_pool_block_converted(node, block, now, now != domain);
	spin_unlock_irqrestore(&node->lock, flags);
	if (now != domain)
		return -1;	/* an allocation may try the others */
	atomic_long_inc(&gfx_pool.warmed_total);
	return 1;
}

/**
 * gfx_pool_warm_fn() - top up a node's warm blocks, every domain
 * @work: &gfx_pool_node.warm_work.
 *
 * WB first, so that a block taken back for another domain is one WB can
 * spare.
 *
 * Context: Process context (a freezable workqueue).
 */
void gfx_pool_warm_fn(struct work_struct *work)
{
	struct gfx_pool_node *node = container_of(to_delayed_work(work),
						  struct gfx_pool_node,
						  warm_work);
	unsigned int d, steps;
	int ret;

	/*
	 * The lock step by step, each one block in or converted: an
	 * allocation that needs it waits for one step, not for all.
	 */
	for (d = 0; d < GFX_POOL_NR_DOMAINS; d++)
		/* Each block takes at most two steps: in, then converted. */
		for (steps = 0; steps < 2 * GFX_POOL_MAX_WARM; steps++) {
			mutex_lock(&node->convert_lock);
			ret = gfx_pool_warm_one(node, d);
			mutex_unlock(&node->convert_lock);
			if (ret <= 0)
				break;
		}
}

/**
 * gfx_pool_warm_flush() - wait until no node's warm work is pending
 *
 * Context: Process context.
 */
void gfx_pool_warm_flush(void)
{
	int nid;

	for_each_node(nid)
		if (gfx_pool.node[nid])
			flush_delayed_work(&gfx_pool.node[nid]->warm_work);
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_warm_flush);

#if IS_ENABLED(CONFIG_KUNIT)
/**
 * gfx_pool_idle_flush() - wait for the idle work queued now to finish
 *
 * For the tests: what gfx_pool_set_grow_limit() queued has been done.
 *
 * Context: Process context.
 */
void gfx_pool_idle_flush(void)
{
	flush_delayed_work(&gfx_pool_idle_work);
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_idle_flush);

/**
 * gfx_pool_idle_due() - when the idle work runs next
 * @when: set to the jiffies it is due at, if it is queued.
 *
 * For the tests.
 *
 * Return: true if the idle work is queued.
 */
bool gfx_pool_idle_due(unsigned long *when)
{
	*when = READ_ONCE(gfx_pool_idle_work.timer.expires);
	return delayed_work_pending(&gfx_pool_idle_work);
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_idle_due);
#endif

/* === Giving back ========================================================= */

/* Blocks that go back when idle: grown ones, and a region's if it lends. */
static bool gfx_pool_block_elastic(const struct gfx_pool_block *block)
{
	struct gfx_pool_region *region;

	if (block->grown)
		return true;
	region = gfx_pool_block_region(block);
	return region && region->cma;
}

static bool gfx_pool_over_limit(void)
{
	return atomic_long_read(&gfx_pool.nr_grown) >
	       (long)READ_ONCE(gfx_pool.grow_limit);
}

/*
 * Called under the node lock whenever a block becomes wholly free: the
 * idle work looks at it after GFX_POOL_IDLE. Any context.
 */
void gfx_pool_block_now_free(struct gfx_pool_block *block)
{
	if (!gfx_pool_block_elastic(block))
		return;
	WRITE_ONCE(block->free_since, jiffies);
	/* Grown blocks above a lowered limit at once, idle or not. */
	if (block->grown && gfx_pool_over_limit())
		mod_delayed_work(gfx_pool_workqueue(), &gfx_pool_idle_work, 0);
	else	/* does nothing if it is pending already */
		queue_delayed_work(gfx_pool_workqueue(), &gfx_pool_idle_work,
				   GFX_POOL_IDLE);
}

/*
 * Give one wholly free block back: a grown one to the page allocator, a
 * region one lent again. To WB first, with one call over its 2 MiB. A
 * page freed with a reference or a mapcount left (vm_insert_page()) keeps
 * the block; so does @keep_warm if it is one of the warm blocks of its
 * domain. A VM_PFNMAP mapping leaves neither on a page: its driver must
 * zap it before the free, as TTM and the test driver do.
 * Return: true if the block went back.
 */
static bool gfx_pool_give_back_block(struct gfx_pool_node *node,
				     struct gfx_pool_block *block,
				     bool keep_warm)
{
	struct page *page = pfn_to_page(block->pfn);
	struct gfx_pool_region *region;
	unsigned int now = GFX_POOL_WB;
	unsigned long flags, i;

	lockdep_assert_held(&node->convert_lock);
	spin_lock_irqsave(&node->lock, flags);
	if (block->nr_used || block->converting ||
	    (keep_warm && __gfx_pool_block_is_warm(node, block)) ||
	    __gfx_pool_block_keep_poisoned(node, block))
		goto out_keep;
	for (i = 0; i < GFX_POOL_BLOCK_PAGES; i++) {
		/* A page freed while mapped is Offline once it is unmapped. */
		gfx_pool_set_offline(page + i, 1, true);
		if (page_ref_count(page + i) != 1 ||
		    !folio_test_offline(page_folio(page + i))) {
			pr_warn_ratelimited("block at pfn %#lx: page %#lx still held or mapped; the block is kept\n",
					    block->pfn, block->pfn + i);
			goto out_keep;
		}
	}
	__gfx_pool_block_detach(node, block);
	spin_unlock_irqrestore(&node->lock, flags);

	if (block->domain != GFX_POOL_WB)
		now = gfx_pool_convert(node, block, GFX_POOL_WB);
	if (now != GFX_POOL_WB) {
		spin_lock_irqsave(&node->lock, flags);
		__gfx_pool_block_converted(node, block, now, true);
		spin_unlock_irqrestore(&node->lock, flags);
		return false;
	}
	/* Lent or given back WB: what the direct map says it is now. */
	spin_lock_irqsave(&node->lock, flags);
	WRITE_ONCE(block->domain, GFX_POOL_WB);
	spin_unlock_irqrestore(&node->lock, flags);

	gfx_pool_disown_pages(page, GFX_POOL_BLOCK_PAGES);
	if (IS_ENABLED(CONFIG_CMA) && !block->grown) {
		/* Off every list and converting while lent, as when it was. */
		region = gfx_pool_block_region(block);
		WRITE_ONCE(block->lent, true);
		cma_release(region->cma, page, GFX_POOL_BLOCK_PAGES);
		atomic_long_inc(&region->nr_lent);
		trace_gfx_pool_block_lent(block->pfn, GFX_POOL_BLOCK_ORDER,
					  node->nid);
		atomic_long_inc(&gfx_pool.lent_total);
		count_vm_event(GFX_POOL_BLOCK_LENT);
		return true;
	}
	xa_erase(&gfx_pool.grown, block->pfn >> GFX_POOL_BLOCK_ORDER);
	list_del(&block->grown_list);
	for (i = 0; i < GFX_POOL_BLOCK_PAGES; i++)
		__free_page(page + i);
	atomic_long_dec(&gfx_pool.nr_grown);
	trace_gfx_pool_block_given_back(block->pfn, GFX_POOL_BLOCK_ORDER,
					node->nid);
	atomic_long_inc(&gfx_pool.given_back_total);
	count_vm_event(GFX_POOL_BLOCK_GIVEN_BACK);
	kfree_rcu(block, rcu);
	return true;

out_keep:
	spin_unlock_irqrestore(&node->lock, flags);
	return false;
}

/*
 * May @block go back now? Only if it is wholly free and, if @idle_only,
 * has been so for GFX_POOL_IDLE and is not one of its domain's warm
 * blocks (grown blocks above the limit go at once, warm or not).
 * @pending is set for a free block that is still young.
 * Return: 0 if it stays, 1 if it may go, 2 if it may go unless it is warm.
 */
static int gfx_pool_may_give_back(struct gfx_pool_block *block,
				  bool idle_only, bool *pending)
{
	if (READ_ONCE(block->nr_used) || READ_ONCE(block->converting))
		return 0;
	if (!idle_only || (block->grown && gfx_pool_over_limit()))
		return 1;
	if (time_before(jiffies, READ_ONCE(block->free_since) + GFX_POOL_IDLE)) {
		*pending = true;
		return 0;
	}
	return 2;
}

/*
 * Give back up to @nr wholly free blocks of @node, grown ones first, then
 * the region's if it lends.
 */
static unsigned long gfx_pool_node_give_back(struct gfx_pool_node *node,
					     unsigned long nr, bool idle_only,
					     bool *pending)
{
	struct gfx_pool_block *block, *tmp;
	unsigned long done = 0, i;
	int may;

	lockdep_assert_held(&node->convert_lock);
	list_for_each_entry_safe(block, tmp, &node->grown, grown_list) {
		if (done >= nr)
			return done;
		may = gfx_pool_may_give_back(block, idle_only, pending);
		if (may)
			done += gfx_pool_give_back_block(node, block, may == 2);
		cond_resched();
	}
	if (!node->region)
		return done;
	for (i = 0; i < node->region->nr_blocks && done < nr; i++) {
		block = &node->region->blocks[i];
		/* convert_lock held: a lent block stays lent meanwhile. */
		if (block->lent)
			continue;
		may = gfx_pool_may_give_back(block, idle_only, pending);
		if (may)
			done += gfx_pool_give_back_block(node, block, may == 2);
		cond_resched();
	}
	return done;
}

/**
 * gfx_pool_give_back() - give wholly free blocks back
 * @nid: the node, or %NUMA_NO_NODE for all.
 * @nr: at most this many blocks.
 * @idle_only: only blocks that have been free for a while.
 *
 * Grown blocks go back to the page allocator, the region's are lent again
 * (if it lends).
 *
 * Context: Process context; may sleep.
 * Return: the number of blocks given back.
 */
unsigned long gfx_pool_give_back(int nid, unsigned long nr, bool idle_only)
{
	struct gfx_pool_node *node;
	unsigned long done = 0;
	bool pending = false;
	int n;

	if (!gfx_pool_is_ready())
		return 0;
	/* Pages on per-CPU lists would keep their blocks. */
	gfx_pool_pcp_drain(nid);
	for_each_node(n) {
		node = gfx_pool.node[n];
		if (!node || (nid != NUMA_NO_NODE && n != nid))
			continue;
		mutex_lock(&node->convert_lock);
		done += gfx_pool_node_give_back(node, nr - done, idle_only,
						&pending);
		mutex_unlock(&node->convert_lock);
	}
	if (pending)
		queue_delayed_work(gfx_pool_workqueue(), &gfx_pool_idle_work,
				   GFX_POOL_IDLE);
	return done;
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_give_back);

static void gfx_pool_idle_fn(struct work_struct *work)
{
	gfx_pool_give_back(NUMA_NO_NODE, ULONG_MAX, true);
}

/* === Repair ============================================================== */

/*
 * Broken blocks are tried again GFX_POOL_IDLE after one broke; while some
 * stay broken, after twice as long each time, up to GFX_POOL_REPAIR_MAX:
 * a block that CPA keeps refusing costs a CPA call every few minutes,
 * not every few seconds. A repair that leaves none broken starts over.
 */
#define GFX_POOL_REPAIR_MAX	(64 * GFX_POOL_IDLE)

static void gfx_pool_repair_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(gfx_pool_repair_work, gfx_pool_repair_fn);
static unsigned long gfx_pool_repair_delay = GFX_POOL_IDLE;

static void gfx_pool_repair_fn(struct work_struct *work)
{
	gfx_pool_repair();
	if (!atomic_long_read(&gfx_pool.broken_blocks)) {
		WRITE_ONCE(gfx_pool_repair_delay, GFX_POOL_IDLE);
		return;
	}
	WRITE_ONCE(gfx_pool_repair_delay,
		   min_t(unsigned long, 2 * gfx_pool_repair_delay,
			 GFX_POOL_REPAIR_MAX));
	queue_delayed_work(gfx_pool_workqueue(), &gfx_pool_repair_work,
			   gfx_pool_repair_delay);
}

/* A block broke: have it repaired. Any context. */
void gfx_pool_repair_later(void)
{
	/* Does nothing if a repair is pending already. */
	queue_delayed_work(gfx_pool_workqueue(), &gfx_pool_repair_work,
			   READ_ONCE(gfx_pool_repair_delay));
}

#if IS_ENABLED(CONFIG_KUNIT)
/* No repair runs behind a KUnit case's back until a block breaks again. */
void gfx_pool_repair_cancel(void)
{
	cancel_delayed_work_sync(&gfx_pool_repair_work);
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_repair_cancel);

/**
 * gfx_pool_repair_due() - when the repair work runs next
 * @when: set to the jiffies it is due at, if it is queued.
 *
 * For the tests.
 *
 * Return: true if the repair work is queued.
 */
bool gfx_pool_repair_due(unsigned long *when)
{
	*when = READ_ONCE(gfx_pool_repair_work.timer.expires);
	return delayed_work_pending(&gfx_pool_repair_work);
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_repair_due);

/**
 * gfx_pool_repair_run() - run the repair work now, in the caller
 * @delay: set to the delay it queues the next repair with, or would.
 *
 * For the tests: one step of the backoff, without waiting for it.
 *
 * Context: Process context; may sleep.
 * Return: true if it queued another repair (some blocks stay broken).
 */
bool gfx_pool_repair_run(unsigned long *delay)
{
	cancel_delayed_work_sync(&gfx_pool_repair_work);
	gfx_pool_repair_fn(&gfx_pool_repair_work.work);
	*delay = READ_ONCE(gfx_pool_repair_delay);
	return delayed_work_pending(&gfx_pool_repair_work);
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_repair_run);
#endif

/* === Shrinker ============================================================ */

static unsigned long gfx_pool_shrink_count(struct shrinker *shrinker,
					   struct shrink_control *sc)
{
	struct gfx_pool_region *region;
	struct gfx_pool_block *block;
	unsigned long idx, n = 0;
	bool gives_back = false;

	/* Racy by nature; RCU keeps every struct there while we look. */
	rcu_read_lock();
	xa_for_each(&gfx_pool.grown, idx, block) {
		if (block->nid != sc->nid)
			continue;
		gives_back = true;
		n += !READ_ONCE(block->nr_used) && !READ_ONCE(block->converting);
	}
	rcu_read_unlock();
	if (gfx_pool.node[sc->nid] && gfx_pool.node[sc->nid]->region) {
		gives_back = true;
		region = gfx_pool.node[sc->nid]->region;
		for (idx = 0; idx < region->nr_blocks; idx++) {
			block = &region->blocks[idx];
			n += !READ_ONCE(block->nr_used) &&
			     !READ_ONCE(block->converting);
		}
	}
	n <<= GFX_POOL_BLOCK_ORDER;
	/*
	 * Pages on per-CPU lists: the scan drains them, freeing blocks; but
	 * only on a node with blocks that can go back at all (a region that
	 * lends, or grown blocks). Elsewhere a scan would drain the lists
	 * on every pass of reclaim and free nothing.
	 */
	if (gives_back)
		n += gfx_pool_pcp_count_node(sc->nid);
	return n ? n : SHRINK_EMPTY;
}

/*
 * Under memory pressure, free blocks go back whatever their age: grown
 * ones to the page allocator, then the region's, lent again.
 * The convert_lock is only tried: an allocation that holds it may be the
 * one in reclaim (conversions and growth allocate memory). So is a drain
 * of the per-CPU lists: reclaim does not queue up behind one that runs.
 */
static unsigned long gfx_pool_shrink_scan(struct shrinker *shrinker,
					  struct shrink_control *sc)
{
	struct gfx_pool_node *node = gfx_pool.node[sc->nid];
	bool pending = false;
	unsigned long done;

	if (!node)
		return SHRINK_STOP;
	/*
	 * Pages on per-CPU lists may keep blocks from being free. Drained
	 * first, not under the convert_lock, which would make every waiter
	 * for it wait for each CPU's drain work too.
	 */
	gfx_pool_pcp_drain_nowait(sc->nid);
	if (!mutex_trylock(&node->convert_lock))
		return SHRINK_STOP;
	done = gfx_pool_node_give_back(node,
				       DIV_ROUND_UP(sc->nr_to_scan,
						    GFX_POOL_BLOCK_PAGES),
				       false, &pending);
	mutex_unlock(&node->convert_lock);
	return done ? done << GFX_POOL_BLOCK_ORDER : SHRINK_STOP;
}

#if IS_ENABLED(CONFIG_KUNIT)
/**
 * gfx_pool_shrink() - what the shrinker does for a node under pressure
 * @nid: the node.
 * @nr: pages to scan for.
 * @count: set to what the shrinker counts first.
 *
 * For the tests.
 *
 * Context: Process context; may sleep.
 * Return: the pages the scan freed, or %SHRINK_STOP.
 */
unsigned long gfx_pool_shrink(int nid, unsigned long nr, unsigned long *count)
{
	struct shrink_control sc = {
		.gfp_mask = GFP_KERNEL,
		.nid = nid,
		.nr_to_scan = nr,
	};

	*count = gfx_pool_shrink_count(NULL, &sc);
	return gfx_pool_shrink_scan(NULL, &sc);
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_shrink);
#endif

int __init gfx_pool_grow_init(void)
{
	struct shrinker *shrinker;

	WRITE_ONCE(gfx_pool_wq, alloc_workqueue("gfx_pool",
						WQ_UNBOUND | WQ_FREEZABLE, 0));

	shrinker = shrinker_alloc(SHRINKER_NUMA_AWARE, "gfx_pool");
	if (!shrinker)
		return -ENOMEM;
	shrinker->count_objects = gfx_pool_shrink_count;
	shrinker->scan_objects = gfx_pool_shrink_scan;
	shrinker->batch = GFX_POOL_BLOCK_PAGES;
	shrinker_register(shrinker);
	return 0;
}
