// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for gfx_pool: every order in every domain, the page size and
 * domain of the direct map around every allocation, random traffic,
 * exhaustion, zeroing after dirty reuse, misuse, and the boot parameter.
 *
 * The suite needs a pool: boot with gfx_pool= or set
 * CONFIG_GFX_POOL_SIZE_MBYTES (mm/gfx_pool/.kunitconfig does). Every case
 * gives back all it took, and checks that the pool is whole again.
 */

#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/cma.h>
#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/gfx_pool.h>
#include <linux/irq_work.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/panic.h>
#include <linux/pgtable.h>
#include <linux/prandom.h>
#include <linux/sched/task.h>
#include <linux/suspend.h>
#include <linux/sizes.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#ifdef CONFIG_X86_PAT
#include <asm/memtype.h>
#endif

#include "gfx_pool.h"
#include "pcp.h"

/* === Helpers ============================================================= */

/* Sizes of the direct-map entries just outside the pool, seen at start. */
static unsigned int neighbour_shift[2];
static unsigned long neighbour_pfn[2];

/* The direct-map address of @pfn. */
static unsigned long pfn_addr(unsigned long pfn)
{
	return (unsigned long)pfn_to_kaddr(pfn);
}

/* Is the direct-map entry over @pfn present? */
static bool direct_map_present(unsigned long pfn)
{
	int domain = arch_gfx_pool_map_domain(pfn_addr(pfn));

	return domain == -EOPNOTSUPP || (domain >= 0 && domain != GFX_POOL_NP);
}

/*
 * Check how the direct map maps @pfn, which the pool handed out in
 * @domain: exactly 2M for a region block, never split to 4K, and never
 * 1G, which could not hold blocks of different domains (the pool demotes
 * 1G pages at init). A grown block keeps the entries it grew with.
 */
static void expect_mapping(struct kunit *test, unsigned long pfn,
			   enum gfx_pool_domain domain)
{
	struct gfx_pool_block *block = gfx_pool_pfn_to_block(pfn);

	KUNIT_ASSERT_NOT_NULL_MSG(test, block, "pfn %#lx is not the pool's",
				  pfn);
	gfx_pool_test_expect_direct_map(test, pfn_to_kaddr(pfn), domain,
					gfx_pool_block_shift(block));
}

/* Pages other users held when the suite began; checks count from here. */
static unsigned long baseline_in_use;

/* Where @page lies among the pages of all regions, for shadow bitmaps. */
static unsigned long pool_page_index(struct page *page)
{
	struct gfx_pool_block *block = gfx_pool_pfn_to_block(page_to_pfn(page));

	return ((block - gfx_pool.blocks) << GFX_POOL_BLOCK_ORDER) +
	       page_to_pfn(page) - block->pfn;
}

/*
 * The free order of @block found the slow way, as the lists must have it:
 * the largest order with an aligned run of free pages, or -1 if full.
 */
static int slow_free_order(struct gfx_pool_block *block)
{
	int order;

	for (order = GFX_POOL_BLOCK_ORDER; order >= 0; order--)
		if (bitmap_find_next_zero_area(block->used,
					       GFX_POOL_BLOCK_PAGES, 0,
					       1UL << order,
					       (1UL << order) - 1) <
		    GFX_POOL_BLOCK_PAGES)
			return order;
	return -1;
}

/* What check_node_lists() found wrong on one node. */
struct list_faults {
	unsigned long free, nr_free, partial, pair, unpaired;
	unsigned long pfn;	/* of the last block found wrong */
};

/*
 * Walk @node's lists under its lock and count what breaks the rules the
 * allocator relies on: every block on a free list is free and counted,
 * every partial block sits on the list of its free order, every pair on
 * a pair list is two free blocks of the right domains, and every such
 * pair is on one.
 */
static void check_node_lists(struct gfx_pool_node *node, struct list_faults *f)
{
	struct gfx_pool_block *block, *second;
	unsigned long flags, n;
	int d, e, o;

	spin_lock_irqsave(&node->lock, flags);
	for (d = 0; d < GFX_POOL_NR_DOMAINS; d++) {
		n = 0;
		list_for_each_entry(block, &node->domain[d].free, list) {
			n++;
			if (block->nr_used || !block->listed_free ||
			    block->converting || block->domain != d) {
				f->free++;
				f->pfn = block->pfn;
			}
			/* The first of an aligned pair of free blocks is paired. */
			second = IS_ALIGNED(block->pfn, 1UL << GFX_POOL_MAX_ORDER) ?
				 gfx_pool_pfn_to_block(block->pfn +
						       GFX_POOL_BLOCK_PAGES) :
				 NULL;
			if (second && second->nid == node->nid &&
			    second->listed_free && list_empty(&block->pair)) {
				f->unpaired++;
				f->pfn = block->pfn;
			}
		}
		if (n != node->domain[d].nr_free)
			f->nr_free++;
		for (o = 0; o < GFX_POOL_BLOCK_ORDER; o++) {
			list_for_each_entry(block, &node->domain[d].partial[o],
					    list) {
				if (block->listed_free || block->domain != d ||
				    !block->nr_used || block->free_order != o ||
				    slow_free_order(block) != o) {
					f->partial++;
					f->pfn = block->pfn;
				}
			}
		}
		for (e = 0; e < GFX_POOL_NR_DOMAINS; e++) {
			list_for_each_entry(block, &node->pairs[d][e], pair) {
				second = gfx_pool_pfn_to_block(block->pfn +
							       GFX_POOL_BLOCK_PAGES);
				if (!IS_ALIGNED(block->pfn,
						1UL << GFX_POOL_MAX_ORDER) ||
				    !second || second->nid != node->nid ||
				    !block->listed_free || !second->listed_free ||
				    block->domain != d || second->domain != e) {
					f->pair++;
					f->pfn = block->pfn;
				}
			}
		}
	}
	spin_unlock_irqrestore(&node->lock, flags);
}

/* The lists of every node keep their rules. */
static void expect_lists_consistent(struct kunit *test)
{
	struct list_faults f = {};
	int nid;

	for_each_node(nid)
		if (gfx_pool.node[nid])
			check_node_lists(gfx_pool.node[nid], &f);
	KUNIT_EXPECT_EQ_MSG(test, f.free, 0,
			    "a block on a free list is not free (pfn %#lx)",
			    f.pfn);
	KUNIT_EXPECT_EQ_MSG(test, f.nr_free, 0,
			    "a free list has another length than nr_free");
	KUNIT_EXPECT_EQ_MSG(test, f.partial, 0,
			    "a partial block is on the wrong list (pfn %#lx)",
			    f.pfn);
	KUNIT_EXPECT_EQ_MSG(test, f.pair, 0,
			    "a pair list holds a pair that is not one (pfn %#lx)",
			    f.pfn);
	KUNIT_EXPECT_EQ_MSG(test, f.unpaired, 0,
			    "two free aligned blocks are on no pair list (pfn %#lx)",
			    f.pfn);
}

/*
 * The invariants every case ends with: no block mapped by less than a
 * 2M entry, the memory just outside the pool mapped as it was at start,
 * and nothing handed out beyond what others held at start.
 */
static void expect_pool_whole(struct kunit *test)
{
	struct gfx_pool_block *block;
	unsigned int shift;
	unsigned long i;
	int n, got;

	for (i = 0; i < gfx_pool.nr_blocks; i++) {
		block = &gfx_pool.blocks[i];
		KUNIT_ASSERT_PTR_EQ(test, gfx_pool_pfn_to_block(block->pfn), block);
		shift = arch_gfx_pool_map_shift(pfn_addr(block->pfn));
		/*
		 * A lent block keeps its 1G page until it is taken back, and
		 * went back to WB before it was lent: the page allocator's
		 * memory, present and without a PAT bit.
		 */
		if (READ_ONCE(block->lent)) {
			KUNIT_EXPECT_GE_MSG(test, shift, PMD_SHIFT,
					    "lent block %lu is split", i);
			got = arch_gfx_pool_map_domain(pfn_addr(block->pfn));
			KUNIT_EXPECT_TRUE_MSG(test, got == GFX_POOL_WB ||
					      got == -EOPNOTSUPP,
					      "lent block %lu is mapped %d, not WB",
					      i, got);
		} else {
			KUNIT_EXPECT_EQ_MSG(test, shift, PMD_SHIFT,
					    "block %lu is not mapped by a 2M entry",
					    i);
		}
		KUNIT_EXPECT_EQ_MSG(test, block->nr_used,
				    bitmap_weight(block->used,
						  GFX_POOL_BLOCK_PAGES),
				    "block %lu miscounts its pages in use", i);
	}
	expect_lists_consistent(test);
	/* Deltas: a GPU driver may hold pool pages since boot. */
	KUNIT_EXPECT_EQ_MSG(test, gfx_pool_pages_in_use(), baseline_in_use,
			    "pages in use that the suite did not give back");
	for (n = 0; n < ARRAY_SIZE(neighbour_pfn); n++) {
		if (!neighbour_shift[n])
			continue;
		KUNIT_EXPECT_TRUE(test, direct_map_present(neighbour_pfn[n]));
		shift = arch_gfx_pool_map_shift(pfn_addr(neighbour_pfn[n]));
		/*
		 * Where a 1G page also maps the pool, the pool demotes it to
		 * 2M pages once (at init, or when it first takes a lent block
		 * back); nothing outside the pool is ever mapped smaller.
		 */
		KUNIT_EXPECT_GE_MSG(test, shift,
				    min_t(unsigned int, neighbour_shift[n],
					  PMD_SHIFT),
				    "the entry over pfn %#lx outside the pool was split",
				    neighbour_pfn[n]);
	}
}

/* A case's grow limit, restored at its end with every grown block given back. */
struct grow_ctx {
	unsigned long old_limit;
};

static void grow_restore(void *data)
{
	struct grow_ctx *ctx = data;

	gfx_pool_set_grow_limit(ctx->old_limit);
	gfx_pool_give_back(NUMA_NO_NODE, ULONG_MAX, false);
}

/*
 * No growth for the rest of the case: the limit 0 until its end, then
 * back as it was, with every grown block given back.
 * Return: the restore's data, for a case that releases it sooner.
 */
static struct grow_ctx *grow_none(struct kunit *test)
{
	struct grow_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->old_limit = gfx_pool_set_grow_limit(0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, grow_restore,
							ctx), 0);
	return ctx;
}

/* Fill or check @nr pages at @page, whatever the domain. */
static void *map_for_test(struct page *page, unsigned long nr,
			  enum gfx_pool_domain domain)
{
	struct page **pages;
	unsigned long i;
	void *vaddr;

	if (domain != GFX_POOL_NP)
		return page_address(page);
	pages = kvmalloc_array(nr, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return NULL;
	for (i = 0; i < nr; i++)
		pages[i] = page + i;
	vaddr = vmap(pages, nr, VM_MAP, PAGE_KERNEL);
	kvfree(pages);
	return vaddr;
}

static void unmap_for_test(void *vaddr, enum gfx_pool_domain domain)
{
	if (domain == GFX_POOL_NP)
		vunmap(vaddr);
}

/*
 * The atomic context of an atomic allocation here: preemption off, where
 * an allocation that slept would be caught. With PREEMPT_RT nothing may
 * allocate with preemption off, from the pool as from alloc_pages(): the
 * locks sleep there. Migration goes off instead, and GFP_ATOMIC alone
 * says that the allocation must not sleep.
 */
static void atomic_begin(void)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		migrate_disable();
	else
		preempt_disable();
}

static void atomic_end(void)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		migrate_enable();
	else
		preempt_enable();
}

static int gfx_pool_test_suite_init(struct kunit_suite *suite)
{
	struct gfx_pool_region *first, *last;
	unsigned long pfn;
	int n;

	if (!gfx_pool_is_ready() || !gfx_pool.nr_regions)
		return 0;
	baseline_in_use = gfx_pool_pages_in_use();
	/* Just below the first region and just above the last one. */
	first = &gfx_pool.region[0];
	last = &gfx_pool.region[gfx_pool.nr_regions - 1];
	neighbour_pfn[0] = first->start_pfn - 1;
	neighbour_pfn[1] = last->start_pfn + (last->nr_blocks << GFX_POOL_BLOCK_ORDER);
	for (n = 0; n < ARRAY_SIZE(neighbour_pfn); n++) {
		pfn = neighbour_pfn[n];
		neighbour_shift[n] = 0;
		if (pfn_valid(pfn) && page_is_ram(pfn) && direct_map_present(pfn))
			neighbour_shift[n] = arch_gfx_pool_map_shift(pfn_addr(pfn));
	}
	return 0;
}

/* The end check of every case, as the last of its cleanups. */
static void pool_whole_at_end(void *data)
{
	expect_pool_whole(data);
}

static int gfx_pool_test_init(struct kunit *test)
{
	gfx_pool_test_skip_unless_usable(test);
	/*
	 * Registered first, so run last: after every block, page and
	 * setting the case holds has been given back.
	 */
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, pool_whole_at_end,
							test), 0);
	/*
	 * A block broken at init (fail_gfx_pool= breaks one) is repaired
	 * now, rather than by the idle work in the middle of some case.
	 */
	gfx_pool_repair();
	/*
	 * The cases count conversions and blocks, and follow pages back
	 * into their blocks: no warm work, no per-CPU lists, but where a
	 * case turns them on.
	 */
	gfx_pool_test_warm_blocks(test, 0);
	gfx_pool_test_pcp(test, false);
	return 0;
}

/* === Allocation at every order in every domain =========================== */

struct alloc_param {
	enum gfx_pool_domain domain;
	unsigned int order;
};

static const struct alloc_param alloc_params[] = {
	{ GFX_POOL_WB, 0 }, { GFX_POOL_WB, 1 }, { GFX_POOL_WB, 2 },
	{ GFX_POOL_WB, 3 }, { GFX_POOL_WB, 4 }, { GFX_POOL_WB, 5 },
	{ GFX_POOL_WB, 6 }, { GFX_POOL_WB, 7 }, { GFX_POOL_WB, 8 },
	{ GFX_POOL_WB, 9 }, { GFX_POOL_WB, 10 },
	{ GFX_POOL_WC, 0 }, { GFX_POOL_WC, 1 }, { GFX_POOL_WC, 2 },
	{ GFX_POOL_WC, 3 }, { GFX_POOL_WC, 4 }, { GFX_POOL_WC, 5 },
	{ GFX_POOL_WC, 6 }, { GFX_POOL_WC, 7 }, { GFX_POOL_WC, 8 },
	{ GFX_POOL_WC, 9 }, { GFX_POOL_WC, 10 },
	{ GFX_POOL_UC, 0 }, { GFX_POOL_UC, 1 }, { GFX_POOL_UC, 2 },
	{ GFX_POOL_UC, 3 }, { GFX_POOL_UC, 4 }, { GFX_POOL_UC, 5 },
	{ GFX_POOL_UC, 6 }, { GFX_POOL_UC, 7 }, { GFX_POOL_UC, 8 },
	{ GFX_POOL_UC, 9 }, { GFX_POOL_UC, 10 },
	{ GFX_POOL_NP, 0 }, { GFX_POOL_NP, 1 }, { GFX_POOL_NP, 2 },
	{ GFX_POOL_NP, 3 }, { GFX_POOL_NP, 4 }, { GFX_POOL_NP, 5 },
	{ GFX_POOL_NP, 6 }, { GFX_POOL_NP, 7 }, { GFX_POOL_NP, 8 },
	{ GFX_POOL_NP, 9 }, { GFX_POOL_NP, 10 },
};

/* Every order up to the largest, in every domain. */
static_assert(ARRAY_SIZE(alloc_params) ==
	      GFX_POOL_NR_DOMAINS * (GFX_POOL_MAX_ORDER + 1));

static void alloc_param_desc(const struct alloc_param *p, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s order %u",
		 gfx_pool_domain_names[p->domain], p->order);
}

KUNIT_ARRAY_PARAM(alloc, alloc_params, alloc_param_desc);

static void gfx_pool_test_alloc_free(struct kunit *test)
{
	const struct alloc_param *p = test->param_value;
	unsigned long nr = 1UL << p->order, allocs, frees;
	struct page *page;
	unsigned long pfn;

	allocs = gfx_pool_counter_read(p->domain, GFX_POOL_ALLOCS);
	frees = gfx_pool_counter_read(p->domain, GFX_POOL_FREES);

	page = gfx_pool_alloc_pages(NUMA_NO_NODE, p->domain, GFP_KERNEL,
				    p->order);
	KUNIT_ASSERT_NOT_NULL(test, page);
	pfn = page_to_pfn(page);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED(pfn, nr));
	KUNIT_EXPECT_TRUE(test, gfx_pool_owns_page(page));
	KUNIT_EXPECT_TRUE(test, gfx_pool_owns_page(page + nr - 1));
	KUNIT_EXPECT_EQ(test, gfx_pool_page_domain(page), p->domain);
	KUNIT_EXPECT_EQ(test, gfx_pool_page_domain(page + nr - 1), p->domain);
	KUNIT_EXPECT_EQ(test, gfx_pool_pages_in_use(), baseline_in_use + nr);
	KUNIT_EXPECT_EQ(test, gfx_pool_counter_read(p->domain, GFX_POOL_ALLOCS),
			allocs + 1);
	expect_mapping(test, pfn, p->domain);
	expect_mapping(test, pfn + nr - 1, p->domain);

	gfx_pool_free_pages(page, p->order);
	KUNIT_EXPECT_EQ(test, gfx_pool_page_domain(page), -ENOENT);
	KUNIT_EXPECT_EQ(test, gfx_pool_counter_read(p->domain, GFX_POOL_FREES),
			frees + 1);
	expect_pool_whole(test);
}

#ifdef CONFIG_X86_PAT
/*
 * What x86 PAT's page flags say the memtype of @page is: the encoding of
 * _PGMT_* in arch/x86/mm/pat/memtype.c, which memtype_reserve() sets for
 * every page of a block when the pool converts it.
 */
static enum page_cache_mode pat_flags_memtype(struct page *page)
{
	unsigned long flags = page->flags & (BIT(PG_arch_1) | BIT(PG_arch_2));

	if (!flags)
		return _PAGE_CACHE_MODE_WB;
	if (flags == BIT(PG_arch_1))
		return _PAGE_CACHE_MODE_WC;
	if (flags == BIT(PG_arch_2))
		return _PAGE_CACHE_MODE_UC_MINUS;
	return _PAGE_CACHE_MODE_WT;
}

/* gfx_pool_pfn_in_pool(), counting PAT's questions in test->priv. */
static bool pfn_in_pool_counted(unsigned long pfn)
{
	struct kunit *test = kunit_get_current_test();

	(*(unsigned long *)test->priv)++;
	return gfx_pool_region_block(pfn) || gfx_pool_grown_block(pfn);
}

/*
 * PAT's answer for @pfn (pat_pfn_immune_to_uc_mtrr(), which is
 * lookup_memtype()'s), and how many times it asked the pool.
 */
static bool pat_asks_pool(struct kunit *test, unsigned long pfn,
			  unsigned long *asked)
{
	bool immune;

	*asked = 0;
	test->priv = asked;
	kunit_activate_static_stub(test, gfx_pool_pfn_in_pool,
				   pfn_in_pool_counted);
	immune = pat_pfn_immune_to_uc_mtrr(pfn);
	kunit_deactivate_static_stub(test, gfx_pool_pfn_in_pool);
	return immune;
}

/*
 * What PAT says of @page, which is the pool's in @domain or (@domain
 * %GFX_POOL_NR_DOMAINS) not the pool's: its page flags hold the memtype
 * the domain should have (what the conversion reserved; WB for a page
 * not the pool's), and lookup_memtype() asks the pool once, for a pool
 * page answering from those flags with no walk.
 * pat_pfn_immune_to_uc_mtrr() says whether that answer is WC, UC or UC-.
 */
static void expect_pat_answers(struct kunit *test, struct page *page,
			       unsigned int domain)
{
	static const enum page_cache_mode want[GFX_POOL_NR_DOMAINS + 1] = {
		[GFX_POOL_WB] = _PAGE_CACHE_MODE_WB,
		[GFX_POOL_WC] = _PAGE_CACHE_MODE_WC,
		[GFX_POOL_UC] = _PAGE_CACHE_MODE_UC_MINUS,
		[GFX_POOL_NP] = _PAGE_CACHE_MODE_WB,
		[GFX_POOL_NR_DOMAINS] = _PAGE_CACHE_MODE_WB,
	};
	bool immune = domain == GFX_POOL_WC || domain == GFX_POOL_UC;
	unsigned long pfn = page_to_pfn(page), asked;

	KUNIT_EXPECT_EQ(test, arch_gfx_pool_pfn_is_ram(pfn),
			domain < GFX_POOL_NR_DOMAINS);
	if (!pat_enabled())
		return;
	KUNIT_EXPECT_EQ(test, pat_flags_memtype(page), want[domain]);
	KUNIT_EXPECT_EQ(test, pat_asks_pool(test, pfn, &asked), immune);
	KUNIT_EXPECT_EQ(test, asked, 1);
}

/*
 * lookup_memtype() asks the pool first, and for a pool page answers from
 * PAT's page flags with no walk; a page that is not the pool's is not
 * skipped.
 */
static void gfx_pool_test_memtype(struct kunit *test)
{
	enum gfx_pool_domain domain = *(const enum gfx_pool_domain *)test->param_value;
	struct page *page;

	page = gfx_pool_alloc_pages(NUMA_NO_NODE, domain, GFP_KERNEL, 1);
	KUNIT_ASSERT_NOT_NULL(test, page);
	expect_pat_answers(test, page + 1, domain);
	gfx_pool_free_pages(page, 1);

	page = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, page);
	expect_pat_answers(test, page, GFX_POOL_NR_DOMAINS);
	__free_page(page);
	expect_pool_whole(test);
}
#else
static void expect_pat_answers(struct kunit *test, struct page *page,
			       unsigned int domain)
{
}
#endif

/* A page from the buddy allocator is not a pool page. */
static void gfx_pool_test_owns(struct kunit *test)
{
	struct page *page = alloc_page(GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_FALSE(test, gfx_pool_owns_page(page));
	KUNIT_EXPECT_EQ(test, gfx_pool_page_domain(page), -ENOENT);
	KUNIT_EXPECT_FALSE(test, gfx_pool_owns_page(NULL));
	__free_page(page);
}

/*
 * gfx_pool_page_reserved(): a page of a region that does not lend is
 * outside MemTotal; one of a region that lends, of a grown block or of
 * the page allocator is not. The inject stage boots with
 * gfx_pool.lend=0, the others lend where CMA can.
 */
static void gfx_pool_test_page_reserved(struct kunit *test)
{
	struct gfx_pool_block *block;
	struct page *page, *other;
	bool reserved;

	page = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WC, GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	block = gfx_pool_region_block(page_to_pfn(page));
	reserved = block && !gfx_pool_block_region(block)->cma;
	kunit_info(test, "a page of %s\n", !block ? "a grown block" :
		   reserved ? "a region that does not lend" :
		   "a region that lends");
	KUNIT_EXPECT_EQ(test, gfx_pool_page_reserved(page), reserved);
	gfx_pool_free_pages(page, 0);

	other = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, other);
	KUNIT_EXPECT_FALSE(test, gfx_pool_page_reserved(other));
	__free_page(other);
	KUNIT_EXPECT_FALSE(test, gfx_pool_page_reserved(NULL));
}

/* === Random traffic ====================================================== */

#define RANDOM_SLOTS	64
#define RANDOM_STEPS	3000

struct random_slot {
	struct page *page;
	unsigned int order;
};

/* The block and offset of @page. */
static struct gfx_pool_block *page_block(struct page *page, unsigned long *off)
{
	struct gfx_pool_block *block = gfx_pool_pfn_to_block(page_to_pfn(page));

	*off = page_to_pfn(page) - block->pfn;
	return block;
}

/*
 * Partly used blocks are found by their free order, with no walk: an
 * allocation takes the most broken-up block that has room for it, and a
 * block without room is never tried.
 */
static void gfx_pool_test_best_fit(struct kunit *test)
{
	struct gfx_pool_block *x, *y, *block;
	struct gfx_pool_held_blocks *held;
	unsigned long conversions, off, i;
	struct page **pages, *page;

	if (baseline_in_use)
		kunit_skip(test, "other users hold %lu pool pages",
			   baseline_in_use);
	held = gfx_pool_hold_all_blocks(test, GFX_POOL_WC);
	if (held->nr < 2)
		kunit_skip(test, "needs two blocks, has %lu", held->nr);
	pages = kunit_kcalloc(test, GFX_POOL_BLOCK_PAGES, sizeof(*pages),
			      GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	/* Two wholly free WC blocks, and nothing else free. */
	gfx_pool_free_pages(held->pages[--held->nr], GFX_POOL_BLOCK_ORDER);
	gfx_pool_free_pages(held->pages[--held->nr], GFX_POOL_BLOCK_ORDER);
	conversions = gfx_pool_counter_read(GFX_POOL_WC, GFX_POOL_CONVERSIONS);

	/* Order 0 fills the block it began, before the other free one. */
	for (i = 0; i < GFX_POOL_BLOCK_PAGES; i++) {
		pages[i] = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WC,
						GFP_KERNEL, 0);
		KUNIT_ASSERT_NOT_NULL(test, pages[i]);
	}
	x = page_block(pages[0], &off);
	for (i = 1; i < GFX_POOL_BLOCK_PAGES; i++)
		KUNIT_EXPECT_PTR_EQ(test, page_block(pages[i], &off), x);

	/* Give back an aligned run of 4 at offset 4, and the page at 9. */
	for (i = 0; i < GFX_POOL_BLOCK_PAGES; i++) {
		page_block(pages[i], &off);
		if ((off >= 4 && off < 8) || off == 9) {
			gfx_pool_free_pages(pages[i], 0);
			pages[i] = NULL;
		}
	}

	/* Order 3 has no room in x: it begins the other block. */
	page = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WC, GFP_KERNEL, 3);
	KUNIT_ASSERT_NOT_NULL(test, page);
	y = page_block(page, &off);
	KUNIT_EXPECT_PTR_NE(test, y, x);
	KUNIT_EXPECT_EQ(test, off, 0);

	/* Order 2 and order 0 go to x, whose free runs fit them best. */
	for (i = 0; i < 2; i++) {
		unsigned int order = i ? 0 : 2;
		struct page *p;

		p = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WC, GFP_KERNEL,
					 order);
		KUNIT_ASSERT_NOT_NULL(test, p);
		block = page_block(p, &off);
		KUNIT_EXPECT_PTR_EQ(test, block, x);
		KUNIT_EXPECT_EQ(test, off, i ? 9 : 4);
		gfx_pool_free_pages(p, order);
		/* Taken again at once, so that x stays as it was. */
		p = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WC, GFP_KERNEL,
					 order);
		KUNIT_ASSERT_NOT_NULL(test, p);
		KUNIT_EXPECT_PTR_EQ(test, page_block(p, &off), x);
		/* Kept in the array, freed below with the order they had. */
		pages[i ? 9 : 4] = p;
	}
	/* x is full again, and y alone has room. */
	KUNIT_EXPECT_EQ(test, x->nr_used, GFX_POOL_BLOCK_PAGES);
	KUNIT_EXPECT_EQ(test, y->nr_used, 8);
	expect_lists_consistent(test);
	/* Nothing was converted: both blocks were WC. */
	KUNIT_EXPECT_EQ(test,
			gfx_pool_counter_read(GFX_POOL_WC, GFX_POOL_CONVERSIONS),
			conversions);

	gfx_pool_free_pages(pages[4], 2);
	pages[4] = NULL;
	gfx_pool_free_pages(page, 3);
	for (i = 0; i < GFX_POOL_BLOCK_PAGES; i++)
		gfx_pool_free_pages(pages[i], 0);
	kunit_release_action(test, gfx_pool_held_blocks_release, held);
}

/*
 * Every block held in WB for the case, with no growth: the blocks the
 * case frees are the only free ones. Skips if other users hold pages.
 */
static struct gfx_pool_held_blocks *hold_pool(struct kunit *test)
{
	if (baseline_in_use)
		kunit_skip(test, "other users hold %lu pool pages",
			   baseline_in_use);
	grow_none(test);
	return gfx_pool_hold_all_blocks(test, GFX_POOL_WB);
}

/* Move a block of @nid in @held to its end. Return: it, or NULL. */
static struct page *held_on_node_last(struct gfx_pool_held_blocks *held,
				      int nid)
{
	unsigned long i;

	for (i = 0; i < held->nr; i++) {
		if (page_to_nid(held->pages[i]) != nid)
			continue;
		swap(held->pages[i], held->pages[held->nr - 1]);
		return held->pages[held->nr - 1];
	}
	return NULL;
}

/*
 * Of the blocks in @held, an aligned pair of one node (@nid, unless it
 * is NUMA_NO_NODE), moved to the end: its first block last, the other
 * before it.
 * Return: its first block, or NULL if there is none.
 */
static struct page *held_pair_last(struct gfx_pool_held_blocks *held, int nid)
{
	struct page *first = NULL;
	unsigned long i, j;

	/* A held block at an aligned pfn whose neighbour is held too. */
	for (i = 0; i < held->nr && !first; i++) {
		if (!IS_ALIGNED(page_to_pfn(held->pages[i]),
				1UL << GFX_POOL_MAX_ORDER))
			continue;
		if (nid != NUMA_NO_NODE && page_to_nid(held->pages[i]) != nid)
			continue;
		for (j = 0; j < held->nr; j++)
			if (held->pages[j] == held->pages[i] + GFX_POOL_BLOCK_PAGES &&
			    page_to_nid(held->pages[j]) ==
			    page_to_nid(held->pages[i]))
				break;
		if (j < held->nr) {
			first = held->pages[i];
			swap(held->pages[i], held->pages[held->nr - 1]);
			if (j == held->nr - 1)
				j = i;
			swap(held->pages[j], held->pages[held->nr - 2]);
		}
	}
	return first;
}

/* An order-10 UC allocation on @nid that may not convert: the lists alone. */
static struct page *pair_alloc_atomic(int nid)
{
	struct page *page;

	atomic_begin();
	page = gfx_pool_alloc_pages(nid, GFX_POOL_UC, GFP_ATOMIC | __GFP_THISNODE,
				    GFX_POOL_MAX_ORDER);
	atomic_end();
	return page;
}

/*
 * Order 10 finds two free aligned blocks of its domain on the pair lists,
 * with no walk: an atomic request (no conversion allowed) gets exactly the
 * pair given back, one free block of a pair is no pair, and of two free
 * pairs the one freed last is taken, whichever that is.
 */
static void gfx_pool_test_pairs(struct kunit *test)
{
	struct page *page, *first, *second, *other;
	struct gfx_pool_held_blocks *held;

	if (baseline_in_use)
		kunit_skip(test, "other users hold %lu pool pages",
			   baseline_in_use);
	held = gfx_pool_hold_all_blocks(test, GFX_POOL_UC);
	first = held_pair_last(held, NUMA_NO_NODE);
	if (!first)
		kunit_skip(test, "no two held blocks form an aligned pair");

	/* One block of the pair free: no order-10 group, and none made. */
	gfx_pool_free_pages(held->pages[--held->nr], GFX_POOL_BLOCK_ORDER);
	page = pair_alloc_atomic(page_to_nid(first));
	KUNIT_EXPECT_NULL(test, page);
	if (page)
		gfx_pool_free_pages(page, GFX_POOL_MAX_ORDER);

	/* Both free: the pair, taken as it is. */
	gfx_pool_free_pages(held->pages[--held->nr], GFX_POOL_BLOCK_ORDER);
	expect_lists_consistent(test);
	page = pair_alloc_atomic(page_to_nid(first));
	KUNIT_EXPECT_PTR_EQ(test, page, first);
	if (!page) {
		kunit_release_action(test, gfx_pool_held_blocks_release, held);
		return;
	}
	expect_mapping(test, page_to_pfn(page) +
		       (1UL << GFX_POOL_MAX_ORDER) - 1, GFX_POOL_UC);

	/*
	 * Two pairs free, this one freed last: it comes back first, as the
	 * block freed last does, not the pair that waited longest.
	 */
	second = held_pair_last(held, page_to_nid(first));
	/* Every pool the stages boot has many pairs: none is a failure. */
	KUNIT_EXPECT_NOT_NULL_MSG(test, second,
				  "no second held pair: freed-last order not checked");
	if (second) {
		gfx_pool_free_pages(held->pages[--held->nr],
				    GFX_POOL_BLOCK_ORDER);
		gfx_pool_free_pages(held->pages[--held->nr],
				    GFX_POOL_BLOCK_ORDER);
	}
	gfx_pool_free_pages(page, GFX_POOL_MAX_ORDER);
	expect_lists_consistent(test);
	if (second) {
		page = pair_alloc_atomic(page_to_nid(first));
		KUNIT_EXPECT_PTR_EQ(test, page, first);
		/* And the other way round: the second pair freed last. */
		other = pair_alloc_atomic(page_to_nid(first));
		KUNIT_EXPECT_PTR_EQ(test, other, second);
		if (page)
			gfx_pool_free_pages(page, GFX_POOL_MAX_ORDER);
		if (other)
			gfx_pool_free_pages(other, GFX_POOL_MAX_ORDER);
		expect_lists_consistent(test);
		page = pair_alloc_atomic(page_to_nid(first));
		KUNIT_EXPECT_PTR_EQ(test, page, other);
		if (page)
			gfx_pool_free_pages(page, GFX_POOL_MAX_ORDER);
	}
	kunit_release_action(test, gfx_pool_held_blocks_release, held);
}

/*
 * An order-10 allocation that must convert takes the free pair with the
 * fewest conversion steps, whichever list it is on and whenever it was
 * freed: for UC, a pair of a UC and a WB block (one step) rather than a
 * WB pair (a step a block), freed after it and on the list looked at
 * first, or a WC pair (two steps a block, through WB).
 */
static void gfx_pool_test_pair_fewest_steps(struct kunit *test)
{
	const gfp_t gfp = GFP_KERNEL | __GFP_THISNODE;
	struct page *mixed, *wc, *wb, *page;
	struct gfx_pool_held_blocks *held;
	int nid;

	held = hold_pool(test);
	mixed = held_pair_last(held, NUMA_NO_NODE);
	if (!mixed)
		kunit_skip(test, "no two held blocks form an aligned pair");
	nid = page_to_nid(mixed);
	/* Its first block, the only free one, converted to UC and freed. */
	gfx_pool_free_pages(held->pages[--held->nr], GFX_POOL_BLOCK_ORDER);
	page = gfx_pool_alloc_pages(nid, GFX_POOL_UC, gfp, GFX_POOL_BLOCK_ORDER);
	KUNIT_ASSERT_PTR_EQ(test, page, mixed);
	gfx_pool_free_pages(page, GFX_POOL_BLOCK_ORDER);
	/* Its second one free in WB: a UC and a WB block. */
	gfx_pool_free_pages(held->pages[--held->nr], GFX_POOL_BLOCK_ORDER);

	wc = held_pair_last(held, nid);
	if (!wc)
		kunit_skip(test, "no second aligned pair on node %d", nid);
	/* Converted to WC whole (two steps against the other's three). */
	gfx_pool_free_pages(held->pages[--held->nr], GFX_POOL_BLOCK_ORDER);
	gfx_pool_free_pages(held->pages[--held->nr], GFX_POOL_BLOCK_ORDER);
	page = gfx_pool_alloc_pages(nid, GFX_POOL_WC, gfp, GFX_POOL_MAX_ORDER);
	KUNIT_ASSERT_PTR_EQ(test, page, wc);
	gfx_pool_free_pages(page, GFX_POOL_MAX_ORDER);

	wb = held_pair_last(held, nid);
	if (!wb)
		kunit_skip(test, "no third aligned pair on node %d", nid);
	/* Freed last, on pairs[WB][WB]. */
	gfx_pool_free_pages(held->pages[--held->nr], GFX_POOL_BLOCK_ORDER);
	gfx_pool_free_pages(held->pages[--held->nr], GFX_POOL_BLOCK_ORDER);
	expect_lists_consistent(test);
	page = gfx_pool_alloc_pages(nid, GFX_POOL_UC, gfp, GFX_POOL_MAX_ORDER);
	KUNIT_EXPECT_PTR_EQ(test, page, mixed);
	if (page) {
		expect_mapping(test, page_to_pfn(page), GFX_POOL_UC);
		expect_mapping(test, page_to_pfn(page) + GFX_POOL_BLOCK_PAGES,
			       GFX_POOL_UC);
		gfx_pool_free_pages(page, GFX_POOL_MAX_ORDER);
	}
	/* The others were left as they were. */
	expect_mapping(test, page_to_pfn(wc), GFX_POOL_WC);
	expect_mapping(test, page_to_pfn(wc) + GFX_POOL_BLOCK_PAGES, GFX_POOL_WC);
	expect_mapping(test, page_to_pfn(wb), GFX_POOL_WB);
	expect_mapping(test, page_to_pfn(wb) + GFX_POOL_BLOCK_PAGES, GFX_POOL_WB);
	kunit_release_action(test, gfx_pool_held_blocks_release, held);
	expect_pool_whole(test);
}

/*
 * Random allocations and frees over all domains, mostly small orders:
 * a shadow bitmap of the pool proves no page is handed out twice.
 */
static void gfx_pool_test_random(struct kunit *test)
{
	unsigned long nr_blocks = gfx_pool.nr_blocks, off, nr, *shadow;
	struct random_slot *slots, *s;
	struct rnd_state rnd;
	unsigned int i, handed = 0;

	/* Order-0 pages come and go through the per-CPU lists too. */
	gfx_pool_test_pcp(test, true);

	shadow = kunit_kzalloc(test, BITS_TO_LONGS(nr_blocks <<
						   GFX_POOL_BLOCK_ORDER) *
			       sizeof(long), GFP_KERNEL);
	slots = kunit_kcalloc(test, RANDOM_SLOTS, sizeof(*slots), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, shadow);
	KUNIT_ASSERT_NOT_NULL(test, slots);
	prandom_seed_state(&rnd, 20080406);

	for (i = 0; i < RANDOM_STEPS; i++) {
		s = &slots[prandom_u32_state(&rnd) % RANDOM_SLOTS];
		if (s->page) {
			off = pool_page_index(s->page);
			bitmap_clear(shadow, off, 1UL << s->order);
			gfx_pool_free_pages(s->page, s->order);
			s->page = NULL;
			continue;
		}
		s->order = prandom_u32_state(&rnd) % 16;
		if (s->order > GFX_POOL_MAX_ORDER)
			s->order = s->order % 4;
		s->page = gfx_pool_alloc_pages(NUMA_NO_NODE,
					       prandom_u32_state(&rnd) %
					       GFX_POOL_NR_DOMAINS,
					       GFP_KERNEL, s->order);
		if (!s->page)
			continue;
		handed++;
		off = pool_page_index(s->page);
		nr = 1UL << s->order;
		KUNIT_ASSERT_LT(test, off, nr_blocks << GFX_POOL_BLOCK_ORDER);
		KUNIT_ASSERT_EQ_MSG(test,
				    find_next_bit(shadow, off + nr, off), off + nr,
				    "pfn %#lx order %u handed out twice",
				    page_to_pfn(s->page), s->order);
		bitmap_set(shadow, off, nr);
	}
	/* Partly used blocks of every free order, each on its list. */
	expect_lists_consistent(test);
	for (i = 0; i < RANDOM_SLOTS; i++)
		if (slots[i].page)
			gfx_pool_free_pages(slots[i].page, slots[i].order);
	/* A pool of a few blocks turns most requests away; a real one not. */
	if (nr_blocks >= 16)
		KUNIT_EXPECT_GT(test, handed, RANDOM_STEPS / 4);
	expect_pool_whole(test);
}

/* === Claims of the rst ==================================================== */

#define WAITERS	4

struct waiter {
	struct completion done;
	struct task_struct *task;
	struct page *page;
	int nid;
};

static int waiter_thread(void *data)
{
	struct waiter *w = data;

	w->page = gfx_pool_alloc_pages(w->nid, GFX_POOL_UC, GFP_KERNEL, 0);
	complete(&w->done);
	return 0;
}

/* Wait up to 10 s until @task sleeps (on the node's convert_lock). */
static bool waiter_blocked(struct task_struct *task)
{
	int i;

	for (i = 0; i < 500; i++) {
		if (READ_ONCE(task->__state) & TASK_UNINTERRUPTIBLE)
			return true;
		msleep(20);
	}
	return false;
}

/*
 * "Waiters never convert two blocks where one would do": allocations
 * that find no block of their domain wait for the node's conversion and
 * share its block, though a second free block is there. The case holds
 * the node's convert_lock until every waiter sleeps on it, so that all
 * of them looked for a block before any conversion began.
 */
static void gfx_pool_test_one_conversion_for_waiters(struct kunit *test)
{
	struct gfx_pool_held_blocks *held;
	struct gfx_pool_block *first = NULL;
	struct gfx_pool_node *node;
	unsigned long conversions, off;
	struct grow_ctx *ctx;
	struct waiter *w;
	int i, last, nid, started = 0;

	w = kunit_kcalloc(test, WAITERS, sizeof(*w), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w);
	/* No growth: a waiter must not find a block of its own there. */
	ctx = grow_none(test);
	held = gfx_pool_hold_all_blocks(test, GFX_POOL_WB);
	if (held->nr < 2 || gfx_pool_nr_free())
		kunit_skip(test, "needs two blocks and no other user");
	/* Two wholly free WB blocks of one node, no UC block with room. */
	last = held->nr - 1;
	nid = page_to_nid(held->pages[last]);
	for (i = last - 1; i >= 0; i--)
		if (page_to_nid(held->pages[i]) == nid)
			break;
	if (i < 0)
		kunit_skip(test, "needs two blocks on one node");
	swap(held->pages[i], held->pages[last - 1]);
	gfx_pool_free_pages(held->pages[--held->nr], GFX_POOL_BLOCK_ORDER);
	gfx_pool_free_pages(held->pages[--held->nr], GFX_POOL_BLOCK_ORDER);
	node = gfx_pool.node[nid];
	conversions = gfx_pool_counter_read(GFX_POOL_UC, GFX_POOL_CONVERSIONS);

	mutex_lock(&node->convert_lock);
	for (i = 0; i < WAITERS; i++) {
		init_completion(&w[i].done);
		w[i].nid = nid;
		w[i].task = kthread_create_on_node(waiter_thread, &w[i], nid,
						   "gfx_pool_wait/%d", i);
		if (IS_ERR(w[i].task)) {
			KUNIT_FAIL(test, "kthread_create: %ld",
				   PTR_ERR(w[i].task));
			break;
		}
		get_task_struct(w[i].task);
		wake_up_process(w[i].task);
		started++;
	}
	for (i = 0; i < started; i++)
		KUNIT_EXPECT_TRUE_MSG(test, waiter_blocked(w[i].task),
				      "waiter %d never waited for the conversion",
				      i);
	mutex_unlock(&node->convert_lock);
	for (i = 0; i < started; i++) {
		wait_for_completion(&w[i].done);
		put_task_struct(w[i].task);
	}

	KUNIT_EXPECT_EQ(test, gfx_pool_counter_read(GFX_POOL_UC,
						    GFX_POOL_CONVERSIONS),
			conversions + 1);
	for (i = 0; i < started; i++) {
		KUNIT_EXPECT_NOT_NULL(test, w[i].page);
		if (!w[i].page)
			continue;
		if (!first)
			first = page_block(w[i].page, &off);
		KUNIT_EXPECT_PTR_EQ(test, page_block(w[i].page, &off), first);
		gfx_pool_free_pages(w[i].page, 0);
	}
	kunit_release_action(test, gfx_pool_held_blocks_release, held);
	kunit_release_action(test, grow_restore, ctx);
	expect_pool_whole(test);
}

#ifdef CONFIG_X86
static bool direct_map_global(struct page *page)
{
	unsigned int level;
	pte_t *pte = lookup_address((unsigned long)page_address(page), &level);

	return pte && (pte_flags(*pte) & _PAGE_GLOBAL);
}

/*
 * "_PAGE_GLOBAL is restored when a block comes back from NP"
 * (set_memory_p() does not restore it): a block through NP and back to
 * WB has the global bit its 2M entry had before.
 */
static void gfx_pool_test_np_keeps_global(struct kunit *test)
{
	struct gfx_pool_held_blocks *held;
	struct page *page, *again;
	bool global;

	held = gfx_pool_hold_all_blocks(test, GFX_POOL_WB);
	if (!held->nr || gfx_pool_nr_free())
		kunit_skip(test, "needs a block and no other user");
	page = held->pages[--held->nr];
	global = direct_map_global(page);
	gfx_pool_free_pages(page, GFX_POOL_BLOCK_ORDER);
	KUNIT_ASSERT_PTR_EQ(test, gfx_pool_alloc_pages(NUMA_NO_NODE,
						       GFX_POOL_NP, GFP_KERNEL,
						       GFX_POOL_BLOCK_ORDER),
			    page);
	expect_mapping(test, page_to_pfn(page), GFX_POOL_NP);
	gfx_pool_free_pages(page, GFX_POOL_BLOCK_ORDER);
	/* The only free block: WB again means NP left. */
	again = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WB, GFP_KERNEL,
				     GFX_POOL_BLOCK_ORDER);
	KUNIT_ASSERT_PTR_EQ(test, again, page);
	expect_mapping(test, page_to_pfn(page), GFX_POOL_WB);
	KUNIT_EXPECT_EQ_MSG(test, direct_map_global(page), global,
			    "the 2M entry was%s global before NP",
			    global ? "" : " not");
	kunit_info(test, "the direct map is%s global here\n",
		   global ? "" : " not (PTI)");
	gfx_pool_free_pages(again, GFX_POOL_BLOCK_ORDER);
	kunit_release_action(test, gfx_pool_held_blocks_release, held);
	expect_pool_whole(test);
}
#endif

#ifdef CONFIG_MEMORY_FAILURE
/*
 * "A page that memory_failure() poisons is taken out of use, and that
 * page alone": memory_failure() sets PG_hwpoison on a pool page and gives
 * up on it (a reserved page), so the case sets the flag as it does. A
 * page poisoned while free is never handed out, one poisoned while in
 * use is kept when it comes back, every other page of the block serves
 * on, and a free of a poisoned page is refused.
 */
static void gfx_pool_test_hwpoison(struct kunit *test)
{
	long poisoned = atomic_long_read(&gfx_pool.hwpoison_pages);
	struct gfx_pool_held_blocks *held;
	struct page *block, *bad, **pages;
	unsigned long refused;
	unsigned int i, n;

	held = gfx_pool_hold_all_blocks(test, GFX_POOL_WC);
	if (!held->nr || gfx_pool_nr_free())
		kunit_skip(test, "needs a block and no other user");
	pages = kunit_kcalloc(test, GFX_POOL_BLOCK_PAGES, sizeof(*pages),
			      GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pages);

	/* The only free WC block, with a poisoned free page. */
	block = held->pages[--held->nr];
	gfx_pool_free_pages(block, GFX_POOL_BLOCK_ORDER);
	bad = block + 5;
	SetPageHWPoison(bad);
	KUNIT_EXPECT_NULL(test, gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WC,
						     GFP_NOWAIT,
						     GFX_POOL_BLOCK_ORDER));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gfx_pool.hwpoison_pages),
			poisoned + 1);

	/* Every other page of the block, and only those. */
	for (n = 0; n < GFX_POOL_BLOCK_PAGES; n++) {
		pages[n] = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WC,
						GFP_NOWAIT, 0);
		if (!pages[n])
			break;
		KUNIT_EXPECT_PTR_NE(test, pages[n], bad);
		KUNIT_EXPECT_LT(test, page_to_pfn(pages[n]) - page_to_pfn(block),
				GFX_POOL_BLOCK_PAGES);
	}
	KUNIT_EXPECT_EQ(test, n, GFX_POOL_BLOCK_PAGES - 1);

	refused = gfx_pool_counter_read(GFX_POOL_WC, GFX_POOL_REFUSED);
	gfx_pool_free_pages(bad, 0);
	KUNIT_EXPECT_EQ(test, gfx_pool_counter_read(GFX_POOL_WC, GFX_POOL_REFUSED),
			refused + 1);

	/* Poisoned in use: kept when it comes back, the rest serve on. */
	SetPageHWPoison(pages[7]);
	for (i = 0; i < n; i++)
		gfx_pool_free_pages(pages[i], 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gfx_pool.hwpoison_pages),
			poisoned + 2);
	KUNIT_EXPECT_EQ(test, gfx_pool_pages_in_use(), baseline_in_use +
			(held->nr << GFX_POOL_BLOCK_ORDER) + 2);
	/*
	 * Never wholly free again: no conversion reads the page to zero it,
	 * and it is never lent or given back.
	 */
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_free(), GFX_POOL_BLOCK_PAGES - 2);
	KUNIT_EXPECT_FALSE(test, gfx_pool_pfn_to_block(page_to_pfn(block))->listed_free);

	ClearPageHWPoison(bad);
	ClearPageHWPoison(pages[7]);
	gfx_pool_unpoison(bad);
	gfx_pool_unpoison(pages[7]);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gfx_pool.hwpoison_pages),
			poisoned);
	KUNIT_EXPECT_PTR_EQ(test, gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WC,
						       GFP_NOWAIT,
						       GFX_POOL_BLOCK_ORDER),
			    block);
	gfx_pool_free_pages(block, GFX_POOL_BLOCK_ORDER);
	kunit_release_action(test, gfx_pool_held_blocks_release, held);
	expect_pool_whole(test);
}

/*
 * A page poisoned while its block is wholly free is kept out of use
 * before the block is converted, which would zero it: the group path
 * (order 10) and the single-block path each find theirs. Neither block is
 * converted; both stay in their domain and serve on, partly used. With
 * the poison gone, the same group converts and is handed out.
 */
static void gfx_pool_test_hwpoison_free_block(struct kunit *test)
{
	long poisoned = atomic_long_read(&gfx_pool.hwpoison_pages);
	struct gfx_pool_held_blocks *held;
	struct page *first, *bad[2], *page;
	unsigned long conversions;
	int nid;

	/* No growth and no warm work: the cold paths meet the blocks. */
	grow_none(test);
	gfx_pool_test_warm_blocks(test, 0);
	held = gfx_pool_hold_all_blocks(test, GFX_POOL_WC);
	if (gfx_pool_nr_free())
		kunit_skip(test, "other users hold pool pages");
	first = held_pair_last(held, NUMA_NO_NODE);
	if (!first)
		kunit_skip(test, "no two held blocks form an aligned pair");
	nid = page_to_nid(first);
	/* The pair, wholly free and WC: nothing else is free. */
	gfx_pool_free_pages(held->pages[--held->nr], GFX_POOL_BLOCK_ORDER);
	gfx_pool_free_pages(held->pages[--held->nr], GFX_POOL_BLOCK_ORDER);
	bad[0] = first + 3;
	bad[1] = first + GFX_POOL_BLOCK_PAGES + 9;
	conversions = gfx_pool_counter_read(GFX_POOL_UC, GFX_POOL_CONVERSIONS);

	SetPageHWPoison(bad[1]);
	page = gfx_pool_alloc_pages(nid, GFX_POOL_UC, GFP_KERNEL | __GFP_THISNODE,
				    GFX_POOL_MAX_ORDER);
	KUNIT_EXPECT_NULL(test, page);
	if (page)
		gfx_pool_free_pages(page, GFX_POOL_MAX_ORDER);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gfx_pool.hwpoison_pages),
			poisoned + 1);
	KUNIT_EXPECT_FALSE(test, gfx_pool_pfn_to_block(page_to_pfn(bad[1]))->listed_free);
	KUNIT_EXPECT_TRUE(test, folio_test_offline(page_folio(bad[1])));

	SetPageHWPoison(bad[0]);
	page = gfx_pool_alloc_pages(nid, GFX_POOL_UC, GFP_KERNEL | __GFP_THISNODE,
				    0);
	KUNIT_EXPECT_NULL(test, page);
	if (page)
		gfx_pool_free_pages(page, 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gfx_pool.hwpoison_pages),
			poisoned + 2);
	KUNIT_EXPECT_EQ(test, gfx_pool_counter_read(GFX_POOL_UC,
						    GFX_POOL_CONVERSIONS),
			conversions);
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_free(), 2 * GFX_POOL_BLOCK_PAGES - 2);
	expect_mapping(test, page_to_pfn(first), GFX_POOL_WC);
	expect_mapping(test, page_to_pfn(bad[1]) + 1, GFX_POOL_WC);
	expect_lists_consistent(test);

	/* The rest serve on in their domain. */
	page = gfx_pool_alloc_pages(nid, GFX_POOL_WC,
				    GFP_NOWAIT | __GFP_THISNODE, 3);
	KUNIT_EXPECT_NOT_NULL(test, page);
	if (page) {
		KUNIT_EXPECT_LT(test, page_to_pfn(page) - page_to_pfn(first),
				1UL << GFX_POOL_MAX_ORDER);
		gfx_pool_free_pages(page, 3);
	}

	ClearPageHWPoison(bad[0]);
	ClearPageHWPoison(bad[1]);
	gfx_pool_unpoison(bad[0]);
	gfx_pool_unpoison(bad[1]);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gfx_pool.hwpoison_pages),
			poisoned);
	page = gfx_pool_alloc_pages(nid, GFX_POOL_UC, GFP_KERNEL | __GFP_THISNODE,
				    GFX_POOL_MAX_ORDER);
	KUNIT_EXPECT_PTR_EQ(test, page, first);
	if (page)
		gfx_pool_free_pages(page, GFX_POOL_MAX_ORDER);
	kunit_release_action(test, gfx_pool_held_blocks_release, held);
	expect_pool_whole(test);
}

/*
 * The warm work, too, keeps a poisoned page of the spare block it would
 * convert: WB asks for a warm block, WC has two free to spare, each with
 * a poisoned page. The first is kept instead of converted, and then WC
 * has none to spare: nothing is converted.
 */
static void gfx_pool_test_hwpoison_warm(struct kunit *test)
{
	long poisoned = atomic_long_read(&gfx_pool.hwpoison_pages);
	struct gfx_pool_block *spare[2];
	struct gfx_pool_held_blocks *held;
	unsigned long conversions;
	struct page *page, *bad[2];
	unsigned int i, kept;

	grow_none(test);
	gfx_pool_test_warm_blocks(test, 0);
	if (baseline_in_use)
		kunit_skip(test, "other users hold %lu pool pages",
			   baseline_in_use);
	held = gfx_pool_hold_all_blocks(test, GFX_POOL_WC);
	if (held->nr < 3 || gfx_pool_nr_free())
		kunit_skip(test, "needs three blocks and no other user");
	/* Three free WC blocks of one node; a WB page converts one. */
	for (i = 0; i < 3; i++)
		gfx_pool_free_pages(held->pages[--held->nr], GFX_POOL_BLOCK_ORDER);
	if (page_to_nid(held->pages[held->nr]) != numa_mem_id() ||
	    page_to_nid(held->pages[held->nr + 1]) != numa_mem_id() ||
	    page_to_nid(held->pages[held->nr + 2]) != numa_mem_id())
		kunit_skip(test, "needs the three blocks on this CPU's node");
	page = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WB, GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	for (i = 0; i < 2; i++) {
		spare[i] = gfx_pool_pfn_to_block(page_to_pfn(held->pages[held->nr + i]));
		if (spare[i] == gfx_pool_pfn_to_block(page_to_pfn(page)))
			spare[i] = gfx_pool_pfn_to_block(page_to_pfn(held->pages[held->nr + 2]));
		bad[i] = pfn_to_page(spare[i]->pfn + 1 + i);
		SetPageHWPoison(bad[i]);
	}
	conversions = gfx_pool_counter_read(GFX_POOL_WB, GFX_POOL_CONVERSIONS);

	/* WB's block wholly free again, then taken: WB is short of warm. */
	gfx_pool_set_warm_blocks(1);
	gfx_pool_free_pages(page, 0);
	page = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WB, GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	gfx_pool_warm_flush();

	KUNIT_EXPECT_EQ(test, gfx_pool_counter_read(GFX_POOL_WB,
						    GFX_POOL_CONVERSIONS),
			conversions);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gfx_pool.hwpoison_pages),
			poisoned + 1);
	kept = !spare[0]->listed_free + !spare[1]->listed_free;
	KUNIT_EXPECT_EQ(test, kept, 1);

	gfx_pool_set_warm_blocks(0);
	gfx_pool_warm_flush();
	for (i = 0; i < 2; i++) {
		ClearPageHWPoison(bad[i]);
		if (!spare[i]->listed_free)
			gfx_pool_unpoison(bad[i]);
	}
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gfx_pool.hwpoison_pages),
			poisoned);
	gfx_pool_free_pages(page, 0);
	kunit_release_action(test, gfx_pool_held_blocks_release, held);
	expect_pool_whole(test);
}
#endif

/* === Concurrency ========================================================= */

#define STRESS_THREADS	4
#define STRESS_STEPS	2000

struct stress_ctx {
	unsigned long *shadow;		/* one bit per pool page, set atomically */
	atomic_t twice;			/* pages found already handed out */
	atomic_t handed;
	struct completion done[STRESS_THREADS];
};

struct stress_arg {
	struct stress_ctx *ctx;
	int id;
};

static void stress_mark(struct stress_ctx *ctx, struct page *page,
			unsigned int order, bool set)
{
	unsigned long off = pool_page_index(page), i;

	for (i = 0; i < (1UL << order); i++) {
		if (!set)
			clear_bit(off + i, ctx->shadow);
		else if (test_and_set_bit(off + i, ctx->shadow))
			atomic_inc(&ctx->twice);
	}
}

/* Random traffic from one thread; sometimes atomic, with interrupts off. */
static int stress_thread(void *data)
{
	struct stress_arg *arg = data;
	struct stress_ctx *ctx = arg->ctx;
	struct random_slot slots[16] = {};
	struct random_slot *s;
	struct rnd_state rnd;
	unsigned long flags;
	unsigned int i, r;

	prandom_seed_state(&rnd, 1000 + arg->id);
	for (i = 0; i < STRESS_STEPS; i++) {
		r = prandom_u32_state(&rnd);
		s = &slots[r % ARRAY_SIZE(slots)];
		if (s->page) {
			/* Unmark first: the page may be handed out again at once. */
			stress_mark(ctx, s->page, s->order, false);
			gfx_pool_free_pages(s->page, s->order);
			s->page = NULL;
			continue;
		}
		s->order = (r >> 8) % 4;
		if (r & BIT(16)) {
			/* With PREEMPT_RT, see atomic_begin(). */
			if (IS_ENABLED(CONFIG_PREEMPT_RT))
				atomic_begin();
			else
				local_irq_save(flags);
			s->page = gfx_pool_alloc_pages(NUMA_NO_NODE,
						       (r >> 12) % GFX_POOL_NR_DOMAINS,
						       GFP_ATOMIC, s->order);
			if (IS_ENABLED(CONFIG_PREEMPT_RT))
				atomic_end();
			else
				local_irq_restore(flags);
		} else {
			s->page = gfx_pool_alloc_pages(NUMA_NO_NODE,
						       (r >> 12) % GFX_POOL_NR_DOMAINS,
						       GFP_KERNEL, s->order);
		}
		if (s->page) {
			atomic_inc(&ctx->handed);
			stress_mark(ctx, s->page, s->order, true);
		}
		cond_resched();
	}
	for (i = 0; i < ARRAY_SIZE(slots); i++) {
		if (slots[i].page) {
			stress_mark(ctx, slots[i].page, slots[i].order, false);
			gfx_pool_free_pages(slots[i].page, slots[i].order);
		}
	}
	complete(&ctx->done[arg->id]);
	return 0;
}

/*
 * Threads on all CPUs allocate and free in every domain at once, so that
 * conversions race with warm allocations and frees: no page may be
 * handed out twice, and the pool must be whole at the end.
 */
static void gfx_pool_test_concurrent(struct kunit *test)
{
	struct stress_arg args[STRESS_THREADS];
	unsigned long nr_blocks = gfx_pool.nr_blocks;
	struct task_struct *task;
	struct stress_ctx *ctx;
	int i;

	/* Each thread's CPU list races with conversions and drains. */
	gfx_pool_test_pcp(test, true);
	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->shadow = kunit_kzalloc(test, BITS_TO_LONGS(nr_blocks <<
							GFX_POOL_BLOCK_ORDER) *
				    sizeof(long), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx->shadow);

	for (i = 0; i < STRESS_THREADS; i++) {
		init_completion(&ctx->done[i]);
		args[i].ctx = ctx;
		args[i].id = i;
		task = kthread_run(stress_thread, &args[i], "gfx_pool_test/%d", i);
		if (IS_ERR(task)) {
			KUNIT_FAIL(test, "kthread_run: %ld", PTR_ERR(task));
			complete(&ctx->done[i]);
		}
	}
	for (i = 0; i < STRESS_THREADS; i++)
		wait_for_completion(&ctx->done[i]);

	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->twice), 0);
	KUNIT_EXPECT_GT(test, atomic_read(&ctx->handed), 0);
	kunit_info(test, "%d allocations by %d threads on %u CPUs\n",
		   atomic_read(&ctx->handed), STRESS_THREADS, num_online_cpus());
	expect_pool_whole(test);
}

/* === Exhaustion ========================================================== */

static void gfx_pool_test_exhaustion(struct kunit *test)
{
	unsigned long nr_blocks, exhausted;
	struct gfx_pool_held_blocks *held;
	struct page *page;

	/* Exhaustion needs the whole pool: other users' blocks have room. */
	if (baseline_in_use)
		kunit_skip(test, "other users hold %lu pool pages",
			   baseline_in_use);
	/* Blocks broken at init (fail_gfx_pool= makes some) are not in it. */
	nr_blocks = gfx_pool.nr_blocks - gfx_pool_nr_broken_blocks();
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_free(),
			nr_blocks << GFX_POOL_BLOCK_ORDER);
	exhausted = gfx_pool_counter_read(GFX_POOL_WC, GFX_POOL_EXHAUSTED);
	held = gfx_pool_hold_all_blocks(test, GFX_POOL_WC);
	/* Every block but the broken, whatever its domain before, went to WC. */
	KUNIT_ASSERT_EQ(test, held->nr, nr_blocks);
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_free(), 0);
	KUNIT_EXPECT_NULL(test, gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WC,
						     GFP_KERNEL, 0));
	KUNIT_EXPECT_EQ(test,
			gfx_pool_counter_read(GFX_POOL_WC, GFX_POOL_EXHAUSTED),
			exhausted + 1);

	/*
	 * With one WC block free again: an atomic UC request needs a domain
	 * change, which may sleep, so it must fail at once; an atomic WC
	 * request is served from the block as it is.
	 */
	gfx_pool_free_pages(held->pages[--held->nr], GFX_POOL_BLOCK_ORDER);
	exhausted = gfx_pool_counter_read(GFX_POOL_UC, GFX_POOL_EXHAUSTED);
	atomic_begin();
	page = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_UC, GFP_ATOMIC, 0);
	atomic_end();
	KUNIT_EXPECT_NULL(test, page);
	KUNIT_EXPECT_EQ(test,
			gfx_pool_counter_read(GFX_POOL_UC, GFX_POOL_EXHAUSTED),
			exhausted + 1);
	atomic_begin();
	page = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WC, GFP_ATOMIC, 0);
	atomic_end();
	KUNIT_EXPECT_NOT_NULL(test, page);
	gfx_pool_free_pages(page, 0);

	kunit_release_action(test, gfx_pool_held_blocks_release, held);
	expect_pool_whole(test);
}

/* === Zeroing ============================================================= */

static const enum gfx_pool_domain all_domains[] = {
	GFX_POOL_WB, GFX_POOL_WC, GFX_POOL_UC, GFX_POOL_NP,
};

static void domain_desc(const enum gfx_pool_domain *d, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s", gfx_pool_domain_names[*d]);
}

KUNIT_ARRAY_PARAM(domain, all_domains, domain_desc);

/* The domains a block is converted to: WB blocks need no warm work. */
static const enum gfx_pool_domain converted_domains[] = {
	GFX_POOL_WC, GFX_POOL_UC, GFX_POOL_NP,
};

KUNIT_ARRAY_PARAM(converted_domain, converted_domains, domain_desc);

/*
 * Dirty a whole block, give it back, then take it again with __GFP_ZERO,
 * once as one order-9 allocation and once page by page: no byte of the
 * previous user's data may show.
 */
static void gfx_pool_test_zero(struct kunit *test)
{
	enum gfx_pool_domain domain = *(const enum gfx_pool_domain *)test->param_value;
	struct page **pages;
	struct page *page, *again;
	unsigned long i;
	u8 *vaddr;
	int nid;

	pages = kunit_kcalloc(test, GFX_POOL_BLOCK_PAGES, sizeof(*pages),
			      GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pages);

	page = gfx_pool_alloc_pages(NUMA_NO_NODE, domain, GFP_KERNEL,
				    GFX_POOL_BLOCK_ORDER);
	KUNIT_ASSERT_NOT_NULL(test, page);
	vaddr = map_for_test(page, GFX_POOL_BLOCK_PAGES, domain);
	KUNIT_ASSERT_NOT_NULL(test, vaddr);
	memset(vaddr, 0xa5, GFX_POOL_BLOCK_SIZE);
	unmap_for_test(vaddr, domain);
	gfx_pool_free_pages(page, GFX_POOL_BLOCK_ORDER);

	/* Same node, so the freed block is the first candidate. */
	nid = page_to_nid(page);
	again = gfx_pool_alloc_pages(nid, domain,
				     GFP_KERNEL | __GFP_ZERO | __GFP_THISNODE,
				     GFX_POOL_BLOCK_ORDER);
	KUNIT_ASSERT_PTR_EQ_MSG(test, again, page,
				"the dirty block was not reused first");
	vaddr = map_for_test(again, GFX_POOL_BLOCK_PAGES, domain);
	KUNIT_ASSERT_NOT_NULL(test, vaddr);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(vaddr, 0, GFX_POOL_BLOCK_SIZE));
	/* Dirty it again for the page-by-page round. */
	memset(vaddr, 0x5a, GFX_POOL_BLOCK_SIZE);
	unmap_for_test(vaddr, domain);
	gfx_pool_free_pages(again, GFX_POOL_BLOCK_ORDER);

	for (i = 0; i < GFX_POOL_BLOCK_PAGES; i++) {
		pages[i] = gfx_pool_alloc_pages(nid, domain,
						GFP_KERNEL | __GFP_ZERO |
						__GFP_THISNODE, 0);
		KUNIT_ASSERT_NOT_NULL(test, pages[i]);
		/* First fit in the dirty block, page after page. */
		KUNIT_EXPECT_PTR_EQ(test, pages[i], page + i);
		vaddr = map_for_test(pages[i], 1, domain);
		KUNIT_ASSERT_NOT_NULL(test, vaddr);
		KUNIT_EXPECT_TRUE_MSG(test, !memchr_inv(vaddr, 0, PAGE_SIZE),
				      "page %lu of the block is not zeroed", i);
		unmap_for_test(vaddr, domain);
	}
	for (i = 0; i < GFX_POOL_BLOCK_PAGES; i++)
		gfx_pool_free_pages(pages[i], 0);
	expect_pool_whole(test);
}

/* === Misuse ============================================================== */

/*
 * Misuse is refused, counted and reported rate-limited, never with a WARN:
 * a buggy driver must not panic a panic_on_warn machine. Counts are taken
 * as deltas, so that pages other users hold do not matter.
 */
static void gfx_pool_test_misuse(struct kunit *test)
{
	unsigned long refused_wb, refused_wc, frees, in_use, exhausted;
	struct page *page, *buddy;

	refused_wb = gfx_pool_counter_read(GFX_POOL_WB, GFX_POOL_REFUSED);
	refused_wc = gfx_pool_counter_read(GFX_POOL_WC, GFX_POOL_REFUSED);
	in_use = gfx_pool_pages_in_use();

	/* A page the pool does not own. */
	buddy = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buddy);
	gfx_pool_free_pages(buddy, 0);
	KUNIT_EXPECT_EQ(test, gfx_pool_counter_read(GFX_POOL_WB, GFX_POOL_REFUSED),
			refused_wb + 1);
	__free_page(buddy);

	page = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WC, GFP_KERNEL, 2);
	KUNIT_ASSERT_NOT_NULL(test, page);
	frees = gfx_pool_counter_read(GFX_POOL_WC, GFX_POOL_FREES);

	/*
	 * Wrong order, both ways, one no shift may take (1UL << 64 would be
	 * undefined), and a tail page.
	 */
	gfx_pool_free_pages(page, 1);
	gfx_pool_free_pages(page, 3);
	gfx_pool_free_pages(page, 64);
	gfx_pool_free_pages(page + 1, 0);
	KUNIT_EXPECT_EQ(test, gfx_pool_counter_read(GFX_POOL_WC, GFX_POOL_REFUSED),
			refused_wc + 4);
	KUNIT_EXPECT_EQ(test, gfx_pool_counter_read(GFX_POOL_WC, GFX_POOL_FREES),
			frees);
	/* Nothing was freed: all four pages are still handed out. */
	KUNIT_EXPECT_EQ(test, gfx_pool_pages_in_use(), in_use + 4);
	KUNIT_EXPECT_EQ(test, gfx_pool_page_domain(page + 3), GFX_POOL_WC);

	gfx_pool_free_pages(page, 2);
	KUNIT_EXPECT_EQ(test, gfx_pool_pages_in_use(), in_use);
	/* Double free. */
	gfx_pool_free_pages(page, 2);
	KUNIT_EXPECT_EQ(test, gfx_pool_counter_read(GFX_POOL_WC, GFX_POOL_REFUSED),
			refused_wc + 5);
	KUNIT_EXPECT_EQ(test, gfx_pool_counter_read(GFX_POOL_WC, GFX_POOL_FREES),
			frees + 1);

	/* Malformed requests. */
	KUNIT_EXPECT_NULL(test, gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WC,
						     GFP_KERNEL,
						     GFX_POOL_MAX_ORDER + 1));
	KUNIT_EXPECT_NULL(test, gfx_pool_alloc_pages(NUMA_NO_NODE,
						     GFX_POOL_NR_DOMAINS,
						     GFP_KERNEL, 0));
	KUNIT_EXPECT_NULL(test, gfx_pool_alloc_pages(MAX_NUMNODES, GFX_POOL_WC,
						     GFP_KERNEL, 0));
	KUNIT_EXPECT_EQ(test, gfx_pool_counter_read(GFX_POOL_WC, GFX_POOL_REFUSED),
			refused_wc + 7);
	/* Pages the pool cannot give, ZONE_DMA: exhausted, not misuse. */
	refused_wb = gfx_pool_counter_read(GFX_POOL_WB, GFX_POOL_REFUSED);
	exhausted = gfx_pool_counter_read(GFX_POOL_WB, GFX_POOL_EXHAUSTED);
	KUNIT_EXPECT_NULL(test, gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WB,
						     GFP_KERNEL | GFP_DMA, 0));
	KUNIT_EXPECT_EQ(test, gfx_pool_counter_read(GFX_POOL_WB,
						    GFX_POOL_EXHAUSTED),
			exhausted + 1);
	KUNIT_EXPECT_EQ(test, gfx_pool_counter_read(GFX_POOL_WB, GFX_POOL_REFUSED),
			refused_wb);
	gfx_pool_free_pages(NULL, 0);
	KUNIT_EXPECT_EQ(test, gfx_pool_pages_in_use(), in_use);

	/*
	 * An order-10 allocation records its order in its first block
	 * only: neither of its blocks is freed as a block of its own.
	 */
	page = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WC, GFP_KERNEL,
				    GFX_POOL_MAX_ORDER);
	KUNIT_ASSERT_NOT_NULL(test, page);
	refused_wc = gfx_pool_counter_read(GFX_POOL_WC, GFX_POOL_REFUSED);
	gfx_pool_free_pages(page + GFX_POOL_BLOCK_PAGES, GFX_POOL_BLOCK_ORDER);
	gfx_pool_free_pages(page, GFX_POOL_BLOCK_ORDER);
	KUNIT_EXPECT_EQ(test, gfx_pool_counter_read(GFX_POOL_WC, GFX_POOL_REFUSED),
			refused_wc + 2);
	KUNIT_EXPECT_EQ(test, gfx_pool_pages_in_use(),
			in_use + (1UL << GFX_POOL_MAX_ORDER));
	gfx_pool_free_pages(page, GFX_POOL_MAX_ORDER);
	KUNIT_EXPECT_EQ(test, gfx_pool_pages_in_use(), in_use);
}

/* Stands in for gfx_pool_enter_domain(): the first conversion fails. */
static int enter_domain_fails_once(unsigned long addr, enum gfx_pool_domain to)
{
	struct kunit *test = kunit_get_current_test();
	unsigned long *failed = test->priv;

	if (!*failed) {
		*failed = addr;
		return -ENOMEM;
	}
	kunit_deactivate_static_stub(test, gfx_pool_enter_domain);
	return gfx_pool_enter_domain(addr, to);
}

/*
 * Hold every block, in @domain, then give @n of them back wholly free:
 * the case has those @n blocks free and nothing else. Skips it where
 * there are fewer, or other users hold pages.
 */
static struct gfx_pool_held_blocks *hold_all_but(struct kunit *test,
						 enum gfx_pool_domain domain,
						 unsigned long n)
{
	struct gfx_pool_held_blocks *held;

	held = gfx_pool_hold_all_blocks(test, domain);
	if (held->nr < n || gfx_pool_nr_free())
		kunit_skip(test, "needs %lu free blocks and no other user", n);
	while (n--)
		gfx_pool_free_pages(held->pages[--held->nr],
				    GFX_POOL_BLOCK_ORDER);
	return held;
}

/*
 * A conversion that fails leaves its block WB and the allocation goes on
 * with the next wholly free block, rather than failing while the pool
 * still has room.
 */
static void gfx_pool_test_conversion_fails(struct kunit *test)
{
	struct gfx_pool_held_blocks *held;
	unsigned long *failed;
	struct page *page;

	failed = kunit_kzalloc(test, sizeof(*failed), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, failed);
	/* Two wholly free WB blocks, and no UC block with room. */
	held = hold_all_but(test, GFX_POOL_WB, 2);

	test->priv = failed;
	kunit_activate_static_stub(test, gfx_pool_enter_domain,
				   enter_domain_fails_once);
	page = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_UC, GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL_MSG(test, page,
				  "one failed conversion failed the allocation");
	KUNIT_EXPECT_NE(test, *failed, 0);
	KUNIT_EXPECT_NE(test, (unsigned long)page_address(page) & PMD_MASK,
			*failed);
	KUNIT_EXPECT_EQ(test, gfx_pool_page_domain(page), GFX_POOL_UC);
	/* The block whose conversion failed is still a good WB block. */
	expect_mapping(test, PHYS_PFN(__pa(*failed)), GFX_POOL_WB);
	gfx_pool_free_pages(page, 0);
	kunit_release_action(test, gfx_pool_held_blocks_release, held);
	expect_pool_whole(test);
}

/*
 * Free pool pages are PageOffline(), so that hibernation leaves them out
 * of the image; pages handed out are not. With init_on_free=1 a freed page
 * is zero at once, without it the pool leaves the data (the next
 * __GFP_ZERO or init_on_alloc caller gets it zeroed).
 */
static void gfx_pool_test_free_state(struct kunit *test)
{
	enum gfx_pool_domain domain = *(const enum gfx_pool_domain *)test->param_value;
	struct page *page;
	u8 *vaddr;

	page = gfx_pool_alloc_pages(NUMA_NO_NODE, domain, GFP_KERNEL, 1);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_FALSE(test, folio_test_offline(page_folio(page)));
	KUNIT_EXPECT_FALSE(test, folio_test_offline(page_folio(page + 1)));
	/* In use, as free: the pool's, never the page allocator's. */
	KUNIT_EXPECT_TRUE(test, PageReserved(page));
	KUNIT_EXPECT_TRUE(test, PageReserved(page + 1));
	KUNIT_EXPECT_TRUE(test, folio_test_offline(page_folio(page + 2)) ||
			  gfx_pool_page_domain(page + 2) >= 0);
	vaddr = map_for_test(page, 2, domain);
	KUNIT_ASSERT_NOT_NULL(test, vaddr);
	memset(vaddr, 0xa5, 2 * PAGE_SIZE);
	unmap_for_test(vaddr, domain);

	gfx_pool_free_pages(page, 1);
	KUNIT_EXPECT_TRUE(test, folio_test_offline(page_folio(page)));
	KUNIT_EXPECT_TRUE(test, folio_test_offline(page_folio(page + 1)));
	KUNIT_EXPECT_TRUE(test, PageReserved(page));
	/* Only the pool touches a free page; the test may look, once. */
	vaddr = map_for_test(page, 2, domain);
	KUNIT_ASSERT_NOT_NULL(test, vaddr);
	if (want_init_on_free())
		KUNIT_EXPECT_TRUE_MSG(test, !memchr_inv(vaddr, 0, 2 * PAGE_SIZE),
				      "init_on_free=1, but the freed pages hold data");
	else
		KUNIT_EXPECT_TRUE(test, !memchr_inv(vaddr, 0xa5, 2 * PAGE_SIZE));
	unmap_for_test(vaddr, domain);
}

/* Fill the order-0 @page with @c and free it: a dirty free page. */
static void free_dirty(struct kunit *test, struct page *page,
		       enum gfx_pool_domain domain, int c)
{
	void *vaddr = map_for_test(page, 1, domain);

	KUNIT_ASSERT_NOT_NULL(test, vaddr);
	memset(vaddr, c, PAGE_SIZE);
	unmap_for_test(vaddr, domain);
	gfx_pool_free_pages(page, 0);
}

/*
 * An atomic __GFP_ZERO allocation of NP pages works (through the CPU's
 * mapping slot, no vmap()), and so does init_on_alloc=1 with GFP_ATOMIC.
 */
static void gfx_pool_test_zero_np_atomic(struct kunit *test)
{
	struct page *keep, *page, *dirty;
	u8 *vaddr;

	/*
	 * Make sure an NP block with room exists: atomic allocations never
	 * convert. Two pages, one given back: the block keeps room for one.
	 */
	keep = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_NP, GFP_KERNEL, 1);
	KUNIT_ASSERT_NOT_NULL(test, keep);
	gfx_pool_free_pages(keep, 1);
	keep = gfx_pool_alloc_pages(page_to_nid(keep), GFX_POOL_NP,
				    GFP_KERNEL | __GFP_THISNODE, 0);
	KUNIT_ASSERT_NOT_NULL(test, keep);
	page = gfx_pool_alloc_pages(page_to_nid(keep), GFX_POOL_NP,
				    GFP_ATOMIC | __GFP_THISNODE, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	dirty = page;
	free_dirty(test, page, GFX_POOL_NP, 0x3c);

	/* The first free page of the block: the one just made dirty. */
	page = gfx_pool_alloc_pages(page_to_nid(keep), GFX_POOL_NP,
				    GFP_ATOMIC | __GFP_ZERO | __GFP_THISNODE, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_PTR_EQ(test, page, dirty);
	vaddr = map_for_test(page, 1, GFX_POOL_NP);
	KUNIT_ASSERT_NOT_NULL(test, vaddr);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(vaddr, 0, PAGE_SIZE));
	unmap_for_test(vaddr, GFX_POOL_NP);
	gfx_pool_free_pages(page, 0);
	gfx_pool_free_pages(keep, 0);
}

/*
 * NP pages are zeroed through this CPU's mapping slots, one slot a page:
 * one TLB flush each time all GFX_POOL_SLOTS were used, not one a page,
 * and no slot left mapping a page afterwards; an allocation's zeroing
 * goes that way too.
 */
static void gfx_pool_test_np_slots(struct kunit *test)
{
	const unsigned int nr = GFX_POOL_SLOTS + 3, order = GFX_POOL_BLOCK_ORDER;
	unsigned int start, next, i;
	struct page *page, *got;
	unsigned long flushes;
	bool clear;
	u8 *vaddr;

	BUILD_BUG_ON(nr > 1U << order);
	page = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_NP, GFP_KERNEL,
				    order);
	KUNIT_ASSERT_NOT_NULL(test, page);
	vaddr = map_for_test(page, nr, GFX_POOL_NP);
	KUNIT_ASSERT_NOT_NULL(test, vaddr);
	memset(vaddr, 0x5a, nr << PAGE_SHIFT);
	unmap_for_test(vaddr, GFX_POOL_NP);

	/* One CPU's slots and count; the checks after, as they may sleep. */
	preempt_disable();
	flushes = gfx_pool_slot_flushes_read(&start, &clear);
	for (i = 0; i < nr; i++)
		gfx_pool_clear_np_page(page + i);
	flushes = gfx_pool_slot_flushes_read(&next, &clear) - flushes;
	preempt_enable();

	/* The slot after @start is used first; at GFX_POOL_SLOTS, a flush. */
	KUNIT_EXPECT_EQ(test, flushes, (start + nr - 1) / GFX_POOL_SLOTS);
	KUNIT_EXPECT_EQ(test, next, (start + nr - 1) % GFX_POOL_SLOTS + 1);
	KUNIT_EXPECT_TRUE(test, clear);
	vaddr = map_for_test(page, nr, GFX_POOL_NP);
	KUNIT_ASSERT_NOT_NULL(test, vaddr);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(vaddr, 0, nr << PAGE_SHIFT));
	unmap_for_test(vaddr, GFX_POOL_NP);
	gfx_pool_free_pages(page, order);

	/*
	 * A page made dirty, freed and taken again with __GFP_ZERO is zeroed
	 * through the next slot, once: as it is taken, or with
	 * init_on_free=1 as it is freed.
	 */
	page = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_NP, GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	migrate_disable();
	preempt_disable();
	flushes = gfx_pool_slot_flushes_read(&start, &clear);
	preempt_enable();
	free_dirty(test, page, GFX_POOL_NP, 0x5a);
	got = gfx_pool_alloc_pages(page_to_nid(page), GFX_POOL_NP,
				   GFP_KERNEL | __GFP_ZERO | __GFP_THISNODE, 0);
	preempt_disable();
	flushes = gfx_pool_slot_flushes_read(&next, &clear) - flushes;
	preempt_enable();
	migrate_enable();
	KUNIT_ASSERT_PTR_EQ(test, got, page);
	KUNIT_EXPECT_EQ(test, flushes, start / GFX_POOL_SLOTS);
	KUNIT_EXPECT_EQ(test, next, start % GFX_POOL_SLOTS + 1);
	KUNIT_EXPECT_TRUE(test, clear);
	vaddr = map_for_test(page, 1, GFX_POOL_NP);
	KUNIT_ASSERT_NOT_NULL(test, vaddr);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(vaddr, 0, PAGE_SIZE));
	unmap_for_test(vaddr, GFX_POOL_NP);
	gfx_pool_free_pages(page, 0);
}

/*
 * Every block held in WB but one, which is converted to @domain and
 * handed out whole: the case's own block, with no other user's page on
 * it. The rest are given back when the case ends.
 */
static struct page *one_block_in(struct kunit *test,
				 enum gfx_pool_domain domain)
{
	struct gfx_pool_held_blocks *held;
	struct page *page, *got;

	held = gfx_pool_hold_all_blocks(test, GFX_POOL_WB);
	if (!held->nr || gfx_pool_nr_free())
		kunit_skip(test, "needs a free block and no other user");
	page = held->pages[--held->nr];
	gfx_pool_free_pages(page, GFX_POOL_BLOCK_ORDER);
	got = gfx_pool_alloc_pages(page_to_nid(page), domain,
				   GFP_KERNEL | __GFP_THISNODE,
				   GFX_POOL_BLOCK_ORDER);
	KUNIT_ASSERT_PTR_EQ(test, got, page);
	return page;
}

/*
 * A slot this CPU zeroed through may linger in its TLB until it has used
 * them all. An NP block that leaves NP drops the slots from every CPU's
 * TLB first: its pages may be WC next, or the page allocator's, and a
 * stale WB entry would be an alias. The leave's own TLB flush covers
 * them only while a block is above x86's tlb_single_page_flush_ceiling,
 * which an admin may raise.
 */
static void gfx_pool_test_np_leave_drops_slots(struct kunit *test)
{
	unsigned long drops, after, addr, last;
	struct page *page, *got;
	bool stale, gone = false;
	u8 byte;

	grow_none(test);
	page = one_block_in(test, GFX_POOL_NP);

	/* One CPU from the zeroing to the last look at its slot. */
	migrate_disable();
	preempt_disable();
	gfx_pool_clear_np_page(page);
	drops = gfx_pool_slot_drops_read(&addr);
	/* Cleared but still in the TLB, unless something flushed it. */
	stale = addr && !copy_from_kernel_nofault(&byte, (void *)addr, 1);
	preempt_enable();

	/* Wholly free, then WC: the block goes NP -> WB -> WC. */
	gfx_pool_free_pages(page, GFX_POOL_BLOCK_ORDER);
	got = gfx_pool_alloc_pages(page_to_nid(page), GFX_POOL_WC,
				   GFP_KERNEL | __GFP_THISNODE,
				   GFX_POOL_BLOCK_ORDER);
	preempt_disable();
	/* The slot zeroed through then, whatever this CPU used since. */
	after = gfx_pool_slot_drops_read(&last);
	if (stale)
		gone = copy_from_kernel_nofault(&byte, (void *)addr, 1);
	preempt_enable();
	migrate_enable();

	KUNIT_ASSERT_PTR_EQ(test, got, page);
	KUNIT_EXPECT_EQ(test, after - drops, 1);
	if (stale)
		KUNIT_EXPECT_TRUE_MSG(test, gone, "a zeroing slot still maps pfn %#lx",
				      page_to_pfn(page));
	else
		kunit_info(test, "the slot had left the TLB before the leave\n");
	gfx_pool_free_pages(page, GFX_POOL_BLOCK_ORDER);
}

/* What the block being converted held as it left WB. */
struct zero_before_enter {
	bool entered;
	bool zero;		/* every byte, read through the direct map */
	bool clean;		/* no page marked dirty */
};

/*
 * Stands in for gfx_pool_enter_domain(): looks at the block, still WB and
 * mapped so, before it goes to its domain.
 */
static int enter_domain_after_zero(unsigned long addr, enum gfx_pool_domain to)
{
	struct kunit *test = kunit_get_current_test();
	struct zero_before_enter *seen = test->priv;
	struct gfx_pool_block *block = gfx_pool_pfn_to_block(PHYS_PFN(__pa(addr)));

	kunit_deactivate_static_stub(test, gfx_pool_enter_domain);
	seen->entered = true;
	seen->zero = !memchr_inv((void *)addr, 0, GFX_POOL_BLOCK_SIZE);
	seen->clean = block && bitmap_empty(block->dirty, GFX_POOL_BLOCK_PAGES);
	return gfx_pool_enter_domain(addr, to);
}

/*
 * A block converted out of WB is zeroed on its way, while it is still WB
 * (through the direct map, never through the new mapping): it is zero,
 * and none of its pages marked dirty, before the conversion's one call
 * changes its mapping; an allocation of the whole block without
 * __GFP_ZERO gets zeroes.
 */
static void gfx_pool_test_convert_zeroes(struct kunit *test)
{
	enum gfx_pool_domain domain = *(const enum gfx_pool_domain *)test->param_value;
	struct zero_before_enter *seen;
	struct gfx_pool_held_blocks *held;
	struct gfx_pool_block *block;
	struct page *page, *got;
	void *vaddr;

	seen = kunit_kzalloc(test, sizeof(*seen), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, seen);

	grow_none(test);
	held = gfx_pool_hold_all_blocks(test, GFX_POOL_WB);
	if (!held->nr || gfx_pool_nr_free())
		kunit_skip(test, "needs a free block and no other user");
	page = held->pages[--held->nr];
	memset(page_address(page), 0xa5, GFX_POOL_BLOCK_SIZE);
	gfx_pool_free_pages(page, GFX_POOL_BLOCK_ORDER);
	block = gfx_pool_pfn_to_block(page_to_pfn(page));
	KUNIT_ASSERT_NOT_NULL(test, block);
	/* init_on_free=1 zeroed it as it was freed. */
	if (!want_init_on_free())
		KUNIT_EXPECT_TRUE(test, bitmap_full(block->dirty,
						    GFX_POOL_BLOCK_PAGES));

	test->priv = seen;
	kunit_activate_static_stub(test, gfx_pool_enter_domain,
				   enter_domain_after_zero);
	got = gfx_pool_alloc_pages(page_to_nid(page), domain,
				   GFP_KERNEL | __GFP_THISNODE,
				   GFX_POOL_BLOCK_ORDER);
	/* The stand-in went away when it ran; kunit drops it if not. */
	KUNIT_ASSERT_PTR_EQ(test, got, page);
	KUNIT_EXPECT_TRUE(test, seen->entered);
	KUNIT_EXPECT_TRUE(test, seen->zero);
	KUNIT_EXPECT_TRUE(test, seen->clean);
	KUNIT_EXPECT_EQ(test, READ_ONCE(block->domain), domain);
	KUNIT_EXPECT_TRUE(test, bitmap_empty(block->dirty, GFX_POOL_BLOCK_PAGES));
	vaddr = map_for_test(page, GFX_POOL_BLOCK_PAGES, domain);
	KUNIT_ASSERT_NOT_NULL(test, vaddr);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(vaddr, 0, GFX_POOL_BLOCK_SIZE));
	unmap_for_test(vaddr, domain);
	gfx_pool_free_pages(page, GFX_POOL_BLOCK_ORDER);
}

/* An allocation made in hard interrupt context, by an irq_work. */
struct irq_alloc {
	struct irq_work work;
	enum gfx_pool_domain domain;
	struct page *page;
	bool hardirq;
	int nid;
};

static void irq_alloc_fn(struct irq_work *work)
{
	struct irq_alloc *a = container_of(work, struct irq_alloc, work);

	a->hardirq = in_hardirq();
	a->page = gfx_pool_alloc_pages(a->nid, a->domain,
				       GFP_ATOMIC | __GFP_ZERO, 0);
}

/*
 * GFP_ATOMIC | __GFP_ZERO in hard interrupt context: served from a block
 * already in the domain (atomic allocations never convert), and zeroed
 * there, NP through the CPU's mapping slot. The pool's one free page is
 * dirty, so the zeroing must happen in the interrupt.
 */
static void gfx_pool_test_alloc_in_irq(struct kunit *test)
{
	enum gfx_pool_domain domain = *(const enum gfx_pool_domain *)test->param_value;
	struct irq_alloc a = { .domain = domain, .nid = first_online_node };
	struct page *page;
	u8 *vaddr;

	gfx_pool_test_pcp(test, false);
	gfx_pool_test_warm_blocks(test, 0);
	grow_none(test);
	gfx_pool_test_leave_free(test, a.nid, domain, 0, 1);
	page = gfx_pool_alloc_pages(a.nid, domain, GFP_KERNEL | __GFP_THISNODE, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	free_dirty(test, page, domain, 0x77);

	init_irq_work(&a.work, irq_alloc_fn);
	irq_work_queue(&a.work);
	irq_work_sync(&a.work);
	/* With PREEMPT_RT an irq_work runs in a thread, where the pool may. */
	KUNIT_EXPECT_EQ(test, a.hardirq, !IS_ENABLED(CONFIG_PREEMPT_RT));
	KUNIT_ASSERT_PTR_EQ(test, a.page, page);
	KUNIT_EXPECT_EQ(test, gfx_pool_page_domain(page), domain);
	expect_mapping(test, page_to_pfn(page), domain);
	vaddr = map_for_test(page, 1, domain);
	KUNIT_ASSERT_NOT_NULL(test, vaddr);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(vaddr, 0, PAGE_SIZE));
	unmap_for_test(vaddr, domain);
	gfx_pool_free_pages(page, 0);
}

/* === Direct map ========================================================== */

/* Blocks with no page in use, whoever else holds pages of the pool. */
static unsigned long count_free_blocks(void)
{
	struct gfx_pool_block *block;
	unsigned long i, n = 0;

	for (i = 0; i < gfx_pool.nr_blocks; i++) {
		block = &gfx_pool.blocks[i];
		/* A lent block is free for the pool: it takes it back. */
		n += READ_ONCE(block->lent) ||
		     (!READ_ONCE(block->nr_used) && !READ_ONCE(block->converting));
	}
	return n;
}

/*
 * Walk every block through every domain, whole, and check the direct map
 * after each step: the PMD stays whole and is in the domain.
 */
static void gfx_pool_test_direct_map(struct kunit *test)
{
	unsigned long start_pfn, nr_blocks, i, windows, free;
	struct gfx_pool_held_blocks *held;
	unsigned int r;
	int d;

	for (d = 0; d < GFX_POOL_NR_DOMAINS; d++) {
		free = count_free_blocks();
		held = gfx_pool_hold_all_blocks(test, d);
		KUNIT_EXPECT_EQ(test, held->nr, free);
		for (i = 0; i < held->nr; i++) {
			expect_mapping(test, page_to_pfn(held->pages[i]), d);
			expect_mapping(test, page_to_pfn(held->pages[i]) +
				       GFX_POOL_BLOCK_PAGES - 1, d);
		}
		kunit_release_action(test, gfx_pool_held_blocks_release, held);
	}

	for (r = 0; r < gfx_pool.nr_regions; r++) {
		start_pfn = gfx_pool.region[r].start_pfn;
		nr_blocks = gfx_pool.region[r].nr_blocks;
		windows = DIV_ROUND_UP(PFN_PHYS(start_pfn +
						(nr_blocks << GFX_POOL_BLOCK_ORDER)),
				       SZ_1G) - PFN_PHYS(start_pfn) / SZ_1G;
		kunit_info(test, "region %u: %lu blocks at pfn %#lx on node %d, %lu GiB window(s)\n",
			   r, nr_blocks, start_pfn, gfx_pool.region[r].nid,
			   windows);
	}
	kunit_info(test, "%lu 1G demotion(s) so far\n",
		   gfx_pool_gbpage_demotions());
	expect_pool_whole(test);
}

/*
 * Where the regions went. One the pool placed (no base given) is never in
 * the first 16 MiB (ZONE_DMA), and is aligned to its size rounded up to a
 * power of two, at most 1 GiB, so that it touches no more GiB windows of
 * the direct map than its size needs (unless no such range was free: then
 * at the least alignment). A region CMA cannot take (across 16 MiB, 4 GiB
 * or a node boundary, or off pageblocks) is not lent.
 */
static void gfx_pool_test_placement(struct kunit *test)
{
	const struct gfx_pool_region *region;
	phys_addr_t end, want;
	unsigned int r;

	for (r = 0; r < gfx_pool.nr_regions; r++) {
		region = &gfx_pool.region[r];
		end = region->base + region->size;
		KUNIT_EXPECT_TRUE(test, IS_ALIGNED(region->base | region->size,
						   GFX_POOL_BLOCK_SIZE));
		KUNIT_EXPECT_EQ(test, region->nid,
				pfn_to_nid(PHYS_PFN(region->base)));
		if ((region->base < SZ_16M && end > SZ_16M) ||
		    (region->base < SZ_4G && end > SZ_4G) ||
		    pfn_to_nid(PHYS_PFN(region->base)) !=
		    pfn_to_nid(PHYS_PFN(end - 1)) ||
		    !IS_ALIGNED(region->base | region->size,
				CMA_MIN_ALIGNMENT_BYTES))
			KUNIT_EXPECT_NULL_MSG(test, region->cma,
					      "region %u is lent, but CMA cannot take it",
					      r);
		if (!region->align)	/* a fixed base: exactly where asked */
			continue;
		KUNIT_EXPECT_GE_MSG(test, region->base, (phys_addr_t)SZ_16M,
				    "region %u", r);
		KUNIT_EXPECT_TRUE_MSG(test, IS_ALIGNED(region->base,
						       region->align),
				      "region %u at %pa", r, &region->base);
		want = min_t(phys_addr_t, roundup_pow_of_two(region->size),
			     SZ_1G);
		if (region->align != want) {
			/* No range free at @want: the least alignment. */
			KUNIT_EXPECT_LE_MSG(test, region->align,
					    max_t(phys_addr_t,
						  GFX_POOL_BLOCK_SIZE,
						  CMA_MIN_ALIGNMENT_BYTES),
					    "region %u", r);
			continue;
		}
		KUNIT_EXPECT_EQ_MSG(test,
				    DIV_ROUND_UP(end, SZ_1G) -
				    region->base / SZ_1G,
				    DIV_ROUND_UP(region->size, SZ_1G),
				    "region %u touches more GiB windows than it needs",
				    r);
	}
}

/* === Growth ============================================================== */

/* Skip a case that counts lent blocks unless every region lends. */
static void skip_unless_every_region_lends(struct kunit *test)
{
	unsigned int r;

	if (!gfx_pool_lends())
		kunit_skip(test, "the region is not lent: CONFIG_CMA=n or gfx_pool.lend=0");
	for (r = 0; r < gfx_pool.nr_regions; r++)
		if (!gfx_pool.region[r].cma)
			kunit_skip(test,
				   "region %u does not lend: it spans zones or nodes, or no CMA area was left",
				   r);
}

/*
 * Let the pool grow by @blocks for this case, with every region block
 * held so that whatever the case allocates must grow it. Undone at the
 * end of the case: the limit restored and every grown block given back.
 * Return: the region blocks held, which the case may free some of.
 */
static struct gfx_pool_held_blocks *grow_setup(struct kunit *test,
					       unsigned long blocks)
{
	struct gfx_pool_held_blocks *held;

	if (baseline_in_use)
		kunit_skip(test, "other users hold %lu pool pages",
			   baseline_in_use);
	if (gfx_pool_nr_grown())
		kunit_skip(test, "the pool has grown already");
	grow_none(test);
	held = gfx_pool_hold_all_blocks(test, GFX_POOL_WB);
	KUNIT_ASSERT_EQ(test, gfx_pool_nr_free(), 0);
	gfx_pool_set_grow_limit(blocks);
	return held;
}

static bool in_region(struct page *page)
{
	struct gfx_pool_block *block = gfx_pool_pfn_to_block(page_to_pfn(page));

	return block && gfx_pool_block_region(block);
}

/*
 * With the region full, an allocation grows the pool by one block from
 * the page allocator, converted whole: its pages are the pool's, in the
 * domain, zeroed, under a 2M entry. A second block grows up to the
 * limit, and no further. Given back, the pages are the page allocator's
 * again, WB and still under a 2M entry.
 */
static void gfx_pool_grow_test_beyond_region(struct kunit *test)
{
	enum gfx_pool_domain domain = *(const enum gfx_pool_domain *)test->param_value;
	unsigned long grown = atomic_long_read(&gfx_pool.grown_total);
	unsigned long given_back = atomic_long_read(&gfx_pool.given_back_total);
	unsigned long failed = atomic_long_read(&gfx_pool.grow_failures);
	unsigned long exhausted;
	struct page *page, *big;
	unsigned int shift[2];
	void *vaddr;

	grow_setup(test, 2);
	page = gfx_pool_alloc_pages(NUMA_NO_NODE, domain,
				    GFP_KERNEL | __GFP_ZERO, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_FALSE(test, in_region(page));
	KUNIT_EXPECT_TRUE(test, gfx_pool_owns_page(page));
	KUNIT_EXPECT_EQ(test, gfx_pool_page_domain(page), domain);
	KUNIT_EXPECT_TRUE(test, PageReserved(page));
	KUNIT_EXPECT_TRUE(test, folio_test_offline(page_folio(page + 1)));
	/* The memtype on fault: RAM, from the xarray, without a walk. */
	KUNIT_EXPECT_TRUE(test, gfx_pool_pfn_in_pool(page_to_pfn(page)));
	expect_pat_answers(test, page, domain);
	expect_mapping(test, page_to_pfn(page), domain);
	vaddr = map_for_test(page, 1, domain);
	KUNIT_ASSERT_NOT_NULL(test, vaddr);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(vaddr, 0, PAGE_SIZE));
	unmap_for_test(vaddr, domain);
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_grown(), 1);
	/* The region held whole: what is free is the grown block's rest. */
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_free(), GFX_POOL_BLOCK_PAGES - 1);

	/* The first grown block has no room for a whole block. */
	big = gfx_pool_alloc_pages(NUMA_NO_NODE, domain, GFP_KERNEL,
				   GFX_POOL_BLOCK_ORDER);
	KUNIT_ASSERT_NOT_NULL(test, big);
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_grown(), 2);
	expect_mapping(test, page_to_pfn(big) + GFX_POOL_BLOCK_PAGES - 1,
		       domain);
	exhausted = gfx_pool_counter_read(domain, GFX_POOL_EXHAUSTED);
	KUNIT_EXPECT_NULL(test, gfx_pool_alloc_pages(NUMA_NO_NODE, domain,
						     GFP_KERNEL,
						     GFX_POOL_BLOCK_ORDER));
	KUNIT_EXPECT_EQ(test, gfx_pool_counter_read(domain, GFX_POOL_EXHAUSTED),
			exhausted + 1);
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_grown(), 2);
	/* Exhausted at the limit: not a failure to grow. */
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gfx_pool.grow_failures), failed);

	shift[0] = gfx_pool_block_shift(gfx_pool_pfn_to_block(page_to_pfn(page)));
	shift[1] = gfx_pool_block_shift(gfx_pool_pfn_to_block(page_to_pfn(big)));
	gfx_pool_free_pages(big, GFX_POOL_BLOCK_ORDER);
	gfx_pool_free_pages(page, 0);
	/* Just freed: not idle yet. */
	KUNIT_EXPECT_EQ(test, gfx_pool_give_back(NUMA_NO_NODE, ULONG_MAX, true),
			0);
	KUNIT_EXPECT_EQ(test, gfx_pool_give_back(NUMA_NO_NODE, ULONG_MAX, false),
			2);
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_grown(), 0);
	KUNIT_EXPECT_FALSE(test, gfx_pool_owns_page(page));
	KUNIT_EXPECT_FALSE(test, gfx_pool_owns_page(big));
	KUNIT_EXPECT_FALSE(test, gfx_pool_pfn_in_pool(page_to_pfn(page)));
	expect_pat_answers(test, page, GFX_POOL_NR_DOMAINS);
	KUNIT_EXPECT_FALSE(test, PageReserved(page));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gfx_pool.grown_total), grown + 2);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gfx_pool.given_back_total),
			given_back + 2);
	gfx_pool_test_expect_direct_map(test, page_address(page), GFX_POOL_WB,
					shift[0]);
	gfx_pool_test_expect_direct_map(test, page_address(big), GFX_POOL_WB,
					shift[1]);
}

/* An order-10 allocation grows an aligned group of two blocks at once. */
static void gfx_pool_grow_test_group(struct kunit *test)
{
	unsigned long meta;
	struct page *page;

	grow_setup(test, 2);
	meta = gfx_pool_metadata_bytes();
	page = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WC, GFP_KERNEL,
				    GFX_POOL_MAX_ORDER);
	KUNIT_ASSERT_NOT_NULL(test, page);
	/* metadata_bytes counts the structs of grown blocks too, as slabbed. */
	KUNIT_EXPECT_EQ(test, gfx_pool_metadata_bytes(),
			meta + 2 * kmalloc_size_roundup(sizeof(struct gfx_pool_block)));
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED(page_to_pfn(page),
					   1UL << GFX_POOL_MAX_ORDER));
	KUNIT_EXPECT_FALSE(test, in_region(page));
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_grown(), 2);
	expect_mapping(test, page_to_pfn(page), GFX_POOL_WC);
	expect_mapping(test, page_to_pfn(page) +
		       (1UL << GFX_POOL_MAX_ORDER) - 1, GFX_POOL_WC);
	gfx_pool_free_pages(page, GFX_POOL_MAX_ORDER);
	KUNIT_EXPECT_EQ(test, gfx_pool_give_back(NUMA_NO_NODE, ULONG_MAX, false),
			2);
	KUNIT_EXPECT_FALSE(test, gfx_pool_owns_page(page));
	KUNIT_EXPECT_EQ(test, gfx_pool_metadata_bytes(), meta);
}

/* No growth with a limit of 0, nor for an atomic caller: growing sleeps. */
static void gfx_pool_grow_test_not_allowed(struct kunit *test)
{
	struct page *page;

	grow_setup(test, 0);
	KUNIT_EXPECT_NULL(test, gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WC,
						     GFP_KERNEL, 0));
	gfx_pool_set_grow_limit(1);
	atomic_begin();
	page = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WB, GFP_ATOMIC, 0);
	atomic_end();
	KUNIT_EXPECT_NULL(test, page);
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_grown(), 0);
}

/*
 * Lowering the limit gives back free grown blocks above it at once, idle
 * or not; a block with a page in use stays.
 */
static void gfx_pool_grow_test_lower_limit(struct kunit *test)
{
	unsigned long given_back;
	struct page *a, *b;

	grow_setup(test, 2);
	a = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_UC, GFP_KERNEL,
				 GFX_POOL_BLOCK_ORDER);
	b = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_UC, GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_ASSERT_EQ(test, gfx_pool_nr_grown(), 2);
	gfx_pool_free_pages(a, GFX_POOL_BLOCK_ORDER);
	given_back = atomic_long_read(&gfx_pool.given_back_total);
	/* The limit lowered queues the idle work at once, which gives back. */
	gfx_pool_set_grow_limit(0);
	gfx_pool_idle_flush();
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_grown(), 1);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gfx_pool.given_back_total),
			given_back + 1);
	KUNIT_EXPECT_TRUE(test, gfx_pool_owns_page(b));
	gfx_pool_free_pages(b, 0);
	gfx_pool_give_back(NUMA_NO_NODE, ULONG_MAX, true);
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_grown(), 0);
}

/*
 * A page freed while someone still holds a reference keeps its block
 * from going back to the page allocator, until the reference is gone.
 */
static void gfx_pool_grow_test_held_page(struct kunit *test)
{
	struct page *page;

	grow_setup(test, 1);
	page = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WC, GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	get_page(page);
	gfx_pool_free_pages(page, 0);
	KUNIT_EXPECT_EQ(test, gfx_pool_give_back(NUMA_NO_NODE, ULONG_MAX, false),
			0);
	KUNIT_EXPECT_TRUE(test, gfx_pool_owns_page(page));
	put_page(page);
	KUNIT_EXPECT_EQ(test, gfx_pool_give_back(NUMA_NO_NODE, ULONG_MAX, false),
			1);
}

/*
 * A page freed while a driver still maps it (vm_insert_page() leaves a
 * mapcount) is not marked free and keeps its block from going back; once
 * it is unmapped, the block goes back.
 */
static void gfx_pool_grow_test_mapped_page(struct kunit *test)
{
	struct page *page;

	grow_setup(test, 1);
	page = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WC, GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	/* As a user mapping's rmap would; nothing else looks at it here. */
	atomic_inc(&page->_mapcount);
	gfx_pool_free_pages(page, 0);
	KUNIT_EXPECT_FALSE(test, folio_test_offline(page_folio(page)));
	KUNIT_EXPECT_EQ(test, gfx_pool_give_back(NUMA_NO_NODE, ULONG_MAX, false),
			0);
	KUNIT_EXPECT_TRUE(test, gfx_pool_owns_page(page));
	atomic_dec(&page->_mapcount);
	KUNIT_EXPECT_EQ(test, gfx_pool_give_back(NUMA_NO_NODE, ULONG_MAX, false),
			1);
	KUNIT_EXPECT_FALSE(test, gfx_pool_owns_page(page));
}

/*
 * The shrinker only tries the node's convert_lock: the allocation that
 * holds it may be the one in reclaim. Held, the scan stops and gives
 * nothing back; free, the same scan gives the block back.
 */
static void gfx_pool_grow_test_shrink_trylock(struct kunit *test)
{
	struct gfx_pool_node *node;
	unsigned long count;
	struct page *page;
	int nid;

	grow_setup(test, 1);
	page = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WB, GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	nid = page_to_nid(page);
	node = gfx_pool.node[nid];
	gfx_pool_free_pages(page, 0);

	mutex_lock(&node->convert_lock);
	KUNIT_EXPECT_EQ(test, gfx_pool_shrink(nid, GFX_POOL_BLOCK_PAGES, &count),
			SHRINK_STOP);
	mutex_unlock(&node->convert_lock);
	KUNIT_EXPECT_EQ(test, count, GFX_POOL_BLOCK_PAGES);
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_grown(), 1);
	KUNIT_EXPECT_EQ(test, gfx_pool_shrink(nid, GFX_POOL_BLOCK_PAGES, &count),
			GFX_POOL_BLOCK_PAGES);
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_grown(), 0);
}

/*
 * A grown block that becomes wholly free stays GFX_POOL_IDLE: the free
 * queues the idle work that far ahead, a give-back of idle blocks leaves
 * the block while it is young, and the work gives it back once it is old.
 */
static void gfx_pool_grow_test_idle(struct kunit *test)
{
	unsigned long given_back, when, flags;
	struct gfx_pool_block *block;
	struct page *page;

	grow_setup(test, 1);
	page = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WC, GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	block = gfx_pool_pfn_to_block(page_to_pfn(page));
	KUNIT_ASSERT_TRUE(test, block && block->grown);
	/* What an earlier case queued runs now, and finds nothing free. */
	gfx_pool_idle_flush();
	KUNIT_EXPECT_FALSE(test, gfx_pool_idle_due(&when));

	gfx_pool_free_pages(page, 0);
	KUNIT_ASSERT_TRUE(test, gfx_pool_idle_due(&when));
	KUNIT_EXPECT_TRUE(test, time_after(when, jiffies));
	KUNIT_EXPECT_FALSE(test, time_after(when, jiffies + GFX_POOL_IDLE));
	KUNIT_EXPECT_EQ(test, gfx_pool_give_back(NUMA_NO_NODE, ULONG_MAX, true),
			0);
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_grown(), 1);

	/* Free for GFX_POOL_IDLE: the work, run now, gives it back. */
	spin_lock_irqsave(&gfx_pool.node[block->nid]->lock, flags);
	block->free_since = jiffies - GFX_POOL_IDLE - 1;
	spin_unlock_irqrestore(&gfx_pool.node[block->nid]->lock, flags);
	given_back = atomic_long_read(&gfx_pool.given_back_total);
	gfx_pool_idle_flush();
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_grown(), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gfx_pool.given_back_total),
			given_back + 1);
	KUNIT_EXPECT_FALSE(test, gfx_pool_owns_page(page));
	/* Nothing young is left: the work does not queue itself again. */
	KUNIT_EXPECT_FALSE(test, gfx_pool_idle_due(&when));
}

/*
 * Under memory pressure the shrinker gives grown blocks back before the
 * region's: with one of each wholly free on a node, a scan for one
 * block's worth of pages takes the grown one and leaves the region's.
 * (A lend case, so that the grow-only stage, which has no region, does
 * not pick it.)
 */
static void gfx_pool_lend_test_region_last(struct kunit *test)
{
	struct gfx_pool_held_blocks *held;
	struct gfx_pool_block *block;
	unsigned long count, freed;
	struct page *page;
	int nid;

	skip_unless_every_region_lends(test);
	held = grow_setup(test, 1);
	page = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_UC, GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_FALSE(test, in_region(page));
	nid = page_to_nid(page);
	if (!held_on_node_last(held, nid))
		kunit_skip(test, "no region block on node %d", nid);
	block = gfx_pool_pfn_to_block(page_to_pfn(held->pages[held->nr - 1]));
	KUNIT_ASSERT_NOT_NULL(test, block);
	gfx_pool_free_pages(held->pages[--held->nr], GFX_POOL_BLOCK_ORDER);
	gfx_pool_free_pages(page, 0);

	freed = gfx_pool_shrink(nid, GFX_POOL_BLOCK_PAGES, &count);
	/* Both blocks, and nothing else: the rest is held. */
	KUNIT_EXPECT_EQ(test, count, 2 * GFX_POOL_BLOCK_PAGES);
	KUNIT_EXPECT_EQ(test, freed, GFX_POOL_BLOCK_PAGES);
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_grown(), 0);
	KUNIT_EXPECT_FALSE(test, gfx_pool_owns_page(page));
	KUNIT_EXPECT_FALSE(test, READ_ONCE(block->lent));
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_free(), GFX_POOL_BLOCK_PAGES);
	/* The next scan lends the region's. */
	KUNIT_EXPECT_EQ(test, gfx_pool_shrink(nid, GFX_POOL_BLOCK_PAGES, &count),
			GFX_POOL_BLOCK_PAGES);
	KUNIT_EXPECT_TRUE(test, READ_ONCE(block->lent));
}

/* A gfp_t as the number KUNIT_EXPECT_EQ() compares and prints. */
static unsigned int gfp_bits(gfp_t gfp)
{
	return (__force unsigned int)gfp;
}

/* The reclaim scope each allocating step saw, for the stubs that look. */
struct alloc_scopes {
	unsigned int cma, demote;
};

static int demote_gbpage_scope(struct gfx_pool_block *block)
{
	struct kunit *test = kunit_get_current_test();
	struct alloc_scopes *scope = test->priv;

	scope->demote = current->flags & (PF_MEMALLOC_NOIO | PF_MEMALLOC_NOFS);
	return __gfx_pool_demote_gbpage(block);
}

/*
 * Growth asks the page allocator lightly: the caller's reclaim and I/O
 * rules, on the node, one try, no reserves, no warning. A pool wholly
 * below 4 GiB grows below 4 GiB too, so that it goes on serving
 * __GFP_DMA32; a pool that is not asks for no zone, and refuses
 * __GFP_DMA32.
 */
static void gfx_pool_grow_test_gfp(struct kunit *test)
{
	const gfp_t light = __GFP_THISNODE | __GFP_NORETRY | __GFP_NOWARN |
			    __GFP_NOMEMALLOC;
	bool below = gfx_pool.nr_regions > 0;
	struct alloc_scopes scope;
	struct page *page;
	unsigned int r;
	gfp_t gfp;

	for (r = 0; r < gfx_pool.nr_regions; r++)
		if (gfx_pool.region[r].base + gfx_pool.region[r].size > SZ_4G)
			below = false;
	KUNIT_EXPECT_EQ(test, gfx_pool.dma32, below);
	gfp = gfx_pool_grow_gfp(GFP_KERNEL | __GFP_ZERO | __GFP_COMP);
	KUNIT_EXPECT_EQ(test, gfp_bits(gfp & ~__GFP_DMA32),
			gfp_bits(GFP_KERNEL | light));
	KUNIT_EXPECT_EQ(test, !!(gfp & __GFP_DMA32), below);
	/* Only the caller's reclaim rules: an atomic caller never sleeps. */
	gfp = gfx_pool_grow_gfp(GFP_ATOMIC) & ~__GFP_DMA32;
	KUNIT_EXPECT_EQ(test, gfp_bits(gfp),
			gfp_bits(__GFP_KSWAPD_RECLAIM | light));
	gfp = gfx_pool_grow_gfp(GFP_NOIO) & ~__GFP_DMA32;
	KUNIT_EXPECT_EQ(test, gfp_bits(gfp), gfp_bits(GFP_NOIO | light));
	gfp = gfx_pool_grow_gfp(GFP_NOFS) & ~__GFP_DMA32;
	KUNIT_EXPECT_EQ(test, gfp_bits(gfp), gfp_bits(GFP_NOFS | light));

	grow_setup(test, 1);
	/*
	 * Growing under GFP_NOFS: the block comes in (and would be split
	 * out of a 1G page) within the caller's scope.
	 */
	test->priv = &scope;
	scope.demote = UINT_MAX;
	kunit_activate_static_stub(test, gfx_pool_demote_gbpage,
				   demote_gbpage_scope);
	page = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WC, GFP_NOFS, 0);
	kunit_deactivate_static_stub(test, gfx_pool_demote_gbpage);
	test->priv = NULL;
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_FALSE(test, in_region(page));
	KUNIT_EXPECT_EQ(test, scope.demote, PF_MEMALLOC_NOFS);
	if (below)
		KUNIT_EXPECT_LE(test, PFN_PHYS(page_to_pfn(page) + 1),
				(phys_addr_t)SZ_4G);
	gfx_pool_free_pages(page, 0);
	page = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WC,
				    GFP_KERNEL | __GFP_DMA32, 0);
	KUNIT_EXPECT_EQ(test, !!page, below);
	if (page)
		gfx_pool_free_pages(page, 0);
}

#ifdef CONFIG_MEMORY_FAILURE
/*
 * A grown block with a page poisoned while the block was wholly free is
 * not given back: the page allocator would never hand that page out
 * again (nor CMA take a lent block that holds one). It serves on without
 * the page, and goes back once the page is whole again.
 */
static void gfx_pool_grow_test_hwpoison(struct kunit *test)
{
	long poisoned = atomic_long_read(&gfx_pool.hwpoison_pages);
	unsigned long in_use;
	struct page *page;

	grow_setup(test, 1);
	page = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WB, GFP_KERNEL,
				    GFX_POOL_BLOCK_ORDER);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_FALSE(test, in_region(page));
	gfx_pool_free_pages(page, GFX_POOL_BLOCK_ORDER);
	in_use = gfx_pool_pages_in_use();
	SetPageHWPoison(page + 3);
	KUNIT_EXPECT_EQ(test, gfx_pool_give_back(NUMA_NO_NODE, ULONG_MAX, false),
			0);
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_grown(), 1);
	KUNIT_EXPECT_TRUE(test, gfx_pool_owns_page(page + 3));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gfx_pool.hwpoison_pages),
			poisoned + 1);
	KUNIT_EXPECT_EQ(test, gfx_pool_pages_in_use(), in_use + 1);

	ClearPageHWPoison(page + 3);
	gfx_pool_unpoison(page + 3);
	KUNIT_EXPECT_EQ(test, gfx_pool_give_back(NUMA_NO_NODE, ULONG_MAX, false),
			1);
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_grown(), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gfx_pool.hwpoison_pages),
			poisoned);
}
#endif

/* === Lending ============================================================= */

static int gfx_pool_lend_test_init(struct kunit *test)
{
	int ret = gfx_pool_test_init(test);

	if (!ret)
		skip_unless_every_region_lends(test);
	return ret;
}

static unsigned long count_lent_blocks(void)
{
	unsigned long i, n = 0;

	for (i = 0; i < gfx_pool.nr_blocks; i++)
		n += READ_ONCE(gfx_pool.blocks[i].lent);
	return n;
}

/*
 * A block lent again after it served another domain is WB while lent,
 * and its domain says so: what the direct map has, and what a stray free
 * of a lent page is counted under.
 */
static void gfx_pool_lend_test_lent_wb(struct kunit *test)
{
	struct gfx_pool_block *block;
	struct page *page;

	if (baseline_in_use)
		kunit_skip(test, "other users hold %lu pool pages",
			   baseline_in_use);
	page = one_block_in(test, GFX_POOL_NP);
	block = gfx_pool_pfn_to_block(page_to_pfn(page));
	KUNIT_ASSERT_NOT_NULL(test, block);
	gfx_pool_free_pages(page, GFX_POOL_BLOCK_ORDER);
	KUNIT_ASSERT_EQ(test, gfx_pool_give_back(page_to_nid(page), ULONG_MAX,
						 false), 1);
	KUNIT_EXPECT_TRUE(test, READ_ONCE(block->lent));
	KUNIT_EXPECT_EQ(test, READ_ONCE(block->domain), GFX_POOL_WB);
	KUNIT_EXPECT_TRUE(test, direct_map_present(page_to_pfn(page)));
}

/*
 * Every block taken back, then every one lent again: a lent block is the
 * page allocator's (its pages neither reserved nor the pool's, still
 * under a 2M or 1G entry); an allocation takes one back and converts it
 * whole.
 */
static void gfx_pool_lend_test_round_trip(struct kunit *test)
{
	unsigned long start_pfn, nr_blocks, taken, lent, lent_before;
	struct gfx_pool_held_blocks *held;
	struct page *page, *lent_page;

	if (baseline_in_use)
		kunit_skip(test, "other users hold %lu pool pages",
			   baseline_in_use);
	start_pfn = gfx_pool.region[0].start_pfn;
	nr_blocks = gfx_pool.nr_blocks - gfx_pool_nr_broken_blocks();
	taken = atomic_long_read(&gfx_pool.taken_back_total);
	lent_before = count_lent_blocks();
	held = gfx_pool_hold_all_blocks(test, GFX_POOL_WB);
	KUNIT_ASSERT_EQ(test, held->nr, nr_blocks);
	KUNIT_EXPECT_EQ(test, count_lent_blocks(), 0);
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_lent(), 0);
	/* Each block lent before was taken back (the idle work may lend more). */
	KUNIT_EXPECT_GE(test, atomic_long_read(&gfx_pool.taken_back_total) -
			taken, lent_before);
	kunit_release_action(test, gfx_pool_held_blocks_release, held);

	lent = atomic_long_read(&gfx_pool.lent_total);
	KUNIT_EXPECT_EQ(test, gfx_pool_give_back(NUMA_NO_NODE, ULONG_MAX, false),
			nr_blocks);
	KUNIT_EXPECT_EQ(test, count_lent_blocks(), nr_blocks);
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_lent(), nr_blocks);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gfx_pool.lent_total),
			lent + nr_blocks);
	lent_page = pfn_to_page(start_pfn);
	KUNIT_EXPECT_FALSE(test, gfx_pool_owns_page(lent_page));
	KUNIT_EXPECT_FALSE(test, PageReserved(lent_page));
	KUNIT_EXPECT_FALSE(test, folio_test_offline(page_folio(lent_page)));
	KUNIT_EXPECT_TRUE(test, direct_map_present(start_pfn));
	KUNIT_EXPECT_GE(test, arch_gfx_pool_map_shift(pfn_addr(start_pfn)),
			PMD_SHIFT);

	taken = atomic_long_read(&gfx_pool.taken_back_total);
	page = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WC, GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gfx_pool.taken_back_total),
			taken + 1);
	KUNIT_EXPECT_EQ(test, count_lent_blocks(), nr_blocks - 1);
	KUNIT_EXPECT_TRUE(test, gfx_pool_owns_page(page));
	KUNIT_EXPECT_TRUE(test, PageReserved(page));
	expect_mapping(test, page_to_pfn(page), GFX_POOL_WC);
	gfx_pool_free_pages(page, 0);
	/* Just freed: not idle yet, so not lent again. */
	KUNIT_EXPECT_EQ(test, gfx_pool_give_back(NUMA_NO_NODE, ULONG_MAX, true),
			0);
	expect_pool_whole(test);
}

/*
 * Hold every block of the pool but one, which is lent: the only block an
 * allocation could use. Growth is off until the case ends.
 */
static struct gfx_pool_block *lend_one_block(struct kunit *test,
					     struct gfx_pool_held_blocks **held,
					     struct grow_ctx **ctx)
{
	struct gfx_pool_block *block;

	skip_unless_every_region_lends(test);
	gfx_pool_test_pcp(test, false);
	gfx_pool_test_warm_blocks(test, 0);
	*ctx = grow_none(test);
	*held = gfx_pool_hold_all_blocks(test, GFX_POOL_WB);
	if (!(*held)->nr || gfx_pool_nr_free())
		kunit_skip(test, "needs a free block and no other user");
	KUNIT_ASSERT_EQ(test, count_lent_blocks(), 0);
	block = gfx_pool_pfn_to_block(page_to_pfn((*held)->pages[(*held)->nr - 1]));
	KUNIT_ASSERT_NOT_NULL(test, block);
	gfx_pool_free_pages((*held)->pages[--(*held)->nr], GFX_POOL_BLOCK_ORDER);
	KUNIT_ASSERT_EQ(test, gfx_pool_give_back(NUMA_NO_NODE, ULONG_MAX, false),
			1);
	KUNIT_ASSERT_TRUE(test, READ_ONCE(block->lent));
	return block;
}

/*
 * Taking a block back migrates, and sleeps: an atomic allocation never
 * does. With the one free block lent, GFP_ATOMIC gets nothing and the
 * block stays lent, the page allocator's: the pool gives no memtype for
 * its pages. GFP_KERNEL then takes it back.
 */
static void gfx_pool_lend_test_atomic(struct kunit *test)
{
	unsigned long taken;
	struct gfx_pool_held_blocks *held;
	struct gfx_pool_block *block;
	struct grow_ctx *ctx;
	struct page *page;

	block = lend_one_block(test, &held, &ctx);
	taken = atomic_long_read(&gfx_pool.taken_back_total);
	/* Lent, its memory is still RAM of the pool's, for PAT. */
	KUNIT_EXPECT_TRUE(test, gfx_pool_pfn_in_pool(block->pfn));
	atomic_begin();
	page = gfx_pool_alloc_pages(block->nid, GFX_POOL_WB,
				    GFP_ATOMIC | __GFP_THISNODE, 0);
	atomic_end();
	KUNIT_EXPECT_NULL(test, page);
	if (page)
		gfx_pool_free_pages(page, 0);
	KUNIT_EXPECT_TRUE(test, READ_ONCE(block->lent));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gfx_pool.taken_back_total),
			taken);

	page = gfx_pool_alloc_pages(block->nid, GFX_POOL_WB,
				    GFP_KERNEL | __GFP_THISNODE, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_PTR_EQ(test, gfx_pool_pfn_to_block(page_to_pfn(page)),
			    block);
	KUNIT_EXPECT_TRUE(test, gfx_pool_pfn_in_pool(block->pfn));
	KUNIT_EXPECT_EQ(test, gfx_pool_page_domain(page), GFX_POOL_WB);
	gfx_pool_free_pages(page, 0);
}

/* Stands in for gfx_pool_cma_alloc(): notes the scope it runs in. */
static struct page *cma_alloc_scope(struct gfx_pool_region *region,
				    unsigned long nr, unsigned int order)
{
	struct kunit *test = kunit_get_current_test();
	struct alloc_scopes *scope = test->priv;

	scope->cma = current->flags & (PF_MEMALLOC_NOIO | PF_MEMALLOC_NOFS);
	return cma_alloc(region->cma, nr, order, true);
}

/*
 * Taking a block back migrates, which may start I/O, and a block that
 * comes in inside a 1G direct-map page has CPA split it, which allocates
 * a page table: a caller that may not do I/O (GFP_NOIO), or may not enter
 * the filesystem (GFP_NOFS), gets that honoured around both through the
 * scope API, and only while the pool brings blocks in.
 */
static void gfx_pool_lend_test_take_back_scope(struct kunit *test)
{
	static const struct {
		gfp_t gfp;
		unsigned int scope;
	} cases[] = {
		{ GFP_KERNEL, 0 },
		{ GFP_NOFS, PF_MEMALLOC_NOFS },
		{ GFP_NOIO, PF_MEMALLOC_NOIO },
	};
	struct gfx_pool_held_blocks *held;
	struct gfx_pool_block *block;
	struct alloc_scopes scope;
	struct grow_ctx *ctx;
	struct page *page;
	unsigned int i;

	block = lend_one_block(test, &held, &ctx);
	test->priv = &scope;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		scope.cma = UINT_MAX;
		scope.demote = UINT_MAX;
		kunit_activate_static_stub(test, gfx_pool_cma_alloc,
					   cma_alloc_scope);
		kunit_activate_static_stub(test, gfx_pool_demote_gbpage,
					   demote_gbpage_scope);
		page = gfx_pool_alloc_pages(block->nid, GFX_POOL_WB,
					    cases[i].gfp | __GFP_THISNODE, 0);
		kunit_deactivate_static_stub(test, gfx_pool_demote_gbpage);
		kunit_deactivate_static_stub(test, gfx_pool_cma_alloc);
		KUNIT_ASSERT_NOT_NULL_MSG(test, page, "case %u", i);
		KUNIT_EXPECT_EQ_MSG(test, scope.cma, cases[i].scope,
				    "case %u: cma_alloc()", i);
		KUNIT_EXPECT_EQ_MSG(test, scope.demote, cases[i].scope,
				    "case %u: the 1G demotion", i);
		KUNIT_EXPECT_EQ_MSG(test, current->flags &
				    (PF_MEMALLOC_NOIO | PF_MEMALLOC_NOFS), 0,
				    "case %u: the scope outlived the call", i);
		gfx_pool_free_pages(page, 0);
		/* Lent again for the next case. */
		KUNIT_ASSERT_EQ(test, gfx_pool_give_back(NUMA_NO_NODE, ULONG_MAX,
							 false), 1);
	}
	test->priv = NULL;
}

struct nofs_alloc {
	struct completion done;
	struct page *page;
	gfp_t gfp;
	int nid;
};

static int nofs_alloc_fn(void *data)
{
	struct nofs_alloc *a = data;

	a->page = gfx_pool_alloc_pages(a->nid, GFX_POOL_WB,
				       a->gfp | __GFP_THISNODE, 0);
	complete(&a->done);
	return 0;
}

/*
 * A caller that may not enter the filesystem or do I/O does not wait for
 * the node's convert_lock: its holder may be in reclaim, which may wait
 * on what that caller holds. With the lock held by the test, GFP_NOFS and
 * GFP_NOIO get NULL at once, and the one lent block stays lent (with the
 * lock free, they take it back: take_back_scope).
 */
static void gfx_pool_lend_test_nofs_no_wait(struct kunit *test)
{
	static const gfp_t gfps[] = { GFP_NOFS, GFP_NOIO };
	struct gfx_pool_held_blocks *held;
	struct gfx_pool_block *block;
	struct gfx_pool_node *node;
	struct task_struct *task;
	struct grow_ctx *ctx;
	struct nofs_alloc a;
	unsigned int i;
	bool waited;

	block = lend_one_block(test, &held, &ctx);
	node = gfx_pool.node[block->nid];
	for (i = 0; i < ARRAY_SIZE(gfps); i++) {
		init_completion(&a.done);
		a.page = NULL;
		a.gfp = gfps[i];
		a.nid = block->nid;
		mutex_lock(&node->convert_lock);
		task = kthread_run(nofs_alloc_fn, &a, "gfx_pool_nofs");
		if (IS_ERR(task)) {
			mutex_unlock(&node->convert_lock);
			KUNIT_FAIL(test, "no thread: %ld", PTR_ERR(task));
			return;
		}
		waited = !wait_for_completion_timeout(&a.done, 5 * HZ);
		mutex_unlock(&node->convert_lock);
		/* Waiting for the lock: it has it now. */
		if (waited)
			wait_for_completion(&a.done);
		KUNIT_EXPECT_FALSE_MSG(test, waited,
				       "%pGg waited for the convert_lock",
				       &gfps[i]);
		KUNIT_EXPECT_NULL_MSG(test, a.page, "%pGg", &gfps[i]);
		KUNIT_EXPECT_TRUE(test, READ_ONCE(block->lent));
		if (a.page) {
			gfx_pool_free_pages(a.page, 0);
			gfx_pool_give_back(NUMA_NO_NODE, ULONG_MAX, false);
		}
	}
}

/*
 * A full node takes a lent block of its region back before it grows,
 * even with growth allowed: the region's memory is the pool's to use.
 */
static void gfx_pool_lend_test_take_back_first(struct kunit *test)
{
	unsigned long taken;
	struct gfx_pool_held_blocks *held;
	struct gfx_pool_block *block;
	struct grow_ctx *ctx;
	struct page *page;

	block = lend_one_block(test, &held, &ctx);
	taken = atomic_long_read(&gfx_pool.taken_back_total);
	gfx_pool_set_grow_limit(1);
	page = gfx_pool_alloc_pages(block->nid, GFX_POOL_WC,
				    GFP_KERNEL | __GFP_THISNODE, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_PTR_EQ(test, gfx_pool_pfn_to_block(page_to_pfn(page)),
			    block);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gfx_pool.taken_back_total),
			taken + 1);
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_grown(), 0);
	gfx_pool_free_pages(page, 0);
}

/* A 1G demotion that fails for a region block, as a CPA split may. */
static int demote_gbpage_fail(struct gfx_pool_block *block)
{
	if (block->grown)
		return __gfx_pool_demote_gbpage(block);
	block->broken = GFX_POOL_BROKEN_ENTER | GFX_POOL_WC;
	return -ENOMEM;
}

/*
 * A lent block that breaks as it comes back (its 1G demotion failed) is
 * no block to allocate from: the allocation grows instead of failing,
 * and a repair puts the broken block back to use.
 */
static void gfx_pool_lend_test_take_back_broken(struct kunit *test)
{
	struct gfx_pool_held_blocks *held;
	struct gfx_pool_block *block;
	struct grow_ctx *ctx;
	struct page *page;
	bool broken;

	block = lend_one_block(test, &held, &ctx);
	gfx_pool_set_grow_limit(1);
	kunit_activate_static_stub(test, gfx_pool_demote_gbpage,
				   demote_gbpage_fail);
	page = gfx_pool_alloc_pages(block->nid, GFX_POOL_WC,
				    GFP_KERNEL | __GFP_THISNODE, 0);
	kunit_deactivate_static_stub(test, gfx_pool_demote_gbpage);
	broken = READ_ONCE(block->broken);
	gfx_pool_repair();
	KUNIT_EXPECT_TRUE(test, broken);
	KUNIT_ASSERT_NOT_NULL_MSG(test, page,
				  "a broken take-back counted as a block come in");
	KUNIT_EXPECT_TRUE(test, gfx_pool_pfn_to_block(page_to_pfn(page))->grown);
	gfx_pool_free_pages(page, 0);
	KUNIT_EXPECT_FALSE(test, READ_ONCE(block->broken));
}

#ifdef CONFIG_MEMORY_FAILURE
/*
 * A region block with a page poisoned while the block was wholly free is
 * not lent: CMA could never isolate the block again, so it would count
 * as lent for good and every take-back of it would fail. Every other
 * block is lent; that one once its page is whole again.
 */
static void gfx_pool_lend_test_hwpoison(struct kunit *test)
{
	long poisoned = atomic_long_read(&gfx_pool.hwpoison_pages);
	struct gfx_pool_held_blocks *held;
	unsigned long nr_blocks;
	struct page *bad;

	if (baseline_in_use)
		kunit_skip(test, "other users hold %lu pool pages",
			   baseline_in_use);
	nr_blocks = gfx_pool.nr_blocks - gfx_pool_nr_broken_blocks();
	held = gfx_pool_hold_all_blocks(test, GFX_POOL_WB);
	KUNIT_ASSERT_EQ(test, held->nr, nr_blocks);
	bad = held->pages[0] + 17;
	kunit_release_action(test, gfx_pool_held_blocks_release, held);

	SetPageHWPoison(bad);
	KUNIT_EXPECT_EQ(test, gfx_pool_give_back(NUMA_NO_NODE, ULONG_MAX, false),
			nr_blocks - 1);
	KUNIT_EXPECT_EQ(test, count_lent_blocks(), nr_blocks - 1);
	KUNIT_EXPECT_FALSE(test, gfx_pool_pfn_to_block(page_to_pfn(bad))->lent);
	KUNIT_EXPECT_TRUE(test, gfx_pool_owns_page(bad));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gfx_pool.hwpoison_pages),
			poisoned + 1);

	ClearPageHWPoison(bad);
	gfx_pool_unpoison(bad);
	KUNIT_EXPECT_EQ(test, gfx_pool_give_back(NUMA_NO_NODE, ULONG_MAX, false),
			1);
	KUNIT_EXPECT_EQ(test, count_lent_blocks(), nr_blocks);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gfx_pool.hwpoison_pages),
			poisoned);
	expect_pool_whole(test);
}
#endif

/* Wholly free blocks of @domain on @node. */
static unsigned long count_warm(struct gfx_pool_node *node,
				enum gfx_pool_domain domain)
{
	unsigned long flags, n;

	spin_lock_irqsave(&node->lock, flags);
	n = list_count_nodes(&node->domain[domain].free);
	spin_unlock_irqrestore(&node->lock, flags);
	return n;
}

/* Make every free block of @region look idle for GFX_POOL_IDLE. */
static void age_free_blocks(struct gfx_pool_region *region)
{
	struct gfx_pool_node *node = gfx_pool.node[region->nid];
	unsigned long flags, i;

	spin_lock_irqsave(&node->lock, flags);
	for (i = 0; i < region->nr_blocks; i++)
		region->blocks[i].free_since = jiffies - GFX_POOL_IDLE - 1;
	spin_unlock_irqrestore(&node->lock, flags);
}

/*
 * Every free block lent again, for a case that counts take-backs on the
 * first region: skipped if other users hold pool pages, or if fewer than
 * two of its blocks lend. Return: the region.
 */
static struct gfx_pool_region *lend_all(struct kunit *test)
{
	struct gfx_pool_region *region = &gfx_pool.region[0];

	if (baseline_in_use)
		kunit_skip(test, "other users hold %lu pool pages",
			   baseline_in_use);
	gfx_pool_give_back(NUMA_NO_NODE, ULONG_MAX, false);
	if (atomic_long_read(&region->nr_lent) < 2)
		kunit_skip(test, "needs two blocks to lend");
	return region;
}

/*
 * A warm block is taken back from lending ahead of demand; the idle work
 * leaves it while its domain is in use, memory pressure does not; with
 * nothing in use, every block is lent again.
 */
static void gfx_pool_lend_test_warm(struct kunit *test)
{
	struct gfx_pool_region *region;
	struct gfx_pool_node *node;
	unsigned long taken;
	struct page *page;
	int nid;

	region = lend_all(test);
	nid = region->nid;
	node = gfx_pool.node[nid];
	gfx_pool_test_warm_blocks(test, 1);
	taken = atomic_long_read(&gfx_pool.taken_back_total);

	page = gfx_pool_alloc_pages(nid, GFX_POOL_WC,
				    GFP_KERNEL | __GFP_THISNODE, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	gfx_pool_warm_flush();
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gfx_pool.taken_back_total),
			taken + 2);
	KUNIT_EXPECT_EQ(test, count_warm(node, GFX_POOL_WC), 1);

	age_free_blocks(region);
	KUNIT_EXPECT_EQ(test, gfx_pool_give_back(NUMA_NO_NODE, ULONG_MAX, true),
			0);
	KUNIT_EXPECT_EQ(test, count_warm(node, GFX_POOL_WC), 1);
	KUNIT_EXPECT_EQ(test, gfx_pool_give_back(NUMA_NO_NODE, ULONG_MAX, false),
			1);
	KUNIT_EXPECT_EQ(test, count_warm(node, GFX_POOL_WC), 0);

	gfx_pool_free_pages(page, 0);
	age_free_blocks(region);
	KUNIT_EXPECT_EQ(test, gfx_pool_give_back(NUMA_NO_NODE, ULONG_MAX, true),
			1);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&region->nr_lent),
			region->nr_blocks - gfx_pool_nr_broken_blocks());
	expect_pool_whole(test);
}

static bool no_room(int nid)
{
	return false;
}

/*
 * All time: blocks taken back, warm-work holds for want of room, blocks
 * warmed; and the WC warm blocks of @node now.
 */
static void expect_warm_work(struct kunit *test, struct gfx_pool_node *node,
			     unsigned long taken, unsigned long wc_warm,
			     unsigned long held_back, unsigned long warmed)
{
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gfx_pool.taken_back_total),
			taken);
	KUNIT_EXPECT_EQ(test, count_warm(node, GFX_POOL_WC), wc_warm);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gfx_pool.warm_held_back),
			held_back);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gfx_pool.warmed_total),
			warmed);
}

/*
 * Without room on its node, the warm work takes no block back from
 * lending, where the shrinker would lend it again at once: the domain
 * stays short and warm_held_back counts it; with room, the same work
 * takes one back. The work runs in the case's task here, where the
 * stand-in for gfx_pool_node_has_room() is seen; the allocation before
 * it queues none (no warm blocks then).
 */
static void gfx_pool_lend_test_warm_no_room(struct kunit *test)
{
	unsigned long taken, warmed, held_back;
	struct gfx_pool_region *region;
	struct gfx_pool_node *node;
	struct page *page;
	int nid;

	gfx_pool_test_warm_blocks(test, 0);
	gfx_pool_test_pcp(test, false);
	region = lend_all(test);
	nid = region->nid;
	node = gfx_pool.node[nid];
	KUNIT_ASSERT_TRUE_MSG(test, gfx_pool_node_has_room(nid),
			      "node %d has no room in a fresh boot", nid);
	taken = atomic_long_read(&gfx_pool.taken_back_total);
	page = gfx_pool_alloc_pages(nid, GFX_POOL_WC,
				    GFP_KERNEL | __GFP_THISNODE, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gfx_pool.taken_back_total),
			taken + 1);

	/* The action of gfx_pool_test_warm_blocks() puts 0 back. */
	gfx_pool_set_warm_blocks(1);
	warmed = atomic_long_read(&gfx_pool.warmed_total);
	held_back = atomic_long_read(&gfx_pool.warm_held_back);
	kunit_activate_static_stub(test, gfx_pool_node_has_room, no_room);
	gfx_pool_warm_fn(&node->warm_work.work);
	expect_warm_work(test, node, taken + 1, 0, held_back + 1, warmed);

	kunit_deactivate_static_stub(test, gfx_pool_node_has_room);
	gfx_pool_warm_fn(&node->warm_work.work);
	expect_warm_work(test, node, taken + 2, 1, held_back + 1, warmed + 1);

	gfx_pool_free_pages(page, 0);
	gfx_pool_set_warm_blocks(0);
	gfx_pool_warm_flush();
	KUNIT_EXPECT_EQ(test, gfx_pool_give_back(NUMA_NO_NODE, ULONG_MAX, false),
			2);
	expect_pool_whole(test);
}

/*
 * gfx_pool_node_has_room() follows the node's free memory: taken from the
 * page allocator (whole blocks while it has them, then pages), the answer
 * turns false before the allocations fail, and true again once they are
 * freed. A lent region's free pages are CMA pages, which these
 * allocations cannot have: counted, they would keep the answer true to
 * the end. The allocations stop where the answer turns, above the high
 * watermarks, so that nothing else in the boot runs short.
 */
static void gfx_pool_lend_test_has_room(struct kunit *test)
{
	const gfp_t gfp = GFP_KERNEL | __GFP_THISNODE | __GFP_NORETRY |
			  __GFP_NOWARN;
	unsigned int order = GFX_POOL_BLOCK_ORDER;
	int nid = numa_mem_id();
	struct page *page, *tmp;
	unsigned long nr = 0;
	LIST_HEAD(taken);
	bool room;

	KUNIT_ASSERT_TRUE_MSG(test, gfx_pool_node_has_room(nid),
			      "node %d has no room in a fresh boot", nid);
	while ((room = gfx_pool_node_has_room(nid))) {
		page = alloc_pages_node(nid, gfp, order);
		if (!page && order) {
			order = 0;
			continue;
		}
		if (!page)
			break;
		set_page_private(page, order);
		list_add(&page->lru, &taken);
		nr += 1UL << order;
		cond_resched();
	}
	list_for_each_entry_safe(page, tmp, &taken, lru) {
		list_del(&page->lru);
		order = page_private(page);
		set_page_private(page, 0);
		__free_pages(page, order);
	}
	KUNIT_EXPECT_FALSE_MSG(test, room,
			       "still room after %lu pages, when the page allocator had no more",
			       nr);
	KUNIT_EXPECT_TRUE(test, gfx_pool_node_has_room(nid));
	kunit_info(test, "node %d: the allocations stopped after %lu pages\n",
		   nid, nr);
}

/* An order-10 allocation takes back an aligned pair of lent blocks. */
static void gfx_pool_lend_test_group(struct kunit *test)
{
	unsigned long taken;
	struct page *page;

	if (baseline_in_use)
		kunit_skip(test, "other users hold %lu pool pages",
			   baseline_in_use);
	/* Nothing but lent blocks, so that the group must be taken back. */
	gfx_pool_give_back(NUMA_NO_NODE, ULONG_MAX, false);
	KUNIT_ASSERT_EQ(test, count_lent_blocks(),
			gfx_pool.nr_blocks - gfx_pool_nr_broken_blocks());
	taken = atomic_long_read(&gfx_pool.taken_back_total);
	page = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_UC, GFP_KERNEL,
				    GFX_POOL_MAX_ORDER);
	if (!page && gfx_pool.nr_blocks < 2)
		kunit_skip(test, "a region of one block has no pair");
	KUNIT_ASSERT_NOT_NULL(test, page);
	/* The pair, and nothing more. */
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gfx_pool.taken_back_total),
			taken + 2);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED(page_to_pfn(page),
					   1UL << GFX_POOL_MAX_ORDER));
	expect_mapping(test, page_to_pfn(page), GFX_POOL_UC);
	expect_mapping(test, page_to_pfn(page) + (1UL << GFX_POOL_MAX_ORDER) - 1,
		       GFX_POOL_UC);
	gfx_pool_free_pages(page, GFX_POOL_MAX_ORDER);
	expect_pool_whole(test);
}

/* === Warm blocks ========================================================= */

/*
 * Hold, for the case, every wholly free block @domain has on @nid, so that
 * the next allocation in @domain there needs a block from elsewhere.
 */
static struct gfx_pool_held_blocks *hold_warm(struct kunit *test, int nid,
					      enum gfx_pool_domain domain)
{
	struct gfx_pool_node *node = gfx_pool.node[nid];
	struct gfx_pool_held_blocks *held;
	struct page *page;

	held = kunit_kzalloc(test, sizeof(*held), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, held);
	held->pages = kunit_kcalloc(test, gfx_pool.nr_blocks,
				    sizeof(*held->pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, held->pages);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							gfx_pool_held_blocks_release,
							held), 0);
	while (count_warm(node, domain) && held->nr < gfx_pool.nr_blocks) {
		page = gfx_pool_alloc_pages(nid, domain,
					    GFP_KERNEL | __GFP_THISNODE,
					    GFX_POOL_BLOCK_ORDER);
		KUNIT_ASSERT_NOT_NULL(test, page);
		held->pages[held->nr++] = page;
	}
	KUNIT_ASSERT_EQ(test, count_warm(node, domain), 0);
	return held;
}

/*
 * The node of the first region, if it can spare @nr blocks for a case:
 * free WB ones, or lent ones it can take back.
 */
static int warm_setup(struct kunit *test, enum gfx_pool_domain domain,
		      unsigned long nr, struct gfx_pool_held_blocks **held)
{
	struct gfx_pool_node *node;
	int nid;

	if (baseline_in_use)
		kunit_skip(test, "other users hold %lu pool pages",
			   baseline_in_use);
	if (!gfx_pool.nr_regions)
		kunit_skip(test, "needs a region");
	nid = gfx_pool.region[0].nid;
	node = gfx_pool.node[nid];
	*held = hold_warm(test, nid, domain);
	/* A region that lends: every free block lent, to be taken back. */
	gfx_pool_give_back(nid, ULONG_MAX, false);
	if (count_warm(node, GFX_POOL_WB) +
	    (node->region ? atomic_long_read(&node->region->nr_lent) : 0) < nr)
		kunit_skip(test, "needs %lu free or lent blocks on node %d",
			   nr, nid);
	return nid;
}

/*
 * With one warm block per domain in use, the first allocation in a domain
 * converts its own block, and the warm work converts one more ahead of
 * demand; the next allocation of a whole block takes that one without a
 * conversion, and the work converts the next.
 */
static void gfx_pool_warm_test_ahead(struct kunit *test)
{
	enum gfx_pool_domain domain = *(const enum gfx_pool_domain *)test->param_value;
	const gfp_t gfp = GFP_KERNEL | __GFP_THISNODE;
	struct gfx_pool_held_blocks *held;
	unsigned long conversions, warmed;
	struct gfx_pool_node *node;
	struct page *page, *big;
	int nid;

	nid = warm_setup(test, domain, 3, &held);
	node = gfx_pool.node[nid];
	gfx_pool_test_warm_blocks(test, 1);
	conversions = gfx_pool_counter_read(domain, GFX_POOL_CONVERSIONS);
	warmed = atomic_long_read(&gfx_pool.warmed_total);

	page = gfx_pool_alloc_pages(nid, domain, gfp, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	gfx_pool_warm_flush();
	KUNIT_EXPECT_EQ(test, gfx_pool_counter_read(domain, GFX_POOL_CONVERSIONS),
			conversions + 2);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gfx_pool.warmed_total),
			warmed + 1);
	KUNIT_EXPECT_EQ(test, count_warm(node, domain), 1);

	big = gfx_pool_alloc_pages(nid, domain, gfp, GFX_POOL_BLOCK_ORDER);
	KUNIT_ASSERT_NOT_NULL(test, big);
	KUNIT_EXPECT_EQ(test, gfx_pool_counter_read(domain, GFX_POOL_CONVERSIONS),
			conversions + 2);
	expect_mapping(test, page_to_pfn(big), domain);
	gfx_pool_warm_flush();
	KUNIT_EXPECT_EQ(test, gfx_pool_counter_read(domain, GFX_POOL_CONVERSIONS),
			conversions + 3);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gfx_pool.warmed_total),
			warmed + 2);
	KUNIT_EXPECT_EQ(test, count_warm(node, domain), 1);

	gfx_pool_free_pages(big, GFX_POOL_BLOCK_ORDER);
	gfx_pool_free_pages(page, 0);
	kunit_release_action(test, gfx_pool_held_blocks_release, held);
	expect_pool_whole(test);
}

/* With gfx_pool.warm_blocks=0, nothing is converted ahead of demand. */
static void gfx_pool_warm_test_off(struct kunit *test)
{
	enum gfx_pool_domain domain = *(const enum gfx_pool_domain *)test->param_value;
	struct gfx_pool_held_blocks *held;
	unsigned long conversions, warmed;
	struct page *page;
	int nid;

	nid = warm_setup(test, domain, 2, &held);
	conversions = gfx_pool_counter_read(domain, GFX_POOL_CONVERSIONS);
	warmed = atomic_long_read(&gfx_pool.warmed_total);
	page = gfx_pool_alloc_pages(nid, domain, GFP_KERNEL | __GFP_THISNODE, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	gfx_pool_warm_flush();
	KUNIT_EXPECT_EQ(test, gfx_pool_counter_read(domain, GFX_POOL_CONVERSIONS),
			conversions + 1);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gfx_pool.warmed_total), warmed);
	KUNIT_EXPECT_EQ(test, count_warm(gfx_pool.node[nid], domain), 0);
	gfx_pool_free_pages(page, 0);
	kunit_release_action(test, gfx_pool_held_blocks_release, held);
	expect_pool_whole(test);
}

/*
 * The warm work converts a wholly free block another domain can spare,
 * WB's first, as an allocation's own conversion does: with spare WB
 * blocks and a spare UC one, a WC allocation and the WC warm block after
 * it both come out of WB, and the UC block is left alone.
 */
static void gfx_pool_warm_test_wb_first(struct kunit *test)
{
	struct gfx_pool_held_blocks *held;
	struct gfx_pool_node *node;
	struct page *page;
	unsigned long i, n;
	int nid;

	held = hold_pool(test);
	if (!held->nr || gfx_pool_nr_free())
		kunit_skip(test, "needs free blocks and no other user");
	nid = page_to_nid(held->pages[held->nr - 1]);
	node = gfx_pool.node[nid];
	/* Four blocks of @nid last, one more of it held: WB stays in use. */
	for (i = 0, n = 0; i < held->nr; i++) {
		if (page_to_nid(held->pages[i]) != nid)
			continue;
		swap(held->pages[i], held->pages[n]);
		n++;
	}
	if (n < 5)
		kunit_skip(test, "needs five blocks on node %d", nid);
	for (i = 0; i < 4; i++)
		swap(held->pages[n - 1 - i], held->pages[held->nr - 1 - i]);
	for (i = 0; i < 4; i++)
		gfx_pool_free_pages(held->pages[--held->nr],
				    GFX_POOL_BLOCK_ORDER);
	page = gfx_pool_alloc_pages(nid, GFX_POOL_UC,
				    GFP_KERNEL | __GFP_THISNODE,
				    GFX_POOL_BLOCK_ORDER);
	KUNIT_ASSERT_NOT_NULL(test, page);
	gfx_pool_free_pages(page, GFX_POOL_BLOCK_ORDER);
	KUNIT_ASSERT_EQ(test, count_warm(node, GFX_POOL_WB), 3);
	KUNIT_ASSERT_EQ(test, count_warm(node, GFX_POOL_UC), 1);

	gfx_pool_test_warm_blocks(test, 1);
	page = gfx_pool_alloc_pages(nid, GFX_POOL_WC,
				    GFP_KERNEL | __GFP_THISNODE, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	gfx_pool_warm_flush();
	KUNIT_EXPECT_EQ(test, count_warm(node, GFX_POOL_WC), 1);
	KUNIT_EXPECT_EQ(test, count_warm(node, GFX_POOL_WB), 1);
	KUNIT_EXPECT_EQ(test, count_warm(node, GFX_POOL_UC), 1);
	gfx_pool_free_pages(page, 0);
}

/*
 * The warm work never grows the pool. With the region all held and room
 * to grow two blocks, the first WC allocation grows one for itself and
 * leaves WC short of its warm block; the work it queues finds no free or
 * lent block to convert, and grows none.
 */
static void gfx_pool_warm_test_never_grows(struct kunit *test)
{
	unsigned long warmed;
	struct page *page;

	gfx_pool_test_pcp(test, false);
	gfx_pool_test_warm_blocks(test, 1);
	grow_setup(test, 2);
	warmed = atomic_long_read(&gfx_pool.warmed_total);
	page = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WC, GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_FALSE(test, in_region(page));
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_grown(), 1);
	gfx_pool_warm_flush();
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_grown(), 1);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gfx_pool.warmed_total), warmed);
	gfx_pool_free_pages(page, 0);
}

/* === Per-CPU lists ======================================================= */

/* Pages of @page's block handed out as far as the block knows. */
static unsigned int block_used(struct page *page)
{
	return READ_ONCE(gfx_pool_pfn_to_block(page_to_pfn(page))->nr_used);
}

/*
 * An order-0 page freed with the per-CPU lists on stays on this CPU's
 * list: free to users, still used in its block; a second free of it is
 * refused; the next allocation gets it back, zeroed if asked; a drain
 * gives it back to its block.
 */
static void gfx_pool_pcp_test_round_trip(struct kunit *test)
{
	enum gfx_pool_domain domain = *(const enum gfx_pool_domain *)test->param_value;
	unsigned long in_use, refused, cached;
	struct page *page, *again;
	unsigned int used;
	void *vaddr;

	gfx_pool_test_pcp(test, true);
	gfx_pool_pcp_drain(NUMA_NO_NODE);
	/* One CPU throughout: the lists are per CPU. */
	migrate_disable();
	page = gfx_pool_alloc_pages(NUMA_NO_NODE, domain, GFP_KERNEL, 0);
	if (!page) {
		migrate_enable();
		KUNIT_FAIL(test, "no %s page", gfx_pool_domain_names[domain]);
		return;
	}
	vaddr = map_for_test(page, 1, domain);
	if (vaddr) {
		memset(vaddr, 0xa5, PAGE_SIZE);
		unmap_for_test(vaddr, domain);
	}
	in_use = gfx_pool_pages_in_use();
	cached = gfx_pool_pcp_count(domain);
	used = block_used(page);
	refused = gfx_pool_counter_read(domain, GFX_POOL_REFUSED);

	gfx_pool_free_pages(page, 0);
	KUNIT_EXPECT_EQ(test, gfx_pool_pcp_count(domain), cached + 1);
	KUNIT_EXPECT_EQ(test, gfx_pool_pages_in_use(), in_use - 1);
	KUNIT_EXPECT_EQ(test, block_used(page), used);
	KUNIT_EXPECT_EQ(test, gfx_pool_page_domain(page), -ENOENT);
	/*
	 * On the list, cleared by init_on_free=1 as any freed page is, or
	 * left as it was. Only the pool touches a free page; the test may
	 * look, once.
	 */
	vaddr = map_for_test(page, 1, domain);
	KUNIT_EXPECT_NOT_NULL(test, vaddr);
	if (vaddr) {
		KUNIT_EXPECT_TRUE(test, !memchr_inv(vaddr, want_init_on_free() ?
						    0 : 0xa5, PAGE_SIZE));
		unmap_for_test(vaddr, domain);
	}
	gfx_pool_free_pages(page, 0);
	KUNIT_EXPECT_EQ(test, gfx_pool_counter_read(domain, GFX_POOL_REFUSED),
			refused + 1);
	KUNIT_EXPECT_EQ(test, gfx_pool_pcp_count(domain), cached + 1);

	again = gfx_pool_alloc_pages(NUMA_NO_NODE, domain,
				     GFP_KERNEL | __GFP_ZERO, 0);
	migrate_enable();
	KUNIT_ASSERT_PTR_EQ(test, again, page);
	KUNIT_EXPECT_EQ(test, gfx_pool_page_domain(page), (int)domain);
	KUNIT_EXPECT_EQ(test, gfx_pool_pcp_count(domain), cached);
	vaddr = map_for_test(page, 1, domain);
	KUNIT_ASSERT_NOT_NULL(test, vaddr);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(vaddr, 0, PAGE_SIZE));
	unmap_for_test(vaddr, domain);
	expect_mapping(test, page_to_pfn(page), domain);

	gfx_pool_free_pages(page, 0);
	KUNIT_EXPECT_GE(test, gfx_pool_pcp_drain(NUMA_NO_NODE), 1);
	KUNIT_EXPECT_EQ(test, gfx_pool_pcp_count(domain), 0);
	KUNIT_EXPECT_LT(test, block_used(page), used);
	expect_pool_whole(test);
}

/*
 * Pages of a wholly free block of @nid onto this CPU's WC list: the first
 * WC allocation converts the block, the second fills the list from it.
 * The caller keeps migration off.
 */
static void wc_pages_onto_pcp(struct kunit *test, int nid)
{
	const gfp_t gfp = GFP_KERNEL | __GFP_THISNODE;
	struct page *page = gfx_pool_alloc_pages(nid, GFX_POOL_WC, gfp, 0);

	KUNIT_EXPECT_NOT_NULL(test, page);
	gfx_pool_free_pages(gfx_pool_alloc_pages(nid, GFX_POOL_WC, gfp, 0), 0);
	gfx_pool_free_pages(page, 0);
	KUNIT_EXPECT_GT(test, gfx_pool_pcp_count(GFX_POOL_WC), 1);
}

/*
 * Pin this test to its CPU (migration off; the caller turns it back on)
 * and put pages of a WC block of the CPU's node onto its list. Skips the
 * case if the node has no pool.
 * Return: the node.
 */
static int pinned_with_wc_on_pcp(struct kunit *test)
{
	int nid;

	gfx_pool_test_pcp(test, true);
	migrate_disable();
	nid = numa_mem_id();
	if (!gfx_pool.node[nid]) {
		migrate_enable();
		kunit_skip(test, "no pool on node %d", nid);
	}
	wc_pages_onto_pcp(test, nid);
	return nid;
}

/*
 * Pages on per-CPU lists keep their block from being wholly free: an
 * allocation that needs a whole block drains the lists first, and gets
 * the block.
 */
static void gfx_pool_pcp_test_drain_for_block(struct kunit *test)
{
	const gfp_t gfp = GFP_KERNEL | __GFP_THISNODE;
	struct gfx_pool_held_blocks *held;
	struct page *big;
	int nid;

	if (baseline_in_use)
		kunit_skip(test, "other users hold %lu pool pages",
			   baseline_in_use);
	held = gfx_pool_hold_all_blocks(test, GFX_POOL_WB);
	gfx_pool_test_pcp(test, true);
	/* One CPU throughout, and a block of its node. */
	migrate_disable();
	nid = numa_mem_id();
	if (!held_on_node_last(held, nid)) {
		migrate_enable();
		kunit_skip(test, "no block on node %d", nid);
	}
	/* That block free, then its pages on this CPU's WC list. */
	gfx_pool_free_pages(held->pages[--held->nr], GFX_POOL_BLOCK_ORDER);
	wc_pages_onto_pcp(test, nid);

	big = gfx_pool_alloc_pages(nid, GFX_POOL_UC, gfp, GFX_POOL_BLOCK_ORDER);
	migrate_enable();
	KUNIT_ASSERT_NOT_NULL(test, big);
	KUNIT_EXPECT_EQ(test, gfx_pool_pcp_count(GFX_POOL_WC), 0);
	expect_mapping(test, page_to_pfn(big), GFX_POOL_UC);
	gfx_pool_free_pages(big, GFX_POOL_BLOCK_ORDER);
	kunit_release_action(test, gfx_pool_held_blocks_release, held);
	expect_pool_whole(test);
}

/*
 * With the per-CPU lists on, the pool grown by one block whose pages in
 * use all sit on this CPU's WC list: the pool holds nothing else.
 * Return: the first page it handed out, free now.
 */
static struct page *grown_block_on_pcp(struct kunit *test)
{
	struct page *page, *second;

	grow_setup(test, 1);
	gfx_pool_test_pcp(test, true);
	migrate_disable();
	page = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WC, GFP_KERNEL, 0);
	second = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WC, GFP_KERNEL, 0);
	if (page)
		gfx_pool_free_pages(page, 0);
	if (second)
		gfx_pool_free_pages(second, 0);
	migrate_enable();
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_NOT_NULL(test, second);
	return page;
}

/*
 * Giving blocks back drains the per-CPU lists first: a grown block whose
 * pages all sit on a list is wholly free, and goes back to the page
 * allocator at once.
 */
static void gfx_pool_pcp_test_give_back_drains(struct kunit *test)
{
	struct page *page;

	page = grown_block_on_pcp(test);
	KUNIT_EXPECT_FALSE(test, in_region(page));
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_grown(), 1);
	KUNIT_EXPECT_GT(test, gfx_pool_pcp_count(GFX_POOL_WC), 0);
	/* Not "idle only": the block was just freed. */
	KUNIT_EXPECT_EQ(test, gfx_pool_give_back(NUMA_NO_NODE, ULONG_MAX,
						 false), 1);
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_grown(), 0);
	KUNIT_EXPECT_EQ(test, gfx_pool_pcp_count(GFX_POOL_WC), 0);
	KUNIT_EXPECT_FALSE(test, gfx_pool_owns_page(page));
}

struct pcp_on_cpu {
	struct completion done;
	enum gfx_pool_domain domain;
	bool ok;
};

/* Leave pages on this CPU's list. */
static int pcp_on_cpu_fn(void *data)
{
	struct pcp_on_cpu *arg = data;
	struct page *page;

	page = gfx_pool_alloc_pages(NUMA_NO_NODE, arg->domain, GFP_KERNEL, 0);
	if (page) {
		gfx_pool_free_pages(page, 0);
		arg->ok = true;
	}
	complete(&arg->done);
	return 0;
}

/*
 * The shrinker counts the pages on a node's per-CPU lists only if the
 * node has blocks that can go back (a region that lends, or grown
 * blocks), since its scan drains the lists to free blocks. A node with
 * none counts nothing, lists or not: its scan would drain the lists on
 * every pass of reclaim and free no block. The 1g-shared stage's
 * gfx_pool.lend=0 boot runs this case for the second kind.
 */
static void gfx_pool_pcp_test_shrink_counts_lists(struct kunit *test)
{
	int nid = pinned_with_wc_on_pcp(test);
	unsigned long count, pcp;
	bool gives_back;

	migrate_enable();
	gives_back = gfx_pool.node[nid]->region || gfx_pool_nr_grown();
	pcp = gfx_pool_pcp_count_node(nid);
	KUNIT_ASSERT_GT(test, pcp, 0);
	gfx_pool_shrink(nid, GFX_POOL_BLOCK_PAGES, &count);
	if (gives_back) {
		KUNIT_EXPECT_NE(test, count, SHRINK_EMPTY);
		KUNIT_EXPECT_GE(test, count, pcp);
	} else {
		kunit_info(test, "node %d has nothing to give back: %lu pages on its lists\n",
			   nid, pcp);
		KUNIT_EXPECT_EQ(test, count, SHRINK_EMPTY);
	}
}

/* A CPU that goes offline leaves no page on its lists. */
static void gfx_pool_pcp_test_cpu_dead(struct kunit *test)
{
	struct pcp_on_cpu arg = { .domain = GFX_POOL_WC };
	struct task_struct *task;
	unsigned int cpu;

	if (!IS_ENABLED(CONFIG_HOTPLUG_CPU) || num_online_cpus() < 2)
		kunit_skip(test, "needs CPU hotplug and two CPUs");
	cpu = cpumask_last(cpu_online_mask);
	if (!cpu)
		kunit_skip(test, "the boot CPU cannot go offline");
	gfx_pool_test_pcp(test, true);
	gfx_pool_pcp_drain(NUMA_NO_NODE);
	init_completion(&arg.done);
	task = kthread_create(pcp_on_cpu_fn, &arg, "gfx_pool_test/pcp");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	kthread_bind(task, cpu);
	wake_up_process(task);
	wait_for_completion(&arg.done);
	KUNIT_ASSERT_TRUE(test, arg.ok);
	KUNIT_ASSERT_GT(test, gfx_pool_pcp_count(GFX_POOL_WC), 0);

	KUNIT_ASSERT_EQ(test, remove_cpu(cpu), 0);
	KUNIT_EXPECT_EQ(test, gfx_pool_pcp_count(GFX_POOL_WC), 0);
	KUNIT_EXPECT_EQ(test, add_cpu(cpu), 0);
	expect_pool_whole(test);
}

/* An allocation in hard interrupt context, on this CPU. */
struct pcp_irq {
	struct irq_work work;
	struct page *page;
	bool hardirq, done;
};

static void pcp_irq_fn(struct irq_work *work)
{
	struct pcp_irq *a = container_of(work, struct pcp_irq, work);

	a->hardirq = in_hardirq();
	a->page = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WC, GFP_ATOMIC,
				       0);
	WRITE_ONCE(a->done, true);
}

/*
 * An interrupt that comes while this CPU holds its lists (here the test
 * holds them, where an allocation or a free would) finds them taken and
 * goes the node's way: it gets a page of the block, and the lists are as
 * the holder left them. Were the trylock to succeed there, the interrupt
 * would pop the page at the end of the list under the holder's feet.
 */
static void gfx_pool_pcp_test_irq_while_held(struct kunit *test)
{
	unsigned int count, nr_runs, count_after, nr_runs_after;
	unsigned long timeout, pfn, pfn_after;
	struct pcp_irq a = {};
	struct gfx_pool_pcp *pcp;

	/* One CPU throughout: the lists are per CPU, the node is its. */
	pinned_with_wc_on_pcp(test);
	init_irq_work(&a.work, pcp_irq_fn);

	pcp = gfx_pool_pcp_trylock();
	if (!pcp) {
		migrate_enable();
		KUNIT_FAIL(test, "this CPU's lists are taken in process context");
		return;
	}
	count = pcp->count[GFX_POOL_WC];
	nr_runs = pcp->nr_runs[GFX_POOL_WC];
	pfn = nr_runs ? pcp->run[GFX_POOL_WC][nr_runs - 1].pfn : 0;
	/* A self-interrupt: it comes at once, interrupts are on. */
	irq_work_queue(&a.work);
	timeout = jiffies + 10 * HZ;
	while (!READ_ONCE(a.done) && time_before(jiffies, timeout))
		cpu_relax();
	count_after = pcp->count[GFX_POOL_WC];
	nr_runs_after = pcp->nr_runs[GFX_POOL_WC];
	pfn_after = nr_runs_after ?
		    pcp->run[GFX_POOL_WC][nr_runs_after - 1].pfn : 0;
	gfx_pool_pcp_unlock(pcp);
	migrate_enable();
	irq_work_sync(&a.work);

	KUNIT_ASSERT_TRUE_MSG(test, a.done, "the interrupt never ran");
	/* With PREEMPT_RT a thread that preempted the holder, as above. */
	KUNIT_EXPECT_EQ(test, a.hardirq, !IS_ENABLED(CONFIG_PREEMPT_RT));
	KUNIT_EXPECT_NOT_NULL(test, a.page);
	KUNIT_EXPECT_GT(test, count, 0);
	KUNIT_EXPECT_EQ(test, count_after, count);
	KUNIT_EXPECT_EQ(test, nr_runs_after, nr_runs);
	KUNIT_EXPECT_EQ(test, pfn_after, pfn);
	if (a.page)
		KUNIT_EXPECT_NE(test, page_to_pfn(a.page), pfn);
	gfx_pool_free_pages(a.page, 0);
	gfx_pool_pcp_drain(NUMA_NO_NODE);
	expect_pool_whole(test);
}

#ifdef CONFIG_MEMORY_FAILURE
/*
 * A page poisoned while it sits on a per-CPU list is kept out of use by
 * whatever takes it off: the allocation that pops it, which hands out
 * another page, or a drain.
 */
static void gfx_pool_pcp_test_hwpoison(struct kunit *test)
{
	long poisoned = atomic_long_read(&gfx_pool.hwpoison_pages);
	struct page *page[2], *again, *keep;
	unsigned int i;

	gfx_pool_test_pcp(test, true);
	/* One CPU throughout: the lists are per CPU, the node is its. */
	migrate_disable();
	/*
	 * A WC block with room on this CPU's node for the atomic
	 * allocations below, which never convert; a page held in it keeps
	 * it from being lent.
	 */
	keep = gfx_pool_alloc_pages(numa_mem_id(), GFX_POOL_WC,
				    GFP_KERNEL | __GFP_THISNODE, 0);
	gfx_pool_pcp_drain(NUMA_NO_NODE);
	page[0] = keep ? gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WC,
					      GFP_NOWAIT, 0) : NULL;
	page[1] = keep ? gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WC,
					      GFP_NOWAIT, 0) : NULL;
	if (!page[0] || !page[1]) {
		migrate_enable();
		gfx_pool_free_pages(page[0], 0);
		gfx_pool_free_pages(page[1], 0);
		gfx_pool_free_pages(keep, 0);
		KUNIT_FAIL(test, "no two WC pages");
		return;
	}
	/* Last in, first out: the next allocation pops page[1]. */
	gfx_pool_free_pages(page[1], 0);
	SetPageHWPoison(page[1]);
	again = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WC, GFP_NOWAIT, 0);
	gfx_pool_free_pages(page[0], 0);
	SetPageHWPoison(page[0]);
	migrate_enable();
	KUNIT_EXPECT_NOT_NULL(test, again);
	KUNIT_EXPECT_PTR_NE(test, again, page[1]);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gfx_pool.hwpoison_pages),
			poisoned + 1);
	gfx_pool_free_pages(again, 0);
	gfx_pool_pcp_drain(NUMA_NO_NODE);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gfx_pool.hwpoison_pages),
			poisoned + 2);
	KUNIT_EXPECT_EQ(test, gfx_pool_pages_in_use(), baseline_in_use + 3);
	for (i = 0; i < ARRAY_SIZE(page); i++) {
		KUNIT_EXPECT_TRUE(test, folio_test_offline(page_folio(page[i])));
		ClearPageHWPoison(page[i]);
		gfx_pool_unpoison(page[i]);
	}
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gfx_pool.hwpoison_pages),
			poisoned);
	gfx_pool_free_pages(keep, 0);
	expect_pool_whole(test);
}
#endif

/*
 * The same for an order-10 allocation: pages of one block of the only
 * free aligned pair on this CPU's list keep the pair from forming; the
 * allocation drains the lists and gets the pair.
 */
static void gfx_pool_pcp_test_drain_for_pair(struct kunit *test)
{
	const gfp_t gfp = GFP_KERNEL | __GFP_THISNODE;
	struct gfx_pool_held_blocks *held;
	struct page *first, *big;
	int nid;

	held = hold_pool(test);
	gfx_pool_test_pcp(test, true);
	migrate_disable();
	nid = numa_mem_id();
	first = held_pair_last(held, nid);
	if (!first) {
		migrate_enable();
		kunit_skip(test, "no aligned pair of held blocks on node %d",
			   nid);
	}
	gfx_pool_free_pages(held->pages[--held->nr], GFX_POOL_BLOCK_ORDER);
	gfx_pool_free_pages(held->pages[--held->nr], GFX_POOL_BLOCK_ORDER);
	/* One block of the pair WC, pages of it on this CPU's list. */
	wc_pages_onto_pcp(test, nid);

	big = gfx_pool_alloc_pages(nid, GFX_POOL_UC, gfp, GFX_POOL_MAX_ORDER);
	migrate_enable();
	KUNIT_EXPECT_PTR_EQ(test, big, first);
	KUNIT_EXPECT_EQ(test, gfx_pool_pcp_count(GFX_POOL_WC), 0);
	if (big) {
		expect_mapping(test, page_to_pfn(big) +
			       (1UL << GFX_POOL_MAX_ORDER) - 1, GFX_POOL_UC);
		gfx_pool_free_pages(big, GFX_POOL_MAX_ORDER);
	}
	kunit_release_action(test, gfx_pool_held_blocks_release, held);
	expect_pool_whole(test);
}

/*
 * Under memory pressure the shrinker counts the pages on per-CPU lists
 * and drains them, so that the block they kept goes back.
 */
static void gfx_pool_pcp_test_shrink_drains(struct kunit *test)
{
	unsigned long count, pcp;
	struct page *page;
	int nid;

	page = grown_block_on_pcp(test);
	KUNIT_ASSERT_EQ(test, gfx_pool_nr_grown(), 1);
	nid = page_to_nid(page);
	pcp = gfx_pool_pcp_count(GFX_POOL_WC);
	KUNIT_EXPECT_GT(test, pcp, 0);
	/* The block holds pages on the lists only: it counts them alone. */
	KUNIT_EXPECT_EQ(test, gfx_pool_shrink(nid, GFX_POOL_BLOCK_PAGES, &count),
			GFX_POOL_BLOCK_PAGES);
	KUNIT_EXPECT_EQ(test, count, pcp);
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_grown(), 0);
	KUNIT_EXPECT_EQ(test, gfx_pool_pcp_count(GFX_POOL_WC), 0);
	KUNIT_EXPECT_FALSE(test, gfx_pool_owns_page(page));
}

/*
 * A list is filled from partly used blocks first, so that what users
 * hold stays packed: with a WC block partly used and another wholly free,
 * the first page through the list comes from the partly used one.
 */
static void gfx_pool_pcp_test_fill_partial_first(struct kunit *test)
{
	const gfp_t gfp = GFP_KERNEL | __GFP_THISNODE;
	struct gfx_pool_held_blocks *held;
	struct page *keep, *whole, *page;
	int nid;

	held = hold_pool(test);
	if (gfx_pool_nr_free())
		kunit_skip(test, "other users hold part of the pool");
	migrate_disable();
	nid = numa_mem_id();
	if (!held_on_node_last(held, nid)) {
		migrate_enable();
		kunit_skip(test, "no block on node %d", nid);
	}
	gfx_pool_free_pages(held->pages[--held->nr], GFX_POOL_BLOCK_ORDER);
	if (!held_on_node_last(held, nid)) {
		migrate_enable();
		kunit_skip(test, "no second block on node %d", nid);
	}
	gfx_pool_free_pages(held->pages[--held->nr], GFX_POOL_BLOCK_ORDER);
	/* Lists off: one WC block partly used, one wholly free in WC. */
	keep = gfx_pool_alloc_pages(nid, GFX_POOL_WC, gfp, 0);
	whole = gfx_pool_alloc_pages(nid, GFX_POOL_WC, gfp,
				     GFX_POOL_BLOCK_ORDER);
	if (whole)
		gfx_pool_free_pages(whole, GFX_POOL_BLOCK_ORDER);

	gfx_pool_test_pcp(test, true);
	gfx_pool_pcp_drain(NUMA_NO_NODE);
	page = gfx_pool_alloc_pages(nid, GFX_POOL_WC, gfp, 0);
	migrate_enable();
	KUNIT_ASSERT_NOT_NULL(test, keep);
	KUNIT_ASSERT_NOT_NULL(test, whole);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_PTR_EQ(test, gfx_pool_pfn_to_block(page_to_pfn(page)),
			    gfx_pool_pfn_to_block(page_to_pfn(keep)));
	gfx_pool_free_pages(page, 0);
	gfx_pool_pcp_drain(NUMA_NO_NODE);
	gfx_pool_free_pages(keep, 0);
}

/*
 * A fill that stops inside a free run stops at a line of order records:
 * after an order-2 allocation at a block's start, the first fill takes
 * its pages 4 to 63 (not 4 to 67, which would share the line of 64 to
 * 127 with the next fill, maybe another CPU's), and the next one starts
 * at 64, a whole batch.
 */
static void gfx_pool_pcp_test_fill_line(struct kunit *test)
{
	const gfp_t gfp = GFP_KERNEL | __GFP_THISNODE;
	struct page *head, *pages[GFX_POOL_PCP_BATCH + 1];
	struct gfx_pool_held_blocks *held;
	unsigned long first = 0, next = 0, off;
	struct gfx_pool_block *block;
	unsigned int i, got = 0;
	int nid;

	held = hold_pool(test);
	migrate_disable();	/* one CPU's list, whatever the scheduler does */
	nid = numa_mem_id();
	if (!held_on_node_last(held, nid)) {
		migrate_enable();
		kunit_skip(test, "no block on node %d", nid);
	}
	/* Lists off: the one free block, converted, gives its pages 0-3. */
	gfx_pool_free_pages(held->pages[--held->nr], GFX_POOL_BLOCK_ORDER);
	head = gfx_pool_alloc_pages(nid, GFX_POOL_WC, gfp, 2);
	if (!head) {
		migrate_enable();
		KUNIT_FAIL(test, "no order-2 WC allocation");
		return;
	}
	gfx_pool_test_pcp(test, true);
	gfx_pool_pcp_drain(NUMA_NO_NODE);
	for (; got < ARRAY_SIZE(pages); got++) {
		pages[got] = gfx_pool_alloc_pages(nid, GFX_POOL_WC, gfp, 0);
		if (!pages[got])
			break;
		/* Right after the first fill, and after the second. */
		if (got == 0)
			first = gfx_pool_pcp_count(GFX_POOL_WC);
		if (got == GFX_POOL_PCP_BATCH - 4)
			next = gfx_pool_pcp_count(GFX_POOL_WC);
	}
	migrate_enable();

	KUNIT_EXPECT_EQ(test, got, ARRAY_SIZE(pages));
	block = page_block(head, &off);
	KUNIT_EXPECT_EQ(test, off, 0);
	KUNIT_EXPECT_EQ(test, first, GFX_POOL_PCP_BATCH - 4 - 1);
	KUNIT_EXPECT_EQ(test, next, GFX_POOL_PCP_BATCH - 1);
	for (i = 0; i < got; i++) {
		KUNIT_EXPECT_PTR_EQ(test, page_block(pages[i], &off), block);
		KUNIT_EXPECT_EQ_MSG(test, off, 4 + i, "page %u", i);
	}
	gfx_pool_pcp_drain(NUMA_NO_NODE);
	for (i = 0; i < got; i++)
		gfx_pool_free_pages(pages[i], 0);
	gfx_pool_pcp_drain(NUMA_NO_NODE);
	gfx_pool_free_pages(head, 2);
}

/*
 * A CPU's list is filled GFX_POOL_PCP_BATCH (64) pages at a time from a
 * block, and hands them out in block order; holding GFX_POOL_PCP_HIGH
 * (128), the next free gives a batch back first.
 */
static void gfx_pool_pcp_test_batches(struct kunit *test)
{
	const unsigned int nr = GFX_POOL_PCP_HIGH + 1;
	unsigned long filled = 0, left;
	struct page **pages, *page;
	unsigned int i, got = 0;

	if (baseline_in_use)
		kunit_skip(test, "other users hold %lu pool pages",
			   baseline_in_use);
	pages = kunit_kcalloc(test, nr, sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	gfx_pool_test_pcp(test, true);
	migrate_disable();	/* one CPU's list, whatever the scheduler does */
	/* A WC block with room, and an empty list. */
	page = gfx_pool_alloc_pages(numa_mem_id(), GFX_POOL_WC,
				    GFP_KERNEL | __GFP_THISNODE, 0);
	if (page)
		gfx_pool_free_pages(page, 0);
	gfx_pool_pcp_drain(NUMA_NO_NODE);
	for (; got < nr; got++) {
		pages[got] = gfx_pool_alloc_pages(numa_mem_id(), GFX_POOL_WC,
						  GFP_KERNEL | __GFP_THISNODE,
						  0);
		if (!pages[got])
			break;
		if (!got)
			filled = gfx_pool_pcp_count(GFX_POOL_WC);
	}
	/* An empty list again, then every page freed onto it. */
	gfx_pool_pcp_drain(NUMA_NO_NODE);
	for (i = 0; i < got; i++)
		gfx_pool_free_pages(pages[i], 0);
	left = gfx_pool_pcp_count(GFX_POOL_WC);
	migrate_enable();
	gfx_pool_pcp_drain(NUMA_NO_NODE);

	KUNIT_ASSERT_EQ(test, got, nr);
	KUNIT_EXPECT_EQ(test, filled, GFX_POOL_PCP_BATCH - 1);
	for (i = 1; i < GFX_POOL_PCP_BATCH; i++)
		KUNIT_EXPECT_EQ_MSG(test, page_to_pfn(pages[i]),
				    page_to_pfn(pages[0]) + i, "page %u", i);
	KUNIT_EXPECT_EQ(test, left, GFX_POOL_PCP_HIGH + 1 - GFX_POOL_PCP_BATCH);
	expect_pool_whole(test);
}

/*
 * A CPU's list hands out only pages of the node asked for, asked once the
 * CPU is pinned: a task that moved to another node's CPU after its
 * caller looked must not get that node's page from the list. With a page
 * on this CPU's list, the list is asked for one of the next node (which
 * may not exist): it has none to give.
 */
static void gfx_pool_pcp_test_node_asked(struct kunit *test)
{
	struct page *page, *other = NULL;
	unsigned long listed = 0;
	bool dirty;
	int nid;

	gfx_pool_test_pcp(test, true);
	migrate_disable();	/* one CPU's list, whatever the scheduler does */
	nid = numa_mem_id();
	/*
	 * A WC block with room on this node, converted if none has (an
	 * earlier case may have left this node none), its page given back
	 * and the lists emptied; then the list fills from that block.
	 */
	page = gfx_pool_alloc_pages(nid, GFX_POOL_WC,
				    GFP_KERNEL | __GFP_THISNODE, 0);
	if (page) {
		gfx_pool_free_pages(page, 0);
		gfx_pool_pcp_drain(NUMA_NO_NODE);
		page = gfx_pool_alloc_pages(nid, GFX_POOL_WC,
					    GFP_NOWAIT | __GFP_THISNODE, 0);
	}
	if (page) {
		listed = gfx_pool_pcp_count(GFX_POOL_WC);
		other = gfx_pool_pcp_alloc(nid + 1, GFX_POOL_WC, &dirty);
		if (other)
			gfx_pool_free_pages(other, 0);
		gfx_pool_free_pages(page, 0);
	}
	migrate_enable();
	gfx_pool_pcp_drain(NUMA_NO_NODE);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_GT_MSG(test, listed, 0, "no page was left on the list");
	KUNIT_EXPECT_NULL_MSG(test, other,
			      "node %d's list gave a page for node %d", nid,
			      nid + 1);
	expect_pool_whole(test);
}

/* With the lists off, a freed page is back in its block at once. */
static void gfx_pool_pcp_test_off(struct kunit *test)
{
	struct page *page;
	unsigned int used;

	page = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WC, GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	used = block_used(page);
	gfx_pool_free_pages(page, 0);
	KUNIT_EXPECT_EQ(test, block_used(page), used - 1);
	KUNIT_EXPECT_EQ(test, gfx_pool_pcp_count(GFX_POOL_WC), 0);
	KUNIT_EXPECT_TRUE(test, folio_test_offline(page_folio(page)));
	expect_pool_whole(test);
}

/* === NUMA ================================================================ */

#define NUMA_SKIP	"needs pool regions on two nodes"

/* The region on @nid, or NULL. */
static struct gfx_pool_region *region_on(int nid)
{
	unsigned int r;

	for (r = 0; r < gfx_pool.nr_regions; r++)
		if (gfx_pool.region[r].nid == nid)
			return &gfx_pool.region[r];
	return NULL;
}

static int gfx_pool_numa_test_init(struct kunit *test)
{
	int ret = gfx_pool_test_init(test);
	unsigned int r, nodes = 0;

	for (r = 0; r < gfx_pool.nr_regions; r++)
		nodes += region_on(gfx_pool.region[r].nid) == &gfx_pool.region[r];
	if (!ret && nodes < 2)
		kunit_skip(test, NUMA_SKIP);
	return ret;
}

static const unsigned int numa_orders[] = { 0, 3, GFX_POOL_BLOCK_ORDER,
					    GFX_POOL_MAX_ORDER };

/*
 * Every node with a region serves its own pages: with __GFP_THISNODE at
 * every order, a page of that node; and with the node only preferred,
 * still that node's while it has room.
 */
static void gfx_pool_numa_test_thisnode(struct kunit *test)
{
	struct gfx_pool_region *region;
	struct page *page;
	unsigned int r, o;
	gfp_t gfp;

	for (r = 0; r < gfx_pool.nr_regions; r++) {
		region = &gfx_pool.region[r];
		for (o = 0; o < ARRAY_SIZE(numa_orders); o++) {
			gfp = GFP_KERNEL | (o & 1 ? __GFP_THISNODE : 0);
			page = gfx_pool_alloc_pages(region->nid, GFX_POOL_WC,
						    gfp, numa_orders[o]);
			KUNIT_ASSERT_NOT_NULL_MSG(test, page, "node %d order %u",
						  region->nid, numa_orders[o]);
			KUNIT_EXPECT_EQ_MSG(test, page_to_nid(page), region->nid,
					    "order %u", numa_orders[o]);
			KUNIT_EXPECT_TRUE(test, in_region(page));
			expect_mapping(test, page_to_pfn(page), GFX_POOL_WC);
			gfx_pool_free_pages(page, numa_orders[o]);
		}
	}
	expect_pool_whole(test);
}

/*
 * Only pages of a CPU's own node go through its per-CPU lists: an
 * order-0 page of another node comes from that node's blocks and, freed,
 * goes straight back to its block.
 */
static void gfx_pool_numa_test_pcp_other_node(struct kunit *test)
{
	struct gfx_pool_region *region = NULL;
	unsigned int r, used;
	struct page *page;
	int nid;

	gfx_pool_test_pcp(test, true);
	gfx_pool_pcp_drain(NUMA_NO_NODE);
	migrate_disable();
	nid = numa_mem_id();
	for (r = 0; r < gfx_pool.nr_regions && !region; r++)
		if (gfx_pool.region[r].nid != nid)
			region = &gfx_pool.region[r];
	if (!region) {
		migrate_enable();
		kunit_skip(test, "no region off node %d", nid);
	}
	page = gfx_pool_alloc_pages(region->nid, GFX_POOL_WC,
				    GFP_KERNEL | __GFP_THISNODE, 0);
	used = page ? block_used(page) : 0;
	if (page)
		gfx_pool_free_pages(page, 0);
	migrate_enable();
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_EQ(test, page_to_nid(page), region->nid);
	/* No list was filled for it, and its free went to its block. */
	KUNIT_EXPECT_EQ(test, gfx_pool_pcp_count(GFX_POOL_WC), 0);
	KUNIT_EXPECT_EQ(test, block_used(page), used - 1);
	expect_pool_whole(test);
}

struct alloc_on_cpu {
	struct completion done;
	struct page *page;
	int nid;
};

static int alloc_on_cpu_fn(void *data)
{
	struct alloc_on_cpu *arg = data;

	arg->nid = numa_mem_id();
	arg->page = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WC, GFP_KERNEL,
					 3);
	complete(&arg->done);
	return 0;
}

/*
 * NUMA_NO_NODE is the calling CPU's node: a thread on a CPU of each node
 * with a region gets a page of that node.
 */
static void gfx_pool_numa_test_local_node(struct kunit *test)
{
	struct alloc_on_cpu arg;
	struct task_struct *task;
	unsigned int r, cpu, tried = 0;
	int nid;

	for (r = 0; r < gfx_pool.nr_regions; r++) {
		nid = gfx_pool.region[r].nid;
		cpu = cpumask_first_and(cpumask_of_node(nid), cpu_online_mask);
		if (cpu >= nr_cpu_ids)
			continue;
		init_completion(&arg.done);
		arg.page = NULL;
		task = kthread_create(alloc_on_cpu_fn, &arg, "gfx_pool_test/%u",
				      cpu);
		KUNIT_ASSERT_FALSE(test, IS_ERR(task));
		kthread_bind(task, cpu);
		wake_up_process(task);
		wait_for_completion(&arg.done);
		KUNIT_ASSERT_NOT_NULL_MSG(test, arg.page, "node %d", nid);
		KUNIT_EXPECT_EQ(test, arg.nid, nid);
		KUNIT_EXPECT_EQ_MSG(test, page_to_nid(arg.page), nid,
				    "from CPU %u", cpu);
		gfx_pool_free_pages(arg.page, 3);
		tried++;
	}
	KUNIT_EXPECT_GE_MSG(test, tried, 2, "no CPU on the regions' nodes");
}

/*
 * Without __GFP_THISNODE, a full node still takes a lent block of its own
 * region back before it takes another node's free block: a node's
 * allocations stay on it while its region has blocks at all.
 */
static void gfx_pool_numa_test_take_back_first(struct kunit *test)
{
	int a = gfx_pool.region[0].nid, b = NUMA_NO_NODE;
	struct gfx_pool_held_blocks *held;
	unsigned long taken;
	struct page *page;
	unsigned int r;

	skip_unless_every_region_lends(test);
	for (r = 1; r < gfx_pool.nr_regions && b == NUMA_NO_NODE; r++)
		if (gfx_pool.region[r].nid != a)
			b = gfx_pool.region[r].nid;
	held = hold_pool(test);
	if (gfx_pool_nr_free())
		kunit_skip(test, "other users hold part of the pool");
	/* A block of @a lent, one of @b free: the only blocks to be had. */
	KUNIT_ASSERT_NOT_NULL(test, held_on_node_last(held, a));
	gfx_pool_free_pages(held->pages[--held->nr], GFX_POOL_BLOCK_ORDER);
	KUNIT_ASSERT_EQ(test, gfx_pool_give_back(a, 1, false), 1);
	KUNIT_ASSERT_NOT_NULL(test, held_on_node_last(held, b));
	gfx_pool_free_pages(held->pages[--held->nr], GFX_POOL_BLOCK_ORDER);
	/* The lent block counts as free: the pool may take it back. */
	KUNIT_ASSERT_EQ(test, gfx_pool_nr_free(), 2 * GFX_POOL_BLOCK_PAGES);

	taken = atomic_long_read(&gfx_pool.taken_back_total);
	page = gfx_pool_alloc_pages(a, GFX_POOL_WB, GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_EQ(test, page_to_nid(page), a);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gfx_pool.taken_back_total),
			taken + 1);
	gfx_pool_free_pages(page, 0);
}

/*
 * With its own region full, a __GFP_THISNODE request for a node gets
 * nothing, however much another node has; without it, the other node's
 * pages. No growth meanwhile: the limit is 0 for the case.
 */
static void gfx_pool_numa_test_node_full(struct kunit *test)
{
	struct gfx_pool_region *region = &gfx_pool.region[gfx_pool.nr_regions - 1];
	unsigned long old_limit, i, held = 0, broken = 0;
	struct page **pages, *page;

	if (baseline_in_use)
		kunit_skip(test, "other users hold %lu pool pages",
			   baseline_in_use);
	pages = kunit_kcalloc(test, region->nr_blocks, sizeof(*pages),
			      GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	/* Broken blocks of this region: off every list, converting, not lent. */
	for (i = 0; i < region->nr_blocks; i++)
		broken += READ_ONCE(region->blocks[i].converting) &&
			  !READ_ONCE(region->blocks[i].lent);
	old_limit = gfx_pool_set_grow_limit(0);
	while (held < region->nr_blocks) {
		page = gfx_pool_alloc_pages(region->nid, GFX_POOL_UC,
					    GFP_KERNEL | __GFP_THISNODE,
					    GFX_POOL_BLOCK_ORDER);
		if (!page)
			break;
		KUNIT_EXPECT_EQ(test, page_to_nid(page), region->nid);
		pages[held++] = page;
	}
	KUNIT_EXPECT_EQ(test, held, region->nr_blocks - broken);

	page = gfx_pool_alloc_pages(region->nid, GFX_POOL_UC,
				    GFP_KERNEL | __GFP_THISNODE, 0);
	KUNIT_EXPECT_NULL_MSG(test, page,
			      "node %d is full, yet a __GFP_THISNODE request got pfn %#lx on node %d",
			      region->nid, page ? page_to_pfn(page) : 0,
			      page ? page_to_nid(page) : NUMA_NO_NODE);
	if (page)
		gfx_pool_free_pages(page, 0);
	page = gfx_pool_alloc_pages(region->nid, GFX_POOL_UC, GFP_KERNEL, 0);
	KUNIT_EXPECT_NOT_NULL(test, page);
	if (page) {
		KUNIT_EXPECT_NE(test, page_to_nid(page), region->nid);
		gfx_pool_free_pages(page, 0);
	}
	/*
	 * Where the pool may grow, it grows on the node asked for (with
	 * __GFP_THISNODE) before it tries the other node's blocks.
	 */
	gfx_pool_set_grow_limit(1);
	page = gfx_pool_alloc_pages(region->nid, GFX_POOL_UC, GFP_KERNEL, 0);
	KUNIT_EXPECT_NOT_NULL(test, page);
	if (page) {
		KUNIT_EXPECT_EQ(test, page_to_nid(page), region->nid);
		KUNIT_EXPECT_FALSE(test, in_region(page));
		gfx_pool_free_pages(page, 0);
	}
	gfx_pool_set_grow_limit(0);
	gfx_pool_give_back(NUMA_NO_NODE, ULONG_MAX, false);
	for (i = 0; i < held; i++)
		gfx_pool_free_pages(pages[i], GFX_POOL_BLOCK_ORDER);
	gfx_pool_set_grow_limit(old_limit);
	expect_pool_whole(test);
}

/* === Sleep and hibernation ============================================= */

#ifdef CONFIG_PM_SLEEP
/*
 * The PM device's suspend and freeze callback: a registered range is
 * zapped, a range unregistered since is left alone. Nothing is held or
 * blocked: faults go on as usual. (The selftests do real sleep cycles.)
 */
static void gfx_pool_pm_test_zap(struct kunit *test)
{
	struct gfx_pool_mapping map = {};
	struct address_space *mapping;

	mapping = kunit_kzalloc(test, sizeof(*mapping), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, mapping);
	address_space_init_once(mapping);
	map.mapping = mapping;
	gfx_pool_register_mapping(&map);

	KUNIT_EXPECT_EQ(test, gfx_pool_pm_zap(NULL), 0);
	KUNIT_EXPECT_EQ(test, map.zaps, 1);
	KUNIT_EXPECT_EQ(test, gfx_pool_pm_zap(NULL), 0);
	KUNIT_EXPECT_EQ(test, map.zaps, 2);

	gfx_pool_unregister_mapping(&map);
	KUNIT_EXPECT_EQ(test, gfx_pool_pm_zap(NULL), 0);
	KUNIT_EXPECT_EQ(test, map.zaps, 2);
}

#ifdef CONFIG_HIBERNATION
static void snapshot_unmap(void *data)
{
	unsigned long n;

	gfx_pool_snapshot_map(false, &n);
}

/*
 * Hibernation: from freeze_late to thaw_early (or restore_early) every NP
 * block is mapped present, so that the snapshot can read it, still by
 * one 2M entry; a block converted to NP meanwhile is mapped too. Then
 * all of them are NP again. Every other block held WB, so that the one
 * NP block is converted before the snapshot, and the second during it.
 */
static void gfx_pool_pm_test_snapshot_map(struct kunit *test)
{
	struct gfx_pool_held_blocks *held;
	unsigned long n, conversions;
	struct page *a, *b;

	held = hold_all_but(test, GFX_POOL_WB, 2);
	a = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_NP, GFP_KERNEL,
				 GFX_POOL_BLOCK_ORDER);
	KUNIT_ASSERT_NOT_NULL(test, a);
	expect_mapping(test, page_to_pfn(a), GFX_POOL_NP);

	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, snapshot_unmap,
							NULL), 0);
	KUNIT_ASSERT_EQ(test, gfx_pool_snapshot_map(true, &n), 0);
	KUNIT_EXPECT_EQ(test, n, 1);
	/* Present, WB (the PAT type of NP pages), one 2M entry. */
	gfx_pool_test_expect_direct_map(test, page_address(a), GFX_POOL_WB,
					PMD_SHIFT);

	conversions = gfx_pool_counter_read(GFX_POOL_NP, GFX_POOL_CONVERSIONS);
	b = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_NP, GFP_KERNEL,
				 GFX_POOL_BLOCK_ORDER);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_EXPECT_EQ(test, gfx_pool_counter_read(GFX_POOL_NP,
						    GFX_POOL_CONVERSIONS),
			conversions + 1);
	/* A block converted to NP during the snapshot is mapped too. */
	gfx_pool_test_expect_direct_map(test, page_address(b), GFX_POOL_WB,
					PMD_SHIFT);

	kunit_release_action(test, snapshot_unmap, NULL);
	expect_mapping(test, page_to_pfn(a), GFX_POOL_NP);
	expect_mapping(test, page_to_pfn(b), GFX_POOL_NP);
	gfx_pool_free_pages(b, GFX_POOL_BLOCK_ORDER);
	gfx_pool_free_pages(a, GFX_POOL_BLOCK_ORDER);
	kunit_release_action(test, gfx_pool_held_blocks_release, held);
	expect_pool_whole(test);
}
#endif /* CONFIG_HIBERNATION */
#endif /* CONFIG_PM_SLEEP */

/* === Boot parameter ====================================================== */

struct param_case {
	const char *str;
	int ret;
	phys_addr_t size;
	phys_addr_t base;
	bool fixed_base;
};

static const struct param_case param_cases[] = {
	{ "64M", 0, SZ_64M, 0, false },
	{ "256M", 0, SZ_256M, 0, false },
	{ "1G", 0, SZ_1G, 0, false },
	{ "2097152", 0, SZ_2M, 0, false },
	{ "0", 0, 0, 0, false },
	{ "128M@4G", 0, SZ_128M, SZ_4G, true },
	{ "2M@0x40000000", 0, SZ_2M, SZ_1G, true },
	{ "0x4000000", 0, SZ_64M, 0, false },
	/* A leading 0 is octal, as memparse() reads it. */
	{ "010G", 0, SZ_8G, 0, false },
	{ "01G@010G", 0, SZ_1G, SZ_8G, true },
	{ "08M", -EINVAL },
	{ "64m", 0, SZ_64M, 0, false },
	{ "1T", 0, 1ULL << 40, 0, false },
	{ "65536K", 0, SZ_64M, 0, false },
	{ "1P", 0, 1ULL << 50, 0, false },
	{ "1E", 0, 1ULL << 60, 0, false },
	{ "16E", -EINVAL },
	{ "16384P", -EINVAL },
	{ "17592186044418M", -EINVAL },
	{ "99999999999999999999999", -EINVAL },
	{ "64M@99999999999999999999999", -EINVAL },
	{ "0x", -EINVAL },
	{ "+64M", -EINVAL },
	{ NULL, -EINVAL },
	{ "", -EINVAL },
	{ "abc", -EINVAL },
	{ "-64M", -EINVAL },
	{ "64Q", -EINVAL },
	{ "64M@", -EINVAL },
	{ "64M@abc", -EINVAL },
	{ "64M@1G@2G", -EINVAL },
	{ "3M", -EINVAL },
	{ "4095", -EINVAL },
	{ "64M@1M", -EINVAL },
	{ "0@1G", -EINVAL },
	{ "64M ", -EINVAL },
};

static void param_case_desc(const struct param_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "\"%s\"", c->str ? c->str : "(null)");
}

KUNIT_ARRAY_PARAM(param, param_cases, param_case_desc);

static void gfx_pool_test_parse(struct kunit *test)
{
	const struct param_case *c = test->param_value;
	struct gfx_pool_param p;
	const char *why;
	int ret;

	ret = gfx_pool_parse_param(c->str, &p, &why);
	KUNIT_EXPECT_EQ(test, ret, c->ret);
	if (ret) {
		/* A refusal always says why, for the pr_err() at boot. */
		KUNIT_EXPECT_NOT_NULL(test, why);
		return;
	}
	KUNIT_EXPECT_EQ(test, p.size, c->size);
	KUNIT_EXPECT_EQ(test, p.base, c->base);
	KUNIT_EXPECT_EQ(test, p.fixed_base, c->fixed_base);
}

/* gfx_pool=<nid>:<size>,...: at most two entries here. */
struct node_param_case {
	const char *str;
	int ret;
	unsigned int nr_nodes;
	int nid[2];
	phys_addr_t size[2];
};

static const struct node_param_case node_param_cases[] = {
	{ "0:128M,1:128M", 0, 2, { 0, 1 }, { SZ_128M, SZ_128M } },
	{ "1:64M", 0, 1, { 1 }, { SZ_64M } },
	{ "1:0x4000000,0:2M", 0, 2, { 1, 0 }, { SZ_64M, SZ_2M } },
	{ "0:0,1:2M", 0, 2, { 0, 1 }, { 0, SZ_2M } },
	{ "0:128M,0:64M", -EINVAL },
	{ "0:3M", -EINVAL },
	{ "0:", -EINVAL },
	{ ":64M", -EINVAL },
	{ "x:64M", -EINVAL },
	{ "-1:64M", -EINVAL },
	{ "0:64M,", -EINVAL },
	{ "0:64M;1:64M", -EINVAL },
	{ "0:64M@1G", -EINVAL },
	{ "99999:64M", -EINVAL },
	{ "0:64M,1:abc", -EINVAL },
	{ "0:16384P", -EINVAL },
};

static void node_param_case_desc(const struct node_param_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "\"%s\"", c->str);
}

KUNIT_ARRAY_PARAM(node_param, node_param_cases, node_param_case_desc);

static void gfx_pool_test_parse_nodes(struct kunit *test)
{
	const struct node_param_case *c = test->param_value;
	struct gfx_pool_param p;
	const char *why;
	unsigned int i;
	int ret;

	ret = gfx_pool_parse_param(c->str, &p, &why);
	KUNIT_EXPECT_EQ(test, ret, c->ret);
	if (ret) {
		KUNIT_EXPECT_NOT_NULL(test, why);
		return;
	}
	KUNIT_EXPECT_FALSE(test, p.fixed_base);
	KUNIT_ASSERT_EQ(test, p.nr_nodes, c->nr_nodes);
	for (i = 0; i < c->nr_nodes; i++) {
		KUNIT_EXPECT_EQ(test, p.nodes[i].nid, c->nid[i]);
		KUNIT_EXPECT_EQ(test, p.nodes[i].size, c->size[i]);
	}
	KUNIT_EXPECT_EQ(test, p.size, c->size[0] + c->size[1]);
}

/* One node more than the pool has regions for is refused; as many are not. */
static void gfx_pool_test_parse_many_nodes(struct kunit *test)
{
	struct gfx_pool_param p;
	const char *why;
	char *str;
	int n, len = 0;

	str = kunit_kzalloc(test, 256, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, str);
	for (n = 0; n < GFX_POOL_MAX_REGIONS; n++)
		len += scnprintf(str + len, 256 - len, "%s%d:2M", n ? "," : "", n);
	KUNIT_EXPECT_EQ(test, gfx_pool_parse_param(str, &p, &why), 0);
	KUNIT_EXPECT_EQ(test, p.nr_nodes, GFX_POOL_MAX_REGIONS);
	KUNIT_EXPECT_EQ(test, p.size, (phys_addr_t)GFX_POOL_MAX_REGIONS * SZ_2M);
	scnprintf(str + len, 256 - len, ",%d:2M", n);
	KUNIT_EXPECT_EQ(test, gfx_pool_parse_param(str, &p, &why), -EINVAL);
	KUNIT_EXPECT_NOT_NULL(test, why);
}

#define PARSE_FUZZ_STRINGS	20000
#define PARSE_FUZZ_LEN		24

/*
 * Random strings over the parameter's own alphabet: every one is either
 * taken, with a size and each node's size a multiple of 2 MiB and the
 * nodes distinct, or refused with -EINVAL and a reason. Never anything
 * else, and never a read past the string (KASAN in the debug build).
 */
static void gfx_pool_test_parse_fuzz(struct kunit *test)
{
	static const char alphabet[] = "0123456789xXkKmMgGtTpPeE@:,-+ ab";
	unsigned int i, j, k, len, taken = 0;
	struct gfx_pool_param p;
	struct rnd_state rnd;
	const char *why;
	char *str;
	int ret;

	prandom_seed_state(&rnd, 20080406);
	for (i = 0; i < PARSE_FUZZ_STRINGS; i++) {
		len = prandom_u32_state(&rnd) % (PARSE_FUZZ_LEN + 1);
		/* Exactly as long as the string: KASAN sees a read past it. */
		str = kmalloc(len + 1, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, str);
		for (j = 0; j < len; j++)
			str[j] = alphabet[prandom_u32_state(&rnd) %
					  (sizeof(alphabet) - 1)];
		str[len] = '\0';
		ret = gfx_pool_parse_param(str, &p, &why);
		if (ret) {
			KUNIT_EXPECT_EQ_MSG(test, ret, -EINVAL, "\"%s\"", str);
			KUNIT_EXPECT_NOT_NULL_MSG(test, why, "\"%s\"", str);
		} else {
			taken++;
			KUNIT_EXPECT_TRUE_MSG(test, IS_ALIGNED(p.size, SZ_2M),
					      "\"%s\"", str);
			KUNIT_EXPECT_TRUE_MSG(test, !p.fixed_base ||
					      IS_ALIGNED(p.base, SZ_2M),
					      "\"%s\"", str);
			KUNIT_EXPECT_LE(test, p.nr_nodes, GFX_POOL_MAX_REGIONS);
			for (j = 0; j < p.nr_nodes; j++) {
				KUNIT_EXPECT_TRUE_MSG(test,
						      IS_ALIGNED(p.nodes[j].size, SZ_2M),
						      "\"%s\"", str);
				for (k = 0; k < j; k++)
					KUNIT_EXPECT_NE_MSG(test, p.nodes[j].nid,
							    p.nodes[k].nid,
							    "\"%s\"", str);
			}
			/* Whatever was taken, the check of it says yes or why not. */
			ret = gfx_pool_check_param(&p, SZ_1G, &why);
			KUNIT_EXPECT_TRUE(test, !ret || (ret == -E2BIG && why));
		}
		kfree(str);
	}
	/* The alphabet makes valid sizes too: both paths ran. */
	KUNIT_EXPECT_GT(test, taken, 0);
	KUNIT_EXPECT_LT(test, taken, PARSE_FUZZ_STRINGS);
}

static void gfx_pool_test_check_param(struct kunit *test)
{
	struct gfx_pool_param p = { .size = SZ_256M };
	const char *why;

	KUNIT_EXPECT_EQ(test, gfx_pool_check_param(&p, SZ_1G, &why), 0);
	KUNIT_EXPECT_EQ(test, gfx_pool_check_param(&p, SZ_512M, &why), 0);
	KUNIT_EXPECT_EQ(test, gfx_pool_check_param(&p, SZ_256M, &why), -E2BIG);
	KUNIT_EXPECT_NOT_NULL(test, why);
	p.size = SZ_4G;
	KUNIT_EXPECT_EQ(test, gfx_pool_check_param(&p, SZ_1G, &why), -E2BIG);
	p.size = SZ_2M;
	p.fixed_base = true;
	p.base = ~(phys_addr_t)0 - SZ_1M;
	KUNIT_EXPECT_EQ(test, gfx_pool_check_param(&p, SZ_1G, &why), -E2BIG);
}

#ifdef CONFIG_FAIL_GFX_POOL
/* === Injected failures =================================================== */

#define INJECT_STEPS		300
#define INJECT_SLOTS		16
#define INJECT_FREE_BLOCKS	4	/* of the region, the rest held */
#define INJECT_GROW		4	/* blocks the pool may grow by */

struct inject_param {
	unsigned long interval;
	unsigned long probability;
};

static const struct inject_param inject_params[] = {
	{ 1, 100 }, { 2, 100 }, { 3, 100 }, { 5, 100 }, { 7, 100 },
	{ 1, 25 }, { 1, 50 },
};

static void inject_param_desc(const struct inject_param *p, char *desc)
{
	if (p->probability == 100)
		snprintf(desc, KUNIT_PARAM_DESC_SIZE, "every %lu", p->interval);
	else
		snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%lu%% at random",
			 p->probability);
}

KUNIT_ARRAY_PARAM(inject, inject_params, inject_param_desc);

/* What users see in debugfs of each site's failures, real or injected. */
static unsigned long failures_counted(enum gfx_pool_fail_site site)
{
	switch (site) {
	case GFX_POOL_FAIL_DIRECT_MAP:
		return atomic_long_read(&gfx_pool.direct_map_failures);
	case GFX_POOL_FAIL_GROW:
		return atomic_long_read(&gfx_pool.grow_failures);
	case GFX_POOL_FAIL_TAKE_BACK:
		return atomic_long_read(&gfx_pool.take_back_failures);
	default:
		return 0;
	}
}

/* The sites a workload after init reaches. */
static const enum gfx_pool_fail_site inject_sites[] = {
	GFX_POOL_FAIL_DIRECT_MAP, GFX_POOL_FAIL_GROW, GFX_POOL_FAIL_TAKE_BACK,
};

/*
 * Every step that can be made to fail runs under some node's
 * convert_lock: once each was taken, none is half way through.
 */
static void inject_quiesce(void)
{
	int nid;

	for_each_node(nid) {
		if (!gfx_pool.node[nid])
			continue;
		mutex_lock(&gfx_pool.node[nid]->convert_lock);
		mutex_unlock(&gfx_pool.node[nid]->convert_lock);
	}
}

static void inject_off(void *unused)
{
	gfx_pool_fail_set(0, 0);
	inject_quiesce();
}

/*
 * With every fallible step failing (a conversion, a growth, a take-back),
 * an allocation that needs one gets nothing.
 */
static void expect_no_alloc_injected(struct kunit *test,
				     enum gfx_pool_domain domain,
				     unsigned int order)
{
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, inject_off, NULL),
			0);
	gfx_pool_fail_set(1, 100);
	KUNIT_EXPECT_NULL(test, gfx_pool_alloc_pages(NUMA_NO_NODE, domain,
						     GFP_KERNEL, order));
	kunit_release_action(test, inject_off, NULL);
}

/* @pfn's block is WB, on the lists and wholly free. */
static void expect_block_back(struct kunit *test, unsigned long pfn)
{
	struct gfx_pool_block *block = gfx_pool_pfn_to_block(pfn);

	KUNIT_ASSERT_NOT_NULL(test, block);
	KUNIT_EXPECT_EQ(test, block->broken, 0);
	KUNIT_EXPECT_FALSE(test, READ_ONCE(block->converting));
	KUNIT_EXPECT_EQ(test, READ_ONCE(block->domain), GFX_POOL_WB);
	KUNIT_EXPECT_TRUE(test, READ_ONCE(block->listed_free));
	expect_mapping(test, pfn, GFX_POOL_WB);
}

/*
 * A block whose conversion failed half way is broken: not handed out, not
 * given back, and counted. gfx_pool_repair() does the failed step again:
 * the block is then WB under its 2M entry and in use again. The one free
 * block is of the case's domain, and an allocation of another domain
 * converts it: a WC, UC or NP block fails to leave its domain; a WB one
 * fails to enter WC and then to be put back to WB.
 */
static void gfx_pool_inject_test_repair(struct kunit *test)
{
	enum gfx_pool_domain domain = *(const enum gfx_pool_domain *)test->param_value;
	enum gfx_pool_domain other = domain == GFX_POOL_WC ? GFX_POOL_UC :
							     GFX_POOL_WC;
	unsigned long repaired = atomic_long_read(&gfx_pool.repaired_total);
	unsigned long failures = failures_counted(GFX_POOL_FAIL_DIRECT_MAP);
	struct gfx_pool_held_blocks *held;
	struct gfx_pool_block *block;
	struct grow_ctx *ctx;
	unsigned long flags;
	struct page *page;

	/* gfx_pool_test_init() repaired what init left broken. */
	KUNIT_ASSERT_EQ(test, gfx_pool_nr_broken_blocks(), 0);
	/* The break below queues a repair GFX_POOL_IDLE later, not sooner. */
	gfx_pool_repair_cancel();
	ctx = grow_none(test);
	held = hold_all_but(test, GFX_POOL_WB, 1);
	page = gfx_pool_alloc_pages(NUMA_NO_NODE, domain, GFP_KERNEL,
				    GFX_POOL_BLOCK_ORDER);
	KUNIT_ASSERT_NOT_NULL(test, page);
	gfx_pool_free_pages(page, GFX_POOL_BLOCK_ORDER);
	/*
	 * Its conversion zeroed it and nothing wrote it since: say so, so
	 * that only the repair can mark its pages dirty.
	 */
	block = gfx_pool_pfn_to_block(page_to_pfn(page));
	KUNIT_ASSERT_NOT_NULL(test, block);
	spin_lock_irqsave(&gfx_pool.node[block->nid]->lock, flags);
	bitmap_zero(block->dirty, GFX_POOL_BLOCK_PAGES);
	spin_unlock_irqrestore(&gfx_pool.node[block->nid]->lock, flags);

	expect_no_alloc_injected(test, other, GFX_POOL_BLOCK_ORDER);
	KUNIT_ASSERT_EQ(test, gfx_pool_nr_broken_blocks(), 1);
	/* WC, UC, NP: the leave; WB: the enter and the way back. */
	KUNIT_EXPECT_EQ(test, failures_counted(GFX_POOL_FAIL_DIRECT_MAP) -
			failures, domain == GFX_POOL_WB ? 2 : 1);
	/* Neither handed out nor free while broken. */
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_free(), 0);
	KUNIT_EXPECT_NULL(test, gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WB,
						     GFP_KERNEL, 0));
	KUNIT_EXPECT_EQ(test, gfx_pool_give_back(NUMA_NO_NODE, ULONG_MAX,
						 false), 0);

	KUNIT_EXPECT_EQ(test, gfx_pool_repair(), 1);
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_broken_blocks(), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gfx_pool.repaired_total),
			repaired + 1);
	expect_block_back(test, page_to_pfn(page));
	/* Whatever the failed step left in it, it is zeroed before use. */
	KUNIT_EXPECT_TRUE(test, bitmap_full(block->dirty, GFX_POOL_BLOCK_PAGES));
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_free(), GFX_POOL_BLOCK_PAGES);
	kunit_release_action(test, gfx_pool_held_blocks_release, held);
	kunit_release_action(test, grow_restore, ctx);
	expect_pool_whole(test);
}

/*
 * A conversion that breaks a block ends the cold path: with two free WC
 * blocks and the direct map failing, a UC allocation breaks one, not
 * both, and the other stays free in its domain.
 */
static void gfx_pool_inject_test_broken_ends_cold(struct kunit *test)
{
	unsigned long failures = failures_counted(GFX_POOL_FAIL_DIRECT_MAP);
	struct gfx_pool_held_blocks *held;
	struct grow_ctx *ctx;

	KUNIT_ASSERT_EQ(test, gfx_pool_nr_broken_blocks(), 0);
	gfx_pool_repair_cancel();
	ctx = grow_none(test);
	held = hold_all_but(test, GFX_POOL_WC, 2);

	expect_no_alloc_injected(test, GFX_POOL_UC, GFX_POOL_BLOCK_ORDER);
	/* One leave of WC failed, and nothing after it was tried. */
	KUNIT_EXPECT_EQ(test, failures_counted(GFX_POOL_FAIL_DIRECT_MAP) -
			failures, 1);
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_broken_blocks(), 1);
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_free(), GFX_POOL_BLOCK_PAGES);
	KUNIT_EXPECT_EQ(test, gfx_pool_gauge(GFX_POOL_WC, true), held->nr + 1);

	KUNIT_EXPECT_EQ(test, gfx_pool_repair(), 1);
	kunit_release_action(test, gfx_pool_held_blocks_release, held);
	kunit_release_action(test, grow_restore, ctx);
	expect_pool_whole(test);
}

/*
 * A grown block broken by a failed conversion is neither handed out nor
 * given back; repaired, it goes back to the page allocator.
 */
static void gfx_pool_inject_test_repair_grown(struct kunit *test)
{
	unsigned long given_back = atomic_long_read(&gfx_pool.given_back_total);
	struct page *page;

	KUNIT_ASSERT_EQ(test, gfx_pool_nr_broken_blocks(), 0);
	gfx_pool_repair_cancel();
	grow_setup(test, 1);
	page = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WB, GFP_KERNEL,
				    GFX_POOL_BLOCK_ORDER);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_FALSE(test, in_region(page));
	gfx_pool_free_pages(page, GFX_POOL_BLOCK_ORDER);

	expect_no_alloc_injected(test, GFX_POOL_WC, GFX_POOL_BLOCK_ORDER);
	KUNIT_ASSERT_EQ(test, gfx_pool_nr_broken_blocks(), 1);
	KUNIT_EXPECT_EQ(test, gfx_pool_give_back(NUMA_NO_NODE, ULONG_MAX, false),
			0);
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_grown(), 1);

	KUNIT_EXPECT_EQ(test, gfx_pool_repair(), 1);
	KUNIT_EXPECT_EQ(test, gfx_pool_give_back(NUMA_NO_NODE, ULONG_MAX, false),
			1);
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_grown(), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gfx_pool.given_back_total),
			given_back + 1);
	KUNIT_EXPECT_FALSE(test, gfx_pool_owns_page(page));
}

/* Repair what a case left broken: the backoff starts over. */
static void repair_reset(void *unused)
{
	unsigned long delay;

	gfx_pool_repair_run(&delay);
}

/*
 * The first repair is queued GFX_POOL_IDLE after a block broke; while
 * the block stays broken, each next one twice as long after, up to 64
 * times GFX_POOL_IDLE. A repair that leaves none broken starts over.
 */
static void gfx_pool_inject_test_repair_backoff(struct kunit *test)
{
	unsigned long failures, delay, want, when;
	struct gfx_pool_held_blocks *held;
	unsigned int i;
	bool queued;

	KUNIT_ASSERT_EQ(test, gfx_pool_nr_broken_blocks(), 0);
	/* Nothing broken: nothing queued, and the backoff at its start. */
	KUNIT_EXPECT_FALSE(test, gfx_pool_repair_run(&delay));
	KUNIT_EXPECT_EQ(test, delay, (unsigned long)GFX_POOL_IDLE);
	grow_none(test);
	held = gfx_pool_hold_all_blocks(test, GFX_POOL_WB);
	if (!held->nr || gfx_pool_nr_free())
		kunit_skip(test, "needs a free block and no other user");
	gfx_pool_free_pages(held->pages[--held->nr], GFX_POOL_BLOCK_ORDER);

	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, repair_reset,
							NULL), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, inject_off, NULL),
			0);
	gfx_pool_fail_set(1, 100);
	KUNIT_EXPECT_NULL(test, gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WC,
						     GFP_KERNEL,
						     GFX_POOL_BLOCK_ORDER));
	KUNIT_ASSERT_EQ(test, gfx_pool_nr_broken_blocks(), 1);
	KUNIT_ASSERT_TRUE(test, gfx_pool_repair_due(&when));
	KUNIT_EXPECT_TRUE(test, time_after(when, jiffies));
	KUNIT_EXPECT_FALSE(test, time_after(when, jiffies + GFX_POOL_IDLE));

	/* Every try fails while injection is on, and is counted. */
	for (i = 1, want = GFX_POOL_IDLE; i <= 8; i++) {
		want = min(2 * want, 64UL * GFX_POOL_IDLE);
		failures = failures_counted(GFX_POOL_FAIL_DIRECT_MAP);
		queued = gfx_pool_repair_run(&delay);
		KUNIT_EXPECT_TRUE_MSG(test, queued, "try %u", i);
		KUNIT_EXPECT_EQ_MSG(test, delay, want, "try %u", i);
		KUNIT_EXPECT_GT_MSG(test,
				    failures_counted(GFX_POOL_FAIL_DIRECT_MAP),
				    failures, "try %u", i);
		KUNIT_EXPECT_EQ(test, gfx_pool_nr_broken_blocks(), 1);
	}

	kunit_release_action(test, inject_off, NULL);
	KUNIT_EXPECT_FALSE(test, gfx_pool_repair_run(&delay));
	KUNIT_EXPECT_EQ(test, delay, (unsigned long)GFX_POOL_IDLE);
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_broken_blocks(), 0);
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_free(), GFX_POOL_BLOCK_PAGES);
	kunit_release_action(test, gfx_pool_held_blocks_release, held);
	expect_pool_whole(test);
}

/*
 * Taking a lent block back fails (cma_alloc() could not migrate what the
 * page allocator put there): the allocation fails as an exhausted pool
 * does, the failure is counted once, and the block stays lent and the page
 * allocator's. The next allocation takes that very block back and serves
 * from it.
 */
static void gfx_pool_inject_test_take_back(struct kunit *test)
{
	unsigned long failures = failures_counted(GFX_POOL_FAIL_TAKE_BACK);
	unsigned long injected = gfx_pool_fail_injected(GFX_POOL_FAIL_TAKE_BACK);
	struct gfx_pool_held_blocks *held;
	struct gfx_pool_block *block;
	unsigned long taken, pfn;
	struct grow_ctx *ctx;
	struct page *page;

	block = lend_one_block(test, &held, &ctx);
	pfn = block->pfn;
	taken = atomic_long_read(&gfx_pool.taken_back_total);
	expect_no_alloc_injected(test, GFX_POOL_WC, 0);
	KUNIT_EXPECT_EQ(test, gfx_pool_fail_injected(GFX_POOL_FAIL_TAKE_BACK) -
			injected, 1);
	KUNIT_EXPECT_EQ(test, failures_counted(GFX_POOL_FAIL_TAKE_BACK) -
			failures, 1);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gfx_pool.taken_back_total),
			taken);
	KUNIT_EXPECT_TRUE(test, READ_ONCE(block->lent));
	KUNIT_EXPECT_EQ(test, count_lent_blocks(), 1);
	KUNIT_EXPECT_FALSE(test, gfx_pool_owns_page(pfn_to_page(pfn)));
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_lent(), 1);

	page = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WC, GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_PTR_EQ(test, gfx_pool_pfn_to_block(page_to_pfn(page)),
			    block);
	KUNIT_EXPECT_FALSE(test, READ_ONCE(block->lent));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gfx_pool.taken_back_total),
			taken + 1);
	expect_mapping(test, page_to_pfn(page), GFX_POOL_WC);
	gfx_pool_free_pages(page, 0);
	kunit_release_action(test, gfx_pool_held_blocks_release, held);
	kunit_release_action(test, grow_restore, ctx);
	expect_pool_whole(test);
}

/*
 * Where the limit allows, a take-back that fails makes the pool grow
 * instead: only the take-back fails (gfx_pool_fail_next()), and the
 * allocation is served from a block grown from the page allocator, in
 * its domain under a 2M entry, while the block that could not be taken
 * back stays lent.
 */
static void gfx_pool_inject_test_take_back_grows(struct kunit *test)
{
	unsigned long failures = failures_counted(GFX_POOL_FAIL_TAKE_BACK);
	unsigned long injected = gfx_pool_fail_injected(GFX_POOL_FAIL_TAKE_BACK);
	unsigned long grown = gfx_pool_nr_grown();
	struct gfx_pool_held_blocks *held;
	struct gfx_pool_block *block;
	struct grow_ctx *ctx;
	struct page *page;

	block = lend_one_block(test, &held, &ctx);
	gfx_pool_set_grow_limit(1);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, inject_off, NULL),
			0);
	gfx_pool_fail_next();
	page = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WC, GFP_KERNEL, 0);
	kunit_release_action(test, inject_off, NULL);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_EQ(test, gfx_pool_fail_injected(GFX_POOL_FAIL_TAKE_BACK) -
			injected, 1);
	KUNIT_EXPECT_EQ(test, failures_counted(GFX_POOL_FAIL_TAKE_BACK) -
			failures, 1);
	KUNIT_EXPECT_TRUE(test, READ_ONCE(block->lent));
	KUNIT_EXPECT_FALSE(test, in_region(page));
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_grown(), grown + 1);
	expect_mapping(test, page_to_pfn(page), GFX_POOL_WC);
	gfx_pool_free_pages(page, 0);
	kunit_release_action(test, gfx_pool_held_blocks_release, held);
	kunit_release_action(test, grow_restore, ctx);
	expect_pool_whole(test);
}

/*
 * The pool's work with fail_gfx_pool failing every Nth fallible step, or
 * steps at random: conversions both ways in every domain, orders 0 to
 * 10, growth, blocks lent and taken back, blocks given back. Whatever
 * fails, every page handed out is in the domain asked for under a 2M
 * entry; each injected failure is counted where users look (a direct-map
 * one exactly once; growth and take-back at least as often as injected,
 * as those also fail for real: gfx_pool_inject.take_back counts one
 * alone); and once injection stops, every broken block is repaired and
 * the pool is whole again.
 */
static void gfx_pool_inject_test_workload(struct kunit *test)
{
	const struct inject_param *p = test->param_value;
	static const unsigned int orders[] = { 0, 1, 3, GFX_POOL_BLOCK_ORDER,
					       GFX_POOL_MAX_ORDER };
	unsigned long allocs[GFX_POOL_NR_DOMAINS], frees[GFX_POOL_NR_DOMAINS];
	unsigned long injected[ARRAY_SIZE(inject_sites)];
	unsigned long counted[ARRAY_SIZE(inject_sites)];
	unsigned long handed = 0, total = 0;
	struct gfx_pool_held_blocks *held;
	struct random_slot *slots, *s;
	enum gfx_pool_domain domain;
	struct grow_ctx *ctx;
	struct rnd_state rnd;
	unsigned int i;
	int d;

	if (baseline_in_use)
		kunit_skip(test, "other users hold %lu pool pages",
			   baseline_in_use);
	slots = kunit_kcalloc(test, INJECT_SLOTS, sizeof(*slots), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, slots);
	/* A few free blocks, so that conversions, growth and lending all come. */
	ctx = grow_none(test);
	held = gfx_pool_hold_all_blocks(test, GFX_POOL_WB);
	for (i = 0; i < INJECT_FREE_BLOCKS && held->nr; i++)
		gfx_pool_free_pages(held->pages[--held->nr],
				    GFX_POOL_BLOCK_ORDER);
	gfx_pool_set_grow_limit(INJECT_GROW);

	for (d = 0; d < GFX_POOL_NR_DOMAINS; d++) {
		allocs[d] = gfx_pool_counter_read(d, GFX_POOL_ALLOCS);
		frees[d] = gfx_pool_counter_read(d, GFX_POOL_FREES);
	}
	for (i = 0; i < ARRAY_SIZE(inject_sites); i++) {
		injected[i] = gfx_pool_fail_injected(inject_sites[i]);
		counted[i] = failures_counted(inject_sites[i]);
	}
	prandom_seed_state(&rnd, 20080406 + p->interval * 100 + p->probability);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, inject_off, NULL),
			0);
	gfx_pool_fail_set(p->interval, p->probability);

	for (i = 0; i < INJECT_STEPS; i++) {
		/* Now and then every free block goes: lent, or given back. */
		if (i % 50 == 49)
			gfx_pool_give_back(NUMA_NO_NODE, ULONG_MAX, false);
		s = &slots[prandom_u32_state(&rnd) % INJECT_SLOTS];
		if (s->page) {
			gfx_pool_free_pages(s->page, s->order);
			s->page = NULL;
			continue;
		}
		s->order = orders[prandom_u32_state(&rnd) % ARRAY_SIZE(orders)];
		domain = prandom_u32_state(&rnd) % GFX_POOL_NR_DOMAINS;
		s->page = gfx_pool_alloc_pages(NUMA_NO_NODE, domain, GFP_KERNEL,
					       s->order);
		if (!s->page)
			continue;
		handed++;
		KUNIT_EXPECT_EQ(test, gfx_pool_page_domain(s->page), domain);
		expect_mapping(test, page_to_pfn(s->page), domain);
	}
	for (i = 0; i < INJECT_SLOTS; i++)
		if (slots[i].page)
			gfx_pool_free_pages(slots[i].page, slots[i].order);
	kunit_release_action(test, inject_off, NULL);

	for (i = 0; i < ARRAY_SIZE(inject_sites); i++) {
		injected[i] = gfx_pool_fail_injected(inject_sites[i]) -
			      injected[i];
		counted[i] = failures_counted(inject_sites[i]) - counted[i];
		total += injected[i];
	}
	KUNIT_EXPECT_GT_MSG(test, total, 0, "nothing was injected");
	/*
	 * Each injected failure is counted once. The direct map fails only
	 * when injected here; a real cma_alloc() or a growth can fail too
	 * (a pinned page, a fragmented guest), so those count at least as
	 * many.
	 */
	KUNIT_EXPECT_EQ_MSG(test, counted[0], injected[0],
			    "direct map: %lu failures injected, %lu counted",
			    injected[0], counted[0]);
	for (i = 1; i < ARRAY_SIZE(inject_sites); i++)
		KUNIT_EXPECT_GE_MSG(test, counted[i], injected[i],
				    "site %u: %lu failures injected, %lu counted",
				    inject_sites[i], injected[i], counted[i]);
	kunit_info(test, "failures injected: %lu direct map, %lu growing, %lu taking back; %lu allocations served, %lu blocks broken\n",
		   injected[0], injected[1], injected[2], handed,
		   gfx_pool_nr_broken_blocks());
	for (d = 0; d < GFX_POOL_NR_DOMAINS; d++)
		KUNIT_EXPECT_EQ_MSG(test,
				    gfx_pool_counter_read(d, GFX_POOL_ALLOCS) - allocs[d],
				    gfx_pool_counter_read(d, GFX_POOL_FREES) - frees[d],
				    "%s: allocations and frees differ",
				    gfx_pool_domain_names[d]);

	/* Injection off: every broken block comes back, WB and whole. */
	gfx_pool_repair();
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_broken_blocks(), 0);
	kunit_release_action(test, gfx_pool_held_blocks_release, held);
	kunit_release_action(test, grow_restore, ctx);
	KUNIT_EXPECT_EQ(test, gfx_pool_nr_grown(), 0);
	expect_pool_whole(test);
}

#ifdef CONFIG_HIBERNATION
/* No block of the pool is mapped for a snapshot. */
static void expect_no_snapshot_mapped(struct kunit *test)
{
	struct gfx_pool_block *block;
	unsigned long i;

	for (i = 0; i < gfx_pool.nr_blocks; i++)
		KUNIT_EXPECT_FALSE_MSG(test, gfx_pool.blocks[i].snapshot_mapped,
				       "block at pfn %#lx still mapped for the image",
				       gfx_pool.blocks[i].pfn);
	rcu_read_lock();
	xa_for_each(&gfx_pool.grown, i, block)
		KUNIT_EXPECT_FALSE_MSG(test, block->snapshot_mapped,
				       "grown block at pfn %#lx still mapped for the image",
				       block->pfn);
	rcu_read_unlock();
}

/*
 * Hibernation with the snapshot's mapping of an NP block failing, the
 * second of two: freeze_late fails with the error, so the PM core gives
 * up, and calls no thaw_early for the device whose freeze_late failed.
 * So freeze_late itself unmaps the block it had mapped: both are NP all
 * along. The next hibernation maps them.
 */
static void gfx_pool_inject_test_snapshot(struct kunit *test)
{
	struct page *page, *other;
	unsigned long n;

	page = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_NP, GFP_KERNEL,
				    GFX_POOL_BLOCK_ORDER);
	KUNIT_ASSERT_NOT_NULL(test, page);
	other = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_NP, GFP_KERNEL,
				     GFX_POOL_BLOCK_ORDER);
	if (!other)
		gfx_pool_free_pages(page, GFX_POOL_BLOCK_ORDER);
	KUNIT_ASSERT_NOT_NULL(test, other);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, snapshot_unmap,
							NULL), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, inject_off, NULL),
			0);
	/* The first block's mapping goes through, the second's fails. */
	gfx_pool_fail_set(2, 100);
	/* freeze_late fails with it, and hibernation stops. */
	KUNIT_EXPECT_EQ(test, gfx_pool_freeze_late(NULL), -ENOMEM);
	kunit_release_action(test, inject_off, NULL);
	/* No thaw_early: what is left is what freeze_late left. */
	expect_mapping(test, page_to_pfn(page), GFX_POOL_NP);
	expect_mapping(test, page_to_pfn(other), GFX_POOL_NP);
	expect_no_snapshot_mapped(test);
	kunit_release_action(test, snapshot_unmap, NULL);
	gfx_pool_free_pages(other, GFX_POOL_BLOCK_ORDER);

	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, snapshot_unmap,
							NULL), 0);
	KUNIT_EXPECT_EQ(test, gfx_pool_snapshot_map(true, &n), 0);
	gfx_pool_test_expect_direct_map(test, page_address(page), GFX_POOL_WB,
					PMD_SHIFT);
	kunit_release_action(test, snapshot_unmap, NULL);
	expect_mapping(test, page_to_pfn(page), GFX_POOL_NP);
	gfx_pool_free_pages(page, GFX_POOL_BLOCK_ORDER);
	expect_pool_whole(test);
}
#endif /* CONFIG_HIBERNATION */
#endif /* CONFIG_FAIL_GFX_POOL */

/* === Suite =============================================================== */

/* The parser needs no pool, so it is a suite of its own. */
static struct kunit_case gfx_pool_param_test_cases[] = {
	KUNIT_CASE_PARAM(gfx_pool_test_parse, param_gen_params),
	KUNIT_CASE_PARAM(gfx_pool_test_parse_nodes, node_param_gen_params),
	KUNIT_CASE(gfx_pool_test_parse_many_nodes),
	KUNIT_CASE(gfx_pool_test_parse_fuzz),
	KUNIT_CASE(gfx_pool_test_check_param),
	{}
};

static struct kunit_suite gfx_pool_param_test_suite = {
	.name = "gfx_pool_param",
	.test_cases = gfx_pool_param_test_cases,
};

static struct kunit_case gfx_pool_test_cases[] = {
	KUNIT_CASE(gfx_pool_test_owns),
	KUNIT_CASE(gfx_pool_test_page_reserved),
	KUNIT_CASE_PARAM(gfx_pool_test_alloc_free, alloc_gen_params),
	KUNIT_CASE(gfx_pool_test_direct_map),
	KUNIT_CASE(gfx_pool_test_placement),
	KUNIT_CASE_PARAM(gfx_pool_test_zero, domain_gen_params),
#ifdef CONFIG_X86_PAT
	KUNIT_CASE_PARAM(gfx_pool_test_memtype, domain_gen_params),
#endif
	KUNIT_CASE(gfx_pool_test_misuse),
	KUNIT_CASE(gfx_pool_test_conversion_fails),
	KUNIT_CASE_PARAM(gfx_pool_test_free_state, domain_gen_params),
	KUNIT_CASE(gfx_pool_test_zero_np_atomic),
	KUNIT_CASE(gfx_pool_test_np_slots),
	KUNIT_CASE(gfx_pool_test_np_leave_drops_slots),
	KUNIT_CASE_PARAM(gfx_pool_test_convert_zeroes,
			 converted_domain_gen_params),
	KUNIT_CASE_PARAM(gfx_pool_test_alloc_in_irq, domain_gen_params),
	KUNIT_CASE(gfx_pool_test_exhaustion),
	KUNIT_CASE(gfx_pool_test_best_fit),
	KUNIT_CASE(gfx_pool_test_pairs),
	KUNIT_CASE(gfx_pool_test_pair_fewest_steps),
	KUNIT_CASE(gfx_pool_test_random),
	KUNIT_CASE(gfx_pool_test_one_conversion_for_waiters),
#ifdef CONFIG_X86
	KUNIT_CASE(gfx_pool_test_np_keeps_global),
#endif
#ifdef CONFIG_MEMORY_FAILURE
	KUNIT_CASE(gfx_pool_test_hwpoison),
	KUNIT_CASE(gfx_pool_test_hwpoison_free_block),
	KUNIT_CASE(gfx_pool_test_hwpoison_warm),
#endif
	KUNIT_CASE(gfx_pool_test_concurrent),
	{}
};

static struct kunit_suite gfx_pool_test_suite = {
	.name = "gfx_pool",
	.suite_init = gfx_pool_test_suite_init,
	.init = gfx_pool_test_init,
	.test_cases = gfx_pool_test_cases,
};

static struct kunit_case gfx_pool_grow_test_cases[] = {
	KUNIT_CASE_PARAM(gfx_pool_grow_test_beyond_region, domain_gen_params),
	KUNIT_CASE(gfx_pool_grow_test_group),
	KUNIT_CASE(gfx_pool_grow_test_not_allowed),
	KUNIT_CASE(gfx_pool_grow_test_lower_limit),
	KUNIT_CASE(gfx_pool_grow_test_held_page),
	KUNIT_CASE(gfx_pool_grow_test_idle),
	KUNIT_CASE(gfx_pool_grow_test_gfp),
	KUNIT_CASE(gfx_pool_grow_test_shrink_trylock),
	KUNIT_CASE(gfx_pool_grow_test_mapped_page),
#ifdef CONFIG_MEMORY_FAILURE
	KUNIT_CASE(gfx_pool_grow_test_hwpoison),
#endif
	{}
};

/* Growth from the page allocator: elastic.c. */
static struct kunit_suite gfx_pool_grow_test_suite = {
	.name = "gfx_pool_grow",
	.suite_init = gfx_pool_test_suite_init,
	.init = gfx_pool_test_init,
	.test_cases = gfx_pool_grow_test_cases,
};

static struct kunit_case gfx_pool_lend_test_cases[] = {
	KUNIT_CASE(gfx_pool_lend_test_round_trip),
	KUNIT_CASE(gfx_pool_lend_test_lent_wb),
	KUNIT_CASE(gfx_pool_lend_test_atomic),
	KUNIT_CASE(gfx_pool_lend_test_take_back_first),
	KUNIT_CASE(gfx_pool_lend_test_take_back_broken),
	KUNIT_CASE(gfx_pool_lend_test_take_back_scope),
	KUNIT_CASE(gfx_pool_lend_test_nofs_no_wait),
	KUNIT_CASE(gfx_pool_lend_test_region_last),
	KUNIT_CASE(gfx_pool_lend_test_group),
	KUNIT_CASE(gfx_pool_lend_test_warm),
	KUNIT_CASE(gfx_pool_lend_test_warm_no_room),
	KUNIT_CASE(gfx_pool_lend_test_has_room),
#ifdef CONFIG_MEMORY_FAILURE
	KUNIT_CASE(gfx_pool_lend_test_hwpoison),
#endif
	{}
};

/* The region lent through CMA while idle: elastic.c. */
static struct kunit_suite gfx_pool_lend_test_suite = {
	.name = "gfx_pool_lend",
	.suite_init = gfx_pool_test_suite_init,
	.init = gfx_pool_lend_test_init,
	.test_cases = gfx_pool_lend_test_cases,
};

static struct kunit_case gfx_pool_warm_test_cases[] = {
	KUNIT_CASE_PARAM(gfx_pool_warm_test_ahead, converted_domain_gen_params),
	KUNIT_CASE_PARAM(gfx_pool_warm_test_off, converted_domain_gen_params),
	KUNIT_CASE(gfx_pool_warm_test_never_grows),
	KUNIT_CASE(gfx_pool_warm_test_wb_first),
	{}
};

/* Warm blocks, converted ahead of demand: elastic.c. */
static struct kunit_suite gfx_pool_warm_test_suite = {
	.name = "gfx_pool_warm",
	.suite_init = gfx_pool_test_suite_init,
	.init = gfx_pool_test_init,
	.test_cases = gfx_pool_warm_test_cases,
};

static struct kunit_case gfx_pool_pcp_test_cases[] = {
	KUNIT_CASE_PARAM(gfx_pool_pcp_test_round_trip, domain_gen_params),
	KUNIT_CASE(gfx_pool_pcp_test_drain_for_block),
	KUNIT_CASE(gfx_pool_pcp_test_give_back_drains),
	KUNIT_CASE(gfx_pool_pcp_test_drain_for_pair),
	KUNIT_CASE(gfx_pool_pcp_test_shrink_drains),
	KUNIT_CASE(gfx_pool_pcp_test_shrink_counts_lists),
	KUNIT_CASE(gfx_pool_pcp_test_cpu_dead),
	KUNIT_CASE(gfx_pool_pcp_test_irq_while_held),
	KUNIT_CASE(gfx_pool_pcp_test_off),
	KUNIT_CASE(gfx_pool_pcp_test_node_asked),
	KUNIT_CASE(gfx_pool_pcp_test_batches),
	KUNIT_CASE(gfx_pool_pcp_test_fill_partial_first),
	KUNIT_CASE(gfx_pool_pcp_test_fill_line),
#ifdef CONFIG_MEMORY_FAILURE
	KUNIT_CASE(gfx_pool_pcp_test_hwpoison),
#endif
	{}
};

/* The per-CPU lists of order-0 pages: pcp.c. */
static struct kunit_suite gfx_pool_pcp_test_suite = {
	.name = "gfx_pool_pcp",
	.suite_init = gfx_pool_test_suite_init,
	.init = gfx_pool_test_init,
	.test_cases = gfx_pool_pcp_test_cases,
};

static struct kunit_case gfx_pool_numa_test_cases[] = {
	KUNIT_CASE(gfx_pool_numa_test_thisnode),
	KUNIT_CASE(gfx_pool_numa_test_node_full),
	KUNIT_CASE(gfx_pool_numa_test_pcp_other_node),
	KUNIT_CASE(gfx_pool_numa_test_take_back_first),
	KUNIT_CASE(gfx_pool_numa_test_local_node),
	{}
};

/* A region on every node: region.c, and the nid of each allocation. */
static struct kunit_suite gfx_pool_numa_test_suite = {
	.name = "gfx_pool_numa",
	.suite_init = gfx_pool_test_suite_init,
	.init = gfx_pool_numa_test_init,
	.test_cases = gfx_pool_numa_test_cases,
};

#ifdef CONFIG_PM_SLEEP
#ifdef CONFIG_HIBERNATION
/* What the PM core calls after a freeze_late that succeeded. */
static void thaw(void *unused)
{
	gfx_pool_thaw_early(NULL);
}

/*
 * freeze_late drains the per-CPU lists before it counts the pages that go
 * into the image: a page on a list is free, so it stays out of the image
 * as free pages do.
 */
static void gfx_pool_pm_test_freeze_drains(struct kunit *test)
{
	unsigned long in_use;
	struct page *page;

	gfx_pool_test_pcp(test, true);
	page = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WC, GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	gfx_pool_free_pages(page, 0);
	KUNIT_EXPECT_GT(test, gfx_pool_pcp_count(GFX_POOL_WC), 0);
	in_use = gfx_pool_pages_in_use();
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, thaw, NULL), 0);
	KUNIT_ASSERT_EQ(test, gfx_pool_freeze_late(NULL), 0);
	KUNIT_EXPECT_EQ(test, gfx_pool_pcp_count(GFX_POOL_WC), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gfx_pool.image_pages), in_use);
	kunit_release_action(test, thaw, NULL);
}
#endif /* CONFIG_HIBERNATION */

#ifdef CONFIG_HIBERNATION
/* @page, of @domain, holds @c in every byte. */
static bool page_holds(struct kunit *test, struct page *page,
		       enum gfx_pool_domain domain, int c)
{
	void *vaddr = map_for_test(page, 1, domain);
	bool ret;

	KUNIT_ASSERT_NOT_NULL(test, vaddr);
	ret = !memchr_inv(vaddr, c, PAGE_SIZE);
	unmap_for_test(vaddr, domain);
	return ret;
}

/*
 * Leave the free @page as a restore does: data the boot kernel wrote,
 * behind the pool's back, under a dirty bit from the image that says the
 * page is zero.
 */
static void restored_over(struct kunit *test, struct page *page,
			  enum gfx_pool_domain domain)
{
	unsigned long pfn = page_to_pfn(page), flags;
	struct gfx_pool_block *block = gfx_pool_pfn_to_block(pfn);
	struct gfx_pool_node *node;
	void *vaddr;

	KUNIT_ASSERT_NOT_NULL(test, block);
	vaddr = map_for_test(page, 1, domain);
	KUNIT_ASSERT_NOT_NULL(test, vaddr);
	memset(vaddr, 0x5a, PAGE_SIZE);
	unmap_for_test(vaddr, domain);
	node = gfx_pool.node[block->nid];
	spin_lock_irqsave(&node->lock, flags);
	clear_bit(pfn - block->pfn, block->dirty);
	spin_unlock_irqrestore(&node->lock, flags);
}

/*
 * The free @page left as a restore leaves it, the marking after a restore
 * (the syscore resume callback's) done if @mark, then allocated again
 * with @gfp: the pool's one free page, so it must come back.
 */
static void restore_take(struct kunit *test, struct page *page,
			 enum gfx_pool_domain domain, bool mark, gfp_t gfp)
{
	restored_over(test, page, domain);
	if (mark)
		gfx_pool_mark_all_dirty();
	KUNIT_ASSERT_PTR_EQ(test, gfx_pool_alloc_pages(page_to_nid(page),
						       domain, gfp, 0),
			    page);
}

/*
 * After a restore, free pages hold whatever the boot kernel left there,
 * and the dirty bits that came with the image say nothing about that:
 * the syscore resume callback marks every page dirty
 * (gfx_pool_mark_all_dirty()), so that the next zeroing allocation
 * zeroes it. Zeroing means __GFP_ZERO,
 * and with init_on_alloc=1 (stage init-on) every allocation. The pool's
 * one free page is left as a restore leaves it, three times: unmarked
 * first (the control: the pool trusts its bit and hands the data out),
 * then marked, for __GFP_ZERO and for a plain GFP_KERNEL.
 */
static void gfx_pool_pm_test_restore_dirty(struct kunit *test)
{
	enum gfx_pool_domain domain = *(const enum gfx_pool_domain *)test->param_value;
	const gfp_t gfp = GFP_KERNEL | __GFP_THISNODE;
	int nid = first_online_node;
	struct page *page;

	gfx_pool_test_pcp(test, false);
	gfx_pool_test_warm_blocks(test, 0);
	grow_none(test);
	gfx_pool_test_leave_free(test, nid, domain, 0, 1);
	page = gfx_pool_alloc_pages(nid, domain, gfp, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	gfx_pool_free_pages(page, 0);

	restore_take(test, page, domain, false, gfp | __GFP_ZERO);
	KUNIT_EXPECT_TRUE_MSG(test, page_holds(test, page, domain, 0x5a),
			      "a page whose bit says zero was zeroed again");
	gfx_pool_free_pages(page, 0);

	restore_take(test, page, domain, true, gfp | __GFP_ZERO);
	KUNIT_EXPECT_TRUE_MSG(test, page_holds(test, page, domain, 0),
			      "__GFP_ZERO after a restore handed out old data");
	gfx_pool_free_pages(page, 0);

	restore_take(test, page, domain, true, gfp);
	if (want_init_on_alloc(GFP_KERNEL))
		KUNIT_EXPECT_TRUE_MSG(test, page_holds(test, page, domain, 0),
				      "init_on_alloc=1 handed out old data");
	else
		KUNIT_EXPECT_TRUE_MSG(test, page_holds(test, page, domain, 0x5a),
				      "zeroed without __GFP_ZERO or init_on_alloc");
	gfx_pool_free_pages(page, 0);
}

struct restore_pcp {
	enum gfx_pool_domain domain;
	int nid;
	struct page *first, *second;
	unsigned long listed;	/* on the list after the first */
};

/* On a CPU of @a->nid: fill its list, a restore's marking, take again. */
static long restore_pcp_fn(void *data)
{
	struct restore_pcp *a = data;
	const gfp_t gfp = GFP_NOWAIT | __GFP_THISNODE;

	a->first = gfx_pool_alloc_pages(a->nid, a->domain, gfp, 0);
	a->listed = gfx_pool_pcp_count(a->domain);
	gfx_pool_mark_all_dirty();
	a->second = gfx_pool_alloc_pages(a->nid, a->domain, gfp | __GFP_ZERO,
					 0);
	return 0;
}

/*
 * The per-CPU lists are in the image too, and each run on them says
 * whether its pages are known to be zero: the marking after a restore
 * marks the runs, not only the blocks. The pool's two free pages are
 * left as a restore leaves them (old data, bits that say zero); on a CPU
 * of their node, a first allocation fills the list with both and takes
 * one, and after the marking a __GFP_ZERO allocation takes the other
 * from the list: it must come zeroed.
 */
static void gfx_pool_pm_test_restore_dirty_pcp(struct kunit *test)
{
	struct restore_pcp a = {
		.domain = *(const enum gfx_pool_domain *)test->param_value,
		.nid = first_online_node,
	};
	struct page *page[2];
	unsigned int cpu, i;

	gfx_pool_test_pcp(test, false);
	gfx_pool_test_warm_blocks(test, 0);
	grow_none(test);
	cpu = cpumask_any_and(cpumask_of_node(a.nid), cpu_online_mask);
	if (cpu >= nr_cpu_ids)
		kunit_skip(test, "no CPU online on node %d", a.nid);
	gfx_pool_test_leave_free(test, a.nid, a.domain, 0, 2);
	/* Free to their block (no lists yet), dirty; then as restored. */
	for (i = 0; i < 2; i++) {
		page[i] = gfx_pool_alloc_pages(a.nid, a.domain,
					       GFP_KERNEL | __GFP_THISNODE, 0);
		KUNIT_ASSERT_NOT_NULL(test, page[i]);
	}
	for (i = 0; i < 2; i++) {
		gfx_pool_free_pages(page[i], 0);
		restored_over(test, page[i], a.domain);
	}
	gfx_pool_test_pcp(test, true);

	KUNIT_ASSERT_EQ(test, work_on_cpu(cpu, restore_pcp_fn, &a), 0);
	KUNIT_ASSERT_NOT_NULL(test, a.first);
	KUNIT_ASSERT_NOT_NULL(test, a.second);
	/* Else the second came from its block, and the case proves nothing. */
	KUNIT_EXPECT_EQ_MSG(test, a.listed, 1,
			    "the first allocation did not leave the other page on the list");
	/* The two pages left free, in either order. */
	KUNIT_EXPECT_TRUE(test, a.first == page[0] || a.first == page[1]);
	KUNIT_EXPECT_TRUE(test, a.second == page[0] || a.second == page[1]);
	KUNIT_EXPECT_PTR_NE(test, a.first, a.second);
	KUNIT_EXPECT_TRUE_MSG(test, page_holds(test, a.second, a.domain, 0),
			      "__GFP_ZERO after a restore handed out old data from a per-CPU list");
	gfx_pool_free_pages(a.second, 0);
	gfx_pool_free_pages(a.first, 0);
	gfx_pool_pcp_drain(NUMA_NO_NODE);
}

/* A restore marks the pages of grown blocks dirty too, not only the region's. */
static void gfx_pool_pm_test_restore_dirty_grown(struct kunit *test)
{
	struct gfx_pool_block *block;
	unsigned long flags;
	struct page *page;

	grow_setup(test, 1);
	page = gfx_pool_alloc_pages(NUMA_NO_NODE, GFX_POOL_WC, GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	block = gfx_pool_pfn_to_block(page_to_pfn(page));
	KUNIT_ASSERT_TRUE(test, block && block->grown);
	gfx_pool_free_pages(page, 0);
	spin_lock_irqsave(&gfx_pool.node[block->nid]->lock, flags);
	bitmap_zero(block->dirty, GFX_POOL_BLOCK_PAGES);
	spin_unlock_irqrestore(&gfx_pool.node[block->nid]->lock, flags);

	gfx_pool_mark_all_dirty();
	KUNIT_EXPECT_TRUE(test, bitmap_full(block->dirty, GFX_POOL_BLOCK_PAGES));
}

static void can_hibernate_restore(void *data)
{
	gfx_pool_pm_set_can_hibernate((unsigned long)data);
}

/*
 * Without the PM device, which maps NP blocks for the image, the
 * notifier refuses hibernation rather than lose their data; suspend is
 * not refused, nor hibernation with the device.
 */
static void gfx_pool_pm_test_no_device(struct kunit *test)
{
	bool old = gfx_pool_pm_set_can_hibernate(false);

	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							can_hibernate_restore,
							(void *)(unsigned long)old),
			0);
	KUNIT_EXPECT_TRUE(test, old);
	KUNIT_EXPECT_EQ(test, gfx_pool_pm_notify(NULL, PM_HIBERNATION_PREPARE,
						 NULL),
			notifier_from_errno(-ENODEV));
	KUNIT_EXPECT_EQ(test, gfx_pool_pm_notify(NULL, PM_SUSPEND_PREPARE,
						 NULL), NOTIFY_OK);
	gfx_pool_pm_set_can_hibernate(true);
	KUNIT_EXPECT_EQ(test, gfx_pool_pm_notify(NULL, PM_HIBERNATION_PREPARE,
						 NULL), NOTIFY_OK);
}
#endif /* CONFIG_HIBERNATION */

static struct kunit_case gfx_pool_pm_test_cases[] = {
	KUNIT_CASE(gfx_pool_pm_test_zap),
#ifdef CONFIG_HIBERNATION
	KUNIT_CASE(gfx_pool_pm_test_no_device),
	KUNIT_CASE(gfx_pool_pm_test_snapshot_map),
	KUNIT_CASE_PARAM(gfx_pool_pm_test_restore_dirty, domain_gen_params),
	KUNIT_CASE_PARAM(gfx_pool_pm_test_restore_dirty_pcp, domain_gen_params),
	KUNIT_CASE(gfx_pool_pm_test_restore_dirty_grown),
	KUNIT_CASE(gfx_pool_pm_test_freeze_drains),
#endif
	{}
};

/* Sleep and hibernation: pm.c. */
static struct kunit_suite gfx_pool_pm_test_suite = {
	.name = "gfx_pool_pm",
	.suite_init = gfx_pool_test_suite_init,
	.init = gfx_pool_test_init,
	.test_cases = gfx_pool_pm_test_cases,
};

kunit_test_suites(&gfx_pool_param_test_suite, &gfx_pool_test_suite,
		  &gfx_pool_grow_test_suite, &gfx_pool_lend_test_suite,
		  &gfx_pool_warm_test_suite, &gfx_pool_pcp_test_suite,
		  &gfx_pool_numa_test_suite, &gfx_pool_pm_test_suite);
#else
kunit_test_suites(&gfx_pool_param_test_suite, &gfx_pool_test_suite,
		  &gfx_pool_grow_test_suite, &gfx_pool_lend_test_suite,
		  &gfx_pool_warm_test_suite, &gfx_pool_pcp_test_suite,
		  &gfx_pool_numa_test_suite);
#endif

#ifdef CONFIG_FAIL_GFX_POOL
static struct kunit_case gfx_pool_inject_test_cases[] = {
	KUNIT_CASE_PARAM(gfx_pool_inject_test_repair, domain_gen_params),
	KUNIT_CASE(gfx_pool_inject_test_broken_ends_cold),
	KUNIT_CASE(gfx_pool_inject_test_repair_backoff),
	KUNIT_CASE(gfx_pool_inject_test_repair_grown),
	KUNIT_CASE(gfx_pool_inject_test_take_back),
	KUNIT_CASE(gfx_pool_inject_test_take_back_grows),
	KUNIT_CASE_PARAM(gfx_pool_inject_test_workload, inject_gen_params),
#ifdef CONFIG_HIBERNATION
	KUNIT_CASE(gfx_pool_inject_test_snapshot),
#endif
	{}
};

/* fail_gfx_pool at work: the error paths, and the pool whole after them. */
static struct kunit_suite gfx_pool_inject_test_suite = {
	.name = "gfx_pool_inject",
	.suite_init = gfx_pool_test_suite_init,
	.init = gfx_pool_test_init,
	.test_cases = gfx_pool_inject_test_cases,
};

kunit_test_suite(gfx_pool_inject_test_suite);
#endif
