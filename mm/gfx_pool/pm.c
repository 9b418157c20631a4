// SPDX-License-Identifier: GPL-2.0
/*
 * gfx_pool around suspend and hibernation: user mappings zapped, NP blocks
 * mapped for the snapshot, caches written back after a restore.
 */

#define pr_fmt(fmt) "gfx_pool: " fmt

#include <linux/cacheflush.h>
#include <linux/init.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/suspend.h>
#include <linux/syscore_ops.h>
#include <linux/xarray.h>

#include <kunit/visibility.h>

#include "gfx_pool.h"

/*
 * Nothing here runs in a fault path, and nothing waits for a PM event:
 * everything is done from the callbacks of the pool's own PM device, which
 * the PM core calls after the freezer has stopped user space.
 *
 * User mappings: drivers register the address_space ranges their user
 * mappings of pool pages live in. The device's suspend and freeze
 * callbacks zap them. By then every user task is frozen, so no user fault
 * can map a page again before thaw: the driver's fault handler needs no
 * hook. (A task frozen in a TASK_FREEZABLE sleep inside a fault handler,
 * NFS's for one, could install a PTE after thaw that it looked up before
 * the zap; no fault handler of pool pages sleeps freezably.) What the
 * zap prevents: a user PTE that
 * outlives, across the sleep, the page it maps. Drivers free and move
 * buffers in their own suspend and freeze callbacks (TTM evicts), and a
 * freed pool page can change domain before its old owner runs again; a
 * stale WC PTE over a page that became UC, or that went to another user,
 * would be an alias and a use after free. After the zap, the first access
 * after resume faults, and the driver maps whatever now backs that offset,
 * in its current domain.
 *
 * Hibernation: the snapshot saves pool pages like any other memory, with
 * no copy of the pool's own and no nosave region. Free pool pages are
 * PageOffline(), so the snapshot skips them (see gfx_pool_set_offline()).
 * Pages in use in WB, WC and UC blocks are PageReserved and present in the
 * direct map, so the snapshot reads them through the block's own mapping.
 * Pages of NP blocks are not present, and the snapshot would skip them
 * (and map an absent page only 4K at a time, splitting the PMD): so
 * freeze_late, when every device is frozen, maps each NP block present
 * with one call over its 2 MiB (WB, the memtype NP pages keep, so no
 * alias), and thaw_early or restore_early unmaps it again. Pages in use
 * in WB, WC and UC blocks count in the preallocation like any saveable
 * page. NP pages in use are counted by the snapshot itself, after
 * freeze_late, not by the preallocation, which ran while they were
 * absent: their copies come from what it left free, so a hibernation
 * with many NP pages in use can fail for want of memory (and the system
 * goes on) where the same pages outside the pool would have had room made.
 *
 * On restore, the boot kernel writes pool pages through its own write-back
 * mapping, and lines of them may still sit dirty in the caches when the
 * image kernel takes over with the same pages mapped WC or UC. So a
 * syscore resume callback, which runs right after the restore and before
 * any device callback, writes back and invalidates the caches. Free pool
 * pages are not in the image, so the boot kernel may have left its data
 * in them: the same callback marks every free page dirty, in its block
 * and on the boot CPU's per-CPU lists (which are in the image, their runs
 * still saying "known zero"; the other CPUs' were drained when they went
 * offline), so that no zeroing allocation trusts a stale "known zero";
 * nothing can allocate before it, no interrupt and no other CPU. With
 * PREEMPT_RT the locks it takes sleep, uncontended: the PM core sets
 * system_state to SYSTEM_SUSPEND around syscore callbacks for that. The
 * callback marks pages only after freeze_late, which says so in a plain
 * variable: the image holds it as it was at the snapshot, and the kernel
 * that took the snapshot has it too (a __nosavedata one would hold the
 * boot kernel's bytes). Both callbacks are correct after a real restore,
 * after a snapshot that was not restored (thaw_early, with PMSG_THAW, or
 * PMSG_RECOVER where create_image() gave up), where the platform's
 * hibernation entry rolls back (restore_early, with PMSG_RESTORE, after
 * thaw_early cleared the variable: nothing to do) and after a kexec jump
 * (freeze_late, then syscore resume and restore_early in the same kernel:
 * the other kernel may have used free pool pages, so marking is needed).
 *
 * Suspend to RAM and to idle keep memory powered: only the zap is done.
 */

/* Registered user mappings; the mutex also orders zaps against changes. */
static LIST_HEAD(gfx_pool_mappings);
static DEFINE_MUTEX(gfx_pool_mappings_lock);
static bool gfx_pool_can_hibernate;	/* the PM device is there */

/**
 * gfx_pool_register_mapping() - have user mappings zapped around sleep
 * @map: the range; @map->mapping, @map->start and @map->len set.
 *
 * When the system suspends or hibernates, after user space is frozen and
 * after the driver's own suspend or freeze callbacks, the pool zaps the
 * range. No user PTE of a pool page then outlives the sleep: the first
 * access after resume faults, and the driver's fault handler maps the
 * pages that back the range then, in their domain. The fault handler
 * needs no hook for this and must not wait for PM events.
 *
 * Context: Process context; may sleep.
 */
void gfx_pool_register_mapping(struct gfx_pool_mapping *map)
{
	mutex_lock(&gfx_pool_mappings_lock);
	map->zaps = 0;
	list_add_tail(&map->list, &gfx_pool_mappings);
	mutex_unlock(&gfx_pool_mappings_lock);
}
EXPORT_SYMBOL_GPL(gfx_pool_register_mapping);

/**
 * gfx_pool_unregister_mapping() - stop zapping a range
 * @map: a range registered with gfx_pool_register_mapping().
 *
 * Context: Process context; may sleep.
 */
void gfx_pool_unregister_mapping(struct gfx_pool_mapping *map)
{
	mutex_lock(&gfx_pool_mappings_lock);
	list_del_init(&map->list);
	mutex_unlock(&gfx_pool_mappings_lock);
}
EXPORT_SYMBOL_GPL(gfx_pool_unregister_mapping);

/* The suspend and freeze callback: user space is frozen by now. */
VISIBLE_IF_KUNIT int gfx_pool_pm_zap(struct device *dev)
{
	struct gfx_pool_mapping *map;

	mutex_lock(&gfx_pool_mappings_lock);
	list_for_each_entry(map, &gfx_pool_mappings, list) {
		/*
		 * Not even_cows: a private copy a process made by writing to
		 * a MAP_PRIVATE mapping is its own anonymous page, not a pool
		 * page, and zapping it would throw its data away. The pages
		 * of the mapping itself are zapped either way.
		 */
		unmap_mapping_range(map->mapping, map->start, map->len, 0);
		map->zaps++;
		atomic_long_inc(&gfx_pool.zaps);
	}
	mutex_unlock(&gfx_pool_mappings_lock);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_pm_zap);

VISIBLE_IF_KUNIT int gfx_pool_pm_notify(struct notifier_block *nb,
					unsigned long event, void *unused)
{
	/* Without the PM device an image would lose the NP blocks' data. */
	if (event == PM_HIBERNATION_PREPARE && IS_ENABLED(CONFIG_HIBERNATION) &&
	    !gfx_pool_can_hibernate) {
		pr_err("no PM device to map NP blocks for the image: hibernation refused\n");
		return notifier_from_errno(-ENODEV);
	}
	return NOTIFY_OK;
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_pm_notify);

#if IS_ENABLED(CONFIG_KUNIT)
/*
 * For the tests: as if the PM device had (@can) or had not registered.
 * Return: what it was.
 */
bool gfx_pool_pm_set_can_hibernate(bool can)
{
	return xchg(&gfx_pool_can_hibernate, can);
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_pm_set_can_hibernate);
#endif

static struct notifier_block gfx_pool_pm_nb = {
	.notifier_call = gfx_pool_pm_notify,
};

#ifdef CONFIG_HIBERNATION

/*
 * Map every NP block present for the snapshot, or (!@present) unmap those
 * mapped so. Each step is one call over a whole block; a block being
 * converted is skipped, and the conversion follows the node's snapshot
 * flag. @n is set to the number of blocks changed.
 * Return: 0, or the first error of mapping a block present: a block the snapshot
 * cannot read must stop the hibernation. A failure to unmap only costs NP
 * its promise for that block until the next try, so it is reported and
 * not returned.
 */
/*
 * One block of gfx_pool_snapshot_map(). Return: 1 if it was changed, 0 if
 * not, or the error that must stop the hibernation.
 */
static int gfx_pool_snapshot_map_block(struct gfx_pool_node *node,
				       struct gfx_pool_block *block,
				       bool present)
{
	unsigned long flags;
	int ret;
	bool np;

	spin_lock_irqsave(&node->lock, flags);
	np = block->domain == GFX_POOL_NP && !block->converting;
	spin_unlock_irqrestore(&node->lock, flags);
	/* convert_lock held: neither can change under us. */
	if (!np || block->snapshot_mapped == present)
		return 0;
	if (present) {
		ret = gfx_pool_leave_domain(gfx_pool_block_addr(block),
					    GFX_POOL_NP);
		if (ret) {
			pr_err("block at pfn %#lx: cannot map it for the hibernation image (%d)\n",
			       block->pfn, ret);
			return ret;
		}
	} else if (gfx_pool_enter_domain(gfx_pool_block_addr(block),
					 GFX_POOL_NP)) {
		pr_err("block at pfn %#lx: cannot unmap it after hibernation\n",
		       block->pfn);
		return 0;
	}
	block->snapshot_mapped = present;
	return 1;
}

VISIBLE_IF_KUNIT int gfx_pool_snapshot_map(bool present, unsigned long *n)
{
	struct gfx_pool_block *block;
	struct gfx_pool_node *node;
	int nid, ret = 0;
	unsigned long i;

	*n = 0;
	for_each_node(nid) {
		node = gfx_pool.node[nid];
		if (!node)
			continue;
		mutex_lock(&node->convert_lock);
		for (i = 0; i < gfx_pool.nr_blocks && ret >= 0; i++) {
			block = &gfx_pool.blocks[i];
			if (block->nid != nid)
				continue;
			ret = gfx_pool_snapshot_map_block(node, block, present);
			if (ret > 0)
				(*n)++;
		}
		/* convert_lock held: no grown block comes or goes. */
		list_for_each_entry(block, &node->grown, grown_list) {
			if (ret < 0)
				break;
			ret = gfx_pool_snapshot_map_block(node, block, present);
			if (ret > 0)
				(*n)++;
		}
		WRITE_ONCE(node->snapshot, present && ret >= 0);
		mutex_unlock(&node->convert_lock);
		if (ret < 0)
			return ret;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_snapshot_map);

/*
 * Set by freeze_late, cleared by thaw_early and restore_early: a snapshot
 * may be taken, and the syscore resume callback, if it runs meanwhile,
 * follows one. Not __nosavedata: the image must hold it as it was.
 */
static bool gfx_pool_snapshotting;

VISIBLE_IF_KUNIT int gfx_pool_freeze_late(struct device *dev)
{
	unsigned long in_use, n;
	int ret;

	/* Free pages stay out of the image: none on a per-CPU list. */
	gfx_pool_pcp_drain(NUMA_NO_NODE);
	in_use = gfx_pool_pages_in_use();
	ret = gfx_pool_snapshot_map(true, &n);
	if (ret) {
		/*
		 * The PM core calls no thaw_early for a device whose
		 * freeze_late failed: unmap what was mapped here.
		 */
		gfx_pool_snapshot_map(false, &n);
		return ret;
	}
	WRITE_ONCE(gfx_pool_snapshotting, true);
	atomic_long_set(&gfx_pool.image_pages, in_use);
	dev_info(dev, "%lu pages in use go into the image; %lu NP blocks mapped for it\n",
		 in_use, n);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_freeze_late);

/* In the kernel that took the snapshot: the pool was not touched. */
VISIBLE_IF_KUNIT int gfx_pool_thaw_early(struct device *dev)
{
	unsigned long n;

	WRITE_ONCE(gfx_pool_snapshotting, false);
	gfx_pool_snapshot_map(false, &n);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_thaw_early);

/* Mark every page of @block dirty. */
static void gfx_pool_block_mark_dirty(struct gfx_pool_block *block)
{
	struct gfx_pool_node *node = gfx_pool.node[block->nid];
	unsigned long flags;

	spin_lock_irqsave(&node->lock, flags);
	bitmap_fill(block->dirty, GFX_POOL_BLOCK_PAGES);
	spin_unlock_irqrestore(&node->lock, flags);
}

/*
 * Free pages are not in the image: in the image kernel they hold whatever
 * the boot kernel left there (it may have used them as ordinary memory),
 * and the dirty bits and per-CPU runs restored with the image say nothing
 * about that. Mark every page dirty, so that the next zeroing allocation
 * zeroes it; on a page in use the bit is harmless, its free sets or
 * clears it anyway. Takes no sleeping lock: the syscore resume callback
 * calls it with interrupts off (grown blocks are found under RCU; one
 * given back meanwhile is marked in vain).
 */
VISIBLE_IF_KUNIT void gfx_pool_mark_all_dirty(void)
{
	struct gfx_pool_block *block;
	unsigned long i;

	for (i = 0; i < gfx_pool.nr_blocks; i++)
		gfx_pool_block_mark_dirty(&gfx_pool.blocks[i]);
	rcu_read_lock();
	xa_for_each(&gfx_pool.grown, i, block)
		gfx_pool_block_mark_dirty(block);
	rcu_read_unlock();
	gfx_pool_pcp_mark_dirty();
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_mark_all_dirty);

/*
 * In the image kernel, after the boot kernel wrote every page back; in the
 * same kernel where the platform's hibernation entry rolled back, after
 * thaw_early (nothing mapped then); or after a kexec jump. Correct for all.
 */
static int gfx_pool_restore_early(struct device *dev)
{
	unsigned long n;

	WRITE_ONCE(gfx_pool_snapshotting, false);
	gfx_pool_snapshot_map(false, &n);
	dev_info(dev, "restored: %lu NP blocks unmapped\n", n);
	return 0;
}

/*
 * The boot kernel wrote the image's pages through its own write-back
 * mapping, and lines of pool pages may still sit dirty in the caches
 * while the image kernel maps them WC or UC: write them back before any
 * device callback runs (devices resume asynchronously, some before any
 * early callback of ours). syscore resume runs right after the restore,
 * on the boot CPU alone, with interrupts off; the other CPUs wrote back
 * their caches when they went offline (play_dead). After a snapshot that
 * was not restored it is merely a wasted write-back. Only after a
 * snapshot: suspend to RAM kept memory and wrote nothing through another
 * mapping, and a write-back of every cache with interrupts off costs
 * milliseconds on a large machine (wbinvd also traps in some guests).
 */
static void gfx_pool_syscore_resume(void *data)
{
	if (!READ_ONCE(gfx_pool_snapshotting))
		return;
	arch_gfx_pool_flush_caches();
	gfx_pool_mark_all_dirty();
	pr_info("caches written back, free pages marked dirty after the snapshot\n");
}

static const struct syscore_ops gfx_pool_syscore_ops = {
	.resume = gfx_pool_syscore_resume,
};

static struct syscore gfx_pool_syscore = {
	.ops = &gfx_pool_syscore_ops,
};
#endif /* CONFIG_HIBERNATION */

static const struct dev_pm_ops gfx_pool_pm_ops = {
	.suspend = gfx_pool_pm_zap,
#ifdef CONFIG_HIBERNATION
	.freeze = gfx_pool_pm_zap,
	.freeze_late = gfx_pool_freeze_late,
	.thaw_early = gfx_pool_thaw_early,
	.restore_early = gfx_pool_restore_early,
#endif
};

/*
 * No bind or unbind through sysfs: unbound, the device would have no
 * callbacks, and sleep would go on without the zap and an image without
 * the NP blocks' data, while the notifier still let it.
 */
static struct platform_driver gfx_pool_pm_driver = {
	.driver = {
		.name = "gfx_pool",
		.pm = &gfx_pool_pm_ops,
		.suppress_bind_attrs = true,
	},
};

/*
 * Registered at subsys_initcall, before any graphics driver. The order of
 * callbacks matters little: the zap needs only user space frozen (a
 * driver that frees or moves pool pages in its own callbacks, maybe
 * asynchronously after ours, zaps their mappings itself, as TTM does on
 * every move), and the cache write-back after a restore is a syscore
 * callback, before any device's.
 */
static int __init gfx_pool_pm_device_init(void)
{
	struct platform_device *pdev;
	int ret;

	ret = platform_driver_register(&gfx_pool_pm_driver);
	if (ret)
		return ret;
	pdev = platform_device_register_simple("gfx_pool", PLATFORM_DEVID_NONE,
					       NULL, 0);
	if (IS_ERR(pdev)) {
		platform_driver_unregister(&gfx_pool_pm_driver);
		return PTR_ERR(pdev);
	}
	gfx_pool_can_hibernate = true;
#ifdef CONFIG_HIBERNATION
	register_syscore(&gfx_pool_syscore);
#endif
	return 0;
}

int __init gfx_pool_pm_init(void)
{
	int ret = gfx_pool_pm_device_init();

	/*
	 * Without it user mappings stay live across sleep, and an image
	 * would lose the NP blocks' data: the notifier refuses hibernation
	 * then, and the pool is still good for everything else.
	 */
	if (ret)
		pr_err("no PM device (%d): mappings are not zapped, hibernation will be refused\n",
		       ret);
	return register_pm_notifier(&gfx_pool_pm_nb);
}

