// SPDX-License-Identifier: GPL-2.0
/*
 * Test driver for gfx_pool: lets user space run the pool's workloads after
 * boot, where the direct-map split counters of /proc/vmstat count, and
 * compare them with what drivers do today (alloc_page() followed by
 * set_pages_array_wc() or _uc()).
 *
 * /dev/test_gfx_pool takes one ioctl command struct of __u64 fields,
 * validated in full before anything runs. See lib/test_gfx_pool_uapi.h.
 */

#define pr_fmt(fmt) "test_gfx_pool: " fmt

#include <linux/fs.h>
#include <linux/gfx_pool.h>
#include <linux/ktime.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <asm/set_memory.h>

#include "test_gfx_pool_uapi.h"

static int legacy_set(struct page **pages, unsigned long n, u64 domain)
{
	switch (domain) {
	case TEST_GFX_POOL_WC:
		return set_pages_array_wc(pages, n);
	case TEST_GFX_POOL_UC:
		return set_pages_array_uc(pages, n);
	default:
		return 0;
	}
}

static int legacy_reset(struct page **pages, unsigned long n, u64 domain)
{
	if (domain == TEST_GFX_POOL_WB)
		return 0;
	return set_pages_array_wb(pages, n);
}

static void bench_free(struct page **pages, unsigned long n, u64 method)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		if (method == TEST_GFX_POOL_POOL)
			gfx_pool_free_pages(pages[i], 0);
		else
			__free_page(pages[i]);
		cond_resched();
	}
}

static int test_gfx_pool_bench(struct test_gfx_pool_cmd *cmd)
{
	unsigned long i, n = cmd->npages;
	struct page **pages;
	u64 t0, t1;
	int ret = 0;

	pages = kvmalloc_array(n, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;

	t0 = ktime_get_ns();
	for (i = 0; i < n; i++) {
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		if (cmd->method == TEST_GFX_POOL_POOL)
			pages[i] = gfx_pool_alloc_pages(NUMA_NO_NODE,
							cmd->domain,
							GFP_KERNEL, 0);
		else
			pages[i] = alloc_page(GFP_KERNEL);
		if (!pages[i]) {
			ret = -ENOMEM;
			break;
		}
		cond_resched();
	}
	if (ret) {
		bench_free(pages, i, cmd->method);
		goto out_free_array;
	}
	t1 = ktime_get_ns();
	cmd->ns_alloc = t1 - t0;

	cmd->ns_set = 0;
	cmd->ns_reset = 0;
	if (cmd->method == TEST_GFX_POOL_LEGACY) {
		int err;

		ret = legacy_set(pages, n, cmd->domain);
		t0 = ktime_get_ns();
		cmd->ns_set = t0 - t1;
		/* Back to WB even after a failed set: it may have done part. */
		err = legacy_reset(pages, n, cmd->domain);
		cmd->ns_reset = ktime_get_ns() - t0;
		if (err) {
			/* Pages of unknown caching must not go back to the buddy. */
			pr_err("set_pages_array_wb() failed: %d; leaking %lu pages\n",
			       err, n);
			ret = err;
			goto out_free_array;
		}
	}

	t0 = ktime_get_ns();
	bench_free(pages, n, cmd->method);
	cmd->ns_free = ktime_get_ns() - t0;

out_free_array:
	kvfree(pages);
	return ret;
}

static long test_gfx_pool_ioctl(struct file *file, unsigned int command,
				unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	struct test_gfx_pool_cmd cmd;
	int ret;

	if (command != TEST_GFX_POOL_BENCH)
		return -ENOTTY;
	if (copy_from_user(&cmd, uarg, sizeof(cmd)))
		return -EFAULT;
	if (cmd.method > TEST_GFX_POOL_POOL || cmd.domain >= GFX_POOL_NR_DOMAINS ||
	    !cmd.npages || cmd.npages > TEST_GFX_POOL_MAX_PAGES || cmd.flags)
		return -EINVAL;
	/* No exported per-page way to unmap a page from the direct map. */
	if (cmd.method == TEST_GFX_POOL_LEGACY && cmd.domain == TEST_GFX_POOL_NP)
		return -EOPNOTSUPP;
	if (cmd.method == TEST_GFX_POOL_POOL && !gfx_pool_enabled())
		return -ENODEV;
	/* Asking the page allocator for most of RAM would only wake the OOM killer. */
	if (cmd.method == TEST_GFX_POOL_LEGACY && cmd.npages > totalram_pages() / 2)
		return -ENOMEM;

	ret = test_gfx_pool_bench(&cmd);
	if (ret)
		return ret;
	if (copy_to_user(uarg, &cmd, sizeof(cmd)))
		return -EFAULT;
	return 0;
}

static const struct file_operations test_gfx_pool_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = test_gfx_pool_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice test_gfx_pool_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "test_gfx_pool",
	.fops = &test_gfx_pool_fops,
};

module_misc_device(test_gfx_pool_dev);

MODULE_DESCRIPTION("Test driver for gfx_pool");
MODULE_LICENSE("GPL");
