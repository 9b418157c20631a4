/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What gfx_pool-tests and gfx_pool-bench share: reading the direct-map
 * counters and running one workload through /dev/test_gfx_pool.
 */
#ifndef __GFX_POOL_UTIL_H
#define __GFX_POOL_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../../../../lib/test_gfx_pool_uapi.h"

#define GFX_POOL_DEV	"/dev/test_gfx_pool"

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

#endif /* __GFX_POOL_UTIL_H */
