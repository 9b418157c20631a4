/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gfx_pool's hooks for the core kernel: the reservation that architecture
 * setup code makes at boot, and the pool's lines in /proc/meminfo. Not
 * for drivers: they use <linux/gfx_pool.h>.
 */
#ifndef _LINUX_GFX_POOL_MM_H
#define _LINUX_GFX_POOL_MM_H

#include <linux/init.h>

struct seq_file;

#ifdef CONFIG_GFX_POOL

/* Documented at their definitions, in mm/gfx_pool/. */
void __init gfx_pool_reserve(void);
void gfx_pool_report_meminfo(struct seq_file *m);

#else /* CONFIG_GFX_POOL */

static inline void gfx_pool_reserve(void)
{
}

static inline void gfx_pool_report_meminfo(struct seq_file *m)
{
}

#endif /* CONFIG_GFX_POOL */

#endif /* _LINUX_GFX_POOL_MM_H */
