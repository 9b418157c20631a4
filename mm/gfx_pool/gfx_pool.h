/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gfx_pool internals shared by the files of mm/gfx_pool/ and the KUnit
 * suites.
 * Nothing here is API: drivers use include/linux/gfx_pool.h.
 */
#ifndef __MM_GFX_POOL_GFX_POOL_H__
#define __MM_GFX_POOL_GFX_POOL_H__

#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/bits.h>
#include <linux/cache.h>
#include <linux/gfx_pool.h>
#include <linux/gfx_pool_mm.h>
#include <linux/gfx_pool_pm.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/numa.h>
#include <linux/percpu.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include <asm/gfx_pool.h>

/* What the suites share, and the calls the pool exports to them. */
#include <kunit/gfx_pool.h>

/*
 * The largest order a pool allocation may have: MAX_PAGE_ORDER, so that
 * users like TTM get the same chunks as from the page allocator. Orders
 * above GFX_POOL_BLOCK_ORDER take whole, naturally aligned blocks.
 */
#define GFX_POOL_MAX_ORDER	MAX_PAGE_ORDER
static_assert(GFX_POOL_MAX_ORDER >= GFX_POOL_BLOCK_ORDER);
/* Groups of blocks are pairs at most: see &gfx_pool_node.pairs. */
static_assert(GFX_POOL_MAX_ORDER - GFX_POOL_BLOCK_ORDER <= 1);

/**
 * struct gfx_pool_block - one 2 MiB block of the pool
 * @list: on its node's @free list of its domain, or on the @partial list
 *	of its domain and free order, or on no list while it is full or
 *	being converted.
 * @pair: for the first block of an aligned pair (see @pairs in &struct
 *	gfx_pool_node), on a pair list while both blocks are on @free lists.
 * @pfn: first page frame of the block; never changes.
 * @nid: node the block's memory sits on; never changes.
 * @domain: how the direct map maps the block right now.
 * @converting: the block is off every list while it is converted;
 *	nobody else may touch it.
 * @listed_free: the block is on its domain's @free list.
 * @free_order: while the block is on a @partial list, the free order of
 *	that list (see &struct gfx_pool_domain_lists); -1 while it is on no
 *	partial list.
 * @nr_used: pages of the block handed out.
 * @used: one bit per page handed out.
 * @dirty: one bit per page that may hold old data. Set for every page at
 *	boot and by a free; cleared when the pool zeroes the page (at a
 *	conversion, or for %__GFP_ZERO, init_on_alloc and init_on_free).
 *	A page with its bit clear is known to be zero and is not zeroed
 *	again.
 * @order: for the first page of every allocation, its order plus one;
 *	%GFX_POOL_ORDER_PCP for a page on a per-CPU list (pcp.c);
 *	zero for every other page. This is what lets a free with the wrong
 *	order, a double free or a free of a tail page be refused. An
 *	allocation of several blocks is recorded in its first block only;
 *	the others are simply full. Cache-line aligned: a per-CPU batch
 *	(%GFX_POOL_PCP_BATCH pages) is then whole lines of it, which no
 *	other CPU's batch shares.
 * @snapshot_mapped: an NP block mapped present for the hibernation
 *	snapshot. Protected by the node's convert_lock, not its lock.
 * @broken: zero, or what gfx_pool_repair() must do again to get a broken
 *	block back to WB: %GFX_POOL_BROKEN_LEAVE or'ed with the domain
 *	that the block failed to leave, or %GFX_POOL_BROKEN_ENTER with the
 *	domain it failed to enter (and then to be put back to WB from). A
 *	broken block is on its node's @broken list and marked converting
 *	until then.
 * @lent: a block of a region that lends (elastic.c) is the page
 *	allocator's for now; it is then also off every list and marked
 *	converting. Protected by the node's convert_lock; read without it
 *	only as a hint.
 * @grown: the block was taken from the page allocator (elastic.c), not
 *	from the region; never changes.
 * @grown_list: a grown block on its node's @grown list.
 * @grown_shift: the size of the direct-map entries over a grown block
 *	when it grew (after a 1G demotion), as arch_gfx_pool_map_shift()
 *	says it: %GFX_POOL_BLOCK_SHIFT, or %PAGE_SHIFT where something split
 *	that range before. Conversions never lower it.
 * @free_since: jiffies when a grown block last became wholly free.
 * @rcu: a grown block's struct is freed after an RCU grace period, so
 *	that a lookup that raced with its giving back reads freed memory
 *	never.
 *
 * Everything but @pfn, @nid, @grown, @grown_list, @grown_shift,
 * @snapshot_mapped, @lent and @broken is protected by the lock of the
 * &struct gfx_pool_node of @nid (@grown_shift is written under the
 * node's convert_lock before the block is on any list).
 * @broken is written only by whoever has the block detached (converting)
 * under the node's convert_lock, or by init.
 */
struct gfx_pool_block {
	struct list_head list;
	struct list_head pair;
	unsigned long pfn;
	int nid;
	enum gfx_pool_domain domain;
	bool converting;
	bool listed_free;
	s8 free_order;
	bool snapshot_mapped;
	bool lent;
	bool grown;
	u8 grown_shift;
	u8 broken;
	struct list_head grown_list;
	unsigned long free_since;
	struct rcu_head rcu;
	unsigned int nr_used;
	DECLARE_BITMAP(used, GFX_POOL_BLOCK_PAGES);
	DECLARE_BITMAP(dirty, GFX_POOL_BLOCK_PAGES);
	u8 order[GFX_POOL_BLOCK_PAGES] ____cacheline_aligned;
};

/*
 * The most regions the pool has: one per node, on this many nodes at
 * most. Each lending region is a CMA area, and CONFIG_CMA_AREAS is 20 on
 * NUMA kernels.
 */
#define GFX_POOL_MAX_REGIONS	16

/**
 * struct gfx_pool_param - what the gfx_pool= boot parameter asked for
 * @size: size of the pool in bytes, all nodes together; 0 turns it off.
 * @base: physical address the pool must start at, if @fixed_base.
 * @fixed_base: "@<base>" was given.
 * @nr_nodes: "<nid>:<size>,..." was given, with this many entries in
 *	@nodes; 0 for "<size>[@<base>]".
 * @nodes: with @nr_nodes, the node and the size of each entry.
 * @nodes.nid: the node.
 * @nodes.size: the size of the region on that node, in bytes.
 */
struct gfx_pool_param {
	phys_addr_t size;
	phys_addr_t base;
	bool fixed_base;
	unsigned int nr_nodes;
	struct {
		int nid;
		phys_addr_t size;
	} nodes[GFX_POOL_MAX_REGIONS];
};

/**
 * struct gfx_pool_region - physically contiguous memory reserved at boot
 * @base: physical start, 2 MiB aligned.
 * @size: size in bytes, a multiple of 2 MiB.
 * @start_pfn: first page frame.
 * @nr_blocks: number of 2 MiB blocks.
 * @blocks: its blocks, in physical order, within &gfx_pool.blocks.
 * @align: the alignment the pool placed it at: its size rounded up to
 *	a power of two, at most 1 GiB, or the least alignment (a block's, or
 *	a pageblock's if it is to lend) where no such range was free; 0 for
 *	a fixed base.
 * @nid: the node its memory is on (of its first block, if it spans).
 * @cma: with CONFIG_CMA and gfx_pool.lend, the region is this CMA area,
 *	and its blocks are lent while the pool does not need them; NULL if
 *	it does not lend (it spans zones or nodes, or lending is off).
 * @nr_lent: blocks of the region lent now.
 *
 * Everything but @nr_lent is written only before the pool is ready.
 */
struct gfx_pool_region {
	phys_addr_t base;
	phys_addr_t size;
	unsigned long start_pfn;
	unsigned long nr_blocks;
	struct gfx_pool_block *blocks;
	phys_addr_t align;
	int nid;
	struct cma *cma;
	atomic_long_t nr_lent;
};

/**
 * struct gfx_pool_domain_lists - the blocks of one domain on one node
 * @free: wholly free blocks, already mapped in this domain.
 * @partial: blocks with both used and free pages, by their free order:
 *	the largest order of an aligned run of free pages they have. An
 *	allocation of order k takes the first block of the lowest list at
 *	k or above, so finding room costs one look per order, and the most
 *	broken-up block that fits is filled first.
 * @nr_free: blocks on @free.
 * @nr_blocks: blocks in this domain, on a list or full.
 * @nr_used: pages of this domain handed out.
 */
struct gfx_pool_domain_lists {
	struct list_head free;
	struct list_head partial[GFX_POOL_BLOCK_ORDER];
	unsigned long nr_free;
	unsigned long nr_blocks;
	unsigned long nr_used;
};

/**
 * struct gfx_pool_node - the part of the pool on one NUMA node
 * @nid: the node.
 * @convert_lock: serialises conversions of this node's blocks, and
 *	growing and giving back, so that the set of its blocks is stable
 *	while it is held.
 * @lock: protects @domain and every mutable field of this node's blocks.
 * @grown: the node's grown blocks. Protected by @convert_lock.
 * @broken: blocks whose direct-map change failed half way, waiting for
 *	gfx_pool_repair(). Protected by @lock.
 * @domain: per-domain block lists and gauges.
 * @pairs: aligned pairs of this node's blocks (2 MiB blocks whose
 *	first pfn is aligned to 1 << %GFX_POOL_MAX_ORDER, and the block right
 *	after) that are both on @free lists, by the domains of the first and
 *	the second block: the groups an allocation above
 *	%GFX_POOL_BLOCK_ORDER takes, found without a walk.
 * @region: the region on this node that lends, or NULL: lent blocks are
 *	taken back from it for this node.
 * @snapshot: from freeze_late to thaw_early or restore_early, NP blocks
 *	are mapped present so that the hibernation snapshot can read them;
 *	a block converted to NP meanwhile stays mapped. Protected by
 *	@convert_lock.
 * @warm_work: keeps the node's warm blocks topped up (elastic.c).
 */
struct gfx_pool_node {
	int nid;
	struct mutex convert_lock;	/* one conversion at a time */
	spinlock_t lock;	/* protects @domain and this node's blocks */
	struct gfx_pool_domain_lists domain[GFX_POOL_NR_DOMAINS];
	struct list_head pairs[GFX_POOL_NR_DOMAINS][GFX_POOL_NR_DOMAINS];
	struct list_head grown;
	struct list_head broken;
	struct gfx_pool_region *region;
	bool snapshot;		/* NP blocks mapped for hibernation */
	struct delayed_work warm_work;
};

/**
 * struct gfx_pool - the one pool
 * @region: the regions reserved at boot, in physical order.
 * @nr_regions: how many; 0 if the pool only grows, or is off.
 * @nr_blocks: number of 2 MiB blocks of all regions.
 * @blocks: the blocks of all regions, region after region.
 * @node: per-node structures, NULL where the pool has no memory.
 * @ready: set once init is done; read with smp_load_acquire().
 * @taken_back_total: lent blocks taken back, all time.
 * @lent_total: blocks lent again after use, all time.
 * @dma32: every region lies below 4 GiB, so the pool can serve
 *	%__GFP_DMA32, and grows from ZONE_DMA32 only to stay so.
 * @gbpage_demotions: 1 GiB direct-map pages demoted to 2 MiB, at init
 *	or when a block grew inside one.
 * @broken_blocks: blocks whose conversion failed half way and could
 *	not be put back to WB; they are not handed out until
 *	gfx_pool_repair() puts them back to WB.
 * @broken_grown: those of @broken_blocks that are grown blocks.
 * @repaired_total: broken blocks put back to WB, all time.
 * @direct_map_failures: changes of the direct map (arch hooks) that
 *	failed, all time.
 * @grow_failures: blocks that could not grow because the page allocator
 *	or the metadata allocation refused, all time.
 * @take_back_failures: lent blocks that cma_alloc() could not take back,
 *	all time.
 * @hwpoison_pages: pages that came back, or were about to be handed out,
 *	with PG_hwpoison set, and are kept out of use for good (core.c). They
 *	stay counted as pages in use.
 * @grown: blocks taken from the page allocator, by pfn >> 9.
 * @nr_grown: blocks in @grown.
 * @grow_limit: at most this many blocks may be grown; the
 *	gfx_pool.grow_limit parameter, in bytes there.
 * @grown_total: blocks grown, all time.
 * @given_back_total: grown blocks given back, all time.
 * @warmed_total: blocks made warm ahead of demand, all time.
 * @warm_held_back: times the warm work took no block back because its
 *	node had no room (gfx_pool_node_has_room()), all time.
 * @zaps: registered mapping ranges zapped, all time (pm.c).
 * @image_pages: pages in use at the last freeze_late (pm.c).
 *
 * Everything but @gbpage_demotions, the counts of broken blocks, of
 * failures and of poisoned pages, the growth fields, the warm counts,
 * @zaps and @image_pages is written only before @ready is set. The
 * per-domain events are per-CPU counters, gfx_pool_events.
 */
struct gfx_pool {
	struct gfx_pool_region region[GFX_POOL_MAX_REGIONS];
	unsigned int nr_regions;
	unsigned long nr_blocks;
	struct gfx_pool_block *blocks;
	struct gfx_pool_node *node[MAX_NUMNODES];
	bool ready;
	atomic_long_t taken_back_total;
	atomic_long_t lent_total;
	bool dma32;
	atomic_long_t gbpage_demotions;
	atomic_long_t broken_blocks;
	atomic_long_t broken_grown;
	atomic_long_t repaired_total;
	atomic_long_t direct_map_failures;
	atomic_long_t grow_failures;
	atomic_long_t take_back_failures;
	atomic_long_t hwpoison_pages;
	struct xarray grown;
	atomic_long_t nr_grown;
	unsigned long grow_limit;
	atomic_long_t grown_total;
	atomic_long_t given_back_total;
	atomic_long_t warmed_total;
	atomic_long_t warm_held_back;
	atomic_long_t zaps;
	atomic_long_t image_pages;
};

extern struct gfx_pool gfx_pool;
extern const char *const gfx_pool_domain_names[GFX_POOL_NR_DOMAINS];

/* Per CPU, so that counting costs the warm path no atomic operation. */
DECLARE_PER_CPU(unsigned long, gfx_pool_events[GFX_POOL_NR_DOMAINS][GFX_POOL_NR_COUNTERS]);

static inline void gfx_pool_count(enum gfx_pool_domain domain,
				  enum gfx_pool_counter counter)
{
	this_cpu_inc(gfx_pool_events[domain][counter]);
}

static inline bool gfx_pool_is_ready(void)
{
	/* Pairs with the release in gfx_pool_init(): all set up is seen. */
	return smp_load_acquire(&gfx_pool.ready);
}

/* The region block of @pfn, or NULL; also for init once regions are set up. */
static inline struct gfx_pool_block *gfx_pool_region_block(unsigned long pfn)
{
	struct gfx_pool_region *region;
	unsigned long idx;
	unsigned int r;

	/* One region per node at most: a short walk. */
	for (r = 0; r < gfx_pool.nr_regions; r++) {
		region = &gfx_pool.region[r];
		idx = (pfn - region->start_pfn) >> GFX_POOL_BLOCK_ORDER;
		if (pfn >= region->start_pfn && idx < region->nr_blocks)
			return &region->blocks[idx];
	}
	return NULL;
}

/*
 * The grown block of @pfn, or NULL: an xarray lookup only while the pool
 * has grown blocks, so that a pfn outside the regions costs no more than
 * the region compares otherwise. Every pfn a VM_PFNMAP fault inserts comes
 * here (see gfx_pool_pfn_in_pool()), MMIO and other drivers' RAM included.
 * The struct is freed with kfree_rcu(): see gfx_pool_pfn_to_block().
 */
static inline struct gfx_pool_block *gfx_pool_grown_block(unsigned long pfn)
{
	if (!atomic_long_read(&gfx_pool.nr_grown))
		return NULL;
	return xa_load(&gfx_pool.grown, pfn >> GFX_POOL_BLOCK_ORDER);
}

/*
 * gfx_pool_pfn_to_block() without the check that the pool is ready, for
 * init once every region is set up and for the order-0 fast paths, inline
 * there.
 */
static inline struct gfx_pool_block *gfx_pool_lookup_block(unsigned long pfn)
{
	struct gfx_pool_block *block = gfx_pool_region_block(pfn);

	return block ?: gfx_pool_grown_block(pfn);
}

/*
 * Free pool pages are PageOffline(): nobody but the pool may touch them,
 * and the hibernation snapshot, /proc/kcore and dump tools skip them. So
 * are the pages on per-CPU lists. Pages handed out are not. A page that
 * still has a mapcount (a driver that freed a page it had mapped with
 * vm_insert_page()) keeps it: the type shares its field. Not compound:
 * each page is a folio of its own.
 */
static inline void gfx_pool_set_offline(struct page *page, unsigned long nr,
					bool offline)
{
	for (; nr; nr--, page++) {
		if (offline && page->page_type == UINT_MAX)
			__folio_set_offline(page_folio(page));
		else if (!offline && PageOffline(page))
			__folio_clear_offline(page_folio(page));
	}
}

/*
 * Broken blocks of the regions: what the region counts leave out. Two
 * reads, so a grown block breaking in between could make it negative.
 */
static inline unsigned long gfx_pool_broken_region_blocks(void)
{
	long n = atomic_long_read(&gfx_pool.broken_blocks) -
		 atomic_long_read(&gfx_pool.broken_grown);

	return max(n, 0L);
}

/* Blocks of all regions lent now. */
static inline unsigned long gfx_pool_nr_lent(void)
{
	unsigned long n = 0;
	unsigned int r;

	for (r = 0; r < gfx_pool.nr_regions; r++)
		n += atomic_long_read(&gfx_pool.region[r].nr_lent);
	return n;
}

/* Does any region lend? */
static inline bool gfx_pool_lends(void)
{
	unsigned int r;

	for (r = 0; r < gfx_pool.nr_regions; r++)
		if (gfx_pool.region[r].cma)
			return true;
	return false;
}

static inline unsigned long gfx_pool_block_addr(const struct gfx_pool_block *block)
{
	return (unsigned long)pfn_to_kaddr(block->pfn);
}

/*
 * The size of the direct-map entry @block keeps through every conversion
 * (see arch_gfx_pool_map_shift()): one 2M entry, or for a grown block
 * whatever the direct map had when it grew.
 */
static inline unsigned int gfx_pool_block_shift(const struct gfx_pool_block *block)
{
	return block->grown ? block->grown_shift : GFX_POOL_BLOCK_SHIFT;
}

/* The order record of a page on a per-CPU list: handed out, to nobody. */
#define GFX_POOL_ORDER_PCP	U8_MAX
static_assert(GFX_POOL_MAX_ORDER + 1 < GFX_POOL_ORDER_PCP);

/*
 * Mapping slots of each CPU for zeroing NP pages (core.c): a full TLB
 * flush each time a CPU has used them all. 256 of them are 1 MiB of
 * vmalloc space, half a page of PTEs and 2 KiB of PTE pointers a CPU.
 */
#define GFX_POOL_SLOTS		256

/* How long a block stays wholly free before it is given back. */
#define GFX_POOL_IDLE		(10 * HZ)

/* A conversion that leaves the block in no known state. */
#define GFX_POOL_BROKEN		GFX_POOL_NR_DOMAINS

/* What gfx_pool_repair() does again for a broken block: see @broken. */
#define GFX_POOL_BROKEN_LEAVE	0x10
#define GFX_POOL_BROKEN_ENTER	0x20
#define GFX_POOL_BROKEN_DOMAIN	0x0f
static_assert(GFX_POOL_NR_DOMAINS <= GFX_POOL_BROKEN_DOMAIN);

/* core.c: blocks and domains */
struct gfx_pool_block *gfx_pool_pfn_to_block(unsigned long pfn);
struct gfx_pool_region *gfx_pool_block_region(const struct gfx_pool_block *block);
int gfx_pool_enter_domain(unsigned long addr, enum gfx_pool_domain to);
int gfx_pool_leave_domain(unsigned long addr, enum gfx_pool_domain from);
unsigned int gfx_pool_convert(struct gfx_pool_node *node,
			      struct gfx_pool_block *block,
			      enum gfx_pool_domain to);
void __gfx_pool_block_detach(struct gfx_pool_node *node,
			     struct gfx_pool_block *block);
bool __gfx_pool_block_keep_poisoned(struct gfx_pool_node *node,
				    struct gfx_pool_block *block);
bool __gfx_pool_block_converted(struct gfx_pool_node *node,
				struct gfx_pool_block *block,
				unsigned int now, bool failed);
void __gfx_pool_block_broken(struct gfx_pool_node *node,
			     struct gfx_pool_block *block);
unsigned long gfx_pool_repair(void);
int gfx_pool_demote_gbpage(struct gfx_pool_block *block);
#if IS_ENABLED(CONFIG_KUNIT)
int __gfx_pool_demote_gbpage(struct gfx_pool_block *block);
#endif
void __init gfx_pool_list_blocks(void);
int __init gfx_pool_slot_init(void);
void __init gfx_pool_slot_exit(void);
unsigned long gfx_pool_gauge(enum gfx_pool_domain domain, bool blocks);
unsigned long gfx_pool_metadata_bytes(void);

/**
 * struct gfx_pool_pcp_run - free pages of one block on a per-CPU list
 * @pfn: the first page.
 * @nr: the number of pages from there, all in the block of @pfn.
 * @dirty: they may hold old data.
 *
 * A list holds runs, not pages: a batch moves between a block and a list
 * a run at a time, and pages freed in the order they were handed out
 * join the run they came from.
 */
struct gfx_pool_pcp_run {
	unsigned long pfn;
	unsigned int nr;
	bool dirty;
};

unsigned int __gfx_pool_take_pcp(struct gfx_pool_node *node,
				 enum gfx_pool_domain domain,
				 struct gfx_pool_pcp_run *run, unsigned int max,
				 unsigned int *nr_runs);
void __gfx_pool_give_pcp(struct gfx_pool_node *node,
			 struct gfx_pool_block *block, unsigned long off,
			 unsigned long nr, bool dirty);

/* pcp.c: per-CPU lists of free order-0 pages */
/*
 * Pages a CPU keeps per domain, and how many move to or from a block. A
 * batch is whole cache lines of a block's order records (a byte a page,
 * which each allocation writes and each free claims), so that CPUs that
 * fill from one block do not write the same line.
 */
#define GFX_POOL_PCP_HIGH	128
#define GFX_POOL_PCP_BATCH	64
static_assert(GFX_POOL_PCP_BATCH % L1_CACHE_BYTES == 0 &&
	      GFX_POOL_BLOCK_PAGES % GFX_POOL_PCP_BATCH == 0);

unsigned long gfx_pool_pcp_count(enum gfx_pool_domain domain);
unsigned long gfx_pool_pcp_count_node(int nid);
bool gfx_pool_pcp_enabled(void);
void gfx_pool_pcp_mark_dirty(void);
unsigned long gfx_pool_pcp_bytes(void);
int __init gfx_pool_pcp_init(void);

/* elastic.c: lending, growth, warm blocks, and giving back */
bool gfx_pool_grow(struct gfx_pool_node *node, gfp_t gfp, unsigned int order);
void __gfx_pool_warm_check(struct gfx_pool_node *node,
			   enum gfx_pool_domain domain);
void gfx_pool_warm_fn(struct work_struct *work);
unsigned int gfx_pool_warm_blocks(void);
void gfx_pool_block_now_free(struct gfx_pool_block *block);
void gfx_pool_repair_later(void);
#if IS_ENABLED(CONFIG_KUNIT)
void gfx_pool_repair_cancel(void);
#endif
int __init gfx_pool_grow_init(void);

/* region.c */
int gfx_pool_parse_size(const char *str, const char **end, u64 *val);

/* fail.c: fault injection, and where each failure is counted. */
enum gfx_pool_fail_site {
	GFX_POOL_FAIL_INIT,		/* metadata at init: the pool stays off */
	GFX_POOL_FAIL_DIRECT_MAP,	/* an arch hook: direct_map_failures */
	GFX_POOL_FAIL_GROW,		/* growing: grow_failures */
	GFX_POOL_FAIL_TAKE_BACK,	/* cma_alloc(): take_back_failures */
	GFX_POOL_NR_FAIL_SITES
};

#ifdef CONFIG_FAIL_GFX_POOL
bool gfx_pool_should_fail(enum gfx_pool_fail_site site, size_t size);
#if IS_ENABLED(CONFIG_KUNIT)
void gfx_pool_fail_set(unsigned long interval, unsigned long probability);
void gfx_pool_fail_next(void);
unsigned long gfx_pool_fail_injected(enum gfx_pool_fail_site site);
#endif
#else
static inline bool gfx_pool_should_fail(enum gfx_pool_fail_site site,
					size_t size)
{
	return false;
}
#endif

/* pm.c: suspend and hibernation */
#ifdef CONFIG_PM_SLEEP
int __init gfx_pool_pm_init(void);
#else
static inline int gfx_pool_pm_init(void)
{
	return 0;
}
#endif

/* debugfs.c */
#ifdef CONFIG_DEBUG_FS
void __init gfx_pool_debugfs_init(void);
#else
static inline void gfx_pool_debugfs_init(void)
{
}
#endif

#if IS_ENABLED(CONFIG_KUNIT)
/* Static unless KUnit is built: see VISIBLE_IF_KUNIT. */
int gfx_pool_parse_param(const char *str, struct gfx_pool_param *param,
			 const char **why);
int gfx_pool_check_param(const struct gfx_pool_param *param, phys_addr_t ram,
			 const char **why);
unsigned long gfx_pool_gbpage_demotions(void);
unsigned long gfx_pool_nr_broken_blocks(void);
void gfx_pool_clear_np_page(struct page *page);
unsigned long gfx_pool_slot_flushes_read(unsigned int *next, bool *clear);
unsigned long gfx_pool_slot_drops_read(unsigned long *last);
gfp_t gfx_pool_grow_gfp(gfp_t gfp);
struct page *gfx_pool_cma_alloc(struct gfx_pool_region *region,
				unsigned long nr, unsigned int order);
bool gfx_pool_node_has_room(int nid);
bool gfx_pool_idle_due(unsigned long *when);
bool gfx_pool_repair_due(unsigned long *when);
bool gfx_pool_repair_run(unsigned long *delay);
unsigned long gfx_pool_shrink(int nid, unsigned long nr,
			      unsigned long *count);
#ifdef CONFIG_MEMORY_FAILURE
void gfx_pool_unpoison(struct page *page);
#endif
#ifdef CONFIG_PM_SLEEP
struct device;
struct notifier_block;
int gfx_pool_pm_zap(struct device *dev);
int gfx_pool_pm_notify(struct notifier_block *nb, unsigned long event,
		       void *unused);
bool gfx_pool_pm_set_can_hibernate(bool can);
#endif
#ifdef CONFIG_HIBERNATION
int gfx_pool_snapshot_map(bool present, unsigned long *n);
void gfx_pool_mark_all_dirty(void);
int gfx_pool_freeze_late(struct device *dev);
int gfx_pool_thaw_early(struct device *dev);
#endif
#endif

#endif /* __MM_GFX_POOL_GFX_POOL_H__ */
