/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit helpers for the suites of gfx_pool and of its users (TTM,
 * agpgart): what the pool exports to KUnit alone, and the checks and
 * skips the suites share. Nothing here is API; drivers use
 * <linux/gfx_pool.h>.
 */
#ifndef _KUNIT_GFX_POOL_H
#define _KUNIT_GFX_POOL_H

#include <kunit/test.h>
#include <linux/gfx_pool.h>
#include <linux/gfx_pool_mm.h>
#include <linux/mm.h>
#include <linux/types.h>

#include <asm/gfx_pool.h>

struct page;

/**
 * enum gfx_pool_counter - events counted per domain
 * @GFX_POOL_ALLOCS: successful gfx_pool_alloc_pages() calls.
 * @GFX_POOL_FREES: successful gfx_pool_free_pages() calls.
 * @GFX_POOL_CONVERSIONS: blocks converted into this domain.
 * @GFX_POOL_EXHAUSTED: allocations that found no room and returned NULL.
 * @GFX_POOL_REFUSED: calls refused as API misuse (bad domain or order,
 *	freeing a page the pool does not own, a double free, a wrong order).
 *	A refused free of a page the pool does not own is counted in
 *	domain %GFX_POOL_WB, as it has no domain of its own.
 * @GFX_POOL_NR_COUNTERS: the number of counters; not a counter.
 */
enum gfx_pool_counter {
	GFX_POOL_ALLOCS,
	GFX_POOL_FREES,
	GFX_POOL_CONVERSIONS,
	GFX_POOL_EXHAUSTED,
	GFX_POOL_REFUSED,
	GFX_POOL_NR_COUNTERS
};

/*
 * Exported to KUnit only (EXPORT_SYMBOL_IF_KUNIT), documented at their
 * definitions in mm/gfx_pool/; the pool itself calls some of them too.
 */
unsigned long gfx_pool_counter_read(enum gfx_pool_domain domain,
				    enum gfx_pool_counter counter);
unsigned long gfx_pool_pages_in_use(void);
int gfx_pool_page_domain(const struct page *page);
unsigned int gfx_pool_page_map_shift(const struct page *page);
unsigned long gfx_pool_nr_free(void);
unsigned long gfx_pool_nr_usable_blocks(void);
unsigned long gfx_pool_nr_grown(void);
bool gfx_pool_has_region_on(int nid);
void gfx_pool_regions_span(unsigned long *start_pfn, unsigned long *nr_blocks);
unsigned long gfx_pool_set_grow_limit(unsigned long blocks);
unsigned long gfx_pool_give_back(int nid, unsigned long nr, bool idle_only);
unsigned int gfx_pool_set_warm_blocks(unsigned int blocks);
void gfx_pool_warm_flush(void);
void gfx_pool_idle_flush(void);
unsigned long gfx_pool_pcp_drain(int nid);
bool gfx_pool_pcp_enable(bool on);

#if IS_ENABLED(CONFIG_KUNIT)

/*
 * Skip unless there is a pool with large pages to keep: debug_pagealloc
 * maps the whole direct map with 4K pages.
 */
static inline void gfx_pool_test_skip_unless_usable(struct kunit *test)
{
	if (!gfx_pool_enabled())
		kunit_skip(test, "no pool: boot with gfx_pool=<size>");
	if (debug_pagealloc_enabled())
		kunit_skip(test, "debug_pagealloc: no large pages to keep");
}

/*
 * Check how the direct map maps @addr: in @domain (as
 * arch_gfx_pool_map_domain() reads it), by an entry of the size @shift
 * says (PAGE_SHIFT, PMD_SHIFT or PUD_SHIFT). Pool pages or not.
 */
static inline void gfx_pool_test_expect_direct_map(struct kunit *test,
						   const void *addr,
						   enum gfx_pool_domain domain,
						   unsigned int shift)
{
	int got = arch_gfx_pool_map_domain((unsigned long)addr);
	unsigned long pfn = PHYS_PFN(__pa(addr));

	KUNIT_EXPECT_EQ_MSG(test, arch_gfx_pool_map_shift((unsigned long)addr),
			    shift,
			    "pfn %#lx is mapped by an entry of another size", pfn);
	/* Present, in a caching the architecture cannot tell apart. */
	if (got == -EOPNOTSUPP && domain != GFX_POOL_NP)
		return;
	KUNIT_EXPECT_EQ_MSG(test, got, (int)domain,
			    "pfn %#lx is not mapped in domain %d", pfn, domain);
}

/* Blocks a KUnit case holds, given back even if an assertion fails. */
struct gfx_pool_held_blocks {
	struct page **pages;
	unsigned long nr;
};

static inline void gfx_pool_held_blocks_release(void *data)
{
	struct gfx_pool_held_blocks *held = data;

	while (held->nr)
		gfx_pool_free_pages(held->pages[--held->nr],
				    GFX_POOL_BLOCK_ORDER);
}

/*
 * Take whole blocks in @domain until the pool has none left; KUnit gives
 * them back at the end of the case, or earlier with
 * kunit_release_action().
 */
static inline struct gfx_pool_held_blocks *
gfx_pool_hold_all_blocks(struct kunit *test, enum gfx_pool_domain domain)
{
	unsigned long nr_blocks = gfx_pool_nr_usable_blocks();
	struct gfx_pool_held_blocks *held;
	struct page *page;

	/* No block half held by pages on per-CPU lists. */
	gfx_pool_pcp_drain(NUMA_NO_NODE);
	held = kunit_kzalloc(test, sizeof(*held), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, held);
	held->pages = kunit_kcalloc(test, nr_blocks ?: 1, sizeof(*held->pages),
				    GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, held->pages);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							gfx_pool_held_blocks_release,
							held), 0);
	/* Not one allocation more than there can be: it counts as exhausted. */
	while (held->nr < nr_blocks) {
		page = gfx_pool_alloc_pages(NUMA_NO_NODE, domain, GFP_KERNEL,
					    GFX_POOL_BLOCK_ORDER);
		if (!page)
			break;
		held->pages[held->nr++] = page;
	}
	return held;
}

/* Pages of one order that a KUnit case holds, given back as blocks are. */
struct gfx_pool_held_pages {
	struct page **pages;
	unsigned long nr;
	unsigned int order;
};

static inline void gfx_pool_held_pages_release(void *data)
{
	struct gfx_pool_held_pages *held = data;

	while (held->nr)
		gfx_pool_free_pages(held->pages[--held->nr], held->order);
}

/*
 * Leave the pool exactly @left free pages, all in one block of @domain on
 * @nid, so that the next allocation runs it dry part way: every other
 * block is held whole, and the rest of that block is held in pages of
 * @order (@left a multiple of 1 << @order, so that what is left is free
 * in aligned runs of that order). Skips when other users hold part of the
 * pool. The case turns the per-CPU lists and the warm work off first.
 */
static inline void gfx_pool_test_leave_free(struct kunit *test, int nid,
					    enum gfx_pool_domain domain,
					    unsigned int order,
					    unsigned long left)
{
	unsigned long block = 1UL << GFX_POOL_BLOCK_ORDER, i;
	struct gfx_pool_held_blocks *blocks;
	struct gfx_pool_held_pages *held;
	struct page *page;

	KUNIT_ASSERT_EQ(test, left % (1UL << order), 0);
	KUNIT_ASSERT_LT(test, left, block);
	blocks = gfx_pool_hold_all_blocks(test, GFX_POOL_WB);
	if (gfx_pool_nr_free())
		kunit_skip(test, "other users hold part of the pool");
	for (i = 0; i < blocks->nr && page_to_nid(blocks->pages[i]) != nid; i++)
		;
	if (i == blocks->nr)
		kunit_skip(test, "no block of the pool on node %d", nid);
	swap(blocks->pages[i], blocks->pages[blocks->nr - 1]);
	gfx_pool_free_pages(blocks->pages[--blocks->nr], GFX_POOL_BLOCK_ORDER);

	held = kunit_kzalloc(test, sizeof(*held), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, held);
	held->order = order;
	held->pages = kunit_kcalloc(test, block >> order, sizeof(*held->pages),
				    GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, held->pages);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							gfx_pool_held_pages_release,
							held), 0);
	/* Bounded: a page counted free that this block cannot give stops it. */
	while (gfx_pool_nr_free() > left && held->nr < block >> order) {
		page = gfx_pool_alloc_pages(nid, domain,
					    GFP_KERNEL | __GFP_THISNODE, order);
		KUNIT_ASSERT_NOT_NULL(test, page);
		held->pages[held->nr++] = page;
	}
	KUNIT_ASSERT_EQ(test, gfx_pool_nr_free(), left);
}

static inline void gfx_pool_warm_blocks_restore(void *data)
{
	gfx_pool_set_warm_blocks((unsigned long)data);
}

/*
 * Keep @n warm blocks per node and domain in use for this case, with no
 * warm work in flight from before. Cases that count blocks or
 * conversions exactly use 0: the warm work would convert and take back
 * blocks behind their back.
 */
static inline void gfx_pool_test_warm_blocks(struct kunit *test,
					     unsigned int n)
{
	unsigned long old = gfx_pool_set_warm_blocks(n);

	gfx_pool_warm_flush();
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							gfx_pool_warm_blocks_restore,
							(void *)old), 0);
}

static inline void gfx_pool_pcp_restore(void *data)
{
	gfx_pool_pcp_enable(data);
}

/*
 * Turn the per-CPU lists on or off for this case. Cases that follow one
 * page or one block through the pool turn them off: with them, a freed
 * page stays handed out as far as its block knows.
 */
static inline void gfx_pool_test_pcp(struct kunit *test, bool on)
{
	bool old = gfx_pool_pcp_enable(on);

	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							gfx_pool_pcp_restore,
							(void *)(unsigned long)old),
			0);
}

#endif /* CONFIG_KUNIT */

#endif /* _KUNIT_GFX_POOL_H */
