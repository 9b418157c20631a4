/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gfx_pool's per-CPU lists: their structure and the fast paths of an
 * order-0 allocation and free, inline in gfx_pool_alloc_pages() and
 * gfx_pool_free_pages() (core.c), so that the warm path makes no call but
 * the list's lock. Filling and draining are in pcp.c.
 */
#ifndef _MM_GFX_POOL_PCP_H
#define _MM_GFX_POOL_PCP_H

#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/spinlock.h>
#include <linux/topology.h>

#include "gfx_pool.h"

/**
 * struct gfx_pool_pcp - one CPU's lists
 * @lock: taken by the owner with spin_trylock(), by a drain with
 *	spin_lock().
 * @count: pages on each domain's list.
 * @nr_runs: runs on each domain's list.
 * @run: each domain's list, used from its end: pages are taken from the
 *	start of the last run, and a freed page joins the last run if it
 *	lies right before or after it.
 */
struct gfx_pool_pcp {
	spinlock_t lock;	/* protects @count, @nr_runs and @run */
	unsigned int count[GFX_POOL_NR_DOMAINS];
	unsigned int nr_runs[GFX_POOL_NR_DOMAINS];
	struct gfx_pool_pcp_run run[GFX_POOL_NR_DOMAINS][GFX_POOL_PCP_HIGH];
};

DECLARE_PER_CPU(struct gfx_pool_pcp, gfx_pool_pcp);
extern bool gfx_pool_pcp_on;

void gfx_pool_pcp_fill(struct gfx_pool_pcp *pcp, enum gfx_pool_domain domain);
void gfx_pool_pcp_give(struct gfx_pool_pcp *pcp, enum gfx_pool_domain domain,
		       unsigned int nr);

/*
 * On UP a trylock always succeeds, so interrupts go off too against
 * re-entry, as the page allocator's pcp_trylock_prepare() does; not on
 * PREEMPT_RT, where the spinlocks taken under it may sleep, and a
 * trylock of one is a real trylock on UP too.
 */
#define GFX_POOL_PCP_IRQS_OFF	(!IS_ENABLED(CONFIG_SMP) && \
				 !IS_ENABLED(CONFIG_PREEMPT_RT))

/*
 * This CPU's lists, pinned to it: with preemption off, or with migration
 * off on PREEMPT_RT, where the list's spinlock may sleep; interrupts off
 * too where GFX_POOL_PCP_IRQS_OFF says. The caller then takes the list's
 * lock with spin_trylock().
 *
 * The fast paths below take the lock, and release it, in their own body,
 * and return at once on every way out: sparse follows a trylock through
 * an early return, but not through two paths that merge again, one with
 * the lock and one without.
 */
static inline struct gfx_pool_pcp *gfx_pool_pcp_pin(unsigned long *UP_flags)
{
	if (GFX_POOL_PCP_IRQS_OFF)
		local_irq_save(*UP_flags);
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		migrate_disable();
	else
		preempt_disable();
	return this_cpu_ptr(&gfx_pool_pcp);
}

static inline void gfx_pool_pcp_unpin(unsigned long UP_flags)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		migrate_enable();
	else
		preempt_enable();
	if (GFX_POOL_PCP_IRQS_OFF)
		local_irq_restore(UP_flags);
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
	unsigned long UP_flags = 0, pfn;
	struct page *page = NULL;

	pcp = gfx_pool_pcp_pin(&UP_flags);
	if (!spin_trylock(&pcp->lock)) {
		gfx_pool_pcp_unpin(UP_flags);
		return NULL;
	}
	/*
	 * Off is read under the list's lock: gfx_pool_pcp_enable() drains
	 * each list under it after turning them off, so no page comes onto
	 * a list once it is drained. The node only now, pinned.
	 */
	if (!READ_ONCE(gfx_pool_pcp_on) || nid != numa_mem_id()) {
		spin_unlock(&pcp->lock);
		gfx_pool_pcp_unpin(UP_flags);
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
	}
	spin_unlock(&pcp->lock);
	gfx_pool_pcp_unpin(UP_flags);
	if (page)
		gfx_pool_set_offline(page, 1, false);
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
	unsigned long UP_flags = 0;
	struct gfx_pool_pcp *pcp;

	pcp = gfx_pool_pcp_pin(&UP_flags);
	if (!spin_trylock(&pcp->lock)) {
		gfx_pool_pcp_unpin(UP_flags);
		return false;
	}
	/* As in gfx_pool_pcp_alloc(); the node is this CPU's, pinned. */
	if (!READ_ONCE(gfx_pool_pcp_on) || block->nid != numa_mem_id()) {
		spin_unlock(&pcp->lock);
		gfx_pool_pcp_unpin(UP_flags);
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
	spin_unlock(&pcp->lock);
	gfx_pool_pcp_unpin(UP_flags);
	return true;
}

#endif /* _MM_GFX_POOL_PCP_H */
