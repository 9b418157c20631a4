/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gfx_pool's hooks for the core kernel: the size of its blocks, the
 * reservation that architecture setup code makes at boot, the pool's
 * lines in /proc/meminfo, and whether a page frame is the pool's memory,
 * for the x86 PAT memtype lookup. Not for drivers: they use <linux/gfx_pool.h>.
 */
#ifndef _LINUX_GFX_POOL_MM_H
#define _LINUX_GFX_POOL_MM_H

#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/init.h>
#include <linux/pgtable.h>

struct seq_file;

/*
 * A block is the unit the pool converts: one 2 MiB direct-map entry. The
 * region is reserved in whole, aligned blocks.
 */
#define GFX_POOL_BLOCK_SHIFT	PMD_SHIFT
#define GFX_POOL_BLOCK_ORDER	(GFX_POOL_BLOCK_SHIFT - PAGE_SHIFT)
#define GFX_POOL_BLOCK_PAGES	BIT(GFX_POOL_BLOCK_ORDER)
#define GFX_POOL_BLOCK_SIZE	PMD_SIZE

#ifdef CONFIG_GFX_POOL

/* Documented at their definitions, in mm/gfx_pool/. */
void __init gfx_pool_reserve_fixed(void);
void __init gfx_pool_reserve(void);
void gfx_pool_report_meminfo(struct seq_file *m);
bool gfx_pool_pfn_in_pool(unsigned long pfn);

#else /* CONFIG_GFX_POOL */

static inline void gfx_pool_reserve_fixed(void)
{
}

static inline void gfx_pool_reserve(void)
{
}

static inline void gfx_pool_report_meminfo(struct seq_file *m)
{
}

static inline bool gfx_pool_pfn_in_pool(unsigned long pfn)
{
	return false;
}

#endif /* CONFIG_GFX_POOL */

#endif /* _LINUX_GFX_POOL_MM_H */
