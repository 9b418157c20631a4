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
 * Locking, as for the page allocator's lists: the owner pins itself to
 * the CPU and only try-locks the list's spinlock, so an interrupt that
 * finds the list busy takes the node's path instead, and needs no
 * interrupts disabled; a drain from another CPU spins on it.
 */

#define pr_fmt(fmt) "gfx_pool: " fmt

#include <linux/cpuhotplug.h>
#include <linux/init.h>
#include <linux/kstrtox.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/spinlock.h>
#include <linux/sysfs.h>
#include <linux/topology.h>

#include <kunit/visibility.h>

#include "gfx_pool.h"
#include "pcp.h"

DEFINE_PER_CPU(struct gfx_pool_pcp, gfx_pool_pcp) = {
	.lock = __SPIN_LOCK_UNLOCKED(gfx_pool_pcp.lock),
};

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

	lockdep_assert_held(&pcp->lock);
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

/*
 * Lock @pcp, another CPU's lists or this one's, without pinning: spin on
 * its lock, with interrupts off where GFX_POOL_PCP_IRQS_OFF says, against
 * the owner's own fast path in an interrupt.
 */
static void gfx_pool_pcp_lock(struct gfx_pool_pcp *pcp,
			      unsigned long *UP_flags)
	__acquires(&pcp->lock)
{
	if (GFX_POOL_PCP_IRQS_OFF)
		local_irq_save(*UP_flags);
	spin_lock(&pcp->lock);
}

static void gfx_pool_pcp_unlock(struct gfx_pool_pcp *pcp,
				unsigned long UP_flags)
	__releases(&pcp->lock)
{
	spin_unlock(&pcp->lock);
	if (GFX_POOL_PCP_IRQS_OFF)
		local_irq_restore(UP_flags);
}

/*
 * Give every page of @cpu's lists back, if it is a CPU of node @nid (or
 * any, for %NUMA_NO_NODE). Unless @sure, lists that look empty are not
 * locked: a page that comes onto one meanwhile stays, which only an
 * exact drain (turning the lists off) cannot have.
 */
static unsigned long gfx_pool_pcp_drain_cpu(unsigned int cpu, int nid,
					    bool sure)
{
	struct gfx_pool_pcp *pcp = per_cpu_ptr(&gfx_pool_pcp, cpu);
	unsigned long UP_flags = 0, n = 0;
	int d;

	if (nid != NUMA_NO_NODE && cpu_to_mem(cpu) != nid)
		return 0;
	/* Nothing to do is the usual case: no lock for it. */
	for (d = 0; d < GFX_POOL_NR_DOMAINS; d++)
		n += READ_ONCE(pcp->count[d]);
	if (!n && !sure)
		return 0;
	n = 0;
	gfx_pool_pcp_lock(pcp, &UP_flags);
	for (d = 0; d < GFX_POOL_NR_DOMAINS; d++) {
		n += pcp->count[d];
		gfx_pool_pcp_give(pcp, d, GFX_POOL_PCP_HIGH);
	}
	gfx_pool_pcp_unlock(pcp, UP_flags);
	return n;
}

/**
 * gfx_pool_pcp_drain() - give the pages on per-CPU lists back to their blocks
 * @nid: the node whose CPUs' lists are drained, or %NUMA_NO_NODE for all.
 *
 * The lists of a CPU hold only pages of that CPU's node.
 *
 * Context: Process context, or any context that may spin on a CPU's list.
 * Return: the number of pages given back.
 */
unsigned long gfx_pool_pcp_drain(int nid)
{
	unsigned long n = 0;
	unsigned int cpu;

	if (!gfx_pool_is_ready())
		return 0;
	for_each_possible_cpu(cpu)
		n += gfx_pool_pcp_drain_cpu(cpu, nid, false);
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_pcp_drain);

/**
 * gfx_pool_pcp_mark_dirty() - mark every page on the lists dirty
 *
 * After a hibernation restore a free page holds whatever the boot kernel
 * left there, whatever its run on a list (restored with the image) says.
 *
 * Context: Any context that may spin on a CPU's list.
 */
void gfx_pool_pcp_mark_dirty(void)
{
	unsigned long UP_flags = 0;
	struct gfx_pool_pcp *pcp;
	unsigned int cpu, i;
	int d;

	for_each_possible_cpu(cpu) {
		pcp = per_cpu_ptr(&gfx_pool_pcp, cpu);
		gfx_pool_pcp_lock(pcp, &UP_flags);
		for (d = 0; d < GFX_POOL_NR_DOMAINS; d++)
			for (i = 0; i < pcp->nr_runs[d]; i++)
				pcp->run[d][i].dirty = true;
		gfx_pool_pcp_unlock(pcp, UP_flags);
	}
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
	unsigned int cpu;

	/* Every list under its lock: none can take a page after this. */
	if (!on && gfx_pool_is_ready())
		for_each_possible_cpu(cpu)
			gfx_pool_pcp_drain_cpu(cpu, NUMA_NO_NODE, true);
	return old;
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_pcp_enable);

/* What the lists of all possible CPUs take, in bytes. */
unsigned long gfx_pool_pcp_bytes(void)
{
	return num_possible_cpus() * sizeof(struct gfx_pool_pcp);
}

/* Are the per-CPU lists on? */
bool gfx_pool_pcp_enabled(void)
{
	return READ_ONCE(gfx_pool_pcp_on);
}

/* A CPU went offline: its lists would hold their pages for good. */
static int gfx_pool_pcp_cpu_dead(unsigned int cpu)
{
	gfx_pool_pcp_drain_cpu(cpu, NUMA_NO_NODE, false);
	return 0;
}

int __init gfx_pool_pcp_init(void)
{
	int ret;

	ret = cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN, "mm/gfx_pool:dead",
					NULL, gfx_pool_pcp_cpu_dead);
	if (ret < 0)
		return ret;
	gfx_pool_pcp_usable = true;
	WRITE_ONCE(gfx_pool_pcp_on, gfx_pool_pcp_boot);
	return 0;
}
