// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for agpgart over gfx_pool: the generic page helpers, called
 * with a minimal fake bridge (there is no AGP hardware under QEMU), take
 * uncached pages from gfx_pool without splitting the direct map, give them
 * back, and fall back to the page allocator when the pool cannot serve
 * them (the pool counts that as exhausted). The cases run with a bridge of
 * 32 address bits (GFP_DMA32: a pool above 4G cannot serve it) and one of
 * 40 (amd64-agp: any pool in a guest can), and check from where the pool
 * lies which pages it must hand out; the GART never gets a page above
 * what it reaches.
 */
#include <kunit/gfx_pool.h>
#include <kunit/test.h>
#include <linux/agp_backend.h>
#include <linux/gfx_pool.h>
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/sizes.h>

#include "agp.h"

#define NR_PAGES	64
#define AGP_TEST_GFP	(GFP_KERNEL | GFP_DMA32 | __GFP_ZERO)

struct agp_test_priv {
	struct agp_bridge_driver driver;
	struct agp_bridge_data bridge;
	struct agp_bridge_data *saved;
	/* The bridge's GART reaches below this physical address. */
	u64 limit;
	/* The pool's region, as reserved. */
	u64 pool_start, pool_end;
};

/* 0: a driver that says nothing, which agpgart takes as 32 bits. */
static const unsigned int agp_test_addr_bits[] = { 32, 40, 0 };

static void agp_test_addr_bits_desc(const unsigned int *bits, char *desc)
{
	if (*bits)
		snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%u-bit GART", *bits);
	else
		strscpy(desc, "GART of unsaid width", KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(agp_test_addr_bits, agp_test_addr_bits,
		  agp_test_addr_bits_desc);

static int agp_gfx_pool_test_init(struct kunit *test)
{
	unsigned long start_pfn, nr_blocks;
	struct agp_test_priv *priv;
	unsigned int bits;

	gfx_pool_test_skip_unless_usable(test);
	priv = kunit_kzalloc(test, sizeof(*priv), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, priv);

	/* From where the pool lies, not from asking it: it could be wrong. */
	gfx_pool_regions_span(&start_pfn, &nr_blocks);
	priv->pool_start = PFN_PHYS(start_pfn);
	priv->pool_end = PFN_PHYS(start_pfn + (nr_blocks << GFX_POOL_BLOCK_ORDER));
	/* The one case without a parameter has a 32-bit bridge. */
	bits = test->param_value ? *(const unsigned int *)test->param_value : 32;
	priv->driver.gart_addr_bits = bits;
	priv->limit = bits ? BIT_ULL(bits) : SZ_4G;
	priv->bridge.driver = &priv->driver;

	/* The generic helpers count on the global bridge. */
	priv->saved = agp_bridge;
	agp_bridge = &priv->bridge;
	test->priv = priv;
	return 0;
}

static void agp_gfx_pool_test_exit(struct kunit *test)
{
	struct agp_test_priv *priv = test->priv;

	if (!priv)
		return;
	KUNIT_EXPECT_EQ(test, atomic_read(&priv->bridge.current_memory_agp), 0);
	agp_bridge = priv->saved;
}

/*
 * How the direct map maps @page: UC, by a 2M entry from the pool; the
 * fallback splits to 4K, as it always did.
 */
static void expect_uc(struct kunit *test, struct page *page, bool from_pool)
{
	gfx_pool_test_expect_direct_map(test, page_address(page), GFX_POOL_UC,
					from_pool ? PMD_SHIFT : PAGE_SHIFT);
}

/*
 * Where @page, for a GART that reaches below @limit, came from: the pool
 * when the whole pool lies below @limit, the page allocator (below 4G, as
 * agpgart asks) when none of it does. Never from above @limit.
 */
static void expect_source(struct kunit *test, struct page *page, u64 limit)
{
	struct agp_test_priv *priv = test->priv;
	bool from_pool = gfx_pool_owns_page(page);

	KUNIT_EXPECT_LE(test, PFN_PHYS(page_to_pfn(page) + 1), limit);
	if (priv->pool_end <= limit)
		KUNIT_EXPECT_TRUE(test, from_pool);
	else if (priv->pool_start >= limit)
		KUNIT_EXPECT_FALSE(test, from_pool);
	if (from_pool)
		KUNIT_EXPECT_EQ(test, gfx_pool_page_domain(page), GFX_POOL_UC);
	expect_uc(test, page, from_pool);
}

/* agp_generic_alloc_page() and the two-step agp_generic_destroy_page(). */
static void agp_gfx_pool_one_page(struct kunit *test)
{
	struct agp_test_priv *priv = test->priv;
	unsigned long exhausted;
	struct page *page;
	bool from_pool;

	/*
	 * One page at a time is also how the scratch page comes, which the
	 * generic GATT code writes into entries as it is: 32 bits, always.
	 */
	exhausted = gfx_pool_counter_read(GFX_POOL_UC, GFX_POOL_EXHAUSTED);
	page = agp_generic_alloc_page(&priv->bridge);
	KUNIT_ASSERT_NOT_NULL(test, page);
	expect_source(test, page, SZ_4G);
	from_pool = gfx_pool_owns_page(page);
	KUNIT_EXPECT_EQ(test, atomic_read(&priv->bridge.current_memory_agp), 1);
	KUNIT_EXPECT_EQ(test,
			gfx_pool_counter_read(GFX_POOL_UC, GFX_POOL_EXHAUSTED),
			exhausted + !from_pool);

	agp_generic_destroy_page(page, AGP_PAGE_DESTROY_UNMAP);
	if (from_pool)
		KUNIT_EXPECT_EQ(test, gfx_pool_page_domain(page), GFX_POOL_UC);
	agp_generic_destroy_page(page, AGP_PAGE_DESTROY_FREE);
	KUNIT_EXPECT_EQ(test, gfx_pool_page_domain(page), -ENOENT);
}

/* agp_generic_alloc_pages() and agp_generic_destroy_pages(). */
static void agp_gfx_pool_many_pages(struct kunit *test)
{
	struct agp_test_priv *priv = test->priv;
	struct agp_memory mem = {};
	struct page *pages[NR_PAGES];
	unsigned long in_use, exhausted, pooled = 0;
	int i;

	in_use = gfx_pool_pages_in_use();
	exhausted = gfx_pool_counter_read(GFX_POOL_UC, GFX_POOL_EXHAUSTED);
	mem.pages = kunit_kcalloc(test, NR_PAGES, sizeof(*mem.pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, mem.pages);

	KUNIT_ASSERT_EQ(test, agp_generic_alloc_pages(&priv->bridge, &mem,
						      NR_PAGES), 0);
	KUNIT_ASSERT_EQ(test, mem.page_count, NR_PAGES);
	for (i = 0; i < NR_PAGES; i++) {
		pages[i] = mem.pages[i];
		expect_source(test, pages[i], priv->limit);
		pooled += gfx_pool_owns_page(pages[i]);
	}
	KUNIT_EXPECT_EQ(test, gfx_pool_pages_in_use(), in_use + pooled);
	KUNIT_EXPECT_EQ(test,
			gfx_pool_counter_read(GFX_POOL_UC, GFX_POOL_EXHAUSTED),
			exhausted + NR_PAGES - pooled);

	agp_generic_destroy_pages(&mem);
	KUNIT_EXPECT_EQ(test, gfx_pool_pages_in_use(), in_use);
	for (i = 0; i < NR_PAGES; i++)
		KUNIT_EXPECT_NULL(test, mem.pages[i]);
}

/*
 * The pages intel-gtt maps itself (its scratch page, i8xx cursor pages):
 * agp_alloc_uc_pages() takes them from the pool's UC domain where it can
 * serve below the limit, under the 2M entry; with the pool exhausted from
 * the page allocator, made UC page by page. agp_free_uc_pages() puts each
 * back where it came from: the fallback's pages WB again.
 */
static void agp_gfx_pool_uc_pages(struct kunit *test)
{
	struct agp_test_priv *priv = test->priv;
	struct gfx_pool_held_blocks *held;
	struct page *page;
	bool from_pool;
	int i;

	page = agp_alloc_uc_pages(AGP_TEST_GFP, 2, priv->limit);
	KUNIT_ASSERT_NOT_NULL(test, page);
	for (i = 0; i < 4; i++)
		expect_source(test, page + i, priv->limit);
	from_pool = gfx_pool_owns_page(page);
	agp_free_uc_pages(page, 2);
	if (from_pool)
		KUNIT_EXPECT_EQ(test, gfx_pool_page_domain(page), -ENOENT);

	held = gfx_pool_hold_all_blocks(test, GFX_POOL_WB);
	if (gfx_pool_nr_free())
		kunit_skip(test, "other users hold part of the pool");
	page = agp_alloc_uc_pages(AGP_TEST_GFP, 2, priv->limit);
	KUNIT_ASSERT_NOT_NULL(test, page);
	for (i = 0; i < 4; i++) {
		KUNIT_EXPECT_FALSE(test, gfx_pool_owns_page(page + i));
		expect_uc(test, page + i, false);
	}
	agp_free_uc_pages(page, 2);
	for (i = 0; i < 4; i++)
		gfx_pool_test_expect_direct_map(test, page_address(page + i),
						GFX_POOL_WB, PAGE_SHIFT);
	kunit_release_action(test, gfx_pool_held_blocks_release, held);
}

/*
 * With the pool exhausted, agpgart takes pages from the page allocator and
 * makes them UC page by page as before (the pool counts each request as
 * exhausted), and puts them back to WB when it frees them.
 */
static void agp_gfx_pool_fallback(struct kunit *test)
{
	struct agp_test_priv *priv = test->priv;
	unsigned long exhausted, i;
	struct gfx_pool_held_blocks *held;
	struct agp_memory mem = {};

	held = gfx_pool_hold_all_blocks(test, GFX_POOL_WB);
	/* Other users' partly used blocks may still have room. */
	if (gfx_pool_nr_free())
		kunit_skip(test, "other users hold part of the pool");

	mem.pages = kunit_kcalloc(test, 4, sizeof(*mem.pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, mem.pages);
	exhausted = gfx_pool_counter_read(GFX_POOL_UC, GFX_POOL_EXHAUSTED);
	KUNIT_EXPECT_EQ(test, agp_generic_alloc_pages(&priv->bridge, &mem, 4), 0);
	for (i = 0; i < mem.page_count; i++) {
		KUNIT_EXPECT_FALSE(test, gfx_pool_owns_page(mem.pages[i]));
		expect_uc(test, mem.pages[i], false);
	}
	KUNIT_EXPECT_EQ(test,
			gfx_pool_counter_read(GFX_POOL_UC, GFX_POOL_EXHAUSTED),
			exhausted + 4);
	agp_generic_destroy_pages(&mem);
	kunit_release_action(test, gfx_pool_held_blocks_release, held);
}

/*
 * The pool runs dry in the middle of one agp_generic_alloc_pages(): it has
 * half the pages asked for, in one UC block. agpgart takes those first,
 * under the block's 2M entry, and the rest from the page allocator, made
 * UC page by page (each counted as exhausted); agp_generic_destroy_pages()
 * gives each page back where it came from.
 */
static void agp_gfx_pool_dry_midway(struct kunit *test)
{
	const unsigned long left = NR_PAGES / 2;
	struct agp_test_priv *priv = test->priv;
	unsigned long exhausted, in_use, i, pooled = 0;
	struct agp_memory mem = {};
	bool from_pool;

	if (priv->pool_end > priv->limit)
		kunit_skip(test, "the GART does not reach the whole pool");
	gfx_pool_test_pcp(test, false);
	gfx_pool_test_warm_blocks(test, 0);
	gfx_pool_test_leave_free(test, first_online_node, GFX_POOL_UC, 0, left);

	mem.pages = kunit_kcalloc(test, NR_PAGES, sizeof(*mem.pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, mem.pages);
	in_use = gfx_pool_pages_in_use();
	exhausted = gfx_pool_counter_read(GFX_POOL_UC, GFX_POOL_EXHAUSTED);
	KUNIT_ASSERT_EQ(test, agp_generic_alloc_pages(&priv->bridge, &mem,
						      NR_PAGES), 0);
	KUNIT_ASSERT_EQ(test, mem.page_count, NR_PAGES);
	for (i = 0; i < NR_PAGES; i++) {
		from_pool = gfx_pool_owns_page(mem.pages[i]);
		KUNIT_EXPECT_EQ_MSG(test, from_pool, i < left, "page %lu", i);
		KUNIT_EXPECT_LE(test, PFN_PHYS(page_to_pfn(mem.pages[i]) + 1),
				priv->limit);
		expect_uc(test, mem.pages[i], from_pool);
		pooled += from_pool;
	}
	KUNIT_EXPECT_EQ(test, pooled, left);
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_free(), 0);
	KUNIT_EXPECT_EQ(test, gfx_pool_pages_in_use(), in_use + left);
	KUNIT_EXPECT_EQ(test,
			gfx_pool_counter_read(GFX_POOL_UC, GFX_POOL_EXHAUSTED),
			exhausted + NR_PAGES - left);

	agp_generic_destroy_pages(&mem);
	KUNIT_EXPECT_EQ(test, gfx_pool_pages_in_use(), in_use);
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_free(), left);
}

/*
 * A GART whose limit falls inside the pool: with every block below the
 * limit in use, agpgart must not get one of the free blocks above it.
 */
static void agp_gfx_pool_beyond_limit(struct kunit *test)
{
	struct agp_test_priv *priv = test->priv;
	struct gfx_pool_held_blocks *held;
	unsigned long exhausted, in_use, i, kept = 0, refused = 0;
	struct page *page;
	u64 limit;

	if (priv->pool_end - priv->pool_start < 2 * GFX_POOL_BLOCK_SIZE)
		kunit_skip(test, "a pool of one block has no middle");
	limit = priv->pool_start + ALIGN_DOWN((priv->pool_end -
					       priv->pool_start) / 2,
					      GFX_POOL_BLOCK_SIZE);

	/* Keep the blocks below the limit; give back those above it. */
	held = gfx_pool_hold_all_blocks(test, GFX_POOL_WB);
	for (i = 0; i < held->nr; i++) {
		page = held->pages[i];
		if (PFN_PHYS(page_to_pfn(page)) < limit)
			held->pages[kept++] = page;
		else
			gfx_pool_free_pages(page, GFX_POOL_BLOCK_ORDER);
	}
	held->nr = kept;

	in_use = gfx_pool_pages_in_use();
	exhausted = gfx_pool_counter_read(GFX_POOL_UC, GFX_POOL_EXHAUSTED);
	for (i = 0; i < 4; i++) {
		page = agp_pool_alloc_pages(AGP_TEST_GFP, 0, limit);
		if (!page) {
			refused++;
			continue;
		}
		/* Room in a block that another user holds, below the limit. */
		KUNIT_EXPECT_LE(test, PFN_PHYS(page_to_pfn(page) + 1), limit);
		gfx_pool_free_pages(page, 0);
	}
	/* Refused by agpgart, not by the pool: nothing was exhausted. */
	KUNIT_EXPECT_EQ(test,
			gfx_pool_counter_read(GFX_POOL_UC, GFX_POOL_EXHAUSTED),
			exhausted);
	KUNIT_EXPECT_EQ(test, gfx_pool_pages_in_use(), in_use);

	/* Not refused for another reason: a GART that reaches it all. */
	page = agp_pool_alloc_pages(AGP_TEST_GFP, 0, priv->pool_end);
	KUNIT_EXPECT_NOT_NULL(test, page);
	if (page) {
		if (refused == 4)
			KUNIT_EXPECT_GE(test, PFN_PHYS(page_to_pfn(page)), limit);
		gfx_pool_free_pages(page, 0);
	}
	kunit_release_action(test, gfx_pool_held_blocks_release, held);
}

static struct kunit_case agp_gfx_pool_test_cases[] = {
	KUNIT_CASE_PARAM(agp_gfx_pool_one_page, agp_test_addr_bits_gen_params),
	KUNIT_CASE_PARAM(agp_gfx_pool_many_pages, agp_test_addr_bits_gen_params),
	KUNIT_CASE_PARAM(agp_gfx_pool_fallback, agp_test_addr_bits_gen_params),
	KUNIT_CASE_PARAM(agp_gfx_pool_uc_pages, agp_test_addr_bits_gen_params),
	KUNIT_CASE_PARAM(agp_gfx_pool_dry_midway, agp_test_addr_bits_gen_params),
	KUNIT_CASE(agp_gfx_pool_beyond_limit),
	{}
};

static struct kunit_suite agp_gfx_pool_test_suite = {
	.name = "agp_gfx_pool",
	.init = agp_gfx_pool_test_init,
	.exit = agp_gfx_pool_test_exit,
	.test_cases = agp_gfx_pool_test_cases,
};

kunit_test_suites(&agp_gfx_pool_test_suite);
