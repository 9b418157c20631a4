// SPDX-License-Identifier: GPL-2.0 AND MIT
/*
 * KUnit tests for TTM over gfx_pool: write-combined and uncached ttm_tts
 * are populated from gfx_pool, already mapped that way in the direct map
 * by whole 2M entries, given back to it on free, and the page allocator
 * is used (and counted) only when the pool runs dry.
 *
 * Built only with CONFIG_GFX_POOL (it calls the pool's KUnit exports);
 * the cases skip when the pool is off (gfx_pool=0). TTM's own suites
 * cover TTM without the pool, unchanged.
 */
#include <linux/gfx_pool.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/pgtable.h>
#include <linux/sizes.h>
#include <linux/vmstat.h>
#include <linux/workqueue.h>

#include <drm/ttm/ttm_bo.h>
#include <drm/ttm/ttm_device.h>
#include <drm/ttm/ttm_pool.h>
#include <drm/ttm/ttm_tt.h>

#include <kunit/gfx_pool.h>

#include "ttm_kunit_helpers.h"

struct ttm_gfx_pool_test_priv {
	struct ttm_test_devices *devs;
};

static struct ttm_operation_ctx simple_ctx = {
	.interruptible = true,
	.no_wait_gpu = false,
};

static int ttm_gfx_pool_test_init(struct kunit *test)
{
	struct ttm_gfx_pool_test_priv *priv;

	gfx_pool_test_skip_unless_usable(test);

	priv = kunit_kzalloc(test, sizeof(*priv), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, priv);
	/* A TTM device, so that TTM's globals (the pool shrinker) are up. */
	priv->devs = ttm_test_devices_all(test);
	test->priv = priv;
	return 0;
}

static void ttm_gfx_pool_test_fini(struct kunit *test)
{
	struct ttm_gfx_pool_test_priv *priv = test->priv;

	if (priv)
		ttm_test_devices_put(test, priv->devs);
}

/*
 * A ttm_tt needs only the size of its buffer object: a bare one, so that
 * no GEM object (and its shmem file) is left behind for kmemleak.
 */
static struct ttm_tt *ttm_gfx_pool_tt_init(struct kunit *test,
					   enum ttm_caching caching,
					   unsigned long num_pages)
{
	struct ttm_buffer_object *bo;
	struct ttm_tt *tt;

	bo = kunit_kzalloc(test, sizeof(*bo), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, bo);
	bo->base.size = num_pages << PAGE_SHIFT;
	bo->type = ttm_bo_type_kernel;
	tt = kunit_kzalloc(test, sizeof(*tt), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, tt);
	KUNIT_ASSERT_EQ(test, ttm_tt_init(tt, bo, 0, caching, 0), 0);
	return tt;
}

static enum gfx_pool_domain caching_domain(enum ttm_caching caching)
{
	return caching == ttm_write_combined ? GFX_POOL_WC : GFX_POOL_UC;
}

/* The direct map maps @page with @caching, by an entry of 1 << @shift. */
static void expect_direct_map(struct kunit *test, struct page *page,
			      enum ttm_caching caching, unsigned int shift)
{
	gfx_pool_test_expect_direct_map(test, page_address(page),
					caching_domain(caching), shift);
}

struct gfx_pool_case {
	const char *desc;
	enum ttm_caching caching;
	unsigned long num_pages;
};

static const struct gfx_pool_case gfx_pool_cases[] = {
	{ "wc 1 page", ttm_write_combined, 1 },
	{ "wc 7 pages", ttm_write_combined, 7 },
	{ "wc 512 pages", ttm_write_combined, 512 },
	{ "wc 1027 pages", ttm_write_combined, 1027 },
	{ "uc 1 page", ttm_uncached, 1 },
	{ "uc 7 pages", ttm_uncached, 7 },
	{ "uc 512 pages", ttm_uncached, 512 },
	{ "uc 1027 pages", ttm_uncached, 1027 },
};

static void gfx_pool_case_desc(const struct gfx_pool_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(gfx_pool, gfx_pool_cases, gfx_pool_case_desc);

/*
 * Every page of a WC or UC ttm_tt comes from gfx_pool in the matching
 * domain, mapped by a 2M entry with that caching; ttm_pool_free() gives every
 * one back to gfx_pool and none to TTM's own pool types.
 */
static void ttm_gfx_pool_populate(struct kunit *test)
{
	const struct gfx_pool_case *c = test->param_value;
	struct ttm_gfx_pool_test_priv *priv = test->priv;
	struct ttm_pool_type *pt;
	struct ttm_pool *pool;
	unsigned long fallbacks, i;
	struct page **pages;
	struct ttm_tt *tt;
	int nid, order;

	tt = ttm_gfx_pool_tt_init(test, c->caching, c->num_pages);
	pool = kunit_kzalloc(test, sizeof(*pool), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pool);
	pages = kunit_kcalloc(test, c->num_pages, sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pages);

	/* A node of its own, so that the pool types are this pool's. */
	nid = first_online_node;
	ttm_pool_init(pool, priv->devs->dev, nid, false, false);
	fallbacks = ttm_pool_gfx_pool_fallbacks(c->caching);

	KUNIT_ASSERT_EQ(test, ttm_pool_alloc(pool, tt, &simple_ctx), 0);
	for (i = 0; i < c->num_pages; i++) {
		pages[i] = tt->pages[i];
		KUNIT_EXPECT_EQ_MSG(test, gfx_pool_page_domain(pages[i]),
				    caching_domain(c->caching),
				    "page %lu is not a gfx_pool page of the domain", i);
		expect_direct_map(test, pages[i], c->caching, PMD_SHIFT);
	}
	KUNIT_EXPECT_EQ(test, ttm_pool_gfx_pool_fallbacks(c->caching),
			fallbacks);

	ttm_pool_free(pool, tt);
	for (i = 0; i < c->num_pages; i++)
		KUNIT_EXPECT_EQ_MSG(test, gfx_pool_page_domain(pages[i]), -ENOENT,
				    "page %lu was not given back to gfx_pool", i);
	for (order = 0; order < NR_PAGE_ORDERS; order++) {
		pt = &pool->caching[c->caching].orders[order];
		KUNIT_EXPECT_TRUE(test, list_empty(&pt->pages));
	}
	ttm_tt_fini(tt);
	ttm_pool_fini(pool);
}

/*
 * TTM over the pool asks for zeroed pages: a page another user of the
 * pool left its data in comes to a ttm_tt zeroed.
 */
static void ttm_gfx_pool_zeroed(struct kunit *test)
{
	struct ttm_gfx_pool_test_priv *priv = test->priv;
	int nid = first_online_node;
	struct ttm_pool *pool;
	struct page *page;
	struct ttm_tt *tt;

	gfx_pool_test_pcp(test, false);
	gfx_pool_test_warm_blocks(test, 0);
	gfx_pool_test_leave_free(test, nid, GFX_POOL_WC, 0, 1);
	page = gfx_pool_alloc_pages(nid, GFX_POOL_WC,
				    GFP_KERNEL | __GFP_THISNODE, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	memset(page_address(page), 0xa5, PAGE_SIZE);
	gfx_pool_free_pages(page, 0);

	tt = ttm_gfx_pool_tt_init(test, ttm_write_combined, 1);
	pool = kunit_kzalloc(test, sizeof(*pool), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pool);
	ttm_pool_init(pool, priv->devs->dev, nid, false, false);
	KUNIT_ASSERT_EQ(test, ttm_pool_alloc(pool, tt, &simple_ctx), 0);
	KUNIT_EXPECT_PTR_EQ(test, tt->pages[0], page);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(page_address(tt->pages[0]), 0,
					    PAGE_SIZE));
	ttm_pool_free(pool, tt);
	ttm_tt_fini(tt);
	ttm_pool_fini(pool);
}

/*
 * A TTM pool that allocates through the DMA API (use_dma_alloc) or below
 * 4 GiB (use_dma32) keeps TTM's own path: no page of its WC ttm_tts is
 * gfx_pool's, and no fallback is counted, for it never asked the pool.
 */
static void ttm_gfx_pool_dma_pools(struct kunit *test)
{
	static const char * const names[] = { "use_dma_alloc", "use_dma32" };
	struct ttm_gfx_pool_test_priv *priv = test->priv;
	const unsigned long num_pages = 4;
	struct ttm_buffer_object *bo;
	unsigned long fallbacks, i;
	struct ttm_pool *pool;
	struct ttm_tt *tt;
	unsigned int pass;

	for (pass = 0; pass < ARRAY_SIZE(names); pass++) {
		bo = kunit_kzalloc(test, sizeof(*bo), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, bo);
		bo->base.size = num_pages << PAGE_SHIFT;
		bo->type = ttm_bo_type_kernel;
		tt = kunit_kzalloc(test, sizeof(*tt), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, tt);
		/* With DMA addresses, which use_dma_alloc fills in. */
		KUNIT_ASSERT_EQ(test, ttm_sg_tt_init(tt, bo, 0,
						     ttm_write_combined), 0);
		pool = kunit_kzalloc(test, sizeof(*pool), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, pool);
		ttm_pool_init(pool, priv->devs->dev, NUMA_NO_NODE, pass == 0,
			      pass == 1);
		fallbacks = ttm_pool_gfx_pool_fallbacks(ttm_write_combined);

		KUNIT_ASSERT_EQ(test, ttm_pool_alloc(pool, tt, &simple_ctx), 0);
		for (i = 0; i < num_pages; i++) {
			KUNIT_EXPECT_FALSE_MSG(test,
					       gfx_pool_owns_page(tt->pages[i]),
					       "%s: page %lu is gfx_pool's",
					       names[pass], i);
			if (pass == 1)
				KUNIT_EXPECT_LE_MSG(test,
						    page_to_pfn(tt->pages[i]),
						    PHYS_PFN(SZ_4G) - 1,
						    "use_dma32: page %lu", i);
		}
		KUNIT_EXPECT_EQ_MSG(test,
				    ttm_pool_gfx_pool_fallbacks(ttm_write_combined),
				    fallbacks, "%s", names[pass]);
		ttm_pool_free(pool, tt);
		ttm_tt_fini(tt);
		ttm_pool_fini(pool);
	}
}

/*
 * With gfx_pool exhausted, TTM takes pages from the page allocator, at the
 * order it wanted (the pool has nothing left, so no smaller order is tried
 * there), changes their caching page by page as it always did, and counts
 * the fallback. Its pool types keep those pages, and ttm_pool_fini() gives
 * them back.
 */
static void ttm_gfx_pool_fallback(struct kunit *test)
{
	struct ttm_gfx_pool_test_priv *priv = test->priv;
	const unsigned long num_pages = 4;
	struct gfx_pool_held_blocks *held;
	unsigned long fallbacks, i;
	struct ttm_pool *pool;
	struct ttm_tt *tt;

	held = gfx_pool_hold_all_blocks(test, GFX_POOL_WB);
	/* Other users' partly used blocks may still have room. */
	if (gfx_pool_nr_free())
		kunit_skip(test, "other users hold part of the pool");

	tt = ttm_gfx_pool_tt_init(test, ttm_write_combined, num_pages);
	pool = kunit_kzalloc(test, sizeof(*pool), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pool);
	/* Its own pool types: the global ones may hold older pages. */
	ttm_pool_init(pool, priv->devs->dev, first_online_node, false, false);
	fallbacks = ttm_pool_gfx_pool_fallbacks(ttm_write_combined);

	KUNIT_EXPECT_EQ(test, ttm_pool_alloc(pool, tt, &simple_ctx), 0);
	/* One order-2 chunk, as from the page allocator alone. */
	KUNIT_EXPECT_EQ(test, tt->pages[0]->private, 2);
	for (i = 0; i < num_pages && tt->pages[i]; i++) {
		KUNIT_EXPECT_FALSE(test, gfx_pool_owns_page(tt->pages[i]));
		/* The per-page path: WC by a caching change, in a 4K entry. */
		expect_direct_map(test, tt->pages[i], ttm_write_combined,
				  PAGE_SHIFT);
	}
	KUNIT_EXPECT_EQ(test, ttm_pool_gfx_pool_fallbacks(ttm_write_combined),
			fallbacks + 1);

	kunit_release_action(test, gfx_pool_held_blocks_release, held);
	ttm_pool_free(pool, tt);
	ttm_tt_fini(tt);
	ttm_pool_fini(pool);
}

/*
 * A ttm_tt that starts in the pool and finishes in the fallback: the pool
 * has one free block left. TTM takes it whole, then falls back at the
 * order it asked for (a PMD), never at order 0: every fallback chunk is
 * one 2M page that set_pages_array_wc() splits, as TTM without the pool
 * would, and
 * no more.
 */
static void ttm_gfx_pool_partial_fallback(struct kunit *test)
{
	struct ttm_gfx_pool_test_priv *priv = test->priv;
	const unsigned long block = 1UL << (PMD_SHIFT - PAGE_SHIFT);
	const unsigned long num_pages = 3 * block;
	struct gfx_pool_held_blocks *held;
	unsigned long i, from_pool = 0, chunks = 0;
	int nid = first_online_node;
	struct ttm_pool *pool;
	struct ttm_tt *tt;

	held = gfx_pool_hold_all_blocks(test, GFX_POOL_WB);
	if (gfx_pool_nr_free())
		kunit_skip(test, "other users hold part of the pool");
	/* One block free, on the node TTM asks for (with __GFP_THISNODE). */
	for (i = 0; i < held->nr && page_to_nid(held->pages[i]) != nid; i++)
		;
	KUNIT_ASSERT_LT(test, i, held->nr);
	swap(held->pages[i], held->pages[held->nr - 1]);
	gfx_pool_free_pages(held->pages[--held->nr], PMD_SHIFT - PAGE_SHIFT);

	tt = ttm_gfx_pool_tt_init(test, ttm_write_combined, num_pages);
	pool = kunit_kzalloc(test, sizeof(*pool), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pool);
	ttm_pool_init(pool, priv->devs->dev, nid, false, false);

	KUNIT_ASSERT_EQ(test, ttm_pool_alloc(pool, tt, &simple_ctx), 0);
	for (i = 0; i < num_pages; i += 1UL << tt->pages[i]->private) {
		chunks++;
		if (gfx_pool_owns_page(tt->pages[i])) {
			from_pool += 1UL << tt->pages[i]->private;
			continue;
		}
		KUNIT_EXPECT_EQ_MSG(test, tt->pages[i]->private,
				    PMD_SHIFT - PAGE_SHIFT,
				    "fallback chunk at page %lu below a PMD", i);
	}
	KUNIT_EXPECT_EQ(test, from_pool, block);
	KUNIT_EXPECT_EQ(test, chunks, 3);

	ttm_pool_free(pool, tt);
	ttm_tt_fini(tt);
	ttm_pool_fini(pool);
}

/*
 * The pool runs dry in the middle of one ttm_tt below a PMD: it has 8 WC
 * pages left, free as one aligned order-3 run, and the tt has 12. TTM takes
 * its order-3 chunk from the pool, under the block's 2M entry, then falls
 * back for the order-2 rest, counted once, which set_pages_array_wc() makes
 * WC in 4K entries. Freeing gives the pool its 8 pages back.
 */
static void ttm_gfx_pool_dry_midway(struct kunit *test)
{
	struct ttm_gfx_pool_test_priv *priv = test->priv;
	const unsigned long left = 8, num_pages = 12;
	int nid = first_online_node;
	unsigned long fallbacks, in_use;
	struct ttm_pool *pool;
	struct ttm_tt *tt;

	gfx_pool_test_pcp(test, false);
	gfx_pool_test_warm_blocks(test, 0);
	gfx_pool_test_leave_free(test, nid, GFX_POOL_WC, 3, left);

	tt = ttm_gfx_pool_tt_init(test, ttm_write_combined, num_pages);
	pool = kunit_kzalloc(test, sizeof(*pool), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pool);
	ttm_pool_init(pool, priv->devs->dev, nid, false, false);
	fallbacks = ttm_pool_gfx_pool_fallbacks(ttm_write_combined);
	in_use = gfx_pool_pages_in_use();

	KUNIT_ASSERT_EQ(test, ttm_pool_alloc(pool, tt, &simple_ctx), 0);
	KUNIT_EXPECT_TRUE(test, gfx_pool_owns_page(tt->pages[0]));
	KUNIT_EXPECT_EQ(test, tt->pages[0]->private, 3);
	expect_direct_map(test, tt->pages[0], ttm_write_combined, PMD_SHIFT);
	KUNIT_EXPECT_FALSE(test, gfx_pool_owns_page(tt->pages[left]));
	KUNIT_EXPECT_EQ(test, tt->pages[left]->private, 2);
	expect_direct_map(test, tt->pages[left], ttm_write_combined,
			  PAGE_SHIFT);
	KUNIT_EXPECT_EQ(test, ttm_pool_gfx_pool_fallbacks(ttm_write_combined),
			fallbacks + 1);
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_free(), 0);
	KUNIT_EXPECT_EQ(test, gfx_pool_pages_in_use(), in_use + left);

	ttm_pool_free(pool, tt);
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_free(), left);
	KUNIT_EXPECT_EQ(test, gfx_pool_pages_in_use(), in_use);
	ttm_tt_fini(tt);
	ttm_pool_fini(pool);
}

/*
 * The page allocator's free pages: those free in the zones, and those the
 * per-CPU lists hold. Half a GiB freed page by page can leave tens of MiB
 * on those lists (their high mark tunes itself up), more on a guest with
 * two nodes, which NR_FREE_PAGES alone does not see.
 */
static unsigned long ttm_gfx_pool_free_pages(void)
{
	unsigned long n = global_zone_page_state(NR_FREE_PAGES);
	struct zone *zone;
	int nid, z, cpu;

	for_each_online_node(nid) {
		for (z = 0; z < MAX_NR_ZONES; z++) {
			zone = &NODE_DATA(nid)->node_zones[z];
			if (!populated_zone(zone))
				continue;
			for_each_online_cpu(cpu)
				n += READ_ONCE(per_cpu_ptr(zone->per_cpu_pageset,
							   cpu)->count);
		}
	}
	return n;
}

static void ttm_gfx_pool_grow_restore(void *data)
{
	gfx_pool_set_grow_limit((unsigned long)data);
	gfx_pool_warm_flush();
	gfx_pool_give_back(NUMA_NO_NODE, ULONG_MAX, false);
}

/*
 * A 512 MiB WC ttm_tt with every block of the region held: the pool grows
 * from the page allocator by exactly the 256 blocks the tt needs and
 * serves every page, under 2M entries (where a 1G page mapped a block, it
 * was demoted once), with no fallback. Freed and given back (as the
 * shrinker does under pressure), the memory is the page allocator's
 * again.
 */
static void ttm_gfx_pool_grow(struct kunit *test)
{
	struct ttm_gfx_pool_test_priv *priv = test->priv;
	const unsigned long num_pages = SZ_512M >> PAGE_SHIFT;
	unsigned long fallbacks, free_before, i, old, split_before = 0;
	struct ttm_pool *pool;
	unsigned int shift;
	struct ttm_tt *tt;

	if (gfx_pool_nr_grown())
		kunit_skip(test, "the pool has grown already");
	gfx_pool_hold_all_blocks(test, GFX_POOL_WB);
	if (gfx_pool_nr_free())
		kunit_skip(test, "other users hold part of the pool");
	free_before = ttm_gfx_pool_free_pages();
	if (free_before < num_pages + (SZ_256M >> PAGE_SHIFT))
		kunit_skip(test, "needs 768 MiB of free memory");
	old = gfx_pool_set_grow_limit(num_pages >> (PMD_SHIFT - PAGE_SHIFT));
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							ttm_gfx_pool_grow_restore,
							(void *)old), 0);

	tt = ttm_gfx_pool_tt_init(test, ttm_write_combined, num_pages);
	pool = kunit_kzalloc(test, sizeof(*pool), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pool);
	ttm_pool_init(pool, priv->devs->dev, first_online_node, false, false);
	fallbacks = ttm_pool_gfx_pool_fallbacks(ttm_write_combined);

	KUNIT_ASSERT_EQ(test, ttm_pool_alloc(pool, tt, &simple_ctx), 0);
	for (i = 0; i < num_pages; i += 1UL << tt->pages[i]->private) {
		KUNIT_ASSERT_EQ_MSG(test, gfx_pool_page_domain(tt->pages[i]),
				    GFX_POOL_WC,
				    "page %lu is not a WC gfx_pool page", i);
		/* 2M, but where something split the range before it grew. */
		shift = gfx_pool_page_map_shift(tt->pages[i]);
		expect_direct_map(test, tt->pages[i], ttm_write_combined,
				  shift);
		split_before += shift == PAGE_SHIFT;
	}
	KUNIT_EXPECT_EQ(test, ttm_pool_gfx_pool_fallbacks(ttm_write_combined),
			fallbacks);
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_grown(),
			num_pages >> (PMD_SHIFT - PAGE_SHIFT));
	kunit_info(test, "%lu blocks grown for 512 MiB; %lu chunks in 4K entries split before\n",
		   gfx_pool_nr_grown(), split_before);

	ttm_pool_free(pool, tt);
	ttm_tt_fini(tt);
	ttm_pool_fini(pool);
	/* A warm block the work grew meanwhile goes back too. */
	gfx_pool_warm_flush();
	gfx_pool_give_back(NUMA_NO_NODE, ULONG_MAX, false);
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_grown(), 0);
	/* Back with the page allocator, but for a little metadata. */
	KUNIT_EXPECT_GT(test, ttm_gfx_pool_free_pages() + SZ_32M / PAGE_SIZE,
			free_before);
}

/*
 * ttm_tt_populate() counts apart a tt's pages of a region that does not
 * lend: they are not system memory that ttm_pages_limit guards. A lending
 * region's pages are, and count like any (stage lend runs this case with
 * gfx_pool.lend=0 too). A WC tt from the pool has all its pages counted
 * apart or none, a cached one none; unpopulate forgets the count.
 */
static void ttm_gfx_pool_populate_count(struct kunit *test)
{
	struct ttm_gfx_pool_test_priv *priv = test->priv;
	struct ttm_device *bdev = priv->devs->ttm_dev;
	const unsigned long num_pages = 64;
	unsigned long i, reserved = 0;
	struct ttm_tt *tt;

	tt = ttm_gfx_pool_tt_init(test, ttm_write_combined, num_pages);
	KUNIT_ASSERT_EQ(test, ttm_tt_populate(bdev, tt, &simple_ctx), 0);
	for (i = 0; i < num_pages; i++)
		reserved += gfx_pool_page_reserved(tt->pages[i]);
	kunit_info(test, "%lu of %lu pages outside MemTotal\n", reserved,
		   num_pages);
	KUNIT_EXPECT_TRUE(test, !reserved || reserved == num_pages);
	KUNIT_EXPECT_EQ(test, tt->gfx_pool_pages, reserved);
	ttm_tt_unpopulate(bdev, tt);
	KUNIT_EXPECT_EQ(test, tt->gfx_pool_pages, 0);
	ttm_tt_fini(tt);

	tt = ttm_gfx_pool_tt_init(test, ttm_cached, num_pages);
	KUNIT_ASSERT_EQ(test, ttm_tt_populate(bdev, tt, &simple_ctx), 0);
	KUNIT_EXPECT_EQ(test, tt->gfx_pool_pages, 0);
	ttm_tt_unpopulate(bdev, tt);
	ttm_tt_fini(tt);
}

static struct ttm_tt *ttm_gfx_pool_wc_tt_create(struct ttm_buffer_object *bo,
						u32 page_flags)
{
	struct ttm_tt *tt = kzalloc(sizeof(*tt), GFP_KERNEL);

	if (tt && ttm_tt_init(tt, bo, page_flags, ttm_write_combined, 0)) {
		kfree(tt);
		return NULL;
	}
	return tt;
}

static void ttm_gfx_pool_wc_tt_destroy(struct ttm_device *bdev,
				       struct ttm_tt *tt)
{
	ttm_tt_fini(tt);
	kfree(tt);
}

static void ttm_gfx_pool_device_fini(void *bdev)
{
	ttm_device_fini(bdev);
}

/*
 * TTM's swapout (what keeps it under ttm_pages_limit) passes over a BO
 * whose tt is wholly of pages that the limit does not count, those of a
 * region that does not lend: swapping it out would free none of what the
 * limit counts and move its data into shmem, which is system memory. A
 * lending region's BO is swapped out like any (stage lend runs this case
 * with gfx_pool.lend=0 too).
 */
static void ttm_gfx_pool_populate_swapout(struct kunit *test)
{
	struct ttm_gfx_pool_test_priv *priv = test->priv;
	const unsigned long num_pages = 64;
	struct ttm_operation_ctx ctx = { };
	struct ttm_place place = { .mem_type = TTM_PL_SYSTEM };
	struct ttm_placement placement = {
		.num_placement = 1,
		.placement = &place,
	};
	struct ttm_device_funcs *funcs;
	struct ttm_buffer_object *bo;
	struct ttm_device *bdev;
	bool reserved;
	int ret;

	/* A device of its own, whose tts are WC, and nothing else on its LRU. */
	funcs = kunit_kzalloc(test, sizeof(*funcs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, funcs);
	*funcs = ttm_dev_funcs;
	funcs->ttm_tt_create = ttm_gfx_pool_wc_tt_create;
	funcs->ttm_tt_destroy = ttm_gfx_pool_wc_tt_destroy;
	bdev = kunit_kzalloc(test, sizeof(*bdev), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, bdev);
	KUNIT_ASSERT_EQ(test, ttm_device_init(bdev, funcs, priv->devs->dev,
					      priv->devs->drm->anon_inode->i_mapping,
					      priv->devs->drm->vma_offset_manager,
					      false, false), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							ttm_gfx_pool_device_fini,
							bdev), 0);

	bo = kunit_kzalloc(test, sizeof(*bo), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, bo);
	drm_gem_private_object_init(priv->devs->drm,
				    &bo->base, num_pages << PAGE_SHIFT);
	ret = ttm_bo_init_reserved(bdev, bo, ttm_bo_type_kernel, &placement,
				   PAGE_SIZE, &ctx, NULL, NULL,
				   &dummy_ttm_bo_destroy);
	KUNIT_ASSERT_EQ(test, ret, 0);
	ret = ttm_tt_populate(bdev, bo->ttm, &ctx);
	dma_resv_unlock(bo->base.resv);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_ASSERT_EQ(test, bo->ttm->caching, ttm_write_combined);
	reserved = gfx_pool_page_reserved(bo->ttm->pages[0]);
	kunit_info(test, "the tt's pages are %s\n",
		   reserved ? "outside MemTotal" : "system memory");
	KUNIT_EXPECT_EQ(test, bo->ttm->gfx_pool_pages,
			reserved ? num_pages : 0);

	ret = ttm_device_swapout(bdev, &ctx, GFP_KERNEL);
	if (reserved) {
		KUNIT_EXPECT_EQ(test, ret, 0);
		KUNIT_EXPECT_TRUE(test, ttm_tt_is_populated(bo->ttm));
	} else {
		KUNIT_EXPECT_EQ(test, ret, num_pages);
		KUNIT_EXPECT_TRUE(test, bo->ttm->page_flags &
					TTM_TT_FLAG_SWAPPED);
	}
	ttm_bo_put(bo);
	/*
	 * With init_on_free=1 (or fences) TTM destroys the BO in work on
	 * the device's queue: done before KUnit frees the BO's memory.
	 */
	flush_workqueue(bdev->wq);
}

/*
 * A device on node 1 over a pool with a region there: TTM asks the pool
 * for node 1 with __GFP_THISNODE at order 10, and gets node-1 pages of
 * that order, in the WC domain.
 */
static void ttm_gfx_pool_numa(struct kunit *test)
{
	struct ttm_gfx_pool_test_priv *priv = test->priv;
	const unsigned long num_pages = SZ_8M >> PAGE_SHIFT;
	unsigned long i, top = 0;
	struct ttm_pool *pool;
	struct ttm_tt *tt;
	int nid = 1;

	if (!gfx_pool_has_region_on(nid))
		kunit_skip(test, "needs pool regions on two nodes");

	tt = ttm_gfx_pool_tt_init(test, ttm_write_combined, num_pages);
	pool = kunit_kzalloc(test, sizeof(*pool), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pool);
	ttm_pool_init(pool, priv->devs->dev, nid, false, false);
	KUNIT_ASSERT_EQ(test, ttm_pool_alloc(pool, tt, &simple_ctx), 0);
	for (i = 0; i < num_pages; i += 1UL << tt->pages[i]->private) {
		KUNIT_EXPECT_EQ_MSG(test, page_to_nid(tt->pages[i]), nid,
				    "page %lu", i);
		KUNIT_EXPECT_EQ_MSG(test, gfx_pool_page_domain(tt->pages[i]),
				    GFX_POOL_WC, "page %lu", i);
		top += tt->pages[i]->private == MAX_PAGE_ORDER;
	}
	KUNIT_EXPECT_EQ(test, top, num_pages >> MAX_PAGE_ORDER);
	ttm_pool_free(pool, tt);
	ttm_tt_fini(tt);
	ttm_pool_fini(pool);
}

/*
 * TTM asks with __GFP_THISNODE above order 0: with node 1's pool blocks
 * all in use, a device on node 1 gets no pool page of node 0 at those
 * orders, but node-1 pages of the page allocator, as without the pool.
 */
static void ttm_gfx_pool_numa_full(struct kunit *test)
{
	struct ttm_gfx_pool_test_priv *priv = test->priv;
	const unsigned long num_pages = SZ_4M >> PAGE_SHIFT;
	unsigned long i, cap = gfx_pool_nr_usable_blocks();
	struct gfx_pool_held_blocks *held;
	struct ttm_pool *pool;
	struct page *page;
	struct ttm_tt *tt;
	int nid = 1;

	if (!gfx_pool_has_region_on(nid))
		kunit_skip(test, "needs pool regions on two nodes");
	held = kunit_kzalloc(test, sizeof(*held), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, held);
	held->pages = kunit_kcalloc(test, cap, sizeof(*held->pages),
				    GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, held->pages);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							gfx_pool_held_blocks_release,
							held), 0);
	while (held->nr < cap) {
		page = gfx_pool_alloc_pages(nid, GFX_POOL_WB,
					    GFP_KERNEL | __GFP_THISNODE,
					    GFX_POOL_BLOCK_ORDER);
		if (!page)
			break;
		held->pages[held->nr++] = page;
	}

	tt = ttm_gfx_pool_tt_init(test, ttm_write_combined, num_pages);
	pool = kunit_kzalloc(test, sizeof(*pool), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pool);
	ttm_pool_init(pool, priv->devs->dev, nid, false, false);
	KUNIT_ASSERT_EQ(test, ttm_pool_alloc(pool, tt, &simple_ctx), 0);
	for (i = 0; i < num_pages; i += 1UL << tt->pages[i]->private) {
		if (!tt->pages[i]->private)
			continue;	/* order 0: any node's, as TTM asks */
		KUNIT_EXPECT_EQ_MSG(test, page_to_nid(tt->pages[i]), nid,
				    "page %lu, order %lu%s", i,
				    tt->pages[i]->private,
				    gfx_pool_owns_page(tt->pages[i]) ?
				    ", the pool's" : "");
	}
	ttm_pool_free(pool, tt);
	ttm_tt_fini(tt);
	ttm_pool_fini(pool);
}

static struct kunit_case ttm_gfx_pool_test_cases[] = {
	KUNIT_CASE_PARAM(ttm_gfx_pool_populate, gfx_pool_gen_params),
	KUNIT_CASE(ttm_gfx_pool_fallback),
	KUNIT_CASE(ttm_gfx_pool_dma_pools),
	KUNIT_CASE(ttm_gfx_pool_zeroed),
	KUNIT_CASE(ttm_gfx_pool_partial_fallback),
	KUNIT_CASE(ttm_gfx_pool_dry_midway),
	KUNIT_CASE(ttm_gfx_pool_populate_count),
	KUNIT_CASE(ttm_gfx_pool_populate_swapout),
	KUNIT_CASE(ttm_gfx_pool_numa),
	KUNIT_CASE(ttm_gfx_pool_numa_full),
	KUNIT_CASE_SLOW(ttm_gfx_pool_grow),
	{}
};

static struct kunit_suite ttm_gfx_pool_test_suite = {
	.name = "ttm_gfx_pool",
	.init = ttm_gfx_pool_test_init,
	.exit = ttm_gfx_pool_test_fini,
	.test_cases = ttm_gfx_pool_test_cases,
};

kunit_test_suites(&ttm_gfx_pool_test_suite);

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_DESCRIPTION("KUnit tests for TTM over gfx_pool");
MODULE_LICENSE("GPL and additional rights");
