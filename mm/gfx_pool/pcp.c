// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU lists (pcp) of free order-0 pages, one per domain, as the page
 * allocator has them: the warm path of an order-0 allocation or free
 * takes no node lock.
 *
 * A page on a per-CPU list is handed out as far as its block knows (its
 * bit in the block's bitmap set, counted in the block's pages in use), and
 * its order record says GFX_POOL_ORDER_PCP, so that a free of it (a double
 * free) is refused. The lists are filled from and drained back to the
 * blocks of the CPU's node in batches of GFX_POOL_PCP_BATCH, under the
 * node's lock; each keeps at most GFX_POOL_PCP_HIGH pages.
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

/* A list entry: the page, and whether it may hold old data (bit 0). */
#define GFX_POOL_PCP_DIRTY	1UL	/* as __gfx_pool_take_pcp() sets it */

/**
 * struct gfx_pool_pcp - one CPU's lists
 * @lock: taken by the owner with spin_trylock(), by a drain with
 *	spin_lock().
 * @count: pages on each domain's list.
 * @entry: each domain's list, the page pointers with GFX_POOL_PCP_DIRTY.
 */
struct gfx_pool_pcp {
	spinlock_t lock;	/* protects @count and @entry */
	unsigned int count[GFX_POOL_NR_DOMAINS];
	unsigned long entry[GFX_POOL_NR_DOMAINS][GFX_POOL_PCP_HIGH];
};

static DEFINE_PER_CPU(struct gfx_pool_pcp, gfx_pool_pcp) = {
	.lock = __SPIN_LOCK_UNLOCKED(gfx_pool_pcp.lock),
};

/*
 * Off until init has the hotplug state that drains a dead CPU's lists;
 * KUnit cases that count blocks exactly turn them off.
 */
static bool gfx_pool_pcp_usable __ro_after_init;
static bool gfx_pool_pcp_on __read_mostly;

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

/*
 * As the page allocator's pcp_trylock_prepare(): on UP a trylock always
 * succeeds, so interrupts must be off against re-entry.
 */
static inline void gfx_pool_pcp_trylock_prepare(unsigned long *flags)
{
	if (!IS_ENABLED(CONFIG_SMP))
		local_irq_save(*flags);
}

static inline void gfx_pool_pcp_trylock_finish(unsigned long flags)
{
	if (!IS_ENABLED(CONFIG_SMP))
		local_irq_restore(flags);
}

/* This CPU's lists, pinned and locked, or NULL if they are busy. */
static struct gfx_pool_pcp *gfx_pool_pcp_trylock(void)
{
	struct gfx_pool_pcp *pcp;

	preempt_disable();
	pcp = this_cpu_ptr(&gfx_pool_pcp);
	if (!spin_trylock(&pcp->lock)) {
		preempt_enable();
		return NULL;
	}
	return pcp;
}

static void gfx_pool_pcp_unlock(struct gfx_pool_pcp *pcp)
{
	spin_unlock(&pcp->lock);
	preempt_enable();
}

static unsigned long gfx_pool_pcp_pfn(unsigned long entry)
{
	return page_to_pfn((struct page *)(entry & ~GFX_POOL_PCP_DIRTY));
}

/*
 * Put the last @nr pages of @domain's list back into their blocks. Pages
 * freed in the order they were allocated lie below each other on the
 * list: such a run of one block goes back in one step.
 */
static void gfx_pool_pcp_give(struct gfx_pool_pcp *pcp,
			      enum gfx_pool_domain domain, unsigned int nr)
{
	struct gfx_pool_node *node = NULL, *next;
	unsigned long *entry = pcp->entry[domain];
	unsigned long pfn, run, flags = 0;
	unsigned int *count = &pcp->count[domain];
	struct gfx_pool_block *block;
	bool dirty;

	lockdep_assert_held(&pcp->lock);
	while (nr && *count) {
		nr--;
		(*count)--;
		pfn = gfx_pool_pcp_pfn(entry[*count]);
		dirty = entry[*count] & GFX_POOL_PCP_DIRTY;
		run = 1;
		/* Down to the block's first page at most. */
		while (nr && *count && (pfn & (GFX_POOL_BLOCK_PAGES - 1)) &&
		       gfx_pool_pcp_pfn(entry[*count - 1]) == pfn - 1 &&
		       (entry[*count - 1] & GFX_POOL_PCP_DIRTY) == dirty) {
			nr--;
			(*count)--;
			pfn--;
			run++;
		}
		/* In use as far as the block knows: it stays while we look. */
		block = gfx_pool_pfn_to_block(pfn);
		next = gfx_pool.node[block->nid];
		if (next != node) {
			if (node)
				spin_unlock_irqrestore(&node->lock, flags);
			node = next;
			spin_lock_irqsave(&node->lock, flags);
		}
		__gfx_pool_give_pcp(node, block, pfn - block->pfn, run, dirty);
	}
	if (node)
		spin_unlock_irqrestore(&node->lock, flags);
}

/*
 * Fill @domain's empty list with a batch from the blocks of this CPU's
 * node. The list is used from its end: the batch goes on it backwards, so
 * that it is handed out in the order the blocks gave it, and the pages
 * allocations hold stay packed into as few blocks as without the list.
 */
static void gfx_pool_pcp_fill(struct gfx_pool_pcp *pcp,
			      enum gfx_pool_domain domain)
{
	struct gfx_pool_node *node = gfx_pool.node[numa_mem_id()];
	unsigned long *entry = pcp->entry[domain];
	unsigned long flags;
	unsigned int n, i;

	if (!node)
		return;
	spin_lock_irqsave(&node->lock, flags);
	n = __gfx_pool_take_pcp(node, domain, entry, GFX_POOL_PCP_BATCH);
	spin_unlock_irqrestore(&node->lock, flags);
	for (i = 0; i < n / 2; i++)
		swap(entry[i], entry[n - 1 - i]);
	pcp->count[domain] = n;
}

/**
 * gfx_pool_pcp_alloc() - an order-0 page of this CPU's node from its list
 * @domain: the domain.
 * @dirty: set if the page may hold old data.
 *
 * An empty list is filled from the blocks of @domain that have room; none
 * is converted here.
 *
 * Context: Any context.
 * Return: the page, its order record that of an order-0 allocation; or
 * NULL, and the caller takes the node's path.
 */
struct page *gfx_pool_pcp_alloc(enum gfx_pool_domain domain, bool *dirty)
{
	struct gfx_pool_block *block;
	struct gfx_pool_pcp *pcp;
	unsigned long entry = 0;
	unsigned long UP_flags = 0;
	struct page *page;

	gfx_pool_pcp_trylock_prepare(&UP_flags);
	pcp = gfx_pool_pcp_trylock();
	/*
	 * Off is read under the list's lock: gfx_pool_pcp_enable() drains
	 * each list under it after turning them off, so no page comes onto
	 * a list once it is drained.
	 */
	if (pcp && !READ_ONCE(gfx_pool_pcp_on)) {
		gfx_pool_pcp_unlock(pcp);
		pcp = NULL;
	}
	if (pcp) {
		if (!pcp->count[domain])
			gfx_pool_pcp_fill(pcp, domain);
		if (pcp->count[domain])
			entry = pcp->entry[domain][--pcp->count[domain]];
		gfx_pool_pcp_unlock(pcp);
	}
	gfx_pool_pcp_trylock_finish(UP_flags);
	if (!entry)
		return NULL;
	page = (struct page *)(entry & ~GFX_POOL_PCP_DIRTY);
	*dirty = entry & GFX_POOL_PCP_DIRTY;
	rcu_read_lock();	/* for the lookup of a grown block */
	block = gfx_pool_pfn_to_block(page_to_pfn(page));
	/* Ours alone: a free of it is refused until this store. */
	WRITE_ONCE(block->order[page_to_pfn(page) - block->pfn], 1);
	rcu_read_unlock();
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
bool gfx_pool_pcp_free(struct gfx_pool_block *block, struct page *page,
		       enum gfx_pool_domain domain, bool dirty)
{
	unsigned long UP_flags = 0;
	struct gfx_pool_pcp *pcp;
	bool done = false;

	gfx_pool_pcp_trylock_prepare(&UP_flags);
	pcp = gfx_pool_pcp_trylock();
	/* As in gfx_pool_pcp_alloc(); the node is this CPU's, pinned. */
	if (pcp && (!READ_ONCE(gfx_pool_pcp_on) ||
		    block->nid != numa_mem_id())) {
		gfx_pool_pcp_unlock(pcp);
		pcp = NULL;
	}
	if (pcp) {
		if (pcp->count[domain] == GFX_POOL_PCP_HIGH)
			gfx_pool_pcp_give(pcp, domain, GFX_POOL_PCP_BATCH);
		pcp->entry[domain][pcp->count[domain]++] =
			(unsigned long)page | (dirty ? GFX_POOL_PCP_DIRTY : 0);
		done = true;
		gfx_pool_pcp_unlock(pcp);
	}
	gfx_pool_pcp_trylock_finish(UP_flags);
	return done;
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
	if (!IS_ENABLED(CONFIG_SMP))
		local_irq_save(UP_flags);
	spin_lock(&pcp->lock);
	for (d = 0; d < GFX_POOL_NR_DOMAINS; d++) {
		n += pcp->count[d];
		gfx_pool_pcp_give(pcp, d, GFX_POOL_PCP_HIGH);
	}
	spin_unlock(&pcp->lock);
	if (!IS_ENABLED(CONFIG_SMP))
		local_irq_restore(UP_flags);
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
