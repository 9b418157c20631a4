// SPDX-License-Identifier: GPL-2.0
/*
 * gfx_pool growth: when the region cannot serve an allocation, the pool
 * takes whole, 2 MiB-aligned blocks from the page allocator, up to
 * gfx_pool.grow_limit, and gives each back once it has been wholly free
 * for GFX_POOL_GROWN_IDLE, or earlier when a shrinker asks.
 *
 * A grown block is a block like any other: on its node's lists, in one
 * domain at a time, converted whole with one set_memory_*() call, so it
 * never splits a 2 MiB direct-map entry either. Where the direct map
 * maps it with a 1 GiB page, that page is demoted to 2 MiB pages once,
 * when the block grows, and counted (gfx_pool_demote_gbpage()). Where
 * something split the range to 4 KiB before, the block keeps those 4 KiB
 * entries: the pool changes all 512 of them together and splits nothing
 * more (struct gfx_pool_block::grown_level records which). The
 * pages come with one light try (__GFP_NORETRY, the caller's reclaim
 * rules, no reserves): the pool would rather fail than start a reclaim
 * or compaction storm for a graphics buffer. While grown, every page of
 * the block is PageReserved like the region's, and a free one is
 * PageOffline; given back, each page goes back to the page allocator on
 * its own (the allocation was split_page()d), in WB.
 *
 * The limit is 0 unless gfx_pool.grow_limit= says otherwise: growth pins
 * memory in 2 MiB pieces the page allocator must find, and a kernel that
 * did not ask for it should behave as before.
 *
 * Locking: growing and giving back run under the node's convert_lock,
 * which also protects the node's list of grown blocks. The xarray of
 * grown blocks, for gfx_pool_pfn_to_block(), is read under RCU; a grown
 * block's struct is freed with kfree_rcu().
 */

#define pr_fmt(fmt) "gfx_pool: " fmt

#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/page-flags.h>
#include <linux/pgtable.h>
#include <linux/rcupdate.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/workqueue.h>

#include <kunit/visibility.h>

#include "gfx_pool.h"

/* gfx_pool.grow_limit, not grow.grow_limit. */
#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "gfx_pool."

/* How long a grown block stays wholly free before it is given back. */
#define GFX_POOL_GROWN_IDLE	(10 * HZ)

static void gfx_pool_idle_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(gfx_pool_idle_work, gfx_pool_idle_fn);

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
		mod_delayed_work(system_freezable_wq, &gfx_pool_idle_work, 0);
	return old;
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_set_grow_limit);

/* Take @nr blocks of the limit, or fail without taking any. */
static bool gfx_pool_grow_charge(unsigned long nr)
{
	if (atomic_long_add_return(nr, &gfx_pool.nr_grown) <=
	    (long)READ_ONCE(gfx_pool.grow_limit))
		return true;
	atomic_long_sub(nr, &gfx_pool.nr_grown);
	return false;
}

/* === Growing ============================================================= */

/*
 * The caller's rules for reclaim and I/O, but one light try and no
 * reserves; on this node, and below 4 GiB if the region is, so that the
 * pool can go on serving __GFP_DMA32.
 */
static gfp_t gfx_pool_grow_gfp(gfp_t gfp)
{
	return (gfp & (__GFP_RECLAIM | __GFP_IO | __GFP_FS)) |
	       __GFP_THISNODE | __GFP_NORETRY | __GFP_NOWARN |
	       __GFP_NOMEMALLOC | (gfx_pool.dma32 ? __GFP_DMA32 : 0);
}

/* Mark @nr pages at @page the pool's (@own) or the page allocator's. */
static void gfx_pool_grown_pages(struct page *page, unsigned long nr, bool own)
{
	unsigned long i;

	if (!own)
		gfx_pool_set_offline(page, nr, false);
	for (i = 0; i < nr; i++) {
		if (own) {
			SetPageReserved(page + i);
		} else {
			ClearPageReserved(page + i);
			__free_page(page + i);
		}
	}
	if (own)
		gfx_pool_set_offline(page, nr, true);
}

/**
 * gfx_pool_grow() - take blocks for an allocation from the page allocator
 * @node: the node to grow.
 * @gfp: the allocation's flags.
 * @order: the allocation's order: one block, or the group it needs.
 *
 * The new blocks are WB, wholly free and on @node's lists when this
 * returns true; the caller's conversion takes them from there.
 *
 * Context: Process context, @node's convert_lock held.
 * Return: true if @node grew.
 */
bool gfx_pool_grow(struct gfx_pool_node *node, gfp_t gfp, unsigned int order)
{
	struct gfx_pool_block *blocks[1U << (GFX_POOL_MAX_ORDER - GFX_POOL_BLOCK_ORDER)] = {};
	unsigned int i, stored = 0, border = max(order, GFX_POOL_BLOCK_ORDER);
	unsigned int span = 1U << (border - GFX_POOL_BLOCK_ORDER);
	gfp_t meta_gfp = (gfp & GFP_KERNEL) | __GFP_NOWARN;
	struct gfx_pool_block *block;
	struct page *page = NULL;
	unsigned int level;
	unsigned long flags;
	int ret;

	lockdep_assert_held(&node->convert_lock);
	if (!gfx_pool_grow_charge(span))
		return false;
	for (i = 0; i < span; i++) {
		blocks[i] = gfx_pool_should_fail(sizeof(*block)) ? NULL :
			kzalloc_node(sizeof(*block), meta_gfp, node->nid);
		if (!blocks[i])
			goto out_free_meta;
	}
	if (!gfx_pool_should_fail(PAGE_SIZE << border))
		page = alloc_pages_node(node->nid, gfx_pool_grow_gfp(gfp),
					border);
	if (!page)
		goto out_free_meta;
	/* Every page on its own, so that each block can go back alone. */
	split_page(page, border);
	gfx_pool_grown_pages(page, 1UL << border, true);

	for (i = 0; i < span; i++) {
		block = blocks[i];
		block->pfn = page_to_pfn(page) + (i << GFX_POOL_BLOCK_ORDER);
		block->nid = node->nid;
		block->domain = GFX_POOL_WB;
		block->grown = true;
		/* Off every list until __gfx_pool_block_converted() below. */
		block->converting = true;
		INIT_LIST_HEAD(&block->list);
		/* Whatever the page allocator's last user left: not zero. */
		bitmap_fill(block->dirty, GFX_POOL_BLOCK_PAGES);
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
		ret = gfx_pool_demote_gbpage(block->pfn);
		if (ret > 0)
			pr_info("demoted the 1G direct-map page over pfn %#lx to 2M pages to grow\n",
				block->pfn);
		lookup_address(gfx_pool_block_addr(block), &level);
		block->grown_level = level;
		spin_lock_irqsave(&node->lock, flags);
		/* A failed demotion leaves it broken and off every list. */
		__gfx_pool_block_converted(node, block,
					   ret < 0 ? GFX_POOL_BROKEN : GFX_POOL_WB,
					   false);
		spin_unlock_irqrestore(&node->lock, flags);
	}
	atomic_long_add(span, &gfx_pool.grown_total);
	return true;

out_erase:
	for (i = 0; i < stored; i++)
		xa_erase(&gfx_pool.grown, blocks[i]->pfn >> GFX_POOL_BLOCK_ORDER);
	/* Nobody can have looked them up: they were on no list. */
	synchronize_rcu();
	gfx_pool_grown_pages(page, 1UL << border, false);
out_free_meta:
	for (i = 0; i < span; i++)
		kfree(blocks[i]);
	atomic_long_sub(span, &gfx_pool.nr_grown);
	return false;
}

/* === Giving back ========================================================= */

/*
 * Called under the node lock whenever a grown block becomes wholly free:
 * the idle work looks at it after GFX_POOL_GROWN_IDLE. Any context.
 */
void gfx_pool_block_now_free(struct gfx_pool_block *block)
{
	block->free_since = jiffies;
	/* Above a lowered limit at once, idle or not. */
	if (atomic_long_read(&gfx_pool.nr_grown) >
	    (long)READ_ONCE(gfx_pool.grow_limit))
		mod_delayed_work(system_freezable_wq, &gfx_pool_idle_work, 0);
	else	/* does nothing if it is pending already */
		queue_delayed_work(system_freezable_wq, &gfx_pool_idle_work,
				   GFX_POOL_GROWN_IDLE);
}

/*
 * Give one wholly free grown block back to the page allocator: to WB
 * first, with one call over its 2 MiB. A page a driver still holds or
 * maps (freed with a reference or a mapcount left) keeps the block.
 * Return: true if the block went back.
 */
static bool gfx_pool_give_back_block(struct gfx_pool_node *node,
				     struct gfx_pool_block *block)
{
	struct page *page = pfn_to_page(block->pfn);
	unsigned int now = GFX_POOL_WB;
	unsigned long flags, i;

	lockdep_assert_held(&node->convert_lock);
	spin_lock_irqsave(&node->lock, flags);
	if (block->nr_used || block->converting)
		goto out_keep;
	for (i = 0; i < GFX_POOL_BLOCK_PAGES; i++) {
		if (page_ref_count(page + i) != 1 ||
		    !folio_test_offline(page_folio(page + i))) {
			pr_warn_ratelimited("block at pfn %#lx: page %#lx still held or mapped; the block is kept\n",
					    block->pfn, block->pfn + i);
			goto out_keep;
		}
	}
	list_del_init(&block->list);
	node->domain[block->domain].nr_blocks--;
	block->converting = true;
	spin_unlock_irqrestore(&node->lock, flags);

	if (block->domain != GFX_POOL_WB)
		now = gfx_pool_convert(node, block, GFX_POOL_WB);
	if (now != GFX_POOL_WB) {
		spin_lock_irqsave(&node->lock, flags);
		__gfx_pool_block_converted(node, block, now, true);
		spin_unlock_irqrestore(&node->lock, flags);
		return false;
	}

	xa_erase(&gfx_pool.grown, block->pfn >> GFX_POOL_BLOCK_ORDER);
	list_del(&block->grown_list);
	gfx_pool_grown_pages(page, GFX_POOL_BLOCK_PAGES, false);
	atomic_long_dec(&gfx_pool.nr_grown);
	atomic_long_inc(&gfx_pool.given_back_total);
	kfree_rcu(block, rcu);
	return true;

out_keep:
	spin_unlock_irqrestore(&node->lock, flags);
	return false;
}

/*
 * Give back up to @nr wholly free grown blocks of @node; only those free
 * for GFX_POOL_GROWN_IDLE if @idle_only, unless the pool is above its
 * limit. @pending is set if a free block was left because it is young.
 */
static unsigned long gfx_pool_node_give_back(struct gfx_pool_node *node,
					     unsigned long nr, bool idle_only,
					     bool *pending)
{
	struct gfx_pool_block *block, *tmp;
	unsigned long done = 0;
	bool over;

	lockdep_assert_held(&node->convert_lock);
	list_for_each_entry_safe(block, tmp, &node->grown, grown_list) {
		if (done >= nr)
			break;
		if (READ_ONCE(block->nr_used))
			continue;
		over = atomic_long_read(&gfx_pool.nr_grown) >
		       (long)READ_ONCE(gfx_pool.grow_limit);
		if (idle_only && !over &&
		    time_before(jiffies, READ_ONCE(block->free_since) +
					 GFX_POOL_GROWN_IDLE)) {
			*pending = true;
			continue;
		}
		done += gfx_pool_give_back_block(node, block);
		cond_resched();
	}
	return done;
}

/**
 * gfx_pool_give_back() - give wholly free grown blocks back
 * @nid: the node, or %NUMA_NO_NODE for all.
 * @nr: at most this many blocks.
 * @idle_only: only blocks that have been free for a while.
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
		queue_delayed_work(system_freezable_wq, &gfx_pool_idle_work,
				   GFX_POOL_GROWN_IDLE);
	return done;
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_give_back);

static void gfx_pool_idle_fn(struct work_struct *work)
{
	gfx_pool_give_back(NUMA_NO_NODE, ULONG_MAX, true);
}

/* === Shrinker ============================================================ */

static unsigned long gfx_pool_shrink_count(struct shrinker *shrinker,
					   struct shrink_control *sc)
{
	struct gfx_pool_block *block;
	unsigned long idx, n = 0;

	/* Racy by nature; RCU keeps every struct there while we look. */
	rcu_read_lock();
	xa_for_each(&gfx_pool.grown, idx, block)
		n += block->nid == sc->nid && !READ_ONCE(block->nr_used) &&
		     !READ_ONCE(block->converting);
	rcu_read_unlock();
	return n ? n << GFX_POOL_BLOCK_ORDER : SHRINK_EMPTY;
}

/*
 * Under memory pressure, free grown blocks go back whatever their age.
 * The convert_lock is only tried: an allocation that holds it may be the
 * one in reclaim (CPA and growth allocate memory).
 */
static unsigned long gfx_pool_shrink_scan(struct shrinker *shrinker,
					  struct shrink_control *sc)
{
	struct gfx_pool_node *node = gfx_pool.node[sc->nid];
	bool pending = false;
	unsigned long done;

	if (!node || !mutex_trylock(&node->convert_lock))
		return SHRINK_STOP;
	done = gfx_pool_node_give_back(node,
				       DIV_ROUND_UP(sc->nr_to_scan,
						    GFX_POOL_BLOCK_PAGES),
				       false, &pending);
	mutex_unlock(&node->convert_lock);
	return done ? done << GFX_POOL_BLOCK_ORDER : SHRINK_STOP;
}

int __init gfx_pool_grow_init(void)
{
	struct shrinker *shrinker;

	shrinker = shrinker_alloc(SHRINKER_NUMA_AWARE, "gfx_pool");
	if (!shrinker)
		return -ENOMEM;
	shrinker->count_objects = gfx_pool_shrink_count;
	shrinker->scan_objects = gfx_pool_shrink_scan;
	shrinker->batch = GFX_POOL_BLOCK_PAGES;
	shrinker_register(shrinker);
	return 0;
}
