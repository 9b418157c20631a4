// SPDX-License-Identifier: GPL-2.0
/*
 * fail_gfx_pool: fault injection for the pool's direct-map changes and
 * metadata allocations (CONFIG_FAIL_GFX_POOL), as mm/fail_page_alloc.c
 * does it for the page allocator. Set at boot with
 * fail_gfx_pool=<interval>,<probability>,<space>,<times>, or later in
 * /sys/kernel/debug/fail_gfx_pool/.
 */

#define pr_fmt(fmt) "gfx_pool: " fmt

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/fault-inject.h>
#include <linux/init.h>

#include <kunit/visibility.h>

#include "gfx_pool.h"

static DECLARE_FAULT_ATTR(fail_gfx_pool);

/* Failures injected at each site, all time: what KUnit checks counts by. */
static atomic_long_t gfx_pool_injected[GFX_POOL_NR_FAIL_SITES];

/*
 * setup_fault_attr() says only "failed to parse arguments", naming no
 * attribute: say which, and what it was given. Either way the value is
 * ours, not init's.
 */
static int __init gfx_pool_setup_fail(char *str)
{
	if (!setup_fault_attr(&fail_gfx_pool, str))
		pr_err("fail_gfx_pool=%s: not <interval>,<probability>,<space>,<times>; no failures will be injected\n",
		       str);
	return 1;
}
__setup("fail_gfx_pool=", gfx_pool_setup_fail);

bool gfx_pool_should_fail(enum gfx_pool_fail_site site, size_t size)
{
	if (!should_fail(&fail_gfx_pool, size))
		return false;
	atomic_long_inc(&gfx_pool_injected[site]);
	return true;
}

#if IS_ENABLED(CONFIG_KUNIT)
/*
 * For KUnit only: fail every @interval-th fallible step with @probability
 * percent, for ever, as writing the debugfs files would, but without the
 * log of each failure (a case injects hundreds). A @probability of 0
 * turns injection off and puts interval, verbose, count, space, times
 * and probability back as they are at boot with no parameter; the
 * filters (task-filter, the stack-trace ones) keep what was set. The
 * fields are written while other CPUs may be in should_fail(), which
 * then sees the old or the new setting of each; @probability, written
 * last, is what turns it on or off.
 */
static void __gfx_pool_fail_set(unsigned long interval,
				unsigned long probability, int times)
{
	WRITE_ONCE(fail_gfx_pool.probability, 0);
	fail_gfx_pool.interval = probability ? interval : 1;
	fail_gfx_pool.verbose = probability ? 0 : 2;
	fail_gfx_pool.count = 0;
	atomic_set(&fail_gfx_pool.space, 0);
	atomic_set(&fail_gfx_pool.times, probability ? times : 1);
	WRITE_ONCE(fail_gfx_pool.probability, probability);
}

void gfx_pool_fail_set(unsigned long interval, unsigned long probability)
{
	__gfx_pool_fail_set(interval, probability, -1);
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_fail_set);

/*
 * For KUnit only: fail the next fallible step, so that a case sees what
 * the steps after a failure do. The next anywhere: a background work's
 * step (the warm, idle or repair work) may take it, and should_fail()
 * counts times down without a lock, so two CPUs may each fail one; cases
 * hold the pool still around it. gfx_pool_fail_set(0, 0) puts the
 * attribute back afterwards.
 */
void gfx_pool_fail_next(void)
{
	__gfx_pool_fail_set(1, 100, 1);
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_fail_next);

unsigned long gfx_pool_fail_injected(enum gfx_pool_fail_site site)
{
	return atomic_long_read(&gfx_pool_injected[site]);
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_fail_injected);
#endif

#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
static int __init gfx_pool_fail_debugfs_init(void)
{
	fault_create_debugfs_attr("fail_gfx_pool", NULL, &fail_gfx_pool);
	return 0;
}
late_initcall(gfx_pool_fail_debugfs_init);
#endif
