/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What gfx_pool-tests, -bench, -stress and -fuzz share: reading the
 * direct-map counters, running one workload through /dev/test_gfx_pool,
 * and checking that the pool is whole after a workload.
 */
#ifndef __GFX_POOL_UTIL_H
#define __GFX_POOL_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../../../../lib/test_gfx_pool_uapi.h"

#define GFX_POOL_DEV	"/dev/test_gfx_pool"
#define GFX_POOL_STATS	"/sys/kernel/debug/gfx_pool/stats"
#define GFX_POOL_BLOCKS	"/sys/kernel/debug/gfx_pool/blocks"

/* The direct-map state that a workload must not change. */
struct gfx_pool_dmap {
	long splits_2m;		/* direct_map_level2_splits: 2M -> 4K */
	long splits_1g;		/* direct_map_level3_splits: 1G -> 2M */
	long directmap_4k_kb;	/* DirectMap4k in /proc/meminfo */
};

static inline long gfx_pool_read_key(const char *path, const char *key)
{
	char line[256];
	size_t len = strlen(key);
	long val = -1;
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, len) &&
		    (line[len] == ' ' || line[len] == ':')) {
			if (sscanf(line + len + 1, " %ld", &val) != 1)
				val = -1;
			break;
		}
	}
	fclose(f);
	return val;
}

/* Return 0, or -1 if a counter is missing (then the test cannot judge). */
static inline int gfx_pool_dmap_read(struct gfx_pool_dmap *d)
{
	d->splits_2m = gfx_pool_read_key("/proc/vmstat",
					 "direct_map_level2_splits");
	d->splits_1g = gfx_pool_read_key("/proc/vmstat",
					 "direct_map_level3_splits");
	d->directmap_4k_kb = gfx_pool_read_key("/proc/meminfo", "DirectMap4k");
	return d->splits_2m < 0 || d->splits_1g < 0 ||
	       d->directmap_4k_kb < 0 ? -1 : 0;
}

/* Run one workload; return 0 or -errno. */
static inline int gfx_pool_run(int fd, __u64 method, __u64 domain,
			       __u64 npages, struct test_gfx_pool_cmd *cmd)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->method = method;
	cmd->domain = domain;
	cmd->npages = npages;
	return ioctl(fd, TEST_GFX_POOL_BENCH, cmd) ? -errno : 0;
}

static const char *const gfx_pool_domain_names[] = { "WB", "WC", "UC", "NP" };

/* Write @val to @path; return 0 or -errno. */
static inline int gfx_pool_write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * What a workload must leave as it found it: the pages in use, no broken
 * block, as many frees as allocations (vmstat), and no direct-map split
 * but the pool's own 1G demotions.
 */
struct gfx_pool_whole {
	long in_use, broken, allocs, frees, splits_2m, splits_1g, demotions;
};

/* Return 0, or -1 if the pool or a counter is missing; mounts debugfs. */
static inline int gfx_pool_whole_read(struct gfx_pool_whole *s)
{
	if (access(GFX_POOL_STATS, R_OK))
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	s->in_use = gfx_pool_read_key(GFX_POOL_STATS, "pages_in_use");
	s->broken = gfx_pool_read_key(GFX_POOL_STATS, "broken_blocks");
	s->demotions = gfx_pool_read_key(GFX_POOL_STATS, "gbpage_demotions");
	s->allocs = gfx_pool_read_key("/proc/vmstat", "gfx_pool_allocs");
	s->frees = gfx_pool_read_key("/proc/vmstat", "gfx_pool_frees");
	s->splits_2m = gfx_pool_read_key("/proc/vmstat", "direct_map_level2_splits");
	s->splits_1g = gfx_pool_read_key("/proc/vmstat", "direct_map_level3_splits");
	return access(GFX_POOL_DEV, R_OK | W_OK) || s->in_use < 0 ||
	       s->broken < 0 || s->demotions < 0 || s->allocs < 0 ||
	       s->frees < 0 || s->splits_2m < 0 || s->splits_1g < 0 ? -1 : 0;
}

/*
 * Is the pool as whole after the workload as @before says it was? With
 * @splits, no direct-map page may have been split either: not for a
 * workload that runs the per-page path on purpose.
 */
static inline int gfx_pool_whole_again(const struct gfx_pool_whole *before,
				       const struct gfx_pool_whole *after,
				       int splits)
{
	return after->in_use == before->in_use && !after->broken &&
	       after->allocs - before->allocs == after->frees - before->frees &&
	       (!splits || (after->splits_2m == before->splits_2m &&
			    after->splits_1g - before->splits_1g ==
			    after->demotions - before->demotions));
}

/* One line of what gfx_pool_whole_again() compared, prefixed @who. */
static inline void gfx_pool_whole_print(const char *who,
					const struct gfx_pool_whole *before,
					const struct gfx_pool_whole *after)
{
	printf("%s: pages in use %ld before, %ld after; broken blocks %ld\n",
	       who, before->in_use, after->in_use, after->broken);
	printf("%s: allocations %ld, frees %ld; splits 2M->4K %ld, 1G->2M %ld\n",
	       who, after->allocs - before->allocs, after->frees - before->frees,
	       after->splits_2m - before->splits_2m,
	       after->splits_1g - before->splits_1g -
	       (after->demotions - before->demotions));
}

#endif /* __GFX_POOL_UTIL_H */
