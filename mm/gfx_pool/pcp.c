// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU lists (pcp) of free order-0 pages, one per domain, as the page
 * allocator has them: the warm path of an order-0 allocation or free
 * takes no node lock.
 *
 * A page on a per-CPU list is handed out as far as its block knows (its
 * bit in the block's bitmap set, counted in the block's pages in use), and
 * its order record says GFX_POOL_ORDER_PCP, so that a free of it (a double
 * free) is refused; to everyone else it is a free page, PageOffline(). The
 * lists are filled from and drained back to the blocks of the CPU's node
 * in batches of GFX_POOL_PCP_BATCH, under the node's lock; each keeps at
 * most GFX_POOL_PCP_HIGH pages. A list holds runs of pages of one block
 * (struct gfx_pool_pcp_run), so that a batch costs the node's lock a step
 * per run, not per page: what each page needs (its order record, its page
 * type) the allocation or free of that page does, as it must anyway.
 *
 * Because a page on a list keeps its block from being wholly free, the
 * lists are drained wherever a block must be wholly free: when an
 * allocation finds no wholly free block to convert or to group, before
 * blocks are given back (the idle work and the shrinker), before the
 * hibernation snapshot, and for a CPU that went offline. The pages in use
 * that users see (meminfo, debugfs) do not count them.
 *
 * Locking: a CPU's lists have a lock that only that CPU takes (struct
 * gfx_pool_pcp_lock). The owner only tries it, so an interrupt that finds
 * the lists busy takes the node's path instead, and needs no interrupts
 * disabled. Another CPU's lists are drained by work on that CPU, which
 * the drain waits for, as the page allocator drained its lists before
 * 5.19; a dead CPU's, by the hotplug state, directly.
 */

#define pr_fmt(fmt) "gfx_pool: " fmt

#include <linux/cpuhotplug.h>
#include <linux/cpumask.h>
#include <linux/init.h>
#include <linux/kstrtox.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/spinlock.h>
#include <linux/sysfs.h>
#include <linux/topology.h>
#include <linux/workqueue.h>

#include <kunit/visibility.h>

#include "../internal.h"	/* mm_percpu_wq */
#include "gfx_pool.h"
#include "pcp.h"

DEFINE_PER_CPU(struct gfx_pool_pcp, gfx_pool_pcp) = {
	.lock = GFX_POOL_PCP_LOCK_INIT,
};

/* A drain of one CPU's lists, run on that CPU. */
struct gfx_pool_pcp_drain {
	struct work_struct work;
	int nid;		/* the node whose pages go back, or any */
	unsigned long n;	/* pages given back */
};

static DEFINE_PER_CPU(struct gfx_pool_pcp_drain, gfx_pool_pcp_drain_work);

/* One drain of all CPUs at a time: it owns the works and the mask. */
static DEFINE_MUTEX(gfx_pool_pcp_drain_mutex);
static struct cpumask gfx_pool_pcp_drain_cpus;

/*
 * Off until init has the hotplug state that drains a dead CPU's lists;
 * KUnit cases that count blocks exactly turn them off.
 */
static bool gfx_pool_pcp_usable __ro_after_init;
bool gfx_pool_pcp_on __read_mostly;

/* gfx_pool.pcp, not pcp.pcp. */
#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "gfx_pool."

/* What gfx_pool.pcp= asked for at boot. */
static bool gfx_pool_pcp_boot = true;

static int gfx_pool_pcp_set(const char *val, const struct kernel_param *kp)
{
	bool on;

	if (kstrtobool(val, &on)) {
		pr_err("gfx_pool.pcp=%s: not a boolean\n", val);
		return -EINVAL;
	}
	if (!gfx_pool_is_ready()) {
		if (system_state != SYSTEM_BOOTING) {
			pr_err("gfx_pool.pcp: the pool is off\n");
			return -ENODEV;
		}
		gfx_pool_pcp_boot = on;
		return 0;
	}
	if (on && !gfx_pool_pcp_usable) {
		pr_err("gfx_pool.pcp: no CPU hotplug state; the lists stay off\n");
		return -ENODEV;
	}
	gfx_pool_pcp_enable(on);
	return 0;
}

static int gfx_pool_pcp_get(char *buffer, const struct kernel_param *kp)
{
	return sysfs_emit(buffer, "%c\n", gfx_pool_pcp_enabled() ? 'Y' : 'N');
}

static const struct kernel_param_ops gfx_pool_pcp_ops = {
	.set = gfx_pool_pcp_set,
	.get = gfx_pool_pcp_get,
};
module_param_cb(pcp, &gfx_pool_pcp_ops, NULL, 0644);
MODULE_PARM_DESC(pcp, "Per-CPU lists of free order-0 pages (default on)");

/* The node of the last run on @domain's list, which must have one. */
static struct gfx_pool_node *gfx_pool_pcp_last_node(struct gfx_pool_pcp *pcp,
						    enum gfx_pool_domain domain)
{
	struct gfx_pool_pcp_run *run = &pcp->run[domain][pcp->nr_runs[domain] - 1];

	/* In use as far as its block knows: the block stays while we look. */
	return gfx_pool.node[gfx_pool_lookup_block(run->pfn)->nid];
}

/*
 * Put the last @nr pages of @domain's list back into their blocks, a run
 * at a time.
 */
void gfx_pool_pcp_give(struct gfx_pool_pcp *pcp, enum gfx_pool_domain domain,
		       unsigned int nr)
{
	struct gfx_pool_pcp_run *run;
	struct gfx_pool_block *block;
	struct gfx_pool_node *node;
	unsigned long flags, pfn;
	unsigned int k;

	gfx_pool_pcp_assert_locked(pcp);
	while (nr && pcp->nr_runs[domain]) {
		/* The runs of one node under one hold of its lock. */
		node = gfx_pool_pcp_last_node(pcp, domain);
		spin_lock_irqsave(&node->lock, flags);
		do {
			run = &pcp->run[domain][pcp->nr_runs[domain] - 1];
			/* The end of the run: the pages freed last, if it grew. */
			k = min_t(unsigned int, nr, run->nr);
			pfn = run->pfn + run->nr - k;
			run->nr -= k;
			if (!run->nr)
				pcp->nr_runs[domain]--;
			WRITE_ONCE(pcp->count[domain], pcp->count[domain] - k);
			nr -= k;
			/* In use as far as the block knows: it stays while we look. */
			block = gfx_pool_lookup_block(pfn);
			__gfx_pool_give_pcp(node, block, pfn - block->pfn, k,
					    run->dirty);
		} while (nr && pcp->nr_runs[domain] &&
			 gfx_pool_pcp_last_node(pcp, domain) == node);
		spin_unlock_irqrestore(&node->lock, flags);
	}
}

/*
 * Fill @domain's empty list with a batch from the blocks of this CPU's
 * node. The list is used from its end: the runs go on it backwards, so
 * that the pages are handed out in the order the blocks gave them, and
 * the pages allocations hold stay packed into as few blocks as without
 * the list.
 */
void gfx_pool_pcp_fill(struct gfx_pool_pcp *pcp, enum gfx_pool_domain domain)
{
	struct gfx_pool_node *node = gfx_pool.node[numa_mem_id()];
	struct gfx_pool_pcp_run *run = pcp->run[domain];
	unsigned int n, i, nr_runs;
	unsigned long flags;

	if (!node)
		return;
	spin_lock_irqsave(&node->lock, flags);
	n = __gfx_pool_take_pcp(node, domain, run, GFX_POOL_PCP_BATCH,
				&nr_runs);
	spin_unlock_irqrestore(&node->lock, flags);
	for (i = 0; i < nr_runs / 2; i++)
		swap(run[i], run[nr_runs - 1 - i]);
	pcp->nr_runs[domain] = nr_runs;
	WRITE_ONCE(pcp->count[domain], n);
}

/* Pages on @pcp's lists, all domains; racy unless they are locked. */
static unsigned long gfx_pool_pcp_pages(struct gfx_pool_pcp *pcp)
{
	unsigned long n = 0;
	int d;

	for (d = 0; d < GFX_POOL_NR_DOMAINS; d++)
		n += READ_ONCE(pcp->count[d]);
	return n;
}

/* Give every page of @pcp's lists back; they are locked, or their CPU dead. */
static unsigned long gfx_pool_pcp_give_all(struct gfx_pool_pcp *pcp)
{
	unsigned long n = gfx_pool_pcp_pages(pcp);
	int d;

	for (d = 0; d < GFX_POOL_NR_DOMAINS; d++)
		gfx_pool_pcp_give(pcp, d, GFX_POOL_PCP_HIGH);
	return n;
}

/*
 * This CPU's lists, locked where nothing on this CPU holds them: in
 * process context without PREEMPT_RT, since their holders keep preemption
 * off; with it, a holder this task preempted is waited for.
 */
static struct gfx_pool_pcp *gfx_pool_pcp_lock(void)
{
	struct gfx_pool_pcp *pcp;

#ifdef CONFIG_PREEMPT_RT
	migrate_disable();
	pcp = this_cpu_ptr(&gfx_pool_pcp);
	spin_lock(&pcp->lock.lock);
#else
	pcp = gfx_pool_pcp_trylock();
	/* Not from an interrupt that came while this CPU held them. */
	if (WARN_ON_ONCE(!pcp))
		return NULL;
#endif
	return pcp;
}

/* The work of gfx_pool_pcp_drain() on each CPU: its own lists. */
static void gfx_pool_pcp_drain_fn(struct work_struct *work)
{
	struct gfx_pool_pcp_drain *drain =
		container_of(work, struct gfx_pool_pcp_drain, work);
	struct gfx_pool_pcp *pcp;

	drain->n = 0;
	/*
	 * On the CPU it was queued on, unless that one is going offline:
	 * then its lists are drained when it dies
	 * (gfx_pool_pcp_cpu_dead()), maybe after this drain returned, and
	 * these are another CPU's, drained in vain.
	 */
	if (drain->nid != NUMA_NO_NODE && numa_mem_id() != drain->nid)
		return;
	pcp = gfx_pool_pcp_lock();
	if (!pcp)
		return;
	drain->n = gfx_pool_pcp_give_all(pcp);
	gfx_pool_pcp_unlock(pcp);
}

/*
 * Drain the lists of the online CPUs of node @nid (or of all, for
 * %NUMA_NO_NODE), each by work on its own CPU; unless @sure, only those
 * that do not look empty: a page that comes onto one meanwhile stays,
 * which only an exact drain (turning the lists off) cannot have. An
 * offline CPU's lists were drained when it died.
 */
static unsigned long __gfx_pool_pcp_drain(int nid, bool sure, bool wait)
{
	struct gfx_pool_pcp_drain *drain;
	unsigned long n = 0;
	unsigned int cpu;

	if (wait)
		mutex_lock(&gfx_pool_pcp_drain_mutex);
	else if (!mutex_trylock(&gfx_pool_pcp_drain_mutex))
		return 0;
	cpumask_clear(&gfx_pool_pcp_drain_cpus);
	for_each_online_cpu(cpu) {
		if (nid != NUMA_NO_NODE && cpu_to_mem(cpu) != nid)
			continue;
		/* Nothing to do is the usual case: no work for it. */
		if (!sure && !gfx_pool_pcp_pages(per_cpu_ptr(&gfx_pool_pcp, cpu)))
			continue;
		drain = per_cpu_ptr(&gfx_pool_pcp_drain_work, cpu);
		drain->nid = nid;
		cpumask_set_cpu(cpu, &gfx_pool_pcp_drain_cpus);
		queue_work_on(cpu, mm_percpu_wq, &drain->work);
	}
	for_each_cpu(cpu, &gfx_pool_pcp_drain_cpus) {
		drain = per_cpu_ptr(&gfx_pool_pcp_drain_work, cpu);
		flush_work(&drain->work);
		n += drain->n;
	}
	mutex_unlock(&gfx_pool_pcp_drain_mutex);
	return n;
}

/**
 * gfx_pool_pcp_drain() - give the pages on per-CPU lists back to their blocks
 * @nid: the node whose CPUs' lists are drained, or %NUMA_NO_NODE for all.
 *
 * The lists of a CPU hold only pages of that CPU's node. Each CPU drains
 * its own, in work on mm_percpu_wq (WQ_MEM_RECLAIM: the shrinker drains
 * too), while the caller waits; CPUs whose lists look empty are left
 * alone.
 *
 * Context: Process context; sleeps. Not under a lock that work on
 * mm_percpu_wq may need.
 * Return: the number of pages given back.
 */
unsigned long gfx_pool_pcp_drain(int nid)
{
	if (!gfx_pool_is_ready())
		return 0;
	might_sleep();
	return __gfx_pool_pcp_drain(nid, false, true);
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_pcp_drain);

/**
 * gfx_pool_pcp_drain_nowait() - gfx_pool_pcp_drain(), unless one runs
 * @nid: the node whose CPUs' lists are drained, or %NUMA_NO_NODE for all.
 *
 * For reclaim (the shrinker), as drain_all_pages() did before v5.19: a
 * drain that runs frees what this one would, and reclaim should not
 * queue up behind it. The drain it does do still waits for each CPU's
 * work (see "Per-CPU lists" in the rst).
 *
 * Context: Process context; sleeps.
 * Return: the number of pages given back; 0 if a drain was running.
 */
unsigned long gfx_pool_pcp_drain_nowait(int nid)
{
	if (!gfx_pool_is_ready())
		return 0;
	might_sleep();
	return __gfx_pool_pcp_drain(nid, false, false);
}

/**
 * gfx_pool_pcp_mark_dirty() - mark every page on the lists dirty
 *
 * After a hibernation restore a free page holds whatever the boot kernel
 * left there, whatever its run on a list (restored with the image) says.
 * Only this CPU's lists: the syscore resume callback runs on the boot CPU
 * alone, and the others' lists were drained when they went offline.
 *
 * Context: Where nothing on this CPU holds its lists: the syscore resume
 * callback (interrupts off), or process context.
 */
void gfx_pool_pcp_mark_dirty(void)
{
	struct gfx_pool_pcp *pcp = gfx_pool_pcp_lock();
	unsigned int i;
	int d;

	if (!pcp)
		return;
	for (d = 0; d < GFX_POOL_NR_DOMAINS; d++)
		for (i = 0; i < pcp->nr_runs[d]; i++)
			pcp->run[d][i].dirty = true;
	gfx_pool_pcp_unlock(pcp);
}

/**
 * gfx_pool_pcp_count() - pages on the per-CPU lists of one domain
 * @domain: the domain.
 *
 * Racy by nature: for reports, and for tests that hold the pool still.
 *
 * Context: Any context.
 * Return: the number of pages, all CPUs together.
 */
unsigned long gfx_pool_pcp_count(enum gfx_pool_domain domain)
{
	unsigned long n = 0;
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		n += READ_ONCE(per_cpu_ptr(&gfx_pool_pcp, cpu)->count[domain]);
	return n;
}

/**
 * gfx_pool_pcp_count_node() - pages on the per-CPU lists of a node's CPUs
 * @nid: the node.
 *
 * Racy by nature: for the shrinker's count.
 *
 * Context: Any context.
 * Return: the number of pages, all domains together.
 */
unsigned long gfx_pool_pcp_count_node(int nid)
{
	struct gfx_pool_pcp *pcp;
	unsigned long n = 0;
	unsigned int cpu;
	int d;

	for_each_possible_cpu(cpu) {
		if (cpu_to_mem(cpu) != nid)
			continue;
		pcp = per_cpu_ptr(&gfx_pool_pcp, cpu);
		for (d = 0; d < GFX_POOL_NR_DOMAINS; d++)
			n += READ_ONCE(pcp->count[d]);
	}
	return n;
}

/**
 * gfx_pool_pcp_enable() - turn the per-CPU lists on or off
 * @on: the new state.
 *
 * Off, every list is drained and stays empty: allocations and frees take
 * the node's path. They cannot be turned on if init could not set up the
 * CPU hotplug state that drains them.
 *
 * Context: Process context.
 * Return: the old state.
 */
bool gfx_pool_pcp_enable(bool on)
{
	bool old = xchg(&gfx_pool_pcp_on, on && gfx_pool_pcp_usable);

	/*
	 * Every online CPU's lists under their lock: none can take a page
	 * after this. The offline ones were drained when they died.
	 */
	if (!on && gfx_pool_is_ready())
		__gfx_pool_pcp_drain(NUMA_NO_NODE, true, true);
	return old;
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_pcp_enable);

/* What the lists of all possible CPUs and their drains take, in bytes. */
unsigned long gfx_pool_pcp_bytes(void)
{
	return num_possible_cpus() * (sizeof(struct gfx_pool_pcp) +
				      sizeof(struct gfx_pool_pcp_drain));
}

/* Are the per-CPU lists on? */
bool gfx_pool_pcp_enabled(void)
{
	return READ_ONCE(gfx_pool_pcp_on);
}

/*
 * A CPU went offline: its lists would hold their pages for good. Nothing
 * runs there any more, so they need no lock (a drain's work queued for it
 * runs elsewhere, on that CPU's lists).
 */
static int gfx_pool_pcp_cpu_dead(unsigned int cpu)
{
	struct gfx_pool_pcp *pcp = per_cpu_ptr(&gfx_pool_pcp, cpu);

	if (!gfx_pool_is_ready() || !gfx_pool_pcp_pages(pcp))
		return 0;
#ifdef CONFIG_PREEMPT_RT
	spin_lock(&pcp->lock.lock);
#else
	lock_map_acquire(&pcp->lock.dep_map);	/* for lockdep alone */
#endif
	gfx_pool_pcp_give_all(pcp);
#ifdef CONFIG_PREEMPT_RT
	spin_unlock(&pcp->lock.lock);
#else
	lock_map_release(&pcp->lock.dep_map);
#endif
	return 0;
}

/* Called before the pool is ready, so before any drain. */
int __init gfx_pool_pcp_init(void)
{
	unsigned int cpu;
	int ret;

	for_each_possible_cpu(cpu)
		INIT_WORK(&per_cpu_ptr(&gfx_pool_pcp_drain_work, cpu)->work,
			  gfx_pool_pcp_drain_fn);

	ret = cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN, "mm/gfx_pool:dead",
					NULL, gfx_pool_pcp_cpu_dead);
	if (ret < 0)
		return ret;
	gfx_pool_pcp_usable = true;
	WRITE_ONCE(gfx_pool_pcp_on, gfx_pool_pcp_boot);
	return 0;
}
