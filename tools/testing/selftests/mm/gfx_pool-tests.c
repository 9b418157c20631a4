// SPDX-License-Identifier: GPL-2.0
/*
 * User-space tests of gfx_pool through /dev/test_gfx_pool (CONFIG_TEST_GFX_POOL).
 *
 * They run after boot, where /proc/vmstat counts direct-map splits: a run
 * of pool allocations in every domain must move neither the split counters
 * nor DirectMap4k, while the same workload done the legacy way, page by
 * page, does move them. The legacy case is what proves the counters are
 * read right: if it saw no split, a "no split" for the pool would mean
 * nothing.
 */
#include <stdlib.h>

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

static bool pool_is_on(void)
{
	return !access("/sys/kernel/debug/gfx_pool/stats", R_OK);
}

/*
 * TTM populating WC and UC ttm_tts: over gfx_pool (pool on) it splits
 * nothing; on its stock path (gfx_pool=0) it splits, and the counters
 * show it. This runs first so that the stock case meets unsplit memory.
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
			EXPECT_EQ(0, cmd.ns_set);
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
TEST_F(gfx_pool, legacy_splits)
{
	struct gfx_pool_dmap before, after;
	struct test_gfx_pool_cmd cmd;

	ASSERT_EQ(0, gfx_pool_dmap_read(&before));
	ASSERT_EQ(0, gfx_pool_run(self->fd, TEST_GFX_POOL_LEGACY,
				  TEST_GFX_POOL_WC, NPAGES, &cmd));
	ASSERT_EQ(0, gfx_pool_dmap_read(&after));
	EXPECT_GT(after.splits_2m + after.splits_1g,
		  before.splits_2m + before.splits_1g);
	EXPECT_GT(after.directmap_4k_kb, before.directmap_4k_kb);
	TH_LOG("legacy WC: 2M->4K %ld, 1G->2M %ld, DirectMap4k %+ld kB",
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
	EXPECT_EQ(-EOPNOTSUPP, gfx_pool_run(self->fd, TEST_GFX_POOL_LEGACY,
					    TEST_GFX_POOL_NP, 1, &cmd));
	EXPECT_EQ(-EINVAL, gfx_pool_run(self->fd, TEST_GFX_POOL_TTM,
					TEST_GFX_POOL_NP, 1, &cmd));
	EXPECT_EQ(-EINVAL, gfx_pool_run(self->fd, TEST_GFX_POOL_TTM_STOCK + 1,
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
	cmd.flags = 1;
	EXPECT_EQ(-1, ioctl(self->fd, TEST_GFX_POOL_BENCH, &cmd));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IO('G', 0x7f), 0));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, TEST_GFX_POOL_BENCH, NULL));
	EXPECT_EQ(EFAULT, errno);
}

/* The debugfs view shows every domain and nothing left in use. */
TEST(debugfs_stats)
{
	char line[256];
	int rows = 0;
	FILE *f;

	f = fopen("/sys/kernel/debug/gfx_pool/stats", "r");
	if (!f)
		SKIP(return, "no /sys/kernel/debug/gfx_pool/stats");
	while (fgets(line, sizeof(line), f)) {
		char name[8];
		long blocks, in_use;

		if (sscanf(line, "%7s %ld %ld", name, &blocks, &in_use) == 3 &&
		    (!strcmp(name, "wb") || !strcmp(name, "wc") ||
		     !strcmp(name, "uc") || !strcmp(name, "np"))) {
			rows++;
			EXPECT_EQ(0, in_use) TH_LOG("%s", line);
		}
	}
	fclose(f);
	EXPECT_EQ(4, rows);
}

TEST_HARNESS_MAIN
