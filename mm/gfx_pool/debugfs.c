// SPDX-License-Identifier: GPL-2.0
/*
 * gfx_pool in debugfs: /sys/kernel/debug/gfx_pool/{stats,blocks}.
 */

#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/string_choices.h>
#include <linux/xarray.h>

#include "gfx_pool.h"

static const char *const gfx_pool_counter_names[GFX_POOL_NR_COUNTERS] = {
	[GFX_POOL_ALLOCS] = "allocs",
	[GFX_POOL_FREES] = "frees",
	[GFX_POOL_CONVERSIONS] = "conversions",
	[GFX_POOL_EXHAUSTED] = "exhausted",
	[GFX_POOL_REFUSED] = "refused",
};

static_assert(ARRAY_SIZE(gfx_pool_counter_names) == GFX_POOL_NR_COUNTERS);

static int gfx_pool_stats_show(struct seq_file *m, void *v)
{
	struct gfx_pool_region *region;
	unsigned int r;
	int d, c;

	/* One line a region: its node, where it lies, and what it lends. */
	for (r = 0; r < gfx_pool.nr_regions; r++) {
		region = &gfx_pool.region[r];
		seq_printf(m, "region%u: node %d base %pa size %pa blocks %lu lent %ld\n",
			   r, region->nid, &region->base, &region->size,
			   region->nr_blocks, region->cma ?
			   atomic_long_read(&region->nr_lent) : 0);
	}
	seq_printf(m, "blocks: %lu\nmetadata_bytes: %lu\n", gfx_pool.nr_blocks,
		   gfx_pool_metadata_bytes());
	seq_printf(m, "gbpage_demotions: %ld\nbroken_blocks: %ld\nblocks_repaired: %ld\n",
		   atomic_long_read(&gfx_pool.gbpage_demotions),
		   atomic_long_read(&gfx_pool.broken_blocks),
		   atomic_long_read(&gfx_pool.repaired_total));
	/* Poisoned pages kept out of use count as in use, too. */
	seq_printf(m, "pages_in_use: %lu\nhwpoison_pages: %ld\n",
		   gfx_pool_pages_in_use(),
		   atomic_long_read(&gfx_pool.hwpoison_pages));
	/* What failed, all time: each a step that was refused or undone. */
	seq_printf(m, "direct_map_failures: %ld\ngrow_failures: %ld\ntake_back_failures: %ld\n",
		   atomic_long_read(&gfx_pool.direct_map_failures),
		   atomic_long_read(&gfx_pool.grow_failures),
		   atomic_long_read(&gfx_pool.take_back_failures));
	seq_printf(m, "lends: %s\nlent_blocks: %lu\nblocks_taken_back: %ld\nblocks_lent: %ld\n",
		   str_yes_no(gfx_pool_lends()), gfx_pool_nr_lent(),
		   atomic_long_read(&gfx_pool.taken_back_total),
		   atomic_long_read(&gfx_pool.lent_total));
	seq_printf(m, "grow_limit_blocks: %lu\ngrown_blocks: %ld\nblocks_grown: %ld\nblocks_given_back: %ld\n",
		   READ_ONCE(gfx_pool.grow_limit),
		   atomic_long_read(&gfx_pool.nr_grown),
		   atomic_long_read(&gfx_pool.grown_total),
		   atomic_long_read(&gfx_pool.given_back_total));
	seq_printf(m, "warm_blocks: %u\nblocks_warmed: %ld\nwarm_held_back: %ld\n",
		   gfx_pool_warm_blocks(), atomic_long_read(&gfx_pool.warmed_total),
		   atomic_long_read(&gfx_pool.warm_held_back));
	seq_printf(m, "pcp: %s\npcp_pages:", str_yes_no(gfx_pool_pcp_enabled()));
	for (d = 0; d < GFX_POOL_NR_DOMAINS; d++)
		seq_printf(m, " %s %lu", gfx_pool_domain_names[d],
			   gfx_pool_pcp_count(d));
	seq_putc(m, '\n');
	seq_printf(m, "mappings_zapped: %ld\n", atomic_long_read(&gfx_pool.zaps));
	if (IS_ENABLED(CONFIG_HIBERNATION))
		seq_printf(m, "hibernation_image_pages: %ld\n",
			   atomic_long_read(&gfx_pool.image_pages));
	seq_printf(m, "%-6s %8s %12s", "domain", "blocks", "pages_in_use");
	for (c = 0; c < GFX_POOL_NR_COUNTERS; c++)
		seq_printf(m, " %12s", gfx_pool_counter_names[c]);
	seq_putc(m, '\n');
	for (d = 0; d < GFX_POOL_NR_DOMAINS; d++) {
		seq_printf(m, "%-6s %8lu %12lu", gfx_pool_domain_names[d],
			   gfx_pool_gauge(d, true), gfx_pool_gauge(d, false));
		for (c = 0; c < GFX_POOL_NR_COUNTERS; c++)
			seq_printf(m, " %12lu", gfx_pool_counter_read(d, c));
		seq_putc(m, '\n');
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(gfx_pool_stats);

/* The size of a direct-map entry, from arch_gfx_pool_map_shift(). */
static const char *gfx_pool_map_size_name(unsigned int shift)
{
	switch (shift) {
	case 0:
		return "none";
	case PAGE_SHIFT:
		return "4k";
	case PMD_SHIFT:
		return "2M";
	case PUD_SHIFT:
		return "1G";
	default:
		return "?";
	}
}

static void gfx_pool_block_show(struct seq_file *m, struct gfx_pool_node *node,
				struct gfx_pool_block *block, const char *name,
				unsigned long i)
{
	bool converting, lent, broken;
	unsigned long flags;
	int domain;
	u32 used;

	spin_lock_irqsave(&node->lock, flags);
	domain = block->domain;
	used = block->nr_used;
	converting = block->converting;
	lent = READ_ONCE(block->lent);
	/* Set and cleared under the convert_lock: a glance is enough here. */
	broken = READ_ONCE(block->broken);
	spin_unlock_irqrestore(&node->lock, flags);
	seq_printf(m, "%s%-*lu %#-18lx %4d %-6s %5u %-5s%s\n", name,
		   6 - (int)strlen(name), i, block->pfn, block->nid,
		   gfx_pool_domain_names[domain], used,
		   gfx_pool_map_size_name(arch_gfx_pool_map_shift(gfx_pool_block_addr(block))),
		   lent ? " lent" : broken ? " broken" :
		   converting ? " converting" : "");
}

/*
 * The regions' blocks by index, then the grown blocks ("g0"...) by
 * address. The grown ones under RCU, not the convert_lock: a reader must
 * not hold off conversions (a GFP_NOFS allocation only tries the lock,
 * and so does the shrinker); a grown block's struct is freed an RCU grace
 * period after it leaves the xarray.
 */
static int gfx_pool_blocks_show(struct seq_file *m, void *v)
{
	struct gfx_pool_block *block;
	unsigned long i, index;

	seq_printf(m, "%-6s %-18s %4s %-6s %5s %-5s\n",
		   "block", "pfn", "nid", "domain", "used", "level");
	for (i = 0; i < gfx_pool.nr_blocks; i++) {
		block = &gfx_pool.blocks[i];
		gfx_pool_block_show(m, gfx_pool.node[block->nid], block, "", i);
		cond_resched();
	}
	i = 0;
	rcu_read_lock();
	xa_for_each(&gfx_pool.grown, index, block)
		gfx_pool_block_show(m, gfx_pool.node[block->nid], block, "g",
				    i++);
	rcu_read_unlock();
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(gfx_pool_blocks);

void __init gfx_pool_debugfs_init(void)
{
	struct dentry *dir = debugfs_create_dir("gfx_pool", NULL);

	debugfs_create_file("stats", 0444, dir, NULL, &gfx_pool_stats_fops);
	debugfs_create_file("blocks", 0444, dir, NULL, &gfx_pool_blocks_fops);
}
