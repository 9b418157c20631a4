// SPDX-License-Identifier: GPL-2.0
/*
 * fail_gfx_pool: fault injection for the pool's direct-map changes and
 * metadata allocations (CONFIG_FAIL_GFX_POOL), as mm/fail_page_alloc.c
 * does it for the page allocator. Set at boot with
 * fail_gfx_pool=<interval>,<probability>,<space>,<times>, or later in
 * /sys/kernel/debug/fail_gfx_pool/.
 */

#include <linux/debugfs.h>
#include <linux/fault-inject.h>
#include <linux/init.h>

#include "gfx_pool.h"

static DECLARE_FAULT_ATTR(fail_gfx_pool);

static int __init gfx_pool_setup_fail(char *str)
{
	return setup_fault_attr(&fail_gfx_pool, str);
}
__setup("fail_gfx_pool=", gfx_pool_setup_fail);

bool gfx_pool_should_fail(size_t size)
{
	return should_fail(&fail_gfx_pool, size);
}

#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
static int __init gfx_pool_fail_debugfs_init(void)
{
	fault_create_debugfs_attr("fail_gfx_pool", NULL, &fail_gfx_pool);
	return 0;
}
late_initcall(gfx_pool_fail_debugfs_init);
#endif
