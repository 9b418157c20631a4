/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gfx_pool's per-CPU lists: their structure and the fast paths of an
 * order-0 allocation and free, inline in gfx_pool_alloc_pages() and
 * gfx_pool_free_pages() (core.c), so that the warm path makes no call.
 * Filling and draining are in pcp.c.
 */
#ifndef _MM_GFX_POOL_PCP_H
#define _MM_GFX_POOL_PCP_H

#include <linux/compiler.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/spinlock.h>
#include <linux/topology.h>

#include "gfx_pool.h"

/*
 * The lock of one CPU's lists, taken only on that CPU: by the fast paths
 * below, in any context, with a trylock (an interrupt that finds it taken
 * goes the node's way instead), and by a drain, from work on that CPU
 * (gfx_pool_pcp_drain()): what later kernels have as local_trylock_t
 * (localtry_lock_t in 6.15). Without PREEMPT_RT it is a flag behind
 * preemption off: no atomic operation and no call, where a spinlock_t
 * (which would let a drain take it from any CPU) costs the warm path two
 * calls out of line (x86 inlines neither spin_trylock() nor, with
 * PREEMPTION, spin_unlock()) and a locked cmpxchg;
 * Documentation/mm/gfx_pool.rst has the figures. With PREEMPT_RT it is a
 * spinlock_t, as local_lock_t is there, and the owner only pins itself to
 * its CPU. Lockdep knows it as a lock either way; a trylock that an
 * interrupt takes is no IRQ-unsafe use.
 */
struct gfx_pool_pcp_lock {
#ifdef CONFIG_PREEMPT_RT
	spinlock_t lock;	/* the lists' lock, as local_lock_t's is */
#else
	u8 acquired;
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	struct lockdep_map dep_map;
#endif
#endif
};

/* The initializer of gfx_pool_pcp.lock, the one instance, per CPU. */
#ifdef CONFIG_PREEMPT_RT
#define GFX_POOL_PCP_LOCK_INIT						\
	{ .lock = __SPIN_LOCK_UNLOCKED(gfx_pool_pcp.lock.lock) }
#elif defined(CONFIG_DEBUG_LOCK_ALLOC)
#define GFX_POOL_PCP_LOCK_INIT						\
	{								\
		.dep_map = {						\
			.name = "gfx_pool_pcp.lock",			\
			.wait_type_inner = LD_WAIT_CONFIG,		\
			.lock_type = LD_LOCK_PERCPU,			\
		},							\
	}
#else
#define GFX_POOL_PCP_LOCK_INIT	{ }
#endif

/**
 * struct gfx_pool_pcp - one CPU's lists
 * @lock: see struct gfx_pool_pcp_lock.
 * @count: pages on each domain's list.
 * @nr_runs: runs on each domain's list.
 * @run: each domain's list, used from its end: pages are taken from the
 *	start of the last run, and a freed page joins the last run if it
 *	lies right before or after it.
 */
struct gfx_pool_pcp {
	struct gfx_pool_pcp_lock lock;	/* protects @count, @nr_runs and @run */
	unsigned int count[GFX_POOL_NR_DOMAINS];
	unsigned int nr_runs[GFX_POOL_NR_DOMAINS];
	struct gfx_pool_pcp_run run[GFX_POOL_NR_DOMAINS][GFX_POOL_PCP_HIGH];
};

DECLARE_PER_CPU(struct gfx_pool_pcp, gfx_pool_pcp);
extern bool gfx_pool_pcp_on;

unsigned long gfx_pool_pcp_drain_nowait(int nid);
void gfx_pool_pcp_fill(struct gfx_pool_pcp *pcp, enum gfx_pool_domain domain);
void gfx_pool_pcp_give(struct gfx_pool_pcp *pcp, enum gfx_pool_domain domain,
		       unsigned int nr);

#ifdef CONFIG_PREEMPT_RT
#define gfx_pool_pcp_assert_locked(pcp)	lockdep_assert_held(&(pcp)->lock.lock)
#else
#define gfx_pool_pcp_assert_locked(pcp)					\
	lockdep_assert(lock_is_held(&(pcp)->lock.dep_map))
#endif

/*
 * This CPU's lists, pinned to it and locked; or NULL if they are locked
 * already, by what this CPU was doing when an interrupt came (or, with
 * PREEMPT_RT, by a task that this one preempted, or a drain).
 */
static __always_inline struct gfx_pool_pcp *gfx_pool_pcp_trylock(void)
{
	struct gfx_pool_pcp *pcp;

#ifdef CONFIG_PREEMPT_RT
	migrate_disable();
	pcp = this_cpu_ptr(&gfx_pool_pcp);
	if (spin_trylock(&pcp->lock.lock))
		return pcp;
	migrate_enable();
#else
	preempt_disable();
	pcp = this_cpu_ptr(&gfx_pool_pcp);
	if (!READ_ONCE(pcp->lock.acquired)) {
		WRITE_ONCE(pcp->lock.acquired, 1);
		/* Set before the lists are touched, for an interrupt. */
		barrier();
		lock_map_acquire_try(&pcp->lock.dep_map);
		return pcp;
	}
	preempt_enable();
#endif
	return NULL;
}

static __always_inline void gfx_pool_pcp_unlock(struct gfx_pool_pcp *pcp)
{
#ifdef CONFIG_PREEMPT_RT
	spin_unlock(&pcp->lock.lock);
	migrate_enable();
#else
	lock_map_release(&pcp->lock.dep_map);
	barrier();
	WRITE_ONCE(pcp->lock.acquired, 0);
	preempt_enable();
#endif
}

/**
 * gfx_pool_pcp_alloc() - an order-0 page of node @nid from this CPU's list
 * @nid: the node the page must be of.
 * @domain: the domain.
 * @dirty: set if the page may hold old data.
 *
 * Only if @nid is this CPU's node, asked once pinned: a task that moved
 * to another node's CPU since the caller looked would get that node's
 * page. An empty list is filled from the blocks of @domain that have
 * room; none is converted here.
 *
 * Context: Any context.
 * Return: the page, its order record that of an order-0 allocation; or
 * NULL, and the caller takes the node's path.
 */
static inline struct page *gfx_pool_pcp_alloc(int nid,
					      enum gfx_pool_domain domain,
					      bool *dirty)
{
	struct gfx_pool_block *block;
	struct gfx_pool_pcp_run *run;
	struct gfx_pool_pcp *pcp;
	struct page *page = NULL;
	unsigned long pfn;

	pcp = gfx_pool_pcp_trylock();
	if (!pcp)
		return NULL;
	/*
	 * Off is read under the list's lock: gfx_pool_pcp_enable() drains
	 * each list under it after turning them off, so no page comes onto
	 * a list once it is drained. The node only now, pinned.
	 */
	if (!READ_ONCE(gfx_pool_pcp_on) || nid != numa_mem_id()) {
		gfx_pool_pcp_unlock(pcp);
		return NULL;
	}
	if (!pcp->count[domain])
		gfx_pool_pcp_fill(pcp, domain);
	if (pcp->count[domain]) {
		run = &pcp->run[domain][pcp->nr_runs[domain] - 1];
		pfn = run->pfn++;
		page = pfn_to_page(pfn);
		*dirty = run->dirty;
		if (!--run->nr)
			pcp->nr_runs[domain]--;
		WRITE_ONCE(pcp->count[domain], pcp->count[domain] - 1);
		/*
		 * Its block holds still: the page keeps it in use. Ours
		 * alone: a free of it is refused until this store.
		 */
		block = gfx_pool_lookup_block(pfn);
		WRITE_ONCE(block->order[pfn - block->pfn], 1);
		/*
		 * In use before the list lets go: a hibernation snapshot
		 * taken while this task is preempted right after must see
		 * the page either on the list (marked dirty at restore) or
		 * saveable, never neither.
		 */
		gfx_pool_set_offline(page, 1, false);
	}
	gfx_pool_pcp_unlock(pcp);
	return page;
}

/**
 * gfx_pool_pcp_free() - put a freed order-0 page on this CPU's list
 * @block: its block.
 * @page: the page; its order record already says GFX_POOL_ORDER_PCP.
 * @domain: its domain.
 * @dirty: it may hold old data.
 *
 * A full list first gives a batch back to the blocks.
 *
 * Context: Any context.
 * Return: true if the page is on the list; false if it is not (the list
 * is busy or off, or the page is of another node), and the caller gives
 * it back to its block.
 */
static inline bool gfx_pool_pcp_free(struct gfx_pool_block *block,
				     struct page *page,
				     enum gfx_pool_domain domain, bool dirty)
{
	unsigned long pfn = page_to_pfn(page);
	struct gfx_pool_pcp_run *run;
	struct gfx_pool_pcp *pcp;

	pcp = gfx_pool_pcp_trylock();
	if (!pcp)
		return false;
	/* As in gfx_pool_pcp_alloc(); the node is this CPU's, pinned. */
	if (!READ_ONCE(gfx_pool_pcp_on) || block->nid != numa_mem_id()) {
		gfx_pool_pcp_unlock(pcp);
		return false;
	}
	if (pcp->count[domain] == GFX_POOL_PCP_HIGH)
		gfx_pool_pcp_give(pcp, domain, GFX_POOL_PCP_BATCH);
	/* Free before it is on the list, where others may take it. */
	gfx_pool_set_offline(page, 1, true);
	run = pcp->nr_runs[domain] ?
	      &pcp->run[domain][pcp->nr_runs[domain] - 1] : NULL;
	/* Right after or right before the last run, in its block. */
	if (run && run->dirty == dirty &&
	    !((pfn ^ run->pfn) >> GFX_POOL_BLOCK_ORDER) &&
	    (pfn == run->pfn + run->nr || pfn + 1 == run->pfn)) {
		if (pfn < run->pfn)
			run->pfn = pfn;
		run->nr++;
	} else {
		pcp->run[domain][pcp->nr_runs[domain]++] =
			(struct gfx_pool_pcp_run){
				.pfn = pfn, .nr = 1, .dirty = dirty,
			};
	}
	WRITE_ONCE(pcp->count[domain], pcp->count[domain] + 1);
	gfx_pool_pcp_unlock(pcp);
	return true;
}

#endif /* _MM_GFX_POOL_PCP_H */
