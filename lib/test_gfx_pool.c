// SPDX-License-Identifier: GPL-2.0
/*
 * Test driver for gfx_pool: lets user space run the pool's workloads after
 * boot, where the direct-map split counters of /proc/vmstat count, and
 * compare them with the per-page path (alloc_page() followed by
 * set_pages_array_wc() or _uc()).
 *
 * /dev/test_gfx_pool takes one ioctl command struct of __u64 fields,
 * validated in full before anything runs. See lib/test_gfx_pool_uapi.h.
 *
 * Each open file may also hold one buffer of pool pages and map it into
 * user space with its domain's caching, the way a graphics driver does;
 * its address_space is registered with gfx_pool so that suspend and
 * hibernation zap the mappings, and the fault handler maps them again.
 * A platform device of its own plays a driver's part in sleep: it frees
 * buffers in its suspend callback and takes a lock in its resume callback
 * that the fault handler also takes, as radeon does.
 */

#define pr_fmt(fmt) "test_gfx_pool: " fmt

#include <linux/fs.h>
#include <linux/gfx_pool.h>
#include <linux/gfx_pool_pm.h>
#include <linux/irq_work.h>
#include <linux/ktime.h>
#include <linux/llist.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pgtable.h>
#include <linux/platform_device.h>
#include <linux/prandom.h>
#include <linux/rwsem.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/suspend.h>
#include <linux/timer.h>
#include <linux/uaccess.h>

#include <asm/set_memory.h>
#ifdef CONFIG_X86_PAT
#include <asm/memtype.h>
#endif

#if IS_REACHABLE(CONFIG_DRM_TTM)
#include <drm/drm_vma_manager.h>
#include <drm/ttm/ttm_bo.h>
#include <drm/ttm/ttm_device.h>
#include <drm/ttm/ttm_pool.h>
#include <drm/ttm/ttm_tt.h>
#endif

#include "test_gfx_pool_uapi.h"

static int per_page_set(struct page **pages, unsigned long n, u64 domain)
{
	switch (domain) {
	case TEST_GFX_POOL_WC:
		return set_pages_array_wc(pages, n);
	case TEST_GFX_POOL_UC:
		return set_pages_array_uc(pages, n);
	default:
		return 0;
	}
}

static int per_page_reset(struct page **pages, unsigned long n, u64 domain)
{
	if (domain == TEST_GFX_POOL_WB)
		return 0;
	return set_pages_array_wb(pages, n);
}

#ifdef CONFIG_X86
static int cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/* Does a 4K entry map the direct map at @pfn? */
static bool direct_map_4k(unsigned long pfn)
{
	unsigned int level;

	return lookup_address((unsigned long)pfn_to_kaddr(pfn), &level) &&
	       level == PG_LEVEL_4K;
}

#define PFNS_PER_PMD	(1UL << (PMD_SHIFT - PAGE_SHIFT))

/*
 * The distinct 2M regions of the direct map that @n pages sit in and
 * that a 2M or 1G entry maps now: one of the pages of each, by PFN, into
 * @region (the pages stay held, so each stays mapped).
 * Return: how many.
 */
static unsigned long large_regions(struct page **pages, unsigned long n,
				   unsigned long *region)
{
	unsigned long i, nr = 0;

	for (i = 0; i < n; i++)
		region[i] = page_to_pfn(pages[i]);
	sort(region, n, sizeof(*region), cmp_ulong, NULL);
	/* In place: region[i - 1] is never overwritten before it is read. */
	for (i = 0; i < n; i++)
		if ((!i || region[i] / PFNS_PER_PMD != region[i - 1] / PFNS_PER_PMD) &&
		    !direct_map_4k(region[i]))
			region[nr++] = region[i];
	return nr;
}
#endif

/*
 * How often the timed loops yield: every TEST_GFX_POOL_BENCH_YIELD
 * allocations, or looped ttm_tts, of at least as many pages. Once an
 * allocation, the check was timed with every page on both sides of every
 * ratio and pulled each ratio towards 1: the warm pool / alloc_page()
 * median read 0.57x with it, 0.51x and 0.52x without (three runs of
 * `bench.sh ... warm` in one session). 256 pages take well under a
 * millisecond.
 */
#define TEST_GFX_POOL_BENCH_YIELD	256

/*
 * Let another task run if one is waiting, and leave the time it ran out
 * of the sample that started at @t0: only what the row does is timed.
 */
static void bench_yield(u64 *t0)
{
	u64 t;

	if (!need_resched())
		return;
	t = ktime_get_ns();
	cond_resched();
	*t0 += ktime_get_ns() - t;
}

/* Free @n allocations of @order; timed from @t0, which a yield moves. */
static void bench_free(struct page **pages, unsigned long n, u64 method,
		       unsigned int order, u64 *t0)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		if (i && !(i % TEST_GFX_POOL_BENCH_YIELD))
			bench_yield(t0);
		if (method == TEST_GFX_POOL_POOL)
			gfx_pool_free_pages(pages[i], order);
		else
			__free_pages(pages[i], order);
	}
}

/* Can TEST_GFX_POOL_BENCH_MEMTYPE ask PAT? Not without it, or with nopat. */
static bool bench_memtype_possible(void)
{
#ifdef CONFIG_X86_PAT
	return pat_enabled();
#else
	return false;
#endif
}

/*
 * TEST_GFX_POOL_BENCH_MEMTYPE: what PAT's memtype of @n pages in their
 * domain costs, alone: the lookup every vmf_insert_pfn_prot() makes (a
 * walk of the resource tree for ordinary RAM to learn that the page flags
 * answer, a look at the pool's region for a pool page). Every answer must
 * be one that keeps MTRRs from caching a user mapping: WC, UC or UC-;
 * which of them, and that a pool page skips the walk, the KUnit memtype
 * case checks.
 */
static int bench_memtype(struct test_gfx_pool_cmd *cmd, struct page **pages,
			 unsigned long n)
{
#ifdef CONFIG_X86_PAT
	unsigned long i, wrong = 0;
	u64 t0 = ktime_get_ns();

	/* True for UC, UC- and WC: what either domain must say. */
	for (i = 0; i < n; i++)
		wrong += !pat_pfn_immune_to_uc_mtrr(page_to_pfn(pages[i]));
	cmd->ns_memtype = ktime_get_ns() - t0;
	if (wrong) {
		pr_err("memtype: %lu of %lu pages neither WC, UC nor UC-\n",
		       wrong, n);
		return -EIO;
	}
	return 0;
#else
	return -EOPNOTSUPP;	/* refused before: bench_memtype_possible() */
#endif
}

static int test_gfx_pool_bench(struct test_gfx_pool_cmd *cmd)
{
	gfp_t gfp = GFP_KERNEL |
		    (cmd->flags & TEST_GFX_POOL_BENCH_ZERO ? __GFP_ZERO : 0);
	unsigned long i, n = cmd->npages >> cmd->order;
	struct page **pages;
	u64 t0, t1;
	int ret = 0;

	pages = kvmalloc_array(n, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;

	t0 = ktime_get_ns();
	for (i = 0; i < n; i++) {
		/*
		 * Every TEST_GFX_POOL_BENCH_YIELD allocations, not after the
		 * last: a one-page sample must not count the time another
		 * task (the pool's warm work, woken by this very allocation)
		 * runs here.
		 */
		if (i && !(i % TEST_GFX_POOL_BENCH_YIELD)) {
			bench_yield(&t0);
			if (fatal_signal_pending(current)) {
				ret = -EINTR;
				break;
			}
		}
		if (cmd->method == TEST_GFX_POOL_POOL)
			pages[i] = gfx_pool_alloc_pages(NUMA_NO_NODE,
							cmd->domain, gfp,
							cmd->order);
		else
			pages[i] = alloc_pages(gfp, cmd->order);
		if (!pages[i]) {
			ret = -ENOMEM;
			break;
		}
	}
	if (ret) {
		bench_free(pages, i, cmd->method, cmd->order, &t0);
		goto out_free_array;
	}
	t1 = ktime_get_ns();
	cmd->ns_alloc = t1 - t0;

	cmd->ns_set = 0;
	cmd->ns_reset = 0;
	cmd->ns_memtype = 0;
	cmd->regions = 0;
	cmd->regions_split = 0;
	if (cmd->method == TEST_GFX_POOL_POOL &&
	    (cmd->flags & TEST_GFX_POOL_BENCH_MEMTYPE))
		ret = bench_memtype(cmd, pages, n);
	if (cmd->method == TEST_GFX_POOL_PER_PAGE) {
		unsigned long *region = NULL;
		int err;

#ifdef CONFIG_X86
		if (cmd->domain != TEST_GFX_POOL_WB) {
			/* Untimed: t1 is taken again after it. */
			region = kvmalloc_array(n, sizeof(*region), GFP_KERNEL);
			if (region)
				cmd->regions = large_regions(pages, n, region);
			t1 = ktime_get_ns();
		}
#endif
		ret = per_page_set(pages, n, cmd->domain);
		t0 = ktime_get_ns();
		cmd->ns_set = t0 - t1;
		if (!ret && (cmd->flags & TEST_GFX_POOL_BENCH_MEMTYPE)) {
			ret = bench_memtype(cmd, pages, n);
			t0 = ktime_get_ns();
		}
		/* Back to WB even after a failed set: it may have done part. */
		err = per_page_reset(pages, n, cmd->domain);
		cmd->ns_reset = ktime_get_ns() - t0;
#ifdef CONFIG_X86
		for (i = 0; region && i < cmd->regions; i++)
			cmd->regions_split += direct_map_4k(region[i]);
#endif
		kvfree(region);
		if (err) {
			/* Pages of unknown caching must not go back to the buddy. */
			pr_err("set_pages_array_wb() failed: %d; leaking %lu pages\n",
			       err, n);
			ret = err;
			goto out_free_array;
		}
	}

	t0 = ktime_get_ns();
	bench_free(pages, n, cmd->method, cmd->order, &t0);
	cmd->ns_free = ktime_get_ns() - t0;

out_free_array:
	kvfree(pages);
	return ret;
}

#if IS_REACHABLE(CONFIG_DRM_TTM)
/*
 * Two TTM devices with no hardware behind them, made on first use: one as
 * a driver would have it (WC and UC over gfx_pool when the pool is on),
 * one with use_dma32, which keeps TTM on its own path, pool or not.
 */
static struct test_gfx_pool_ttm {
	struct mutex lock;	/* creates the devices once */
	bool ready;
	struct drm_vma_offset_manager vma;
	struct ttm_device bdev[2];	/* [0]: over the pool, [1]: dma32 */
	const struct ttm_device_funcs funcs;
} test_ttm = {
	.lock = __MUTEX_INITIALIZER(test_ttm.lock),
};

static struct ttm_device *test_gfx_pool_ttm_device(bool per_page)
{
	int ret = 0;

	mutex_lock(&test_ttm.lock);
	if (!test_ttm.ready) {
		drm_vma_offset_manager_init(&test_ttm.vma, 0, 1 << 20);
		ret = ttm_device_init(&test_ttm.bdev[0], &test_ttm.funcs, NULL,
				      NULL, &test_ttm.vma, false, false);
		if (!ret) {
			ret = ttm_device_init(&test_ttm.bdev[1], &test_ttm.funcs,
					      NULL, NULL, &test_ttm.vma,
					      false, true);
			if (ret)
				ttm_device_fini(&test_ttm.bdev[0]);
		}
		if (ret)
			drm_vma_offset_manager_destroy(&test_ttm.vma);
		test_ttm.ready = !ret;
	}
	mutex_unlock(&test_ttm.lock);
	return ret ? ERR_PTR(ret) : &test_ttm.bdev[per_page];
}

static void test_gfx_pool_ttm_fini(void)
{
	if (!test_ttm.ready)
		return;
	ttm_device_fini(&test_ttm.bdev[1]);
	ttm_device_fini(&test_ttm.bdev[0]);
	drm_vma_offset_manager_destroy(&test_ttm.vma);
}

/* A ttm_tt of npages populated and unpopulated as a user-visible BO's. */
static int test_gfx_pool_ttm_bench(struct test_gfx_pool_cmd *cmd)
{
	struct ttm_operation_ctx ctx = { .interruptible = true };
	u64 t0, i, done = 0, loops = 1;
	struct ttm_device *bdev;
	struct ttm_tt *tt;
	int ret;

	bdev = test_gfx_pool_ttm_device(cmd->method ==
					TEST_GFX_POOL_TTM_PER_PAGE);
	if (IS_ERR(bdev))
		return PTR_ERR(bdev);
	tt = kzalloc(sizeof(*tt), GFP_KERNEL);
	if (!tt)
		return -ENOMEM;
	tt->pages = kvcalloc(cmd->npages, sizeof(*tt->pages), GFP_KERNEL);
	if (!tt->pages) {
		ret = -ENOMEM;
		goto out_free_tt;
	}
	tt->num_pages = cmd->npages;
	tt->caching = cmd->domain == TEST_GFX_POOL_WC ? ttm_write_combined :
							ttm_uncached;
	/*
	 * As ttm_tt_init() makes it for a ttm_bo_type_device BO, the kind a
	 * driver maps to user space: its pages must come zeroed, also those
	 * stock TTM takes fresh from the page allocator.
	 */
	tt->page_flags = TTM_TT_FLAG_ZERO_ALLOC;

	/*
	 * A small tt takes a few microseconds: one timer tick in a sample
	 * would be most of it. Looped, a sample is as long as a big tt's.
	 */
	if (cmd->flags & TEST_GFX_POOL_BENCH_LOOP)
		loops = max(1ULL, TEST_GFX_POOL_LOOP_PAGES / cmd->npages);
	cmd->ns_alloc = 0;
	cmd->ns_free = 0;
	if (!(cmd->flags & TEST_GFX_POOL_BENCH_LOOP)) {
		t0 = ktime_get_ns();
		ret = ttm_pool_alloc(&bdev->pool, tt, &ctx);
		cmd->ns_alloc = ktime_get_ns() - t0;
		if (ret)
			goto out_free_pages;
		t0 = ktime_get_ns();
		ttm_pool_free(&bdev->pool, tt);
		cmd->ns_free = ktime_get_ns() - t0;
	} else {
		/*
		 * One clock for the whole loop: four reads a tt were about
		 * 200 ns of a one-page tt's 1.1-1.7 us, over the pool and on
		 * stock TTM alike (make profile: ktime_get() and read_tsc()
		 * 14-19% of the row), which pulled the ratio towards 1.
		 */
		t0 = ktime_get_ns();
		for (i = 0; i < loops; i++) {
			/* Every TEST_GFX_POOL_BENCH_YIELD pages or more. */
			if (done >= TEST_GFX_POOL_BENCH_YIELD) {
				done = 0;
				bench_yield(&t0);
			}
			done += cmd->npages;
			ret = ttm_pool_alloc(&bdev->pool, tt, &ctx);
			if (ret)
				goto out_free_pages;
			ttm_pool_free(&bdev->pool, tt);
		}
		cmd->ns_alloc = (ktime_get_ns() - t0) / loops;
	}
	cmd->ns_set = 0;
	cmd->ns_reset = 0;
	cmd->ns_memtype = 0;
	cmd->regions = 0;
	cmd->regions_split = 0;

out_free_pages:
	kvfree(tt->pages);
out_free_tt:
	kfree(tt);
	return ret;
}
#else
static int test_gfx_pool_ttm_bench(struct test_gfx_pool_cmd *cmd)
{
	return -EOPNOTSUPP;
}

static void test_gfx_pool_ttm_fini(void)
{
}
#endif

/* === Stress ============================================================== */

static const char *const stress_domain_names[] = { "wb", "wc", "uc", "np" };

/* One allocation a stress file holds: NP pages carry no pattern. */
struct test_gfx_pool_held {
	struct page *page;
	u64 stamp;
	u8 order;
	u8 domain;
};

/* A free handed to the timer or the irq_work. */
struct test_gfx_pool_deferred {
	struct llist_node node;
	struct test_gfx_pool_held held;
};

/**
 * struct test_gfx_pool_stress_state - what TEST_GFX_POOL_STRESS keeps
 * @rnd: the file's random choices, seeded at its first slice.
 * @slot: the allocations held between slices.
 * @soft: frees for @timer, which runs in softirq context.
 * @hard: frees for @work, which runs in hard interrupt context.
 * @timer: frees @soft.
 * @work: frees @hard.
 * @corrupt: pages found with wrong contents, all slices.
 * @freed_soft: frees @timer did in softirq context, all slices.
 * @freed_hard: frees @work did in hard interrupt context, all slices.
 */
struct test_gfx_pool_stress_state {
	struct rnd_state rnd;
	struct test_gfx_pool_held slot[TEST_GFX_POOL_STRESS_SLOTS];
	struct llist_head soft;
	struct llist_head hard;
	struct timer_list timer;
	struct irq_work work;
	atomic_long_t corrupt;
	atomic_long_t freed_soft;
	atomic_long_t freed_hard;
};

static u64 *stress_first(const struct test_gfx_pool_held *h)
{
	return page_address(h->page);
}

static u64 *stress_last(const struct test_gfx_pool_held *h)
{
	return (u64 *)(page_address(h->page) + (PAGE_SIZE << h->order)) - 1;
}

/*
 * Is each page of @h zero at its first and last word, where stamps of
 * earlier allocations lie (a stamp of an allocation of a lower order may
 * lie inside this one)?
 */
static bool stress_zero(const struct test_gfx_pool_held *h)
{
	unsigned long i;
	u64 *p;

	for (i = 0; i < 1UL << h->order; i++) {
		p = page_address(h->page + i);
		if (READ_ONCE(p[0]) || READ_ONCE(p[PAGE_SIZE / sizeof(*p) - 1]))
			return false;
	}
	return true;
}

/* Any context: check the pattern, then free. */
static void stress_free(struct test_gfx_pool_stress_state *st,
			struct test_gfx_pool_held *h)
{
	if (h->domain != TEST_GFX_POOL_NP &&
	    (READ_ONCE(*stress_first(h)) != h->stamp ||
	     READ_ONCE(*stress_last(h)) != ~h->stamp)) {
		pr_err_ratelimited("stress: pfn %#lx order %u %s: its pattern changed while it was held\n",
				   page_to_pfn(h->page), h->order,
				   stress_domain_names[h->domain]);
		atomic_long_inc(&st->corrupt);
	}
	gfx_pool_free_pages(h->page, h->order);
	h->page = NULL;
}

/* Free what @list holds. Return: how many. */
static long stress_free_list(struct test_gfx_pool_stress_state *st,
			     struct llist_head *list)
{
	struct test_gfx_pool_deferred *d, *next;
	long n = 0;

	llist_for_each_entry_safe(d, next, llist_del_all(list), node) {
		stress_free(st, &d->held);
		kfree(d);
		n++;
	}
	return n;
}

/* Counted only if it runs where it should: the stress stage checks. */
static void stress_timer_fn(struct timer_list *t)
{
	struct test_gfx_pool_stress_state *st = from_timer(st, t, timer);
	long n = stress_free_list(st, &st->soft);

	if (in_serving_softirq())
		atomic_long_add(n, &st->freed_soft);
}

static void stress_irq_work_fn(struct irq_work *work)
{
	struct test_gfx_pool_stress_state *st =
		container_of(work, struct test_gfx_pool_stress_state, work);
	long n = stress_free_list(st, &st->hard);

	if (in_hardirq())
		atomic_long_add(n, &st->freed_hard);
}

/* Hand @h's free to the timer or the irq_work; false if no memory. */
static bool stress_defer(struct test_gfx_pool_stress_state *st,
			 struct test_gfx_pool_held *h, bool hard)
{
	struct test_gfx_pool_deferred *d = kmalloc(sizeof(*d), GFP_KERNEL);

	if (!d)
		return false;
	d->held = *h;
	h->page = NULL;
	if (hard) {
		llist_add(&d->node, &st->hard);
		irq_work_queue(&st->work);
	} else if (llist_add(&d->node, &st->soft)) {
		mod_timer(&st->timer, jiffies + 1);
	}
	return true;
}

/* Mostly small orders, as drivers ask; a block or a pair now and then. */
static unsigned int stress_order(struct rnd_state *rnd)
{
	unsigned int r = prandom_u32_state(rnd) % 16;

	if (r < 8)
		return 0;
	if (r < 11)
		return r - 7;
	if (r < 13)
		return 4 + prandom_u32_state(rnd) % 5;
	return r < 15 ? PMD_ORDER : MAX_PAGE_ORDER;
}

static void stress_alloc(struct test_gfx_pool_stress_state *st,
			 struct test_gfx_pool_held *h,
			 struct test_gfx_pool_stress *cmd)
{
	struct rnd_state *rnd = &st->rnd;
	u32 r = prandom_u32_state(rnd);
	gfp_t gfp = (r & 7 ? GFP_KERNEL : GFP_NOWAIT) |
		    (r & 0x18 ? 0 : __GFP_ZERO);
	int nid = r & 0x60 ? NUMA_NO_NODE :
		  node_random(&node_states[N_MEMORY]);

	h->domain = prandom_u32_state(rnd) % GFX_POOL_NR_DOMAINS;
	h->order = stress_order(rnd);
	h->page = gfx_pool_alloc_pages(nid, h->domain, gfp, h->order);
	if (!h->page) {
		cmd->failed++;
		return;
	}
	cmd->allocs++;
	if (h->domain == TEST_GFX_POOL_NP)
		return;
	if ((gfp & __GFP_ZERO) && !stress_zero(h)) {
		pr_err_ratelimited("stress: pfn %#lx order %u %s: __GFP_ZERO, but not zero\n",
				   page_to_pfn(h->page), h->order,
				   stress_domain_names[h->domain]);
		atomic_long_inc(&st->corrupt);
	}
	h->stamp = ((u64)prandom_u32_state(rnd) << 32) | prandom_u32_state(rnd);
	WRITE_ONCE(*stress_first(h), h->stamp);
	WRITE_ONCE(*stress_last(h), ~h->stamp);
}

static struct test_gfx_pool_stress_state *stress_state_new(u64 seed)
{
	struct test_gfx_pool_stress_state *st = kzalloc(sizeof(*st), GFP_KERNEL);

	if (!st)
		return NULL;
	prandom_seed_state(&st->rnd, seed);
	init_llist_head(&st->soft);
	init_llist_head(&st->hard);
	timer_setup(&st->timer, stress_timer_fn, 0);
	init_irq_work(&st->work, stress_irq_work_fn);
	atomic_long_set(&st->corrupt, 0);
	atomic_long_set(&st->freed_soft, 0);
	atomic_long_set(&st->freed_hard, 0);
	return st;
}

/* At close: nothing runs for the file any more; free what it holds. */
static void stress_state_free(struct test_gfx_pool_stress_state *st)
{
	unsigned int i;

	if (!st)
		return;
	irq_work_sync(&st->work);
	timer_delete_sync(&st->timer);
	stress_free_list(st, &st->soft);
	stress_free_list(st, &st->hard);
	for (i = 0; i < TEST_GFX_POOL_STRESS_SLOTS; i++)
		if (st->slot[i].page)
			stress_free(st, &st->slot[i]);
	kfree(st);
}

static void test_gfx_pool_stress_slice(struct test_gfx_pool_stress_state *st,
				       struct test_gfx_pool_stress *cmd)
{
	unsigned long end = jiffies + msecs_to_jiffies(cmd->ms);
	struct test_gfx_pool_held *h;
	unsigned int i;
	u32 how;

	while (time_before(jiffies, end) && !fatal_signal_pending(current)) {
		cond_resched();
		cmd->ops++;
		h = &st->slot[prandom_u32_state(&st->rnd) %
			      TEST_GFX_POOL_STRESS_SLOTS];
		if (!h->page) {
			stress_alloc(st, h, cmd);
			continue;
		}
		/* Half here, a quarter each in softirq and hard irq context. */
		how = prandom_u32_state(&st->rnd) % 4;
		if (how >= 2 && stress_defer(st, h, how == 3))
			cmd->deferred++;
		else
			stress_free(st, h);
	}
	for (i = 0; i < TEST_GFX_POOL_STRESS_SLOTS; i++)
		cmd->held += !!st->slot[i].page;
	cmd->corrupt = atomic_long_read(&st->corrupt);
	cmd->freed_soft = atomic_long_read(&st->freed_soft);
	cmd->freed_hard = atomic_long_read(&st->freed_hard);
}

/* === Buffers mapped into user space ===================================== */

/**
 * struct test_gfx_pool_file - one open file and its buffer
 * @link: on test_gfx_pool_files while the file is open.
 * @lock: protects everything below.
 * @pages: the buffer, or NULL.
 * @npages: its size.
 * @domain: its domain.
 * @per_page: its pages are the page allocator's, made @domain page by page.
 * @prefault: a fault maps TEST_GFX_POOL_PREFAULT pages, as TTM's does.
 * @frag: the pages TEST_GFX_POOL_FRAGMENT keeps, or NULL.
 * @nr_frag: how many.
 * @faults: pages the fault handler mapped.
 * @kernel_faults: those of them that the kernel faulted, in copy_to_user().
 * @map: this file's mappings, registered with gfx_pool.
 * @free_at_sleep: the buffer is to be freed when suspend or hibernation
 *	begins.
 * @stress: what TEST_GFX_POOL_STRESS holds for this file, or NULL.
 */
struct test_gfx_pool_file {
	struct list_head link;
	struct mutex lock;	/* protects the fields below */
	struct page **pages;
	unsigned long npages;
	u64 domain;
	bool per_page;
	bool prefault;
	struct page **frag;
	unsigned long nr_frag;
	u64 faults;
	u64 kernel_faults;
	struct gfx_pool_mapping map;
	bool free_at_sleep;
	struct test_gfx_pool_stress_state *stress;
};

/*
 * Every open file, for the sleep callbacks to find the buffers that are
 * to go. Whether one is to go is the file's own, under its lock, set with
 * the buffer. Lock order: test_gfx_pool_files_lock, then a file's lock.
 */
static LIST_HEAD(test_gfx_pool_files);
static DEFINE_MUTEX(test_gfx_pool_files_lock);

static void test_gfx_pool_buf_free(struct test_gfx_pool_file *tf)
{
	unsigned long i;

	lockdep_assert_held(&tf->lock);
	if (!tf->pages)
		return;
	/* No user mapping may outlive the pages: zap before giving back. */
	unmap_mapping_range(tf->map.mapping, 0, 0, 1);
	if (tf->per_page) {
		/* Pages of unknown caching must not go back to the buddy. */
		if (per_page_reset(tf->pages, tf->npages, tf->domain))
			pr_err("set_pages_array_wb() failed; leaking %lu pages\n",
			       tf->npages);
		else
			for (i = 0; i < tf->npages; i++)
				__free_page(tf->pages[i]);
	} else {
		for (i = 0; i < tf->npages; i++)
			gfx_pool_free_pages(tf->pages[i], 0);
	}
	kvfree(tf->pages);
	tf->pages = NULL;
	tf->npages = 0;
	tf->free_at_sleep = false;
}

/* The per-page path's buffer: ordinary pages, made @buf->domain one by one. */
static int test_gfx_pool_buf_alloc_per_page(struct test_gfx_pool_file *tf,
					    struct test_gfx_pool_buf *buf)
{
	unsigned long i;
	int ret;

	for (i = 0; i < buf->npages; i++) {
		tf->pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO |
					  __GFP_ACCOUNT | __GFP_RETRY_MAYFAIL);
		if (!tf->pages[i])
			break;
		cond_resched();
	}
	ret = i < buf->npages ? -ENOMEM :
	      per_page_set(tf->pages, buf->npages, buf->domain);
	if (ret && (i < buf->npages ||
		    !per_page_reset(tf->pages, buf->npages, buf->domain))) {
		while (i--)
			__free_page(tf->pages[i]);
	} else if (ret) {
		pr_err("set_pages_array_wb() failed; leaking %lu pages\n", i);
	}
	return ret;
}

static int test_gfx_pool_buf_alloc(struct test_gfx_pool_file *tf,
				   struct test_gfx_pool_buf *buf)
{
	bool per_page = buf->flags & TEST_GFX_POOL_BUF_PER_PAGE;
	unsigned long i;
	int ret;

	lockdep_assert_held(&tf->lock);
	if (tf->pages)
		return -EBUSY;
	tf->pages = kvcalloc(buf->npages, sizeof(*tf->pages), GFP_KERNEL);
	if (!tf->pages)
		return -ENOMEM;
	/*
	 * Before any page is in: a failure half way gives the pages back
	 * through test_gfx_pool_buf_free(), which goes by these, not by
	 * what the file's last buffer was.
	 */
	tf->domain = buf->domain;
	tf->per_page = per_page;
	if (per_page) {
		ret = test_gfx_pool_buf_alloc_per_page(tf, buf);
		if (ret) {
			kvfree(tf->pages);
			tf->pages = NULL;
			return ret;
		}
	}
	/*
	 * Charged to the caller's memcg, as a driver's buffers should be;
	 * over its limit the buffer fails with -ENOMEM instead of waking
	 * the memcg OOM killer, as for a large buffer a driver would ask.
	 */
	for (i = 0; !per_page && i < buf->npages; i++) {
		tf->pages[i] = gfx_pool_alloc_pages(NUMA_NO_NODE, buf->domain,
						    GFP_KERNEL | __GFP_ZERO |
						    __GFP_ACCOUNT |
						    __GFP_RETRY_MAYFAIL, 0);
		if (!tf->pages[i]) {
			tf->npages = i;
			test_gfx_pool_buf_free(tf);
			return -ENOMEM;
		}
	}
	tf->npages = buf->npages;
	tf->prefault = buf->flags & TEST_GFX_POOL_BUF_PREFAULT;
	tf->free_at_sleep = buf->flags & TEST_GFX_POOL_FREE_AT_SLEEP;
	tf->faults = 0;
	tf->kernel_faults = 0;
	return 0;
}

static void test_gfx_pool_frag_free(struct test_gfx_pool_file *tf)
{
	unsigned long i;

	lockdep_assert_held(&tf->lock);
	for (i = 0; i < tf->nr_frag; i++)
		__free_page(tf->frag[i]);
	kvfree(tf->frag);
	tf->frag = NULL;
	tf->nr_frag = 0;
}

/*
 * TEST_GFX_POOL_FRAGMENT: take @npages pages (fewer if the allocator runs
 * short first), then give back every other one. All are taken before any
 * goes back, so that a freed page is not simply handed out again next.
 */
static int test_gfx_pool_fragment(struct test_gfx_pool_file *tf,
				  unsigned long npages)
{
	unsigned long i, n;
	struct page *page;

	lockdep_assert_held(&tf->lock);
	if (tf->frag)
		return -EBUSY;
	tf->frag = kvcalloc(npages, sizeof(*tf->frag), GFP_KERNEL);
	if (!tf->frag)
		return -ENOMEM;
	for (n = 0; n < npages; n++) {
		if (fatal_signal_pending(current))
			break;
		page = alloc_page(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN);
		if (!page)
			break;
		tf->frag[n] = page;
		cond_resched();
	}
	/* The odd ones go back: holes between the kept ones. */
	for (i = 0; i < n; i++) {
		if (i & 1)
			__free_page(tf->frag[i]);
		else
			tf->frag[tf->nr_frag++] = tf->frag[i];
	}
	if (fatal_signal_pending(current)) {
		test_gfx_pool_frag_free(tf);
		return -EINTR;
	}
	return 0;
}

/* Taken for read by every fault, for write by every resume callback. */
static DECLARE_RWSEM(test_gfx_pool_mclk);
static atomic_long_t test_gfx_pool_resumes;

/*
 * The test device's suspend and freeze callbacks free the buffers marked
 * TEST_GFX_POOL_FREE_AT_SLEEP, as a driver frees or moves buffers in its
 * own; they run before gfx_pool's, which zaps afterwards. The process
 * finds the buffer gone after resume.
 */
static int test_gfx_pool_pm_suspend(struct device *dev)
{
	struct test_gfx_pool_file *tf;

	mutex_lock(&test_gfx_pool_files_lock);
	list_for_each_entry(tf, &test_gfx_pool_files, link) {
		mutex_lock(&tf->lock);
		if (tf->free_at_sleep)
			test_gfx_pool_buf_free(tf);
		mutex_unlock(&tf->lock);
	}
	mutex_unlock(&test_gfx_pool_files_lock);
	return 0;
}

/* radeon's resume reclocks under mclk_lock held for write; so do we. */
static int test_gfx_pool_pm_resume(struct device *dev)
{
	down_write(&test_gfx_pool_mclk);
	atomic_long_inc(&test_gfx_pool_resumes);
	up_write(&test_gfx_pool_mclk);
	return 0;
}

static const struct dev_pm_ops test_gfx_pool_pm_ops = {
	.suspend = test_gfx_pool_pm_suspend,
	.resume = test_gfx_pool_pm_resume,
	.freeze = test_gfx_pool_pm_suspend,
	.thaw = test_gfx_pool_pm_resume,
	.restore = test_gfx_pool_pm_resume,
};

static struct platform_driver test_gfx_pool_pm_driver = {
	.driver = {
		.name = "test_gfx_pool",
		.pm = &test_gfx_pool_pm_ops,
	},
};

static struct platform_device *test_gfx_pool_pdev;

/*
 * The domain whose caching @prot has, in test_gfx_pool_buf.domain's values.
 * pgprot2cachemode() is not exported; the table behind cachemode2protval()
 * is. UC before WC: without PAT (nopat), WC is UC-, with UC-'s bits, and
 * the PTE says UC.
 */
static u64 test_gfx_pool_pte_domain(pgprot_t prot)
{
	pgprotval_t type = pgprot_val(prot) & _PAGE_CACHE_MASK;

	if (type == cachemode2protval(_PAGE_CACHE_MODE_WB))
		return TEST_GFX_POOL_WB;
	if (type == cachemode2protval(_PAGE_CACHE_MODE_UC_MINUS) ||
	    type == cachemode2protval(_PAGE_CACHE_MODE_UC))
		return TEST_GFX_POOL_UC;
	if (type == cachemode2protval(_PAGE_CACHE_MODE_WC))
		return TEST_GFX_POOL_WC;
	return TEST_GFX_POOL_PTE_OTHER;
}

/*
 * The domain of the PTE that maps @addr in a mapping of this file.
 * Called without tf->lock: the fault handler takes it under mmap_lock.
 */
static int test_gfx_pool_pte(struct file *file, struct test_gfx_pool_buf *buf)
{
	struct follow_pfnmap_args args = { .address = buf->addr };
	struct mm_struct *mm = current->mm;
	int ret = -EINVAL;

	mmap_read_lock(mm);
	args.vma = vma_lookup(mm, buf->addr);
	if (args.vma && args.vma->vm_file == file) {
		ret = follow_pfnmap_start(&args);
		if (!ret) {
			buf->pte_domain = test_gfx_pool_pte_domain(args.pgprot);
			buf->pfn = args.pfn;
			follow_pfnmap_end(&args);
		} else {
			ret = -ENOENT;	/* not faulted in */
		}
	}
	mmap_read_unlock(mm);
	return ret;
}

static long test_gfx_pool_buf_ioctl(struct file *file, unsigned int command,
				    void __user *uarg)
{
	struct test_gfx_pool_file *tf = file->private_data;
	struct test_gfx_pool_buf buf;
	int ret = 0;

	if (copy_from_user(&buf, uarg, sizeof(buf)))
		return -EFAULT;
	if (buf.flags & ~(TEST_GFX_POOL_FREE_AT_SLEEP |
			  TEST_GFX_POOL_BUF_PER_PAGE |
			  TEST_GFX_POOL_BUF_PREFAULT) ||
	    (buf.flags && command != TEST_GFX_POOL_ALLOC))
		return -EINVAL;
	if (command == TEST_GFX_POOL_ALLOC &&
	    (buf.domain >= GFX_POOL_NR_DOMAINS || !buf.npages ||
	     buf.npages > TEST_GFX_POOL_MAX_BUF_PAGES))
		return -EINVAL;
	if (command == TEST_GFX_POOL_ALLOC &&
	    (buf.flags & TEST_GFX_POOL_BUF_PER_PAGE)) {
		/* No exported per-page way to unmap a page from the direct map. */
		if (buf.domain == TEST_GFX_POOL_NP)
			return -EOPNOTSUPP;
		if (buf.npages > totalram_pages() / 2)
			return -ENOMEM;
	} else if (command == TEST_GFX_POOL_ALLOC && !gfx_pool_enabled()) {
		return -ENODEV;
	}

	if (command == TEST_GFX_POOL_PTE)
		ret = test_gfx_pool_pte(file, &buf);

	mutex_lock(&tf->lock);
	switch (command) {
	case TEST_GFX_POOL_ALLOC:
		ret = test_gfx_pool_buf_alloc(tf, &buf);
		break;
	case TEST_GFX_POOL_FREE:
		if (!tf->pages)
			ret = -ENOENT;
		test_gfx_pool_buf_free(tf);
		break;
	case TEST_GFX_POOL_ZAP:
		/* The next access to any mapping of the buffer faults. */
		if (!tf->pages)
			ret = -ENOENT;
		else
			unmap_mapping_range(tf->map.mapping, 0, 0, 1);
		break;
	}
	buf.domain = tf->domain;
	buf.npages = tf->npages;
	buf.faults = tf->faults;
	buf.kernel_faults = tf->kernel_faults;
	buf.zaps = READ_ONCE(tf->map.zaps);
	buf.resumes = atomic_long_read(&test_gfx_pool_resumes);
	mutex_unlock(&tf->lock);
	if (!ret && copy_to_user(uarg, &buf, sizeof(buf)))
		ret = -EFAULT;
	return ret;
}

/* @prot with the caching of a buffer of @domain. */
static pgprot_t test_gfx_pool_prot(pgprot_t prot, u64 domain)
{
	switch (domain) {
	case TEST_GFX_POOL_WC:
		return pgprot_writecombine(prot);
	case TEST_GFX_POOL_UC:
		return pgprot_noncached(prot);
	default:
		/* WB, and NP pages whose PAT type is WB. */
		return prot;
	}
}

/*
 * The fault handler takes test_gfx_pool_mclk for read around everything,
 * as radeon_gem_fault() takes its mclk_lock, and the resume callbacks take
 * it for write: a fault that waited for a PM event here would hang resume.
 */
static vm_fault_t test_gfx_pool_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct test_gfx_pool_file *tf = vma->vm_file->private_data;
	unsigned long addr = vmf->address, i, n = 1;
	vm_fault_t ret = VM_FAULT_NOPAGE;
	pgprot_t prot;

	down_read(&test_gfx_pool_mclk);
	mutex_lock(&tf->lock);
	if (!tf->pages || vmf->pgoff >= tf->npages) {
		ret = VM_FAULT_SIGBUS;
		goto out_unlock;
	}
	/*
	 * The caching of the buffer there is now, as TTM's fault handler
	 * takes the BO's: the mapping may be older than the buffer (FREE,
	 * then ALLOC in another domain). PAT would correct the PTE's
	 * caching to the page's memtype, but not with nopat.
	 */
	prot = test_gfx_pool_prot(vm_get_page_prot(vma->vm_flags), tf->domain);
	/* As ttm_bo_vm_fault_reserved(): the next pages too, within the VMA. */
	if (tf->prefault)
		n = min3((unsigned long)TEST_GFX_POOL_PREFAULT,
			 tf->npages - vmf->pgoff,
			 (vma->vm_end - addr) >> PAGE_SHIFT);
	for (i = 0; i < n; i++, addr += PAGE_SIZE) {
		ret = vmf_insert_pfn_prot(vma, addr,
					  page_to_pfn(tf->pages[vmf->pgoff + i]),
					  prot);
		/* Never an error for a page after the faulting one. */
		if (ret & VM_FAULT_ERROR) {
			if (i)
				ret = VM_FAULT_NOPAGE;
			break;
		}
		tf->faults++;
		if (!(vmf->flags & FAULT_FLAG_USER))
			tf->kernel_faults++;
	}
out_unlock:
	mutex_unlock(&tf->lock);
	up_read(&test_gfx_pool_mclk);
	return ret;
}

static const struct vm_operations_struct test_gfx_pool_vm_ops = {
	.fault = test_gfx_pool_fault,
};

static int test_gfx_pool_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct test_gfx_pool_file *tf = file->private_data;
	unsigned long npages = vma_pages(vma);
	u64 domain;
	int ret = 0;

	mutex_lock(&tf->lock);
	if (!tf->pages)
		ret = -ENOENT;
	else if (vma->vm_pgoff || npages > tf->npages)
		ret = -EINVAL;
	domain = tf->domain;
	mutex_unlock(&tf->lock);
	if (ret)
		return ret;
	/*
	 * vmf_insert_pfn_prot() BUGs on a copy-on-write mapping of PFNs:
	 * refuse MAP_PRIVATE of a writable file, as ttm_bo_mmap_obj() does.
	 */
	if (is_cow_mapping(vma->vm_flags))
		return -EINVAL;

	vm_flags_set(vma, VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP | VM_IO);
	vma->vm_page_prot = test_gfx_pool_prot(vma->vm_page_prot, domain);
	vma->vm_ops = &test_gfx_pool_vm_ops;
	return 0;
}

static int test_gfx_pool_open(struct inode *inode, struct file *file)
{
	struct test_gfx_pool_file *tf;

	/*
	 * Root's only, whatever the node's mode: the device splits the
	 * direct map for good (the per-page path), pins memory page by page
	 * outside any memcg (TEST_GFX_POOL_FRAGMENT) and tells physical
	 * page frames (TEST_GFX_POOL_PTE).
	 */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	tf = kzalloc(sizeof(*tf), GFP_KERNEL);
	if (!tf)
		return -ENOMEM;
	mutex_init(&tf->lock);
	/*
	 * The files of the device share its inode's address_space: zapping
	 * one file's buffer zaps the others' mappings too, which only costs
	 * them a fault.
	 */
	tf->map.mapping = file->f_mapping;
	gfx_pool_register_mapping(&tf->map);
	mutex_lock(&test_gfx_pool_files_lock);
	list_add(&tf->link, &test_gfx_pool_files);
	mutex_unlock(&test_gfx_pool_files_lock);
	file->private_data = tf;
	return 0;
}

static int test_gfx_pool_release(struct inode *inode, struct file *file)
{
	struct test_gfx_pool_file *tf = file->private_data;

	gfx_pool_unregister_mapping(&tf->map);
	mutex_lock(&test_gfx_pool_files_lock);
	list_del(&tf->link);
	mutex_unlock(&test_gfx_pool_files_lock);
	mutex_lock(&tf->lock);
	test_gfx_pool_buf_free(tf);
	test_gfx_pool_frag_free(tf);
	stress_state_free(tf->stress);
	mutex_unlock(&tf->lock);
	mutex_destroy(&tf->lock);
	kfree(tf);
	return 0;
}

static long test_gfx_pool_frag_ioctl(struct file *file, void __user *uarg)
{
	struct test_gfx_pool_file *tf = file->private_data;
	struct test_gfx_pool_buf buf;
	int ret;

	if (copy_from_user(&buf, uarg, sizeof(buf)))
		return -EFAULT;
	if (!buf.npages || buf.npages > TEST_GFX_POOL_MAX_PAGES || buf.flags)
		return -EINVAL;
	/* __GFP_NORETRY stops it short of the OOM killer. */
	if (buf.npages > totalram_pages())
		return -ENOMEM;
	mutex_lock(&tf->lock);
	ret = test_gfx_pool_fragment(tf, buf.npages);
	buf.npages = tf->nr_frag;
	mutex_unlock(&tf->lock);
	if (!ret && copy_to_user(uarg, &buf, sizeof(buf)))
		ret = -EFAULT;
	return ret;
}

static long test_gfx_pool_stress_ioctl(struct file *file, void __user *uarg)
{
	struct test_gfx_pool_file *tf = file->private_data;
	struct test_gfx_pool_stress cmd;
	int ret = 0;

	if (copy_from_user(&cmd, uarg, sizeof(cmd)))
		return -EFAULT;
	if (!cmd.ms || cmd.ms > 1000 || cmd.flags)
		return -EINVAL;
	if (!gfx_pool_enabled())
		return -ENODEV;
	cmd.ops = 0;
	cmd.allocs = 0;
	cmd.failed = 0;
	cmd.deferred = 0;
	cmd.held = 0;
	mutex_lock(&tf->lock);
	if (!tf->stress)
		tf->stress = stress_state_new(cmd.seed);
	if (tf->stress)
		test_gfx_pool_stress_slice(tf->stress, &cmd);
	else
		ret = -ENOMEM;
	mutex_unlock(&tf->lock);
	if (!ret && copy_to_user(uarg, &cmd, sizeof(cmd)))
		ret = -EFAULT;
	return ret;
}

static long test_gfx_pool_ioctl(struct file *file, unsigned int command,
				unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	struct test_gfx_pool_cmd cmd;
	int ret;

	switch (command) {
	case TEST_GFX_POOL_ALLOC:
	case TEST_GFX_POOL_FREE:
	case TEST_GFX_POOL_INFO:
	case TEST_GFX_POOL_PTE:
	case TEST_GFX_POOL_ZAP:
		return test_gfx_pool_buf_ioctl(file, command, uarg);
	case TEST_GFX_POOL_FRAGMENT:
		return test_gfx_pool_frag_ioctl(file, uarg);
	case TEST_GFX_POOL_STRESS:
		return test_gfx_pool_stress_ioctl(file, uarg);
	case TEST_GFX_POOL_BENCH:
		break;
	default:
		return -ENOTTY;
	}
	if (copy_from_user(&cmd, uarg, sizeof(cmd)))
		return -EFAULT;
	if (cmd.method > TEST_GFX_POOL_TTM_PER_PAGE ||
	    cmd.domain >= GFX_POOL_NR_DOMAINS ||
	    !cmd.npages || cmd.npages > TEST_GFX_POOL_MAX_PAGES ||
	    (cmd.flags & ~(TEST_GFX_POOL_BENCH_ZERO | TEST_GFX_POOL_BENCH_LOOP |
			   TEST_GFX_POOL_BENCH_MEMTYPE)) ||
	    ((cmd.flags & TEST_GFX_POOL_BENCH_MEMTYPE) &&
	     (cmd.method >= TEST_GFX_POOL_TTM || cmd.order ||
	      (cmd.domain != TEST_GFX_POOL_WC &&
	       cmd.domain != TEST_GFX_POOL_UC))) ||
	    ((cmd.flags & TEST_GFX_POOL_BENCH_ZERO) &&
	     cmd.method >= TEST_GFX_POOL_TTM) ||
	    ((cmd.flags & TEST_GFX_POOL_BENCH_LOOP) &&
	     cmd.method < TEST_GFX_POOL_TTM) ||
	    cmd.order > MAX_PAGE_ORDER ||
	    (cmd.order && (cmd.method >= TEST_GFX_POOL_TTM ||
			   (cmd.method == TEST_GFX_POOL_PER_PAGE &&
			    cmd.domain != TEST_GFX_POOL_WB) ||
			   !IS_ALIGNED(cmd.npages, 1UL << cmd.order))))
		return -EINVAL;
	if ((cmd.flags & TEST_GFX_POOL_BENCH_MEMTYPE) &&
	    !bench_memtype_possible())
		return -EOPNOTSUPP;
	if (cmd.method >= TEST_GFX_POOL_TTM) {
		/* TTM has no WB or NP ttm_tt caching that touches the pool. */
		if (cmd.domain != TEST_GFX_POOL_WC &&
		    cmd.domain != TEST_GFX_POOL_UC)
			return -EINVAL;
		if (cmd.npages > totalram_pages() / 2)
			return -ENOMEM;
		ret = test_gfx_pool_ttm_bench(&cmd);
		goto out_copy;
	}
	/* No exported per-page way to unmap a page from the direct map. */
	if (cmd.method == TEST_GFX_POOL_PER_PAGE && cmd.domain == TEST_GFX_POOL_NP)
		return -EOPNOTSUPP;
	if (cmd.method == TEST_GFX_POOL_POOL && !gfx_pool_enabled())
		return -ENODEV;
	/* Asking the page allocator for most of RAM would only wake the OOM killer. */
	if (cmd.method == TEST_GFX_POOL_PER_PAGE && cmd.npages > totalram_pages() / 2)
		return -ENOMEM;

	ret = test_gfx_pool_bench(&cmd);
out_copy:
	if (ret)
		return ret;
	if (copy_to_user(uarg, &cmd, sizeof(cmd)))
		return -EFAULT;
	return 0;
}

static const struct file_operations test_gfx_pool_fops = {
	.owner = THIS_MODULE,
	.open = test_gfx_pool_open,
	.release = test_gfx_pool_release,
	.mmap = test_gfx_pool_mmap,
	.unlocked_ioctl = test_gfx_pool_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice test_gfx_pool_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "test_gfx_pool",
	.fops = &test_gfx_pool_fops,
};

static int __init test_gfx_pool_init(void)
{
	int ret = platform_driver_register(&test_gfx_pool_pm_driver);

	if (ret)
		return ret;
	test_gfx_pool_pdev = platform_device_register_simple("test_gfx_pool",
							     PLATFORM_DEVID_NONE,
							     NULL, 0);
	if (IS_ERR(test_gfx_pool_pdev)) {
		ret = PTR_ERR(test_gfx_pool_pdev);
		goto out_unregister_driver;
	}
	ret = misc_register(&test_gfx_pool_dev);
	if (ret)
		goto out_unregister_device;
	return 0;

out_unregister_device:
	platform_device_unregister(test_gfx_pool_pdev);
out_unregister_driver:
	platform_driver_unregister(&test_gfx_pool_pm_driver);
	return ret;
}

static void __exit test_gfx_pool_exit(void)
{
	misc_deregister(&test_gfx_pool_dev);
	platform_device_unregister(test_gfx_pool_pdev);
	platform_driver_unregister(&test_gfx_pool_pm_driver);
	test_gfx_pool_ttm_fini();
}

module_init(test_gfx_pool_init);
module_exit(test_gfx_pool_exit);

MODULE_DESCRIPTION("Test driver for gfx_pool");
MODULE_LICENSE("GPL");
