// SPDX-License-Identifier: GPL-2.0
/*
 * User-space tests of gfx_pool through /dev/test_gfx_pool (CONFIG_TEST_GFX_POOL).
 *
 * They run after boot, where /proc/vmstat counts direct-map splits: a run
 * of pool allocations in every domain must move neither the split counters
 * nor DirectMap4k, while the same workload done on the per-page path
 * does move them. The per-page case is what proves the counters are
 * read right: if it saw no split, a "no split" for the pool would mean
 * nothing.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <drm/drm.h>
#include <linux/capability.h>
#include <linux/vfio.h>

#include "../kselftest_harness.h"
#include "gfx_pool_util.h"

#define NPAGES	4096

FIXTURE(gfx_pool)
{
	int fd;
};

FIXTURE_SETUP(gfx_pool)
{
	self->fd = open(GFX_POOL_DEV, O_RDWR);
	if (self->fd < 0)
		SKIP(return, "%s: %s (CONFIG_TEST_GFX_POOL not built?)",
		     GFX_POOL_DEV, strerror(errno));
}

FIXTURE_TEARDOWN(gfx_pool)
{
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * Ask the driver, not debugfs (which may not be mounted): a one-page pool
 * run fails with ENODEV exactly when there is no pool.
 */
static bool pool_is_on(void)
{
	struct test_gfx_pool_cmd cmd;
	int fd = open(GFX_POOL_DEV, O_RDWR);
	bool on;

	if (fd < 0)
		return false;
	on = gfx_pool_run(fd, TEST_GFX_POOL_POOL, TEST_GFX_POOL_WB, 1,
			  &cmd) != -ENODEV;
	close(fd);
	return on;
}

/*
 * TTM populating WC and UC ttm_tts: over gfx_pool (pool on) it splits
 * nothing; without the pool (gfx_pool=0) it splits, and the counters
 * show it. This runs first so that the case without the pool meets
 * unsplit memory.
 */
TEST_F(gfx_pool, ttm)
{
	struct gfx_pool_dmap before, after;
	struct test_gfx_pool_cmd cmd;
	int ret, d;

	ASSERT_EQ(0, gfx_pool_dmap_read(&before));
	for (d = TEST_GFX_POOL_WC; d <= TEST_GFX_POOL_UC; d++) {
		ret = gfx_pool_run(self->fd, TEST_GFX_POOL_TTM, d, NPAGES, &cmd);
		if (ret == -EOPNOTSUPP)
			SKIP(return, "no TTM in this kernel");
		ASSERT_EQ(0, ret) TH_LOG("TTM %s", gfx_pool_domain_names[d]);
	}
	ASSERT_EQ(0, gfx_pool_dmap_read(&after));
	TH_LOG("TTM, pool %s: 2M->4K %ld, 1G->2M %ld, DirectMap4k %+ld kB",
	       pool_is_on() ? "on" : "off",
	       after.splits_2m - before.splits_2m,
	       after.splits_1g - before.splits_1g,
	       after.directmap_4k_kb - before.directmap_4k_kb);
	if (pool_is_on()) {
		EXPECT_EQ(before.splits_2m, after.splits_2m);
		EXPECT_EQ(before.splits_1g, after.splits_1g);
		EXPECT_EQ(before.directmap_4k_kb, after.directmap_4k_kb);
	} else {
		EXPECT_GT(after.splits_2m + after.splits_1g,
			  before.splits_2m + before.splits_1g);
		EXPECT_GT(after.directmap_4k_kb, before.directmap_4k_kb);
	}
}

/* Every domain, twice (cold: blocks change domain; warm: they do not). */
TEST_F(gfx_pool, pool_does_not_split)
{
	struct gfx_pool_dmap before, after;
	struct test_gfx_pool_cmd cmd;
	int d, round;

	if (!pool_is_on())
		SKIP(return, "no pool (gfx_pool=0)");
	ASSERT_EQ(0, gfx_pool_dmap_read(&before));
	for (round = 0; round < 2; round++) {
		for (d = TEST_GFX_POOL_WB; d <= TEST_GFX_POOL_NP; d++) {
			ASSERT_EQ(0, gfx_pool_run(self->fd, TEST_GFX_POOL_POOL,
						  d, NPAGES, &cmd))
				TH_LOG("pool %s", gfx_pool_domain_names[d]);
		}
	}
	ASSERT_EQ(0, gfx_pool_dmap_read(&after));
	EXPECT_EQ(before.splits_2m, after.splits_2m);
	EXPECT_EQ(before.splits_1g, after.splits_1g);
	EXPECT_EQ(before.directmap_4k_kb, after.directmap_4k_kb);
	TH_LOG("pool: 2M->4K %ld, 1G->2M %ld, DirectMap4k %+ld kB",
	       after.splits_2m - before.splits_2m,
	       after.splits_1g - before.splits_1g,
	       after.directmap_4k_kb - before.directmap_4k_kb);
}

/* The control: the per-page path splits, and the counters show it. */
TEST_F(gfx_pool, per_page_splits)
{
	struct gfx_pool_dmap before, after;
	struct test_gfx_pool_cmd cmd;

	ASSERT_EQ(0, gfx_pool_dmap_read(&before));
	ASSERT_EQ(0, gfx_pool_run(self->fd, TEST_GFX_POOL_PER_PAGE,
				  TEST_GFX_POOL_WC, NPAGES, &cmd));
	ASSERT_EQ(0, gfx_pool_dmap_read(&after));
	EXPECT_GT(after.splits_2m + after.splits_1g,
		  before.splits_2m + before.splits_1g);
	EXPECT_GT(after.directmap_4k_kb, before.directmap_4k_kb);
	/*
	 * Every 2M region the pages touched is left split, for good: the
	 * "66 of the 66 regions" of the docs, whatever the count here.
	 */
	EXPECT_LT(0, cmd.regions);
	EXPECT_EQ(cmd.regions, cmd.regions_split);
	TH_LOG("per-page WC: %llu of the %llu 2M regions it touched split",
	       (unsigned long long)cmd.regions_split,
	       (unsigned long long)cmd.regions);
	TH_LOG("per-page WC: 2M->4K %ld, 1G->2M %ld, DirectMap4k %+ld kB",
	       after.splits_2m - before.splits_2m,
	       after.splits_1g - before.splits_1g,
	       after.directmap_4k_kb - before.directmap_4k_kb);
}

/* Bad commands get an error code, never a warning or a leak. */
TEST_F(gfx_pool, bad_commands)
{
	struct test_gfx_pool_cmd cmd;

	EXPECT_EQ(-EINVAL, gfx_pool_run(self->fd, 4, TEST_GFX_POOL_WC, 1, &cmd));
	EXPECT_EQ(-EINVAL, gfx_pool_run(self->fd, TEST_GFX_POOL_POOL, 4, 1, &cmd));
	EXPECT_EQ(-EINVAL, gfx_pool_run(self->fd, TEST_GFX_POOL_POOL,
					TEST_GFX_POOL_WC, 0, &cmd));
	EXPECT_EQ(-EINVAL, gfx_pool_run(self->fd, TEST_GFX_POOL_POOL,
					TEST_GFX_POOL_WC,
					TEST_GFX_POOL_MAX_PAGES + 1, &cmd));
	EXPECT_EQ(-EOPNOTSUPP, gfx_pool_run(self->fd, TEST_GFX_POOL_PER_PAGE,
					    TEST_GFX_POOL_NP, 1, &cmd));
	EXPECT_EQ(-EINVAL, gfx_pool_run(self->fd, TEST_GFX_POOL_TTM,
					TEST_GFX_POOL_NP, 1, &cmd));
	EXPECT_EQ(-EINVAL, gfx_pool_run(self->fd, TEST_GFX_POOL_TTM_PER_PAGE + 1,
					TEST_GFX_POOL_WC, 1, &cmd));
	if (!pool_is_on()) {
		EXPECT_EQ(-ENODEV, gfx_pool_run(self->fd, TEST_GFX_POOL_POOL,
						TEST_GFX_POOL_WC, 1, &cmd));
		return;
	}
	/* More than the pool holds: -ENOMEM, and all of it given back. */
	EXPECT_EQ(-ENOMEM, gfx_pool_run(self->fd, TEST_GFX_POOL_POOL,
					TEST_GFX_POOL_WC,
					TEST_GFX_POOL_MAX_PAGES, &cmd));
	EXPECT_EQ(0, gfx_pool_run(self->fd, TEST_GFX_POOL_POOL,
				  TEST_GFX_POOL_WC, 1, &cmd));
	memset(&cmd, 0, sizeof(cmd));
	cmd.method = TEST_GFX_POOL_POOL;
	cmd.npages = 1;
	cmd.flags = TEST_GFX_POOL_BENCH_ZERO << 1;
	EXPECT_EQ(-1, ioctl(self->fd, TEST_GFX_POOL_BENCH, &cmd));
	EXPECT_EQ(EINVAL, errno);
	cmd.flags = TEST_GFX_POOL_BENCH_ZERO;
	EXPECT_EQ(0, ioctl(self->fd, TEST_GFX_POOL_BENCH, &cmd));
	/* An order: at most 10, and whole allocations of it. */
	cmd.flags = 0;
	cmd.order = 11;
	cmd.npages = 2048;
	EXPECT_EQ(-1, ioctl(self->fd, TEST_GFX_POOL_BENCH, &cmd));
	EXPECT_EQ(EINVAL, errno);
	cmd.order = 10;
	cmd.npages = 1536;
	EXPECT_EQ(-1, ioctl(self->fd, TEST_GFX_POOL_BENCH, &cmd));
	EXPECT_EQ(EINVAL, errno);
	cmd.order = 1;
	cmd.npages = 4;
	cmd.domain = TEST_GFX_POOL_WC;
	EXPECT_EQ(0, ioctl(self->fd, TEST_GFX_POOL_BENCH, &cmd));
	/* The per-page path has no order but in WB. */
	cmd.method = TEST_GFX_POOL_PER_PAGE;
	EXPECT_EQ(-1, ioctl(self->fd, TEST_GFX_POOL_BENCH, &cmd));
	EXPECT_EQ(EINVAL, errno);
	cmd.domain = TEST_GFX_POOL_WB;
	EXPECT_EQ(0, ioctl(self->fd, TEST_GFX_POOL_BENCH, &cmd));
	cmd.order = 0;
	cmd.npages = 1;
	/* TTM zeroes as it pleases: no flag for it. */
	cmd.method = TEST_GFX_POOL_TTM;
	cmd.domain = TEST_GFX_POOL_WC;
	cmd.flags = TEST_GFX_POOL_BENCH_ZERO;
	EXPECT_EQ(-1, ioctl(self->fd, TEST_GFX_POOL_BENCH, &cmd));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IO('G', 0x7f), 0));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, TEST_GFX_POOL_BENCH, NULL));
	EXPECT_EQ(EFAULT, errno);
}

/*
 * PAT's memtype of WC and UC pages, asked as a fault asks it: the pool's
 * pages answer from their block, the per-page path's from PAT's own
 * tracking; the driver fails with -EIO if an answer is none of WC, UC
 * and UC- (which one, the KUnit memtype case checks). Skipped without
 * PAT; the flag is refused where it means nothing.
 */
TEST_F(gfx_pool, memtype_lookup)
{
	static const __u64 domains[] = { TEST_GFX_POOL_WC, TEST_GFX_POOL_UC };
	struct test_gfx_pool_cmd cmd;
	unsigned int d, m;
	int ret;

	for (d = 0; d < 2; d++) {
		for (m = 0; m < 2; m++) {
			memset(&cmd, 0, sizeof(cmd));
			cmd.method = m ? TEST_GFX_POOL_POOL :
					 TEST_GFX_POOL_PER_PAGE;
			cmd.domain = domains[d];
			cmd.npages = 64;
			cmd.flags = TEST_GFX_POOL_BENCH_MEMTYPE;
			if (m && !pool_is_on()) {
				EXPECT_EQ(-1, ioctl(self->fd,
						    TEST_GFX_POOL_BENCH, &cmd));
				EXPECT_EQ(ENODEV, errno);
				continue;
			}
			ret = ioctl(self->fd, TEST_GFX_POOL_BENCH, &cmd);
			if (ret && errno == EOPNOTSUPP)
				SKIP(return, "no PAT (not built, or nopat)");
			ASSERT_EQ(0, ret)
				TH_LOG("%s %s: %s", m ? "pool" : "per-page",
				       gfx_pool_domain_names[domains[d]],
				       strerror(errno));
			EXPECT_LT(0, cmd.ns_memtype);
		}
	}
	/* Only for WC and UC, at order 0, not through TTM. */
	cmd.domain = TEST_GFX_POOL_WB;
	EXPECT_EQ(-1, ioctl(self->fd, TEST_GFX_POOL_BENCH, &cmd));
	EXPECT_EQ(EINVAL, errno);
	cmd.domain = TEST_GFX_POOL_WC;
	cmd.order = 1;
	EXPECT_EQ(-1, ioctl(self->fd, TEST_GFX_POOL_BENCH, &cmd));
	EXPECT_EQ(EINVAL, errno);
	cmd.order = 0;
	cmd.method = TEST_GFX_POOL_TTM;
	EXPECT_EQ(-1, ioctl(self->fd, TEST_GFX_POOL_BENCH, &cmd));
	EXPECT_EQ(EINVAL, errno);
}

/* Pages in use, from debugfs; mounted here if nobody did. */
static long pool_pages_in_use(void)
{
	if (access(GFX_POOL_STATS, R_OK))
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	return gfx_pool_read_key(GFX_POOL_STATS, "pages_in_use");
}

/*
 * One read of the stats file: the domains' rows summed, and the
 * pages_in_use, blocks and grown_blocks lines. Return: the domain rows.
 */
static int read_stats(long *sum_blocks, long *sum_in_use, long *in_use,
		      long *blocks, long *grown)
{
	char line[256], name[16];
	unsigned long b, u;
	int rows = 0;
	FILE *f;

	*sum_blocks = *sum_in_use = 0;
	*in_use = *blocks = *grown = -1;
	f = fopen(GFX_POOL_STATS, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "pages_in_use: %ld", in_use) == 1 ||
		    sscanf(line, "blocks: %ld", blocks) == 1 ||
		    sscanf(line, "grown_blocks: %ld", grown) == 1)
			continue;
		if (sscanf(line, "%15s %lu %lu", name, &b, &u) == 3 &&
		    (!strcmp(name, "wb") || !strcmp(name, "wc") ||
		     !strcmp(name, "uc") || !strcmp(name, "np"))) {
			rows++;
			*sum_blocks += b;
			*sum_in_use += u;
		}
	}
	fclose(f);
	return rows;
}

#define PM_DRIVER	"/sys/bus/platform/drivers/gfx_pool"

/*
 * The pool's PM device stays bound: unbound, it would have no callbacks,
 * and sleep would go on without the zap, an image without the NP
 * blocks' data. So its driver has no bind and unbind files in sysfs.
 */
TEST(pm_device_stays_bound)
{
	if (!pool_is_on())
		SKIP(return, "no pool");
	ASSERT_EQ(0, access(PM_DRIVER "/gfx_pool", F_OK))
		TH_LOG("the PM device is not bound to its driver");
	EXPECT_NE(0, access(PM_DRIVER "/unbind", F_OK))
		TH_LOG("%s/unbind: the device can be unbound", PM_DRIVER);
	EXPECT_NE(0, access(PM_DRIVER "/bind", F_OK));
}

/*
 * The test device is CAP_SYS_ADMIN's whatever its node's mode: it splits
 * the direct map, pins memory outside any memcg and tells page frames. A
 * child of root's that drops CAP_SYS_ADMIN alone (the node's owner still,
 * so its mode lets it in) is refused.
 */
TEST(device_needs_cap_sys_admin)
{
	int status;
	pid_t pid;

	if (access(GFX_POOL_DEV, F_OK))
		SKIP(return, "%s: %s (CONFIG_TEST_GFX_POOL not built?)",
		     GFX_POOL_DEV, strerror(errno));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct __user_cap_header_struct hdr = {
			.version = _LINUX_CAPABILITY_VERSION_3,
		};
		struct __user_cap_data_struct data[2];
		int fd;

		if (syscall(SYS_capget, &hdr, data))
			_exit(2);
		data[0].effective &= ~(1U << CAP_SYS_ADMIN);
		data[0].permitted &= ~(1U << CAP_SYS_ADMIN);
		if (syscall(SYS_capset, &hdr, data))
			_exit(2);
		fd = open(GFX_POOL_DEV, O_RDWR);
		if (fd >= 0)
			_exit(1);
		/* The errno, for the parent's message; 0 for EPERM. */
		_exit(errno == EPERM ? 0 : 10 + (errno & 0x7f));
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("an open without CAP_SYS_ADMIN: %s (%s)",
		       WEXITSTATUS(status) == 1 ? "allowed" :
		       WEXITSTATUS(status) == 2 ? "could not drop it" :
		       "failed, but not with EPERM",
		       WEXITSTATUS(status) >= 10 ?
		       strerror(WEXITSTATUS(status) - 10) : "-");
}

/* The debugfs view shows every domain, and its rows add up. */
TEST(debugfs_stats)
{
	long sum_blocks, sum_in_use, in_use, blocks, grown;
	int rows, tries;

	if (!pool_is_on())
		SKIP(return, "no pool");
	pool_pages_in_use();	/* mounts debugfs if nobody did */
	/*
	 * The domains' pages in use add up to the total, and their blocks
	 * to at most the region's and the grown ones (lent, broken and
	 * converting blocks are in no domain's count). Other users may
	 * allocate between two lines of one read: a few reads, one must
	 * agree.
	 */
	for (tries = 0; tries < 5; tries++) {
		rows = read_stats(&sum_blocks, &sum_in_use, &in_use, &blocks,
				  &grown);
		ASSERT_EQ(4, rows) TH_LOG("%s: %s", GFX_POOL_STATS,
					  strerror(errno));
		ASSERT_GE(in_use, 0);
		ASSERT_GE(blocks, 0);
		ASSERT_GE(grown, 0);
		if (sum_in_use == in_use)
			break;
	}
	EXPECT_EQ(in_use, sum_in_use);
	EXPECT_LE(sum_blocks, blocks + grown);
}

/*
 * Read the debugfs blocks file: count its rows and grown rows, and check
 * each. Return: 0, or -1 if a row does not parse.
 */
static int read_blocks(struct __test_metadata *_metadata, long *rows,
		       long *grown_rows)
{
	char line[256], name[16], domain[8], level[8], tail[16];
	unsigned long pfn;
	unsigned int used;
	int nid;
	FILE *f;

	*rows = *grown_rows = 0;
	f = fopen(GFX_POOL_BLOCKS, "r");
	if (!f || !fgets(line, sizeof(line), f))	/* the header */
		return -1;
	while (fgets(line, sizeof(line), f)) {
		tail[0] = '\0';
		if (sscanf(line, "%15s %lx %d %7s %u %7s %15s", name, &pfn, &nid,
			   domain, &used, level, tail) < 6) {
			fclose(f);
			return -1;
		}
		++*rows;
		*grown_rows += name[0] == 'g';
		EXPECT_TRUE(!strcmp(domain, "wb") || !strcmp(domain, "wc") ||
			    !strcmp(domain, "uc") || !strcmp(domain, "np"))
			TH_LOG("%s", line);
		EXPECT_EQ(0, pfn % 512) TH_LOG("%s", line);
		EXPECT_LE(used, 512) TH_LOG("%s", line);
		/* A lent block may still sit under a 1G page: not ours. */
		if (!strcmp(tail, "lent")) {
			EXPECT_TRUE(!strcmp(level, "2M") || !strcmp(level, "1G"))
				TH_LOG("%s", line);
		} else {
			EXPECT_STREQ("2M", level) TH_LOG("%s", line);
		}
	}
	fclose(f);
	return 0;
}

/*
 * The debugfs blocks file: a row a block, the region's and then the grown
 * ones, as many as stats counts; each at a 2M-aligned pfn, in a domain,
 * with no more pages in use than a block has, and mapped by a 2M entry.
 */
TEST(debugfs_blocks)
{
	long rows, grown_rows, blocks, grown = -1;
	int tries;

	if (!pool_is_on())
		SKIP(return, "no pool");
	pool_pages_in_use();	/* mounts debugfs if nobody did */
	/* The idle work may give a grown block back while we read. */
	for (tries = 0; tries < 10; tries++) {
		grown = gfx_pool_read_key(GFX_POOL_STATS, "grown_blocks");
		ASSERT_EQ(0, read_blocks(_metadata, &rows, &grown_rows))
			TH_LOG("%s: unreadable", GFX_POOL_BLOCKS);
		if (grown == gfx_pool_read_key(GFX_POOL_STATS, "grown_blocks"))
			break;
	}
	blocks = gfx_pool_read_key(GFX_POOL_STATS, "blocks");
	EXPECT_EQ(blocks + grown, rows);
	EXPECT_EQ(grown, grown_rows);
}

/* === User mappings, suspend and hibernation ============================ */

#define BUF_PAGES	64
#define PAGE		4096UL

/*
 * Is WC WC here? Not without PAT (not built, or nopat): a WC mapping is
 * then UC-, and its PTE says UC. Asked once, through the memtype bench of
 * one pool page, which fails with EOPNOTSUPP exactly then (before it
 * asks whether there is a pool).
 */
static bool wc_is_wc(void)
{
	static int known = -1;
	struct test_gfx_pool_cmd cmd = {
		.method = TEST_GFX_POOL_POOL, .domain = TEST_GFX_POOL_WC,
		.npages = 1, .flags = TEST_GFX_POOL_BENCH_MEMTYPE,
	};
	int fd;

	if (known < 0) {
		fd = open(GFX_POOL_DEV, O_RDWR);
		if (fd < 0)
			return true;
		known = !(ioctl(fd, TEST_GFX_POOL_BENCH, &cmd) &&
			  errno == EOPNOTSUPP);
		close(fd);
	}
	return known;
}

/* The domain a user mapping of @domain has (NP: WB, its PAT type). */
static __u64 mapping_domain(__u64 domain)
{
	if (domain == TEST_GFX_POOL_NP)
		return TEST_GFX_POOL_WB;
	if (domain == TEST_GFX_POOL_WC && !wc_is_wc())
		return TEST_GFX_POOL_UC;
	return domain;
}

struct buffer {
	int fd;
	__u64 domain;
	unsigned int *map;
};

static int buffer_open(struct buffer *b, __u64 domain)
{
	struct test_gfx_pool_buf buf = { .domain = domain, .npages = BUF_PAGES };

	b->domain = domain;
	b->fd = open(GFX_POOL_DEV, O_RDWR);
	if (b->fd < 0)
		return -errno;
	if (ioctl(b->fd, TEST_GFX_POOL_ALLOC, &buf))
		return -errno;
	b->map = mmap(NULL, BUF_PAGES * PAGE, PROT_READ | PROT_WRITE,
		      MAP_SHARED, b->fd, 0);
	return b->map == MAP_FAILED ? -errno : 0;
}

static void buffer_close(struct buffer *b)
{
	if (b->map && b->map != MAP_FAILED)
		munmap(b->map, BUF_PAGES * PAGE);
	if (b->fd >= 0)
		close(b->fd);
}

static unsigned int pattern(__u64 domain, unsigned long i)
{
	return 0x9e3779b9u * (unsigned int)(i + 1) ^ (unsigned int)domain << 28;
}

static void buffer_fill(struct buffer *b)
{
	unsigned long i;

	for (i = 0; i < BUF_PAGES * PAGE / sizeof(int); i++)
		b->map[i] = pattern(b->domain, i);
}

/* Index of the first word that differs, or -1 if all are intact. */
static long buffer_check(struct buffer *b)
{
	unsigned long i;

	for (i = 0; i < BUF_PAGES * PAGE / sizeof(int); i++)
		if (b->map[i] != pattern(b->domain, i))
			return i;
	return -1;
}

static int buffer_info(struct buffer *b, struct test_gfx_pool_buf *info)
{
	memset(info, 0, sizeof(*info));
	return ioctl(b->fd, TEST_GFX_POOL_INFO, info) ? -errno : 0;
}

static int buffer_pte_domain(struct buffer *b, __u64 *domain)
{
	struct test_gfx_pool_buf buf = { .addr = (unsigned long)b->map };

	if (ioctl(b->fd, TEST_GFX_POOL_PTE, &buf))
		return -errno;
	*domain = buf.pte_domain;
	return 0;
}

/*
 * One sleep cycle as GFX_POOL_SLEEP says: a pm_test level of suspend to
 * RAM (freezer, devices, platform, processors, core), "mem" for a real
 * S3 cycle woken by the RTC, or "disk" for a real hibernation (the host
 * boots the guest again with resume=). Returns when the system is back.
 */
static int enter_sleep(const char *how)
{
	int ret;

	if (!strcmp(how, "disk")) {
		gfx_pool_write_file("/sys/power/pm_test", "none");
		return gfx_pool_write_file("/sys/power/state", "disk");
	}
	if (!strcmp(how, "mem")) {
		gfx_pool_write_file("/sys/power/pm_test", "none");
		gfx_pool_write_file("/sys/power/mem_sleep", "deep");
		gfx_pool_write_file("/sys/class/rtc/rtc0/wakealarm", "0");
		ret = gfx_pool_write_file("/sys/class/rtc/rtc0/wakealarm", "+3");
		return ret ?: gfx_pool_write_file("/sys/power/state", "mem");
	}
	ret = gfx_pool_write_file("/sys/power/pm_test", how);
	return ret ?: gfx_pool_write_file("/sys/power/state", "mem");
}

FIXTURE(sleep)
{
	struct buffer buf[4];
	const char *how;
};

FIXTURE_SETUP(sleep)
{
	int d, ret;

	memset(self->buf, 0, sizeof(self->buf));
	for (d = 0; d < 4; d++)
		self->buf[d].fd = -1;
	self->how = getenv("GFX_POOL_SLEEP");
	if (!self->how)
		SKIP(return, "set GFX_POOL_SLEEP to a pm_test level, mem or disk");
	if (!pool_is_on())
		SKIP(return, "no pool");
	for (d = 0; d < 4; d++) {
		ret = buffer_open(&self->buf[d], d);
		ASSERT_EQ(0, ret) TH_LOG("%s buffer: %s",
					 gfx_pool_domain_names[d], strerror(-ret));
	}
}

FIXTURE_TEARDOWN(sleep)
{
	int d;

	for (d = 0; d < 4; d++)
		buffer_close(&self->buf[d]);
}

/* Every level but "freezer" suspends devices, and so zaps. */
static bool sleep_zaps(const char *how)
{
	return strcmp(how, "freezer") != 0;
}

/* Physical start of the running kernel's code, from /proc/iomem. */
static void log_kernel_address(struct __test_metadata *_metadata)
{
	FILE *f = fopen("/proc/iomem", "r");
	char line[256];
	char *p;

	while (f && fgets(line, sizeof(line), f)) {
		if (!strstr(line, "Kernel code"))
			continue;
		p = line + strspn(line, " ");
		TH_LOG("kernel code at %.*s", (int)strcspn(p, " :"), p);
	}
	if (f)
		fclose(f);
}

/* Big buffers: one word at the start and end of each page, cheap to check. */
struct big {
	int fd;
	unsigned long npages;
	unsigned int *map;
};

static int big_open(struct big *b, __u64 domain, unsigned long npages)
{
	struct test_gfx_pool_buf buf = { .domain = domain, .npages = npages };

	b->npages = npages;
	b->fd = open(GFX_POOL_DEV, O_RDWR);
	if (b->fd < 0 || ioctl(b->fd, TEST_GFX_POOL_ALLOC, &buf))
		return -errno;
	b->map = mmap(NULL, npages * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		      b->fd, 0);
	return b->map == MAP_FAILED ? -errno : 0;
}

static void big_fill(struct big *b, __u64 domain)
{
	unsigned long i, w = PAGE / sizeof(int);

	for (i = 0; i < b->npages; i++) {
		b->map[i * w] = pattern(domain, i);
		b->map[i * w + w - 1] = ~pattern(domain, i);
	}
}

static long big_check(struct big *b, __u64 domain)
{
	unsigned long i, w = PAGE / sizeof(int);

	for (i = 0; i < b->npages; i++)
		if (b->map[i * w] != pattern(domain, i) ||
		    b->map[i * w + w - 1] != ~pattern(domain, i))
			return i;
	return -1;
}

/*
 * WB, WC, UC and NP buffers mapped and filled; one sleep cycle zaps every
 * mapping; the pages fault back in with the same caching, and the data
 * is intact. After a real hibernation this runs on in the resumed image.
 * GFX_POOL_SLEEP_BIG=<pages> adds that many pages per domain, so that a
 * hibernation image must carry a large part of RAM in pool pages.
 */
TEST_F_TIMEOUT(sleep, cycle, 1200)
{
	struct test_gfx_pool_buf before[4], after;
	struct gfx_pool_dmap d0, d1;
	const char *big_env = getenv("GFX_POOL_SLEEP_BIG");
	unsigned long big_pages = big_env ? strtoul(big_env, NULL, 0) : 0;
	struct big big[4] = {};
	bool zaps = sleep_zaps(self->how);
	__u64 pte_domain;
	int d, ret;

	for (d = 0; d < 4 && big_pages; d++) {
		ret = big_open(&big[d], d, big_pages);
		ASSERT_EQ(0, ret) TH_LOG("%lu %s pages: %s", big_pages,
					 gfx_pool_domain_names[d],
					 strerror(-ret));
		big_fill(&big[d], d);
	}
	if (big_pages)
		TH_LOG("%lu pages in use in each domain", big_pages);
	for (d = 0; d < 4; d++) {
		buffer_fill(&self->buf[d]);
		ASSERT_EQ(0, buffer_pte_domain(&self->buf[d], &pte_domain));
		EXPECT_EQ(mapping_domain(d), pte_domain)
			TH_LOG("%s mapping", gfx_pool_domain_names[d]);
		ASSERT_EQ(0, buffer_info(&self->buf[d], &before[d]));
		EXPECT_EQ(BUF_PAGES, before[d].faults);
	}
	ASSERT_EQ(0, gfx_pool_dmap_read(&d0));
	log_kernel_address(_metadata);

	ASSERT_EQ(0, enter_sleep(self->how)) TH_LOG("sleep %s", self->how);

	log_kernel_address(_metadata);
	for (d = 0; d < 4; d++) {
		struct buffer *b = &self->buf[d];

		ASSERT_EQ(0, buffer_info(b, &after));
		if (zaps) {
			EXPECT_GT(after.zaps, before[d].zaps)
				TH_LOG("%s: not zapped", gfx_pool_domain_names[d]);
			/* Zapped: not mapped until touched again. */
			EXPECT_EQ(-ENOENT, buffer_pte_domain(b, &pte_domain));
		} else {
			EXPECT_EQ(after.zaps, before[d].zaps);
		}
		EXPECT_EQ(-1, buffer_check(b))
			TH_LOG("%s: data lost at word %ld",
			       gfx_pool_domain_names[d], buffer_check(b));
		ASSERT_EQ(0, buffer_info(b, &after));
		EXPECT_EQ(before[d].faults + (zaps ? BUF_PAGES : 0),
			  after.faults)
			TH_LOG("%s: not refaulted", gfx_pool_domain_names[d]);
		ASSERT_EQ(0, buffer_pte_domain(b, &pte_domain));
		EXPECT_EQ(mapping_domain(d), pte_domain);
		TH_LOG("%s: %llu zaps, %llu faults, data intact",
		       gfx_pool_domain_names[d], (unsigned long long)after.zaps,
		       (unsigned long long)after.faults);
	}
	for (d = 0; d < 4 && big_pages; d++) {
		EXPECT_EQ(-1, big_check(&big[d], d))
			TH_LOG("%s: big buffer lost at page %ld",
			       gfx_pool_domain_names[d], big_check(&big[d], d));
		munmap(big[d].map, big_pages * PAGE);
		close(big[d].fd);
	}
	if (big_pages)
		TH_LOG("%lu pages in each domain intact", big_pages);
	ASSERT_EQ(0, gfx_pool_dmap_read(&d1));
	EXPECT_EQ(d0.splits_2m, d1.splits_2m);
	EXPECT_EQ(d0.splits_1g, d1.splits_1g);
	EXPECT_EQ(d0.directmap_4k_kb, d1.directmap_4k_kb);
}

/* The child's counters, shared with the parent. */
static unsigned long shared_get(unsigned long *shared, int i)
{
	return __atomic_load_n(&shared[i], __ATOMIC_SEQ_CST);
}

static void shared_set(unsigned long *shared, int i, unsigned long val)
{
	__atomic_store_n(&shared[i], val, __ATOMIC_SEQ_CST);
}

/* Wait up to a minute for the child to count @rounds; -1 if it died. */
static int wait_rounds(pid_t pid, unsigned long *shared, unsigned long rounds)
{
	int i, status;

	for (i = 0; i < 60000 && shared_get(shared, 1) < rounds; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return -1;
		usleep(1000);
	}
	return shared_get(shared, 1) < rounds ? -1 : 0;
}

/*
 * Faults while the system goes to sleep, as drivers meet them: the fault
 * handler holds a lock that the test device's resume callback takes for
 * write (radeon's mclk_lock), and a child process keeps faulting its
 * mapping, from user space and from the kernel (copy_from_user() and
 * copy_to_user() of an ioctl argument that lies in the zapped mapping),
 * until the cycle is over. A fault that waited for resume would hang the
 * cycle; both must just go on.
 */
TEST_F_TIMEOUT(sleep, faults_during_cycle, 300)
{
	struct test_gfx_pool_buf info, resumed;
	unsigned long *shared;
	struct buffer child;
	int status;
	pid_t pid;

	shared = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, shared);
	ASSERT_EQ(0, buffer_info(&self->buf[TEST_GFX_POOL_WC], &info));

	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct test_gfx_pool_buf *arg;
		unsigned long i;

		/* A failed assertion in the parent must not leave it looping. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (buffer_open(&child, TEST_GFX_POOL_WC))
			_exit(1);
		/* The ioctl argument lies in the mapping, past the words we touch. */
		arg = (void *)((char *)child.map + PAGE - sizeof(*arg));
		memset(arg, 0, sizeof(*arg));
		while (!shared_get(shared, 0)) {
			if (ioctl(child.fd, TEST_GFX_POOL_ZAP, &info))
				_exit(2);
			for (i = 0; i < BUF_PAGES; i++)
				child.map[i * PAGE / sizeof(int)] = i;
			if (ioctl(child.fd, TEST_GFX_POOL_ZAP, &info))
				_exit(3);
			/* The kernel faults here: copy_from_user(). */
			if (ioctl(child.fd, TEST_GFX_POOL_INFO, arg))
				_exit(4);
			shared_set(shared, 2, arg->kernel_faults);
			shared_set(shared, 1, shared_get(shared, 1) + 1);
		}
		_exit(0);
	}
	/* Let it run a few rounds first. */
	ASSERT_EQ(0, wait_rounds(pid, shared, 3));

	ASSERT_EQ(0, enter_sleep(self->how)) TH_LOG("sleep %s", self->how);

	/* Back: it must run again, and finish. */
	ASSERT_EQ(0, wait_rounds(pid, shared, shared_get(shared, 1) + 3));
	shared_set(shared, 0, 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_GT(shared_get(shared, 2), 0)
		TH_LOG("the kernel never faulted the mapping");
	ASSERT_EQ(0, buffer_info(&self->buf[TEST_GFX_POOL_WC], &resumed));
	if (sleep_zaps(self->how))
		EXPECT_GT(resumed.resumes, info.resumes)
			TH_LOG("the resume callback did not run");
	TH_LOG("%lu rounds, %lu kernel faults, %llu resume callbacks",
	       shared_get(shared, 1), shared_get(shared, 2),
	       (unsigned long long)(resumed.resumes - info.resumes));
	munmap(shared, PAGE);
}

/* MAP_PRIVATE of the device is refused: its first fault would BUG. */
TEST_F(gfx_pool, no_private_mappings)
{
	struct test_gfx_pool_buf buf = { .domain = TEST_GFX_POOL_WC, .npages = 4 };
	void *map;
	int fd;

	if (!pool_is_on())
		SKIP(return, "no pool");
	fd = open(GFX_POOL_DEV, O_RDWR);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ioctl(fd, TEST_GFX_POOL_ALLOC, &buf));
	map = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	EXPECT_EQ(MAP_FAILED, map);
	EXPECT_EQ(EINVAL, errno);
	map = mmap(NULL, 4 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	EXPECT_EQ(MAP_FAILED, map);
	/* A shared mapping still works. */
	map = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(0, ((int *)map)[0]);
	munmap(map, 4 * PAGE);
	close(fd);
}

/*
 * The failure cases: a process that exits while its mapping is zapped
 * gives its buffer back; a buffer the driver frees during the sleep, while
 * its mapping is zapped, leaves a mapping that gets SIGBUS after resume.
 */
TEST_F_TIMEOUT(sleep, exit_and_free_while_zapped, 300)
{
	/* Freed by the driver when the sleep begins. */
	struct test_gfx_pool_buf buf = {
		.domain = TEST_GFX_POOL_UC, .npages = BUF_PAGES,
		.flags = TEST_GFX_POOL_FREE_AT_SLEEP,
	};
	struct test_gfx_pool_buf info;
	struct buffer child, doomed;
	int pipefd[2], status;
	long in_use;
	char c = 0;
	pid_t pid;

	if (!strcmp(self->how, "disk"))
		SKIP(return, "one hibernation per boot pair");

	doomed.domain = TEST_GFX_POOL_UC;
	doomed.fd = open(GFX_POOL_DEV, O_RDWR);
	ASSERT_GE(doomed.fd, 0);
	ASSERT_EQ(0, ioctl(doomed.fd, TEST_GFX_POOL_ALLOC, &buf));
	doomed.map = mmap(NULL, BUF_PAGES * PAGE, PROT_READ | PROT_WRITE,
			  MAP_SHARED, doomed.fd, 0);
	ASSERT_NE(MAP_FAILED, doomed.map);
	buffer_fill(&doomed);
	in_use = pool_pages_in_use();

	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		if (buffer_open(&child, TEST_GFX_POOL_WC))
			_exit(1);
		buffer_fill(&child);
		if (write(pipefd[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	ASSERT_EQ(1, read(pipefd[0], &c, 1));
	EXPECT_EQ(in_use + BUF_PAGES, pool_pages_in_use());

	ASSERT_EQ(0, enter_sleep(self->how));

	/* The child's mapping is zapped and never faulted back: kill it. */
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	if (!sleep_zaps(self->how)) {
		/* No device suspended: the doomed buffer is still there. */
		EXPECT_EQ(in_use, pool_pages_in_use());
		ASSERT_EQ(0, buffer_info(&doomed, &info));
		EXPECT_EQ(BUF_PAGES, info.npages);
		EXPECT_EQ(-1, buffer_check(&doomed));
		buffer_close(&doomed);
		return;
	}
	/* ... and the doomed buffer went away during the sleep. */
	EXPECT_EQ(in_use - BUF_PAGES, pool_pages_in_use());
	ASSERT_EQ(0, buffer_info(&doomed, &info));
	EXPECT_EQ(0, info.npages);
	EXPECT_GT(info.zaps, 0);

	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid)
		_exit(doomed.map[0] == pattern(doomed.domain, 0));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(SIGBUS, WTERMSIG(status));
	buffer_close(&doomed);
}

/* Bad buffer commands: error codes, no warning, nothing leaked. */
/*
 * A buffer of the per-page path (TEST_GFX_POOL_BUF_PER_PAGE, what the
 * bench's fault rows compare the pool with): ordinary pages that
 * set_pages_array_wc() or _uc() made WC or UC, mapped with that caching,
 * writable, and no pool page among them. Not for NP.
 */
TEST_F(gfx_pool, per_page_buffer)
{
	static const __u64 domains[] = { TEST_GFX_POOL_WC, TEST_GFX_POOL_UC };
	struct test_gfx_pool_buf buf = { .npages = 4 };
	long in_use = pool_pages_in_use();
	int fd = self->fd;
	int *map;
	unsigned int d, i;

	buf.flags = TEST_GFX_POOL_BUF_PER_PAGE;
	buf.domain = TEST_GFX_POOL_NP;
	EXPECT_EQ(-1, ioctl(fd, TEST_GFX_POOL_ALLOC, &buf));
	EXPECT_EQ(EOPNOTSUPP, errno);
	for (d = 0; d < 2; d++) {
		/* FREE and INFO give back npages 0 when there is no buffer. */
		buf.npages = 4;
		buf.flags = TEST_GFX_POOL_BUF_PER_PAGE;
		buf.domain = domains[d];
		ASSERT_EQ(0, ioctl(fd, TEST_GFX_POOL_ALLOC, &buf));
		map = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
			   fd, 0);
		ASSERT_NE(MAP_FAILED, map);
		for (i = 0; i < 4; i++)
			map[i * PAGE / sizeof(int)] = i + 1;
		for (i = 0; i < 4; i++)
			EXPECT_EQ(i + 1, map[i * PAGE / sizeof(int)]);
		buf.flags = 0;
		buf.addr = (unsigned long)map;
		ASSERT_EQ(0, ioctl(fd, TEST_GFX_POOL_PTE, &buf));
		EXPECT_EQ(mapping_domain(domains[d]), buf.pte_domain)
			TH_LOG("%s", gfx_pool_domain_names[domains[d]]);
		/* Not one pool page. */
		if (in_use >= 0)
			EXPECT_EQ(in_use, pool_pages_in_use());
		munmap(map, 4 * PAGE);
		ASSERT_EQ(0, ioctl(fd, TEST_GFX_POOL_FREE, &buf));
	}
}

/*
 * ALLOC @buf on @fd and map all of it shared; @buf's flags are cleared for
 * the commands after. Return: the mapping, or NULL if either failed.
 */
static void *buf_alloc_map(int fd, struct test_gfx_pool_buf *buf)
{
	void *map;

	if (ioctl(fd, TEST_GFX_POOL_ALLOC, buf))
		return NULL;
	buf->flags = 0;
	map = mmap(NULL, buf->npages * PAGE, PROT_READ | PROT_WRITE,
		   MAP_SHARED, fd, 0);
	return map == MAP_FAILED ? NULL : map;
}

/*
 * A mapping outlives its buffer: after FREE and an ALLOC in another
 * domain, a fault maps the new buffer with the new buffer's caching, not
 * the one mmap() saw. PAT would correct a PTE to the page's memtype;
 * nopat would not. Per-page buffers, so that it runs without the pool.
 */
TEST_F(gfx_pool, mapping_outlives_buffer)
{
	struct test_gfx_pool_buf buf = {
		.domain = TEST_GFX_POOL_WB, .npages = 1,
		.flags = TEST_GFX_POOL_BUF_PER_PAGE,
	};
	int *map;

	map = buf_alloc_map(self->fd, &buf);
	ASSERT_NE(NULL, map);
	map[0] = 1;
	ASSERT_EQ(0, ioctl(self->fd, TEST_GFX_POOL_FREE, &buf));
	buf.domain = TEST_GFX_POOL_UC;
	buf.npages = 1;
	buf.flags = TEST_GFX_POOL_BUF_PER_PAGE;
	ASSERT_EQ(0, ioctl(self->fd, TEST_GFX_POOL_ALLOC, &buf));
	/* The first buffer's PTE went with it: this fault maps the UC page. */
	EXPECT_EQ(0, map[0]);
	buf.flags = 0;
	buf.addr = (unsigned long)map;
	ASSERT_EQ(0, ioctl(self->fd, TEST_GFX_POOL_PTE, &buf));
	EXPECT_EQ(mapping_domain(TEST_GFX_POOL_UC), buf.pte_domain);
	munmap(map, PAGE);
	ASSERT_EQ(0, ioctl(self->fd, TEST_GFX_POOL_FREE, &buf));
}

/*
 * TEST_GFX_POOL_BUF_PREFAULT: one fault maps the faulting page and the
 * next ones, TEST_GFX_POOL_PREFAULT in all, as TTM's fault handler does;
 * not past the buffer. (A per-page buffer, so that it runs without the
 * pool too.)
 */
TEST_F(gfx_pool, prefault)
{
	struct test_gfx_pool_buf buf = {
		.domain = TEST_GFX_POOL_WC,
		.npages = TEST_GFX_POOL_PREFAULT + 4,
		.flags = TEST_GFX_POOL_BUF_PER_PAGE | TEST_GFX_POOL_BUF_PREFAULT,
	};
	size_t len = buf.npages * PAGE;
	char *map;

	map = buf_alloc_map(self->fd, &buf);
	ASSERT_NE(NULL, map);
	map[0] = 1;
	ASSERT_EQ(0, ioctl(self->fd, TEST_GFX_POOL_INFO, &buf));
	EXPECT_EQ(TEST_GFX_POOL_PREFAULT, buf.faults);
	buf.addr = (unsigned long)map + (TEST_GFX_POOL_PREFAULT - 1) * PAGE;
	EXPECT_EQ(0, ioctl(self->fd, TEST_GFX_POOL_PTE, &buf));
	buf.addr += PAGE;
	EXPECT_EQ(-1, ioctl(self->fd, TEST_GFX_POOL_PTE, &buf));
	EXPECT_EQ(ENOENT, errno);
	/* Four pages left: the fault at the 17th maps those four. */
	map[TEST_GFX_POOL_PREFAULT * PAGE] = 1;
	ASSERT_EQ(0, ioctl(self->fd, TEST_GFX_POOL_INFO, &buf));
	EXPECT_EQ(TEST_GFX_POOL_PREFAULT + 4, buf.faults);
	munmap(map, len);
	ASSERT_EQ(0, ioctl(self->fd, TEST_GFX_POOL_FREE, &buf));
}

/* /proc/kcore's ELF64 header and program headers, as far as we read them. */
struct kcore_ehdr {
	unsigned char ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct kcore_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

#define KCORE_PT_LOAD	1

/* Where physical @phys lies in /proc/kcore, from its RAM segments, or -1. */
static off_t kcore_offset(int fd, unsigned long long phys)
{
	struct kcore_ehdr eh;
	struct kcore_phdr ph;
	unsigned int i;

	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh))
		return -1;
	for (i = 0; i < eh.phnum; i++) {
		if (pread(fd, &ph, sizeof(ph), eh.phoff + i * sizeof(ph)) !=
		    sizeof(ph))
			return -1;
		/* KCORE_RAM segments carry their physical address, others ~0. */
		if (ph.type == KCORE_PT_LOAD && ph.paddr != ~0ULL &&
		    phys >= ph.paddr && phys < ph.paddr + ph.memsz)
			return ph.offset + (phys - ph.paddr);
	}
	return -1;
}

/*
 * Readers of all memory with pool pages in use in every domain: reading
 * /proc/kcore over each buffer's whole 2 MiB block (handed out and free
 * pages, NP ones included), and dropping every cache, which runs every
 * shrinker, the pool's too. Neither may oops (test.sh reads the log),
 * nor split the direct map, nor take a page in use.
 */
TEST(readers_of_all_memory)
{
	int fd[4], kcore, d;
	struct gfx_pool_dmap before, after;
	long in_use = pool_pages_in_use();
	size_t len = 16 * PAGE;
	char *map[4], *block;
	unsigned long pfn;
	off_t off;

	if (!pool_is_on())
		SKIP(return, "no pool (gfx_pool=0)");
	kcore = open("/proc/kcore", O_RDONLY);
	if (kcore < 0)
		SKIP(return, "/proc/kcore: %s (CONFIG_PROC_KCORE?)",
		     strerror(errno));
	block = malloc(2UL << 20);
	ASSERT_NE(NULL, block);
	for (d = TEST_GFX_POOL_WB; d <= TEST_GFX_POOL_NP; d++) {
		struct test_gfx_pool_buf buf = { .domain = d, .npages = 16 };

		fd[d] = open(GFX_POOL_DEV, O_RDWR);
		ASSERT_LE(0, fd[d]);
		ASSERT_EQ(0, ioctl(fd[d], TEST_GFX_POOL_ALLOC, &buf));
		map[d] = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
			      fd[d], 0);
		ASSERT_NE(MAP_FAILED, map[d]);
		memset(map[d], 0x5a, len);
	}
	ASSERT_EQ(0, gfx_pool_dmap_read(&before));
	for (d = TEST_GFX_POOL_WB; d <= TEST_GFX_POOL_NP; d++) {
		struct test_gfx_pool_buf buf = { .addr = (uintptr_t)map[d] };

		ASSERT_EQ(0, ioctl(fd[d], TEST_GFX_POOL_PTE, &buf));
		pfn = buf.pfn;
		ASSERT_NE(0, pfn) TH_LOG("%s: no PFN", gfx_pool_domain_names[d]);
		off = kcore_offset(kcore, (pfn << 12) & ~((2ULL << 20) - 1));
		ASSERT_LE(0, off) TH_LOG("%s: pfn %#lx is in no kcore segment",
					 gfx_pool_domain_names[d], pfn);
		EXPECT_EQ((ssize_t)(2UL << 20),
			  pread(kcore, block, 2UL << 20, off))
			TH_LOG("%s: reading kcore over pfn %#lx: %s",
			       gfx_pool_domain_names[d], pfn, strerror(errno));
	}
	EXPECT_EQ(0, gfx_pool_write_file("/proc/sys/vm/drop_caches", "3"));
	ASSERT_EQ(0, gfx_pool_dmap_read(&after));
	EXPECT_EQ(before.splits_2m, after.splits_2m);
	EXPECT_EQ(before.splits_1g, after.splits_1g);
	EXPECT_EQ(before.directmap_4k_kb, after.directmap_4k_kb);
	for (d = TEST_GFX_POOL_WB; d <= TEST_GFX_POOL_NP; d++) {
		/* The buffers are intact, still the pool's. */
		EXPECT_EQ(0x5a, map[d][len - 1]);
		munmap(map[d], len);
		close(fd[d]);
	}
	if (in_use >= 0)
		EXPECT_EQ(in_use, pool_pages_in_use());
	free(block);
	close(kcore);
}

/*
 * TEST_GFX_POOL_FRAGMENT keeps every other page it took, until close; a
 * second call, no pages or flags are refused.
 */
TEST_F(gfx_pool, fragment)
{
	struct test_gfx_pool_buf buf = { .npages = 64 };
	int fd = open(GFX_POOL_DEV, O_RDWR);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ioctl(fd, TEST_GFX_POOL_FRAGMENT, &buf));
	EXPECT_EQ(32, buf.npages);
	buf.npages = 64;
	EXPECT_EQ(-1, ioctl(fd, TEST_GFX_POOL_FRAGMENT, &buf));
	EXPECT_EQ(EBUSY, errno);
	close(fd);
	buf.npages = 0;
	EXPECT_EQ(-1, ioctl(self->fd, TEST_GFX_POOL_FRAGMENT, &buf));
	EXPECT_EQ(EINVAL, errno);
	buf.npages = 64;
	buf.flags = 1;
	EXPECT_EQ(-1, ioctl(self->fd, TEST_GFX_POOL_FRAGMENT, &buf));
	EXPECT_EQ(EINVAL, errno);
	buf.flags = 0;
	buf.npages = TEST_GFX_POOL_MAX_PAGES + 1;
	EXPECT_EQ(-1, ioctl(self->fd, TEST_GFX_POOL_FRAGMENT, &buf));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(gfx_pool, bad_buffers)
{
	struct test_gfx_pool_buf buf = { .domain = TEST_GFX_POOL_WC, .npages = 4 };
	long in_use = pool_pages_in_use();
	void *map;
	int fd;

	if (!pool_is_on())
		SKIP(return, "no pool");
	fd = open(GFX_POOL_DEV, O_RDWR);
	ASSERT_GE(fd, 0);
	/* Nothing to map or free yet. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0));
	EXPECT_EQ(-1, ioctl(fd, TEST_GFX_POOL_FREE, &buf));
	EXPECT_EQ(ENOENT, errno);
	buf.domain = 4;
	EXPECT_EQ(-1, ioctl(fd, TEST_GFX_POOL_ALLOC, &buf));
	EXPECT_EQ(EINVAL, errno);
	buf.domain = TEST_GFX_POOL_WC;
	buf.npages = 0;
	EXPECT_EQ(-1, ioctl(fd, TEST_GFX_POOL_ALLOC, &buf));
	EXPECT_EQ(EINVAL, errno);
	buf.npages = TEST_GFX_POOL_MAX_BUF_PAGES + 1;
	EXPECT_EQ(-1, ioctl(fd, TEST_GFX_POOL_ALLOC, &buf));
	EXPECT_EQ(EINVAL, errno);
	buf.npages = 4;
	/* The flag above the last one. */
	buf.flags = TEST_GFX_POOL_BUF_PREFAULT << 1;
	EXPECT_EQ(-1, ioctl(fd, TEST_GFX_POOL_ALLOC, &buf));
	EXPECT_EQ(EINVAL, errno);
	buf.flags = TEST_GFX_POOL_FREE_AT_SLEEP;
	EXPECT_EQ(-1, ioctl(fd, TEST_GFX_POOL_INFO, &buf));
	EXPECT_EQ(EINVAL, errno);
	buf.flags = 0;
	ASSERT_EQ(0, ioctl(fd, TEST_GFX_POOL_ALLOC, &buf));
	EXPECT_EQ(-1, ioctl(fd, TEST_GFX_POOL_ALLOC, &buf));
	EXPECT_EQ(EBUSY, errno);
	/* Larger than the buffer, or at an offset. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 5 * PAGE, PROT_READ, MAP_SHARED, fd, 0));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, PAGE));
	map = mmap(NULL, 4 * PAGE, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	/* A PTE query for an address that is not ours. */
	buf.addr = (unsigned long)&buf;
	EXPECT_EQ(-1, ioctl(fd, TEST_GFX_POOL_PTE, &buf));
	EXPECT_EQ(EINVAL, errno);
	buf.addr = (unsigned long)map;
	EXPECT_EQ(-1, ioctl(fd, TEST_GFX_POOL_PTE, &buf));
	EXPECT_EQ(ENOENT, errno);	/* not faulted in yet */
	EXPECT_EQ(in_use + 4, pool_pages_in_use());
	munmap(map, 4 * PAGE);
	close(fd);
	/* Closing the file gives the buffer back. */
	EXPECT_EQ(in_use, pool_pages_in_use());
}

/*
 * A pool buffer that fails half way gives what it took back to the pool,
 * whatever the file's buffer before it was: here a per-page WB one, whose
 * pages went back to the page allocator. Where the pool could hold the
 * largest buffer, another file holds enough of it first.
 */
TEST_F(gfx_pool, failed_buffer_after_per_page)
{
	struct test_gfx_pool_buf buf = {
		.domain = TEST_GFX_POOL_WB, .npages = 1,
		.flags = TEST_GFX_POOL_BUF_PER_PAGE,
	};
	long blocks, grow, in_use, hold;
	int fds[16], nfds = 0, i;

	if (!pool_is_on())
		SKIP(return, "no pool");
	ASSERT_EQ(0, ioctl(self->fd, TEST_GFX_POOL_ALLOC, &buf));
	buf.flags = 0;
	ASSERT_EQ(0, ioctl(self->fd, TEST_GFX_POOL_FREE, &buf));
	in_use = pool_pages_in_use();
	ASSERT_GE(in_use, 0);
	blocks = gfx_pool_read_key(GFX_POOL_STATS, "blocks");
	grow = gfx_pool_read_key(GFX_POOL_STATS, "grow_limit_blocks");
	ASSERT_GE(blocks, 0);
	ASSERT_GE(grow, 0);
	/* All the pool could ever have but one block less than the buffer. */
	hold = (blocks + grow) * 512 - (long)TEST_GFX_POOL_MAX_BUF_PAGES + 512;
	while (hold > 0) {
		struct test_gfx_pool_buf h = {
			.domain = TEST_GFX_POOL_WB,
			.npages = hold < (long)TEST_GFX_POOL_MAX_BUF_PAGES ?
				  hold : TEST_GFX_POOL_MAX_BUF_PAGES,
		};

		if (nfds == (int)(sizeof(fds) / sizeof(*fds)))
			SKIP(goto out, "a pool of %ld blocks is too big to fill",
			     blocks + grow);
		fds[nfds] = open(GFX_POOL_DEV, O_RDWR);
		ASSERT_GE(fds[nfds], 0);
		ASSERT_EQ(0, ioctl(fds[nfds++], TEST_GFX_POOL_ALLOC, &h));
		hold -= h.npages;
	}
	buf = (struct test_gfx_pool_buf){
		.domain = TEST_GFX_POOL_NP,
		.npages = TEST_GFX_POOL_MAX_BUF_PAGES,
	};
	EXPECT_EQ(-1, ioctl(self->fd, TEST_GFX_POOL_ALLOC, &buf));
	EXPECT_EQ(ENOMEM, errno);
out:
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	/* Each page it took is the pool's again, none the page allocator's. */
	EXPECT_EQ(in_use, pool_pages_in_use());
}

/* === /proc/meminfo and /proc/vmstat ===================================== */

static const char *const meminfo_used[] = {
	"GfxPoolUsedWB", "GfxPoolUsedWC", "GfxPoolUsedUC", "GfxPoolUsedNP",
};

/* The pool's all-time figures, as /proc/vmstat and debugfs each say them. */
struct pool_events {
	long allocs, frees, conversions;
	long taken_back, lent, grown, given_back;
};

static void vmstat_events(struct pool_events *e)
{
	e->allocs = gfx_pool_read_key("/proc/vmstat", "gfx_pool_allocs");
	e->frees = gfx_pool_read_key("/proc/vmstat", "gfx_pool_frees");
	e->conversions = gfx_pool_read_key("/proc/vmstat", "gfx_pool_conversions");
	e->taken_back = gfx_pool_read_key("/proc/vmstat",
					  "gfx_pool_blocks_taken_back");
	e->lent = gfx_pool_read_key("/proc/vmstat", "gfx_pool_blocks_lent");
	e->grown = gfx_pool_read_key("/proc/vmstat", "gfx_pool_blocks_grown");
	e->given_back = gfx_pool_read_key("/proc/vmstat",
					  "gfx_pool_blocks_given_back");
}

/* The same from debugfs: the per-domain columns summed. */
static int debugfs_events(struct pool_events *e)
{
	long blocks, in_use, allocs, frees, conversions, exhausted, refused;
	char line[256], name[8];
	int rows = 0;
	FILE *f;

	memset(e, 0, sizeof(*e));
	f = fopen(GFX_POOL_STATS, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%7s %ld %ld %ld %ld %ld %ld %ld", name, &blocks,
			   &in_use, &allocs, &frees, &conversions, &exhausted,
			   &refused) != 8 || strlen(name) != 2)
			continue;
		e->allocs += allocs;
		e->frees += frees;
		e->conversions += conversions;
		rows++;
	}
	fclose(f);
	e->taken_back = gfx_pool_read_key(GFX_POOL_STATS, "blocks_taken_back");
	e->lent = gfx_pool_read_key(GFX_POOL_STATS, "blocks_lent");
	e->grown = gfx_pool_read_key(GFX_POOL_STATS, "blocks_grown");
	e->given_back = gfx_pool_read_key(GFX_POOL_STATS, "blocks_given_back");
	return rows == 4 ? 0 : -1;
}

/*
 * How long the views may take to hold still: after the KUnit suites of a
 * 1 GiB pool, the idle work lends hundreds of blocks again, one domain
 * change each, which takes seconds under TCG.
 */
#define QUIET_TRIES	300	/* of 100 ms: 30 s */

/*
 * Read both views while the pool is quiet: the idle work may give a
 * block back between two reads, so read vmstat on both sides of debugfs
 * until the two agree, waiting a little between tries.
 */
static int read_events(struct pool_events *vm, struct pool_events *dbg)
{
	struct pool_events again;
	int tries;

	for (tries = 0; tries < QUIET_TRIES; tries++) {
		vmstat_events(vm);
		if (debugfs_events(dbg))
			return -1;
		vmstat_events(&again);
		if (!memcmp(vm, &again, sizeof(again)))
			return 0;
		usleep(100000);
	}
	return -1;
}

/*
 * Where users look: /proc/meminfo has the pool's size, what of it is lent
 * and grown, and the pages in use per domain; /proc/vmstat counts what
 * the pool does, the same events debugfs counts. A buffer in each domain
 * shows in its GfxPoolUsed line, page for page, and in the events; with
 * the pool off the lines are there and say 0 kB.
 */
TEST(meminfo_vmstat)
{
	struct pool_events vm, dbg, vm_after;
	long before[4], total, lent, grown;
	struct buffer b[4];
	int d, tries;

	if (!pool_is_on()) {
		EXPECT_EQ(0, gfx_pool_read_key("/proc/meminfo", "GfxPoolTotal"));
		EXPECT_EQ(0, gfx_pool_read_key("/proc/meminfo", "GfxPoolLent"));
		EXPECT_EQ(0, gfx_pool_read_key("/proc/meminfo", "GfxPoolGrown"));
		for (d = 0; d < 4; d++)
			EXPECT_EQ(0, gfx_pool_read_key("/proc/meminfo",
						       meminfo_used[d]));
		/* Nothing allocated or converted, ever. */
		vmstat_events(&vm);
		EXPECT_EQ(0, vm.allocs);
		EXPECT_EQ(0, vm.conversions);
		return;
	}
	pool_pages_in_use();	/* mounts debugfs if nobody did */

	/* Size, lent and grown, in kB, as debugfs counts them in blocks. */
	for (tries = 0; tries < QUIET_TRIES; tries++) {
		if (tries)
			usleep(100000);
		total = gfx_pool_read_key("/proc/meminfo", "GfxPoolTotal");
		lent = gfx_pool_read_key("/proc/meminfo", "GfxPoolLent");
		grown = gfx_pool_read_key("/proc/meminfo", "GfxPoolGrown");
		if (total == (gfx_pool_read_key(GFX_POOL_STATS, "blocks") +
			      gfx_pool_read_key(GFX_POOL_STATS, "grown_blocks")) * 2048 &&
		    lent == gfx_pool_read_key(GFX_POOL_STATS, "lent_blocks") * 2048 &&
		    grown == gfx_pool_read_key(GFX_POOL_STATS, "grown_blocks") * 2048)
			break;
	}
	EXPECT_LT(tries, QUIET_TRIES)
		TH_LOG("GfxPoolTotal %ld, Lent %ld, Grown %ld kB never matched debugfs",
		       total, lent, grown);
	EXPECT_LT(0, total);

	/* Every event counted in both, the same number of times. */
	ASSERT_EQ(0, read_events(&vm, &dbg));
	EXPECT_EQ(dbg.allocs, vm.allocs);
	EXPECT_EQ(dbg.frees, vm.frees);
	EXPECT_EQ(dbg.conversions, vm.conversions);
	EXPECT_EQ(dbg.taken_back, vm.taken_back);
	EXPECT_EQ(dbg.lent, vm.lent);
	EXPECT_EQ(dbg.grown, vm.grown);
	EXPECT_EQ(dbg.given_back, vm.given_back);

	for (d = 0; d < 4; d++) {
		before[d] = gfx_pool_read_key("/proc/meminfo", meminfo_used[d]);
		ASSERT_LE(0, before[d]);
		ASSERT_EQ(0, buffer_open(&b[d], d));
	}
	for (d = 0; d < 4; d++)
		EXPECT_EQ(before[d] + BUF_PAGES * 4,
			  gfx_pool_read_key("/proc/meminfo", meminfo_used[d]));
	vmstat_events(&vm_after);
	/* One allocation at least per buffer, and no free yet. */
	EXPECT_LE(vm.allocs + 4, vm_after.allocs);
	EXPECT_EQ(vm.frees, vm_after.frees);
	for (d = 0; d < 4; d++)
		buffer_close(&b[d]);
	for (d = 0; d < 4; d++)
		EXPECT_EQ(before[d], gfx_pool_read_key("/proc/meminfo",
						       meminfo_used[d]));
	/* Everything allocated since is freed. */
	vmstat_events(&vm);
	EXPECT_EQ(vm_after.allocs - dbg.allocs, vm.frees - dbg.frees);
}

/* === memcg ============================================================== */

#define CGROUP_ROOT	"/sys/fs/cgroup"
#define CGROUP_TEST	CGROUP_ROOT "/gfx_pool_memcg"
#define MEMCG_MAX_KB	16384L	/* memory.max of the test's cgroup */
#define MEMCG_BUF	1024	/* pages of the buffer that fits: 4 MiB */

/* memory.current of the test's cgroup, in kB; -1 if unreadable. */
static long memcg_current_kb(void)
{
	FILE *f = fopen(CGROUP_TEST "/memory.current", "r");
	long bytes = -1024;

	if (f) {
		if (fscanf(f, "%ld", &bytes) != 1)
			bytes = -1024;
		fclose(f);
	}
	return bytes / 1024;
}

/* Allocate a buffer of @npages on a new descriptor; -errno or the fd. */
static int memcg_buffer(__u64 npages)
{
	struct test_gfx_pool_buf buf = {
		.domain = TEST_GFX_POOL_WC, .npages = npages,
	};
	int fd = open(GFX_POOL_DEV, O_RDWR), err;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, TEST_GFX_POOL_ALLOC, &buf)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* The exhausted column of debugfs stats for the WC row, or -1. */
static long debugfs_wc_exhausted(void)
{
	long blocks, in_use, allocs, frees, conversions, exhausted, refused;
	char line[256];
	long n = -1;
	FILE *f;

	f = fopen(GFX_POOL_STATS, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "wc %ld %ld %ld %ld %ld %ld %ld", &blocks,
			   &in_use, &allocs, &frees, &conversions, &exhausted,
			   &refused) == 7)
			n = exhausted;
	fclose(f);
	return n;
}

/*
 * In the cgroup: a buffer that fits is charged to it, one beyond
 * memory.max is refused with ENOMEM (and whatever it took is uncharged;
 * the pool had room, so it is not counted as exhausted), and closing the
 * first gives its charge back. The exit status says which step went
 * wrong.
 */
static int memcg_child(void)
{
	long before, charged, after, exhausted;
	cpu_set_t cpus;
	char pid[16];
	int fd, big;

	/*
	 * One CPU: memcg keeps up to a charge batch (64 pages, 256 kB)
	 * precharged per CPU, counted in memory.current, so a child that
	 * moved between CPUs would show a batch per CPU it ran on.
	 */
	CPU_ZERO(&cpus);
	CPU_SET(sched_getcpu(), &cpus);
	if (sched_setaffinity(0, sizeof(cpus), &cpus))
		return 1;
	snprintf(pid, sizeof(pid), "%d", getpid());
	if (gfx_pool_write_file(CGROUP_TEST "/cgroup.procs", pid))
		return 1;
	before = memcg_current_kb();
	if (before < 0)
		return 1;
	fd = memcg_buffer(MEMCG_BUF);
	if (fd < 0)
		return 2;
	charged = memcg_current_kb();
	printf("# memcg: %ld kB charged before, %ld kB with a %d kB buffer\n",
	       before, charged, MEMCG_BUF * 4);
	if (charged < before + MEMCG_BUF * 4)
		return 3;
	/* The pages handed out, not the blocks they came from. */
	if (charged > before + MEMCG_BUF * 4 + 256)
		return 9;
	exhausted = debugfs_wc_exhausted();
	if (exhausted < 0)
		return 8;
	big = memcg_buffer(MEMCG_MAX_KB / 4 * 2);
	if (big != -ENOMEM)
		return 4;
	if (memcg_current_kb() > charged + 256)
		return 5;
	if (debugfs_wc_exhausted() != exhausted)
		return 7;
	close(fd);
	after = memcg_current_kb();
	printf("# memcg: %ld kB charged after closing it\n", after);
	if (after > before + 256)
		return 6;
	return 0;
}

/*
 * __GFP_ACCOUNT: the test driver allocates its buffers with it, and the
 * pool charges them to the caller's memcg, as alloc_pages() would. A
 * process in a cgroup with a 16 MiB memory.max gets a 4 MiB buffer,
 * charged to the cgroup, and not a 32 MiB one.
 */
TEST(memcg)
{
	static const char *const why[] = {
		"ok", "cannot join the cgroup", "the buffer that fits failed",
		"the buffer was not charged",
		"a buffer beyond memory.max was not refused with ENOMEM",
		"the refused buffer left a charge behind",
		"closing the buffer did not uncharge it",
		"the refused buffer was counted as exhausted",
		"no debugfs stats to read",
		"more was charged than the buffer's pages",
	};
	char limit[32];
	int status;
	pid_t pid;

	if (!pool_is_on())
		SKIP(return, "no pool");
	pool_pages_in_use();	/* mounts debugfs if nobody did */
	if (access(CGROUP_ROOT "/cgroup.controllers", R_OK))
		mount("none", CGROUP_ROOT, "cgroup2", 0, NULL);
	ASSERT_EQ(0, access(CGROUP_ROOT "/cgroup.controllers", R_OK))
		TH_LOG("no cgroup2 at %s: %s", CGROUP_ROOT, strerror(errno));
	ASSERT_EQ(0, gfx_pool_write_file(CGROUP_ROOT "/cgroup.subtree_control", "+memory"))
		TH_LOG("no memory controller (CONFIG_MEMCG)");
	ASSERT_TRUE(!mkdir(CGROUP_TEST, 0755) || errno == EEXIST);
	snprintf(limit, sizeof(limit), "%ldK", MEMCG_MAX_KB);
	ASSERT_EQ(0, gfx_pool_write_file(CGROUP_TEST "/memory.max", limit));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(memcg_child());
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status)) TH_LOG("killed by signal %d",
					      WTERMSIG(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("%s", WEXITSTATUS(status) < ARRAY_SIZE(why) ?
		       why[WEXITSTATUS(status)] : "?");
	rmdir(CGROUP_TEST);
}

/* Is the region lent while idle? From debugfs ("lends: yes"). */
static bool pool_lends(void)
{
	char line[64];
	bool lends = false;
	FILE *f;

	pool_pages_in_use();	/* mounts debugfs if nobody did */
	f = fopen(GFX_POOL_STATS, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (!strcmp(line, "lends: yes\n"))
			lends = true;
	fclose(f);
	return lends;
}

/*
 * Memory pressure as far as the pool can tell: drop_caches runs its
 * shrinker, which gives free blocks back. The shrinker only tries the
 * node's convert_lock (reclaim may come from inside an allocation that
 * holds it), so while the idle work holds it a pass gives nothing back:
 * repeat, for up to 5 s, until debugfs says @key is @want.
 * Return: 0, or -1 if it never was.
 */
static int shrink_until(const char *key, long want)
{
	int tries;

	for (tries = 0; tries < 50; tries++) {
		if (gfx_pool_write_file("/proc/sys/vm/drop_caches", "2"))
			return -1;
		if (gfx_pool_read_key(GFX_POOL_STATS, key) == want)
			return 0;
		usleep(100000);
	}
	return -1;
}

/* === Growth ============================================================= */

/*
 * MemFree, and what the per-CPU lists hold (the "count:" of every
 * pageset in /proc/zoneinfo), in kB: the page allocator's free memory.
 * Half a GiB freed page by page can leave tens of MiB on those lists.
 */
static long free_kb(void)
{
	long kb = gfx_pool_read_key("/proc/meminfo", "MemFree"), count;
	char line[256];
	FILE *f;

	f = fopen("/proc/zoneinfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " count: %ld", &count) == 1)
			kb += count * (PAGE / 1024);
	fclose(f);
	return kb;
}

#define PARAMS		"/sys/module/gfx_pool/parameters/"

/* A parameter's value as sysfs shows it, newline included. */
static int read_param(const char *name, char *buf, size_t len)
{
	char path[128];
	FILE *f;
	int ret;

	snprintf(path, sizeof(path), PARAMS "%s", name);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	ret = fgets(buf, len, f) ? 0 : -EIO;
	fclose(f);
	return ret;
}

/* Pages on the per-CPU lists, all domains: debugfs "pcp_pages: WB n ...". */
static long pcp_list_pages(void)
{
	char line[256], name[8];
	long total = -1, n;
	int off, used;
	FILE *f;

	f = fopen(GFX_POOL_STATS, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "pcp_pages:", 10))
			continue;
		total = 0;
		for (off = 10; sscanf(line + off, " %7s %ld%n", name, &n,
				      &used) == 2; off += used)
			total += n;
	}
	fclose(f);
	return total;
}

/*
 * The run-time parameters refuse a bad value with -EINVAL and keep the
 * one they had; turning the per-CPU lists off drains them at once.
 */
TEST(run_time_parameters)
{
	static const char *const bad_warm[] = { "9", "x", "-1", "1x" };
	static const char *const bad_pcp[] = { "maybe", "2" };
	char warm[32], pcp[32], now[32];
	struct test_gfx_pool_cmd cmd;
	unsigned int i;
	int fd;

	if (!pool_is_on())
		SKIP(return, "no pool");
	pool_pages_in_use();	/* mounts debugfs if nobody did */
	ASSERT_EQ(0, read_param("warm_blocks", warm, sizeof(warm)));
	ASSERT_EQ(0, read_param("pcp", pcp, sizeof(pcp)));
	for (i = 0; i < ARRAY_SIZE(bad_warm); i++) {
		EXPECT_EQ(-EINVAL, gfx_pool_write_file(PARAMS "warm_blocks",
						       bad_warm[i]));
		ASSERT_EQ(0, read_param("warm_blocks", now, sizeof(now)));
		EXPECT_STREQ(warm, now);
	}
	for (i = 0; i < ARRAY_SIZE(bad_pcp); i++) {
		EXPECT_EQ(-EINVAL, gfx_pool_write_file(PARAMS "pcp", bad_pcp[i]));
		ASSERT_EQ(0, read_param("pcp", now, sizeof(now)));
		EXPECT_STREQ(pcp, now);
	}

	/* Order-0 pages freed with the lists on stay on them, until off. */
	ASSERT_EQ(0, gfx_pool_write_file(PARAMS "pcp", "Y"));
	fd = open(GFX_POOL_DEV, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, gfx_pool_run(fd, TEST_GFX_POOL_POOL, TEST_GFX_POOL_WC, 64,
				  &cmd));
	close(fd);
	EXPECT_LT(0, pcp_list_pages());
	ASSERT_EQ(0, gfx_pool_write_file(PARAMS "pcp", "N"));
	EXPECT_EQ(0, pcp_list_pages());
	EXPECT_EQ(0, gfx_pool_write_file(PARAMS "pcp", pcp));
	EXPECT_EQ(0, gfx_pool_write_file(PARAMS "warm_blocks", warm));
}

#define GROW_LIMIT	"/sys/module/gfx_pool/parameters/grow_limit"
#define GROW_PAGES	131072L	/* 512 MiB */

/*
 * With gfx_pool.grow_limit set, a WC ttm_tt 512 MiB larger than the
 * region (less in a small guest) is served by
 * the pool growing from the page allocator by that much: no 2M page is
 * split to 4K (the per-page path would split
 * hundreds). A 1G page may be demoted to 2M pages once where a block grew
 * inside one; that is reported, as the docs say. Then the shrinker, which
 * drop_caches runs, gives every grown block back.
 */
TEST(grow)
{
	long grown_before, given_before, free_before, free_after, region;
	long grown_now, grown, given, grow, taken_before;
	struct gfx_pool_dmap before, after;
	struct test_gfx_pool_cmd cmd;
	char old[32] = "0M", now[32] = "";
	int fd, ret;
	FILE *f;

	if (!pool_is_on()) {
		/* A pool that is off stays off: no limit makes it grow. */
		if (!access(GROW_LIMIT, W_OK))
			EXPECT_EQ(-ENODEV, gfx_pool_write_file(GROW_LIMIT, "64M"));
		SKIP(return, "no pool");
	}
	pool_pages_in_use();	/* mounts debugfs if nobody did */
	f = fopen(GROW_LIMIT, "r");
	ASSERT_NE(NULL, f) TH_LOG("%s: %s", GROW_LIMIT, strerror(errno));
	ASSERT_NE(NULL, fgets(old, sizeof(old), f));
	fclose(f);
	/* Bad values are refused, and change nothing. */
	EXPECT_EQ(-EINVAL, gfx_pool_write_file(GROW_LIMIT, "3M"));
	EXPECT_EQ(-EINVAL, gfx_pool_write_file(GROW_LIMIT, "abc"));
	EXPECT_EQ(-EINVAL, gfx_pool_write_file(GROW_LIMIT, "-2M"));
	f = fopen(GROW_LIMIT, "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(now, sizeof(now), f));
	fclose(f);
	EXPECT_STREQ(old, now);
	ASSERT_EQ(0, gfx_pool_write_file(GROW_LIMIT, "1G"));
	EXPECT_EQ(512, gfx_pool_read_key(GFX_POOL_STATS, "grow_limit_blocks"));

	/* From a pool with nothing grown, and its region lent if it lends. */
	ASSERT_EQ(0, gfx_pool_write_file("/proc/sys/vm/drop_caches", "2"));
	region = gfx_pool_read_key(GFX_POOL_STATS, "blocks");
	ASSERT_LE(0, region);
	taken_before = gfx_pool_read_key(GFX_POOL_STATS, "blocks_taken_back");
	/*
	 * 512 MiB, or half of what is available beside a lent region, and
	 * the whole ttm_tt within half of RAM.
	 */
	grow = gfx_pool_read_key("/proc/meminfo", "MemAvailable") / 4;
	if (pool_lends())
		grow -= region * 512;
	grow /= 2;
	/* The test driver takes at most half of RAM for one ttm_tt. */
	if (grow > gfx_pool_read_key("/proc/meminfo", "MemTotal") / 4 / 2 -
		   region * 512 - 512)
		grow = gfx_pool_read_key("/proc/meminfo", "MemTotal") / 4 / 2 -
		       region * 512 - 512;
	grow = grow / 512 * 512;
	if (grow > GROW_PAGES)
		grow = GROW_PAGES;
	if (grow < 512 * 16) {
		gfx_pool_write_file(GROW_LIMIT, old);
		SKIP(return, "too little memory to grow");
	}
	fd = open(GFX_POOL_DEV, O_RDWR);
	ASSERT_LE(0, fd);
	grown_now = gfx_pool_read_key(GFX_POOL_STATS, "grown_blocks");
	grown_before = gfx_pool_read_key(GFX_POOL_STATS, "blocks_grown");
	given_before = gfx_pool_read_key(GFX_POOL_STATS, "blocks_given_back");
	free_before = free_kb();
	ASSERT_EQ(0, gfx_pool_dmap_read(&before));
	ret = gfx_pool_run(fd, TEST_GFX_POOL_TTM, TEST_GFX_POOL_WC,
			   region * 512 + grow, &cmd);
	close(fd);
	if (ret == -EOPNOTSUPP) {
		gfx_pool_write_file(GROW_LIMIT, old);
		SKIP(return, "no TTM in this kernel");
	}
	grown = gfx_pool_read_key(GFX_POOL_STATS, "blocks_grown") - grown_before;
	TH_LOG("TTM WC, region + %ld MiB: %ld taken back, %ld grown",
	       grow / 256, gfx_pool_read_key(GFX_POOL_STATS, "blocks_taken_back") -
	       taken_before, grown);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, gfx_pool_dmap_read(&after));
	TH_LOG("2M->4K %ld, 1G->2M %ld, DirectMap4k %+ld kB",
	       after.splits_2m - before.splits_2m,
	       after.splits_1g - before.splits_1g,
	       after.directmap_4k_kb - before.directmap_4k_kb);
	/* Blocks grown earlier and still free may have served some. */
	EXPECT_GE(grown + grown_now, grow / 512);
	EXPECT_EQ(before.splits_2m, after.splits_2m);
	EXPECT_EQ(before.directmap_4k_kb, after.directmap_4k_kb);

	/* Memory pressure, as far as the pool can tell: its shrinker runs. */
	EXPECT_EQ(0, shrink_until("grown_blocks", 0));
	EXPECT_EQ(0, gfx_pool_read_key(GFX_POOL_STATS, "grown_blocks"));
	grown = gfx_pool_read_key(GFX_POOL_STATS, "blocks_grown") - grown_before;
	given = gfx_pool_read_key(GFX_POOL_STATS, "blocks_given_back") - given_before;
	EXPECT_EQ(grown + grown_now, given);
	free_after = free_kb();
	TH_LOG("free %ld kB before, %ld kB after giving back (MemFree and per-CPU lists)",
	       free_before, free_after);
	/* Back with the page allocator, but for a little metadata. */
	EXPECT_GT(free_after + 32768, free_before);
	EXPECT_EQ(0, gfx_pool_write_file(GROW_LIMIT, old));
}

/* === Tracepoints ======================================================== */

#define TRACEFS		"/sys/kernel/tracing/"
#define TRACE_EVENTS	TRACEFS "events/gfx_pool/"
#define TRACE_GROW	4	/* blocks grown beyond the region */

/*
 * The events of the allocation path and of whole blocks, each with the
 * /proc/vmstat event that counts at the same place: a trace and the
 * counters of one window agree. A block event counts its blocks (order
 * 9 is one, an order-10 group two); the others count one each.
 */
static const struct {
	const char *event, *vmstat, *fields;
} trace_events[] = {
	{ "gfx_pool_alloc", "gfx_pool_allocs",
	  "pfn order domain nid gfp_flags caller" },
	{ "gfx_pool_free", "gfx_pool_frees", "pfn order domain nid caller" },
	{ "gfx_pool_convert", "gfx_pool_conversions", "pfn order nid from to" },
	{ "gfx_pool_block_taken_back", "gfx_pool_blocks_taken_back",
	  "pfn order nid" },
	{ "gfx_pool_block_lent", "gfx_pool_blocks_lent", "pfn order nid" },
	{ "gfx_pool_block_grown", "gfx_pool_blocks_grown", "pfn order nid" },
	{ "gfx_pool_block_given_back", "gfx_pool_blocks_given_back",
	  "pfn order nid" },
};

#define NR_TRACE_EVENTS	ARRAY_SIZE(trace_events)

/* Every field of @fields is in @event's format file, as "<type> <name>;". */
static int trace_format_has(const char *event, const char *fields)
{
	char path[128], buf[8192], want[64], copy[128], *name, *save;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), TRACE_EVENTS "%s/format", event);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	snprintf(copy, sizeof(copy), "%s", fields);
	for (name = strtok_r(copy, " ", &save); name;
	     name = strtok_r(NULL, " ", &save)) {
		snprintf(want, sizeof(want), " %s;", name);
		if (!strstr(buf, want))
			return -1;
	}
	return 0;
}

static void trace_counters(long *c)
{
	unsigned int i;

	for (i = 0; i < NR_TRACE_EVENTS; i++)
		c[i] = gfx_pool_read_key("/proc/vmstat", trace_events[i].vmstat);
}

/* What one window's trace held: events per kind, and their checks. */
struct trace_seen {
	long counted[NR_TRACE_EVENTS];	/* as vmstat counts them */
	long bad;			/* lines whose fields are wrong */
	long buf_allocs, buf_frees;	/* the buffer's pages, by the driver */
	bool buf_first_alloc, buf_first_free;	/* its first pfn was seen */
	long to_wc;			/* conversions to WC */
	char bad_line[512], first_alloc[512];
};

/* One trace line: @seen counts it, or says what is wrong with it. */
static void trace_line(const char *line, unsigned long buf_pfn,
		       struct trace_seen *seen)
{
	char domain[8], gfp[256], caller[128], from[8], to[8], name[64];
	unsigned int i, order;
	unsigned long pfn;
	const char *p;
	bool ok = false;
	int nid;

	p = strstr(line, " gfx_pool_");
	if (!p || sscanf(p + 1, "%63[a-z_]: ", name) != 1)
		return;
	p = strstr(p, ": ") + 2;
	for (i = 0; i < NR_TRACE_EVENTS; i++)
		if (!strcmp(name, trace_events[i].event))
			break;
	if (i == NR_TRACE_EVENTS)
		return;
	switch (i) {
	case 0:
		ok = sscanf(p, "pfn=0x%lx order=%u domain=%7s nid=%d gfp_flags=%255s caller=%127s",
			    &pfn, &order, domain, &nid, gfp, caller) == 6 &&
		     order <= 10 && !(pfn & ((1UL << order) - 1));
		seen->counted[i]++;
		if (ok && !strncmp(caller, "test_gfx_pool", 13)) {
			ok = !strcmp(domain, "wc") && !order &&
			     strstr(gfp, "__GFP_ZERO");
			seen->buf_allocs++;
			if (pfn == buf_pfn && !seen->buf_first_alloc)
				snprintf(seen->first_alloc,
					 sizeof(seen->first_alloc), "%s", p);
			seen->buf_first_alloc |= pfn == buf_pfn;
		}
		break;
	case 1:
		ok = sscanf(p, "pfn=0x%lx order=%u domain=%7s nid=%d caller=%127s",
			    &pfn, &order, domain, &nid, caller) == 5 &&
		     order <= 10 && !(pfn & ((1UL << order) - 1));
		seen->counted[i]++;
		if (ok && !strncmp(caller, "test_gfx_pool", 13)) {
			ok = !strcmp(domain, "wc") && !order;
			seen->buf_frees++;
			seen->buf_first_free |= pfn == buf_pfn;
		}
		break;
	case 2:
		ok = sscanf(p, "pfn=0x%lx order=%u nid=%d from=%7s to=%7s",
			    &pfn, &order, &nid, from, to) == 5 && order == 9 &&
		     !(pfn & 511) && strcmp(from, to);
		seen->counted[i]++;
		seen->to_wc += ok && !strcmp(to, "wc");
		break;
	default:
		ok = sscanf(p, "pfn=0x%lx order=%u nid=%d", &pfn, &order,
			    &nid) == 3 && (order == 9 || order == 10) &&
		     !(pfn & ((1UL << order) - 1));
		seen->counted[i] += ok ? 1L << (order - 9) : 1;
		break;
	}
	if (ok && (nid < 0 || nid >= 64))
		ok = false;
	if (!ok && !seen->bad++)
		snprintf(seen->bad_line, sizeof(seen->bad_line), "%s", line);
}

static int trace_read(unsigned long buf_pfn, struct trace_seen *seen)
{
	char line[512];
	FILE *f;

	memset(seen, 0, sizeof(*seen));
	f = fopen(TRACEFS "trace", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		trace_line(line, buf_pfn, seen);
	}
	fclose(f);
	return 0;
}

/*
 * The pool's events through tracefs: each has its fields, fires where its
 * counter counts and says what happened. The window allocates a buffer
 * of WC pages through the test driver (the first one's pfn must show
 * up), then a WC ttm_tt bigger than the region, so that the pool takes
 * its lent blocks back, converts them and grows; memory pressure then
 * gives the grown blocks back and lends the region again. Every event of
 * the window is checked, and their number in each kind must be what
 * /proc/vmstat counted meanwhile.
 */
TEST(tracepoints)
{
	char warm[32], limit[32] = "0M", grow_set[32], size_kb[32];
	long before[NR_TRACE_EVENTS], after[NR_TRACE_EVENTS];
	struct test_gfx_pool_cmd cmd;
	struct test_gfx_pool_buf pte;
	struct trace_seen seen;
	long region, npages, lent;
	struct buffer b;
	unsigned int i;
	int fd, ret;
	char *p;
	FILE *f;

	if (!pool_is_on())
		SKIP(return, "no pool");
	pool_pages_in_use();	/* mounts debugfs if nobody did */
	if (access(TRACEFS "trace", R_OK))
		mount("tracefs", TRACEFS, "tracefs", 0, NULL);
	if (access(TRACE_EVENTS "enable", W_OK))
		SKIP(return, "no event tracing in this kernel");
	for (i = 0; i < NR_TRACE_EVENTS; i++) {
		const char *event = trace_events[i].event;

		EXPECT_EQ(0, trace_format_has(event, trace_events[i].fields))
			TH_LOG("%s: not all of the fields %s", event,
			       trace_events[i].fields);
	}

	/* No warm block made behind the window's back; growth allowed. */
	ASSERT_EQ(0, read_param("warm_blocks", warm, sizeof(warm)));
	f = fopen(GROW_LIMIT, "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(limit, sizeof(limit), f));
	fclose(f);
	/* No region at all (gfx_pool=0 with growth): the window grows. */
	region = gfx_pool_read_key(GFX_POOL_STATS, "blocks");
	ASSERT_LE(0, region);
	ASSERT_EQ(0, gfx_pool_write_file(PARAMS "warm_blocks", "0"));
	snprintf(grow_set, sizeof(grow_set), "%dM", 2 * TRACE_GROW);
	ASSERT_EQ(0, gfx_pool_write_file(GROW_LIMIT, grow_set));
	EXPECT_EQ(0, shrink_until("grown_blocks", 0));

	/* A clean buffer, big enough for the window; then on. */
	ASSERT_EQ(0, gfx_pool_write_file(TRACEFS "tracing_on", "0"));
	f = fopen(TRACEFS "buffer_size_kb", "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(size_kb, sizeof(size_kb), f));
	fclose(f);
	/* "7 (expanded: 1408)" before the first use: what it would be. */
	p = strstr(size_kb, "(expanded: ");
	snprintf(size_kb, sizeof(size_kb), "%ld",
		 strtol(p ? p + 11 : size_kb, NULL, 10));
	ASSERT_EQ(0, gfx_pool_write_file(TRACEFS "buffer_size_kb", "4096"));
	fd = open(TRACEFS "trace", O_WRONLY | O_TRUNC);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, gfx_pool_write_file(TRACE_EVENTS "enable", "1"));
	ASSERT_EQ(0, gfx_pool_write_file(TRACEFS "tracing_on", "1"));
	trace_counters(before);
	lent = gfx_pool_read_key(GFX_POOL_STATS, "lent_blocks");

	memset(&b, 0, sizeof(b));
	ASSERT_EQ(0, buffer_open(&b, TEST_GFX_POOL_WC));
	buffer_fill(&b);
	memset(&pte, 0, sizeof(pte));
	pte.addr = (unsigned long)b.map;
	ASSERT_EQ(0, ioctl(b.fd, TEST_GFX_POOL_PTE, &pte));
	buffer_close(&b);

	/* The region and TRACE_GROW - 1 blocks more: within the limit. */
	npages = (region + TRACE_GROW) * 512 - 512;
	fd = open(GFX_POOL_DEV, O_RDWR);
	ASSERT_LE(0, fd);
	ret = gfx_pool_run(fd, TEST_GFX_POOL_TTM, TEST_GFX_POOL_WC, npages,
			   &cmd);
	close(fd);
	EXPECT_EQ(0, shrink_until("grown_blocks", 0));

	trace_counters(after);
	ASSERT_EQ(0, gfx_pool_write_file(TRACEFS "tracing_on", "0"));
	ASSERT_EQ(0, gfx_pool_write_file(TRACE_EVENTS "enable", "0"));
	EXPECT_EQ(0, gfx_pool_write_file(GROW_LIMIT, limit));
	EXPECT_EQ(0, gfx_pool_write_file(PARAMS "warm_blocks", warm));
	ASSERT_EQ(0, trace_read(pte.pfn, &seen));
	EXPECT_EQ(0, gfx_pool_write_file(TRACEFS "buffer_size_kb", size_kb));
	if (ret == -EOPNOTSUPP)
		SKIP(return, "no TTM in this kernel");
	ASSERT_EQ(0, ret);

	for (i = 0; i < NR_TRACE_EVENTS; i++) {
		TH_LOG("%-26s %6ld events, vmstat %s +%ld", trace_events[i].event,
		       seen.counted[i], trace_events[i].vmstat,
		       after[i] - before[i]);
		EXPECT_EQ(after[i] - before[i], seen.counted[i]);
	}
	EXPECT_EQ(0, seen.bad) TH_LOG("%ld bad lines, the first: %s",
				      seen.bad, seen.bad_line);
	/* The buffer: every page allocated and freed by the driver. */
	EXPECT_EQ(BUF_PAGES, seen.buf_allocs);
	EXPECT_EQ(BUF_PAGES, seen.buf_frees);
	EXPECT_TRUE(seen.buf_first_alloc) TH_LOG("pfn %#llx", pte.pfn);
	TH_LOG("its first page: %s", seen.first_alloc);
	EXPECT_TRUE(seen.buf_first_free) TH_LOG("pfn %#llx", pte.pfn);
	/* The ttm_tt: blocks converted to WC, grown and given back. */
	EXPECT_LE(1, seen.to_wc);
	EXPECT_LE(1, seen.counted[5]);
	EXPECT_EQ(seen.counted[5], seen.counted[6]);
	/*
	 * Where the region lends, the shrinker above lent every free block:
	 * lent blocks taken back for the window, and the region lent again.
	 */
	if (pool_lends()) {
		EXPECT_LT(0, lent);
		EXPECT_LE(1, seen.counted[3]);
		EXPECT_LE(1, seen.counted[4]);
	}
}

/* === Lending ============================================================ */

/*
 * The idle region serves ordinary memory: a process fills 90% of
 * MemAvailable, which counts the lent region, so that some of its pages
 * must live there. It keeps half; then the pool takes its whole region
 * back, a quarter in each domain: the process's pages move out, the half
 * it kept is intact, and no 2M page is split to 4K.
 */
FIXTURE(lend)
{
};

FIXTURE_SETUP(lend)
{
}

FIXTURE_TEARDOWN(lend)
{
}

/* Filling most of RAM and migrating a region's worth takes a while. */
TEST_F_TIMEOUT(lend, round_trip, 600)
{
	long avail, region, i, words, half, migrated, bad = -1;
	struct gfx_pool_dmap before, after;
	cpu_set_t cpus, old_cpus;
	struct big b[4] = {};
	unsigned long *mem;
	size_t len;
	int d;

	if (!pool_is_on() || !pool_lends())
		SKIP(return, "the region is not lent");
	/* Every free block of the pool given back: the region all lent. */
	region = gfx_pool_read_key(GFX_POOL_STATS, "blocks") * 512;
	EXPECT_EQ(0, shrink_until("lent_blocks", region / 512));
	EXPECT_EQ(region / 512, gfx_pool_read_key(GFX_POOL_STATS, "lent_blocks"));
	avail = gfx_pool_read_key("/proc/meminfo", "MemAvailable");
	ASSERT_LT(0, region);
	ASSERT_LT(0, avail);
	len = (size_t)avail / 10 * 9 * 1024;
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	words = len / sizeof(*mem);
	for (i = 0; i < words; i += PAGE / sizeof(*mem))
		mem[i] = 0x5851f42d4c957f2dUL * (i + 1);
	TH_LOG("lend: touched %zu kB of MemAvailable %ld kB; %ld blocks lent",
	       len / 1024, avail, gfx_pool_read_key(GFX_POOL_STATS, "lent_blocks"));
	half = words / 2 / (PAGE / sizeof(*mem)) * (PAGE / sizeof(*mem));
	ASSERT_EQ(0, munmap(mem + half, len - half * sizeof(*mem)));

	ASSERT_EQ(0, gfx_pool_dmap_read(&before));
	migrated = gfx_pool_read_key("/proc/vmstat", "pgmigrate_success");
	/*
	 * One CPU for the whole region: a task that moves between CPUs
	 * leaves up to a batch of free pages on the per-CPU list it left,
	 * in a block its domain still uses, and the exact quarters below
	 * would miss a block by those few pages (see "Per-CPU lists").
	 */
	CPU_ZERO(&cpus);
	CPU_SET(sched_getcpu(), &cpus);
	ASSERT_EQ(0, sched_getaffinity(0, sizeof(old_cpus), &old_cpus));
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(cpus), &cpus));
	for (d = 0; d < 4; d++)
		ASSERT_EQ(0, big_open(&b[d], d, region / 4))
			TH_LOG("taking back %ld pages for domain %d",
			       region / 4, d);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(old_cpus), &old_cpus));
	ASSERT_EQ(0, gfx_pool_dmap_read(&after));
	migrated = gfx_pool_read_key("/proc/vmstat", "pgmigrate_success") - migrated;
	TH_LOG("lend: the region taken back, %ld pages migrated out of it",
	       migrated);
	/* The process's pages lived there: taking back moved them. */
	EXPECT_GT(migrated, 0);
	EXPECT_EQ(0, gfx_pool_read_key(GFX_POOL_STATS, "lent_blocks"));
	EXPECT_EQ(before.splits_2m, after.splits_2m);
	EXPECT_EQ(before.directmap_4k_kb, after.directmap_4k_kb);
	for (i = 0; i < half && bad < 0; i += PAGE / sizeof(*mem))
		if (mem[i] != 0x5851f42d4c957f2dUL * (i + 1))
			bad = i;
	EXPECT_EQ(-1, bad) TH_LOG("the kept half changed at word %ld", bad);
	for (d = 0; d < 4; d++) {
		munmap(b[d].map, b[d].npages * PAGE);
		close(b[d].fd);
	}
	munmap(mem, half * sizeof(*mem));
}

/* === Real DRM drivers through sleep ===================================== */

/*
 * Dumb buffers of the TTM-based drivers that QEMU emulates: bochs-drm
 * (-device VGA, the VRAM helpers) and qxl (-device qxl). The pool zaps
 * the user mappings of every TTM device around sleep, not only those of
 * pool pages, so a dumb buffer mapped into a process must be zapped
 * (mappings_zapped counts each device once), fault back in through the
 * driver's own fault handler, and keep every word; no driver may hang.
 * GFX_POOL_SLEEP names the cycle, as for the sleep fixture, and every
 * /dev/dri/card* is tested. The test guest runs it with those devices
 * (gfxpool_drm=<cycle,...>); the selftests mode leaves it out.
 */
#define DRM_CARDS	4
#define DUMB_SIDE	256	/* pixels of 32 bits: 256 KiB */

struct dumb {
	int fd;
	char driver[32];
	__u32 handle;
	__u64 size;
	unsigned int *map;
};

FIXTURE(drm)
{
	struct dumb card[DRM_CARDS];
	int nr;
	const char *how;
};

static int dumb_open(struct dumb *b, const char *path)
{
	struct drm_mode_create_dumb create = {
		.width = DUMB_SIDE, .height = DUMB_SIDE, .bpp = 32,
	};
	struct drm_version version = {
		.name = b->driver, .name_len = sizeof(b->driver) - 1,
	};
	struct drm_mode_map_dumb map = {};

	b->fd = open(path, O_RDWR);
	if (b->fd < 0)
		return -errno;
	if (ioctl(b->fd, DRM_IOCTL_VERSION, &version) ||
	    ioctl(b->fd, DRM_IOCTL_MODE_CREATE_DUMB, &create))
		return -errno;
	b->handle = create.handle;
	b->size = create.size;
	map.handle = create.handle;
	if (ioctl(b->fd, DRM_IOCTL_MODE_MAP_DUMB, &map))
		return -errno;
	b->map = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      b->fd, map.offset);
	if (b->map == MAP_FAILED) {
		b->map = NULL;
		return -errno;
	}
	return 0;
}

static void dumb_close(struct dumb *b)
{
	struct drm_mode_destroy_dumb destroy = { .handle = b->handle };

	if (b->map)
		munmap(b->map, b->size);
	if (b->handle)
		ioctl(b->fd, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy);
	if (b->fd >= 0)
		close(b->fd);
}

FIXTURE_SETUP(drm)
{
	char path[32];
	int i, ret;

	memset(self->card, 0, sizeof(self->card));
	for (i = 0; i < DRM_CARDS; i++)
		self->card[i].fd = -1;
	self->how = getenv("GFX_POOL_SLEEP");
	if (!self->how)
		SKIP(return, "set GFX_POOL_SLEEP to a pm_test level or mem");
	for (i = 0; i < DRM_CARDS; i++) {
		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		if (access(path, F_OK))
			continue;
		ret = dumb_open(&self->card[self->nr], path);
		ASSERT_EQ(0, ret) TH_LOG("%s: a dumb buffer: %s", path,
					 strerror(-ret));
		TH_LOG("%s: %s, a %llu KiB dumb buffer", path,
		       self->card[self->nr].driver,
		       (unsigned long long)self->card[self->nr].size / 1024);
		self->nr++;
	}
	if (!self->nr)
		SKIP(return, "no /dev/dri/card*: no DRM device");
}

FIXTURE_TEARDOWN(drm)
{
	int i;

	for (i = 0; i < DRM_CARDS; i++)
		dumb_close(&self->card[i]);
}

TEST_F_TIMEOUT(drm, dumb_buffer_through_sleep, 600)
{
	bool zaps = sleep_zaps(self->how), zapped_right;
	unsigned long w, words;
	long zapped;
	int i;

	pool_pages_in_use();	/* mounts debugfs */
	zapped = gfx_pool_read_key(GFX_POOL_STATS, "mappings_zapped");
	ASSERT_LE(0, zapped) TH_LOG("%s: no mappings_zapped", GFX_POOL_STATS);
	for (i = 0; i < self->nr; i++) {
		struct dumb *b = &self->card[i];

		words = b->size / sizeof(*b->map);
		for (w = 0; w < words; w++)
			b->map[w] = pattern(i, w);
	}

	ASSERT_EQ(0, enter_sleep(self->how)) TH_LOG("sleep %s", self->how);

	/*
	 * Each card is one TTM device, whose mapping TTM registered: the
	 * pool zapped each once, and nothing else is registered here (this
	 * process has no /dev/test_gfx_pool open). The mappings are
	 * VM_PFNMAP, which /proc/self/pagemap and mincore() cannot see.
	 */
	zapped += zaps ? self->nr : 0;
	zapped_right = zapped == gfx_pool_read_key(GFX_POOL_STATS,
						   "mappings_zapped");
	EXPECT_TRUE(zapped_right) TH_LOG("mappings zapped by %s", self->how);
	for (i = 0; i < self->nr; i++) {
		struct dumb *b = &self->card[i];

		words = b->size / sizeof(*b->map);
		for (w = 0; w < words; w++)
			if (b->map[w] != pattern(i, w))
				break;
		EXPECT_EQ(words, w) TH_LOG("%s: word %lu changed across %s",
					   b->driver, w, self->how);
		/* What the stage greps: said only when both held. */
		if (w == words && zapped_right)
			TH_LOG("%s: %s, %s, data intact", b->driver, self->how,
			       zaps ? "zapped and faulted back" : "not zapped");
	}
}

/* === Memory failure ===================================================== */

/*
 * memory_failure() on pool pages, through the hwpoison injector
 * (CONFIG_HWPOISON_INJECT, the debug kernel): a page in use and a free
 * page, each taken out of use alone and counted, and the direct map not
 * split. The two pages stay out of the pool for the rest of the boot (and
 * the kernel counts them in HardwareCorrupted), so the fixture runs only
 * when GFX_POOL_HWPOISON=1 says so, after the others (gfxpool_hwpoison=1
 * in the test guest).
 */
#define HWPOISON_INJECT	"/sys/kernel/debug/hwpoison/corrupt-pfn"

FIXTURE(hwpoison)
{
};

FIXTURE_SETUP(hwpoison)
{
}

FIXTURE_TEARDOWN(hwpoison)
{
}

static long hwpoison_kept(void)
{
	return gfx_pool_read_key(GFX_POOL_STATS, "hwpoison_pages");
}

/* The PFN behind page @i of @b's mapping, which must be faulted in. */
static int buffer_pfn(struct buffer *b, unsigned long i, __u64 *pfn)
{
	struct test_gfx_pool_buf buf = {
		.addr = (uintptr_t)b->map + i * PAGE,
	};

	if (ioctl(b->fd, TEST_GFX_POOL_PTE, &buf))
		return -errno;
	*pfn = buf.pfn;
	return 0;
}

/*
 * memory_failure() finds a pool page "unhandlable" (it is reserved), so
 * the write fails with EBUSY once the flag is set: its result is not the
 * test, what the pool does after it is.
 */
static void hwpoison_inject(__u64 pfn)
{
	char val[32];

	snprintf(val, sizeof(val), "%#llx", (unsigned long long)pfn);
	gfx_pool_write_file(HWPOISON_INJECT, val);
}

TEST_F(hwpoison, in_use_and_free)
{
	struct buffer a = { .fd = -1 }, b = { .fd = -1 };
	long kept, in_use, corrupted_kb;
	struct gfx_pool_dmap before, after;
	cpu_set_t cpus, old_cpus;
	__u64 bad[2], pfn;
	unsigned long i;

	if (!getenv("GFX_POOL_HWPOISON") ||
	    strcmp(getenv("GFX_POOL_HWPOISON"), "1"))
		SKIP(return, "it poisons two pages for good: GFX_POOL_HWPOISON=1 runs it");
	if (!pool_is_on())
		SKIP(return, "no pool (gfx_pool=0)");
	in_use = pool_pages_in_use();	/* mounts debugfs */
	if (access(HWPOISON_INJECT, W_OK))
		SKIP(return, "%s: %s (CONFIG_HWPOISON_INJECT?)",
		     HWPOISON_INJECT, strerror(errno));
	kept = hwpoison_kept();
	corrupted_kb = gfx_pool_read_key("/proc/meminfo", "HardwareCorrupted");
	ASSERT_LE(0, in_use);
	ASSERT_LE(0, kept);
	ASSERT_LE(0, corrupted_kb);
	ASSERT_EQ(0, gfx_pool_dmap_read(&before));
	/* One CPU: a page freed to its per-CPU list is the next it hands out. */
	CPU_ZERO(&cpus);
	CPU_SET(sched_getcpu(), &cpus);
	ASSERT_EQ(0, sched_getaffinity(0, sizeof(old_cpus), &old_cpus));
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(cpus), &cpus));

	/* In use: the buffer serves on; freed, that page alone stays out. */
	ASSERT_EQ(0, buffer_open(&a, TEST_GFX_POOL_WC));
	buffer_fill(&a);
	ASSERT_EQ(0, buffer_pfn(&a, 5, &bad[0]));
	hwpoison_inject(bad[0]);
	/* QEMU's memory is not really bad: the data is all there. */
	EXPECT_EQ(-1, buffer_check(&a));
	EXPECT_EQ(kept, hwpoison_kept());
	buffer_close(&a);
	EXPECT_EQ(kept + 1, hwpoison_kept());
	EXPECT_EQ(in_use + 1, pool_pages_in_use());

	/* Free: poisoned after its buffer is gone, never handed out again. */
	ASSERT_EQ(0, buffer_open(&b, TEST_GFX_POOL_WC));
	buffer_fill(&b);
	ASSERT_EQ(0, buffer_pfn(&b, 0, &bad[1]));
	buffer_close(&b);
	hwpoison_inject(bad[1]);
	b.fd = -1;
	b.map = NULL;
	ASSERT_EQ(0, buffer_open(&b, TEST_GFX_POOL_WC));
	buffer_fill(&b);
	for (i = 0; i < BUF_PAGES; i++) {
		ASSERT_EQ(0, buffer_pfn(&b, i, &pfn));
		EXPECT_NE(bad[0], pfn);
		EXPECT_NE(bad[1], pfn);
	}
	EXPECT_EQ(-1, buffer_check(&b));
	/* The allocation met it, and kept it out. */
	EXPECT_EQ(kept + 2, hwpoison_kept());
	buffer_close(&b);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(old_cpus), &old_cpus));

	EXPECT_EQ(in_use + 2, pool_pages_in_use());
	EXPECT_EQ(corrupted_kb + 2 * PAGE / 1024,
		  gfx_pool_read_key("/proc/meminfo", "HardwareCorrupted"));
	ASSERT_EQ(0, gfx_pool_dmap_read(&after));
	EXPECT_EQ(before.splits_2m, after.splits_2m);
	EXPECT_EQ(before.splits_1g, after.splits_1g);
	EXPECT_EQ(before.directmap_4k_kb, after.directmap_4k_kb);
	TH_LOG("hwpoison: pfns %#llx (in use) and %#llx (free) kept out of use",
	       (unsigned long long)bad[0], (unsigned long long)bad[1]);
}

/* === VFIO ============================================================== */

/*
 * VFIO's type1 IOMMU driver maps a VM_PFNMAP range for DMA only where its
 * pfns are reserved memory that lives for good (MMIO), with neither a pin
 * nor a notifier; refcounted pages there it refuses with EFAULT, as they
 * cannot be pinned. Pool pages are PageReserved, but the pool hands them
 * out and takes them back: type1 must refuse them too, or a
 * device could keep DMA access to a freed buffer's pages. GFX_POOL_VFIO
 * names a PCI device, one that nothing else needs, which the fixture
 * binds to vfio-pci (in the test guest, QEMU's edu device behind its
 * intel-iommu: the vfio stage).
 */
#define VFIO_IOVA	0x100000000ULL	/* 4 GiB */

FIXTURE(vfio)
{
	int container;
	int group;
};

/* Bind PCI device @bdf to vfio-pci; its group's node in @group. */
static int vfio_bind(const char *bdf, char *group, size_t len)
{
	char path[256], link[256], *name;
	ssize_t n;
	int ret;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
		 bdf);
	ret = gfx_pool_write_file(path, "vfio-pci");
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind",
		 bdf);
	if (!access(path, F_OK)) {
		ret = gfx_pool_write_file(path, bdf);
		if (ret)
			return ret;
	}
	ret = gfx_pool_write_file("/sys/bus/pci/drivers_probe", bdf);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group",
		 bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = '\0';
	name = strrchr(link, '/');
	snprintf(group, len, "/dev/vfio/%s", name ? name + 1 : link);
	return 0;
}

FIXTURE_SETUP(vfio)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	const char *bdf = getenv("GFX_POOL_VFIO");
	char group[300];
	int ret;

	self->container = -1;
	self->group = -1;
	if (!bdf)
		SKIP(return, "GFX_POOL_VFIO=<d:b:d.f>: the PCI device to bind to vfio-pci");
	if (!pool_is_on())
		SKIP(return, "no pool (gfx_pool=0)");
	ret = vfio_bind(bdf, group, sizeof(group));
	ASSERT_EQ(0, ret) TH_LOG("%s to vfio-pci: %s", bdf, strerror(-ret));
	self->container = open("/dev/vfio/vfio", O_RDWR);
	ASSERT_LE(0, self->container) TH_LOG("/dev/vfio/vfio: %s",
					     strerror(errno));
	ASSERT_EQ(VFIO_API_VERSION,
		  ioctl(self->container, VFIO_GET_API_VERSION));
	ASSERT_EQ(1, ioctl(self->container, VFIO_CHECK_EXTENSION,
			   VFIO_TYPE1v2_IOMMU));
	self->group = open(group, O_RDWR);
	ASSERT_LE(0, self->group) TH_LOG("%s: %s", group, strerror(errno));
	ASSERT_EQ(0, ioctl(self->group, VFIO_GROUP_GET_STATUS, &status));
	ASSERT_TRUE(status.flags & VFIO_GROUP_FLAGS_VIABLE)
		TH_LOG("%s: not viable (a device of the group is not vfio's)",
		       group);
	ASSERT_EQ(0, ioctl(self->group, VFIO_GROUP_SET_CONTAINER,
			   &self->container));
	ASSERT_EQ(0, ioctl(self->container, VFIO_SET_IOMMU,
			   VFIO_TYPE1v2_IOMMU)) TH_LOG("VFIO_SET_IOMMU: %s",
						       strerror(errno));
}

FIXTURE_TEARDOWN(vfio)
{
	if (self->group >= 0)
		close(self->group);
	if (self->container >= 0)
		close(self->container);
}

/* VFIO_IOMMU_MAP_DMA of @len bytes at @vaddr to VFIO_IOVA: 0 or -errno. */
static int vfio_map(int container, void *vaddr, size_t len)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)vaddr, .iova = VFIO_IOVA, .size = len,
	};

	return ioctl(container, VFIO_IOMMU_MAP_DMA, &map) ? -errno : 0;
}

static int vfio_unmap(int container, size_t len)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap), .iova = VFIO_IOVA, .size = len,
	};

	return ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap) ? -errno : 0;
}

/*
 * Anonymous memory maps (the container works), the per-page path's
 * refcounted pages are refused (as stock TTM's), and so is a pool buffer
 * of every domain.
 */
TEST_F(vfio, no_dma_to_pool_pages)
{
	struct test_gfx_pool_buf buf = {
		.domain = TEST_GFX_POOL_WC, .npages = BUF_PAGES,
		.flags = TEST_GFX_POOL_BUF_PER_PAGE,
	};
	size_t len = BUF_PAGES * PAGE;
	struct buffer b;
	void *map;
	__u64 d;
	int fd, ret;

	map = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	memset(map, 1, len);
	ret = vfio_map(self->container, map, len);
	ASSERT_EQ(0, ret) TH_LOG("anonymous memory: %s", strerror(-ret));
	ASSERT_EQ(0, vfio_unmap(self->container, len));
	munmap(map, len);

	fd = open(GFX_POOL_DEV, O_RDWR);
	ASSERT_LE(0, fd);
	map = buf_alloc_map(fd, &buf);
	ASSERT_NE(NULL, map);
	memset(map, 1, len);
	ret = vfio_map(self->container, map, len);
	EXPECT_EQ(-EFAULT, ret) TH_LOG("a per-page WC buffer: %s",
				       ret ? strerror(-ret) : "mapped");
	if (!ret)
		vfio_unmap(self->container, len);
	munmap(map, len);
	close(fd);

	for (d = TEST_GFX_POOL_WB; d <= TEST_GFX_POOL_NP; d++) {
		ASSERT_EQ(0, buffer_open(&b, d));
		buffer_fill(&b);
		ret = vfio_map(self->container, b.map, len);
		EXPECT_EQ(-EFAULT, ret)
			TH_LOG("a pool %s buffer: %s", gfx_pool_domain_names[d],
			       ret ? strerror(-ret) :
			       "mapped for DMA, with neither a pin nor a notifier");
		if (!ret)
			vfio_unmap(self->container, len);
		EXPECT_EQ(-1, buffer_check(&b));
		buffer_close(&b);
	}
}

/*
 * Without the test driver no test can run: one skip says so, and
 * run_vmtests.sh counts it (a kernel without CONFIG_TEST_GFX_POOL, or
 * without the pool, which the driver depends on). With the driver but
 * the pool off (gfx_pool=0), each test runs and checks or skips itself.
 */
int main(int argc, char **argv)
{
	if (access(GFX_POOL_DEV, F_OK) && errno == ENOENT) {
		ksft_print_header();
		ksft_exit_skip("%s: no such device (no CONFIG_TEST_GFX_POOL, or no pool)\n",
			       GFX_POOL_DEV);
	}
	return test_harness_run(argc, argv);
}
