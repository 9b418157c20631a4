// SPDX-License-Identifier: GPL-2.0
/*
 * gfx_pool-bench: the same workload done two ways, side by side.
 *
 * For each domain and size: N order-0 pages through alloc_page() +
 * set_pages_array_<domain>() + set_pages_array_wb() + __free_page(), the
 * way drivers do it today, then through gfx_pool_alloc_pages() +
 * gfx_pool_free_pages(), once as it comes and once more with the blocks
 * already in the domain ("warm"); plain alloc_page() + __free_page() is
 * the floor. The TTM rows populate and free a ttm_tt of N pages, once from
 * a GFP_DMA32 TTM device, which keeps TTM on its own path (alloc_pages()
 * and set_pages_array_*()), and once from a usual one, which takes them
 * from gfx_pool. For each row: ns per page, the 2M -> 4K splits
 * of the direct map (direct_map_level2_splits), and the change of
 * DirectMap4k. The last line sums the splits seen during the pool rows,
 * TTM over gfx_pool included.
 *
 *   gfx_pool-bench [-n pages]... [-d wc|uc|np|wb]...
 *
 * Times are for comparing two rows of one run, not across machines.
 */
#include <stdlib.h>

#include "gfx_pool_util.h"

static const char *method_name(__u64 method, __u64 domain, const char *tag,
			       char *buf, size_t len)
{
	static const char *const legacy[] = {
		"alloc_page", "alloc_page+set_pages_array_wc",
		"alloc_page+set_pages_array_uc", "",
	};

	if (method == TEST_GFX_POOL_LEGACY)
		snprintf(buf, len, "%s", legacy[domain]);
	else if (method == TEST_GFX_POOL_TTM_STOCK)
		snprintf(buf, len, "TTM %s, stock path (dma32)",
			 gfx_pool_domain_names[domain]);
	else if (method == TEST_GFX_POOL_TTM)
		snprintf(buf, len, "TTM %s over gfx_pool",
			 gfx_pool_domain_names[domain]);
	else
		snprintf(buf, len, "gfx_pool %s%s", gfx_pool_domain_names[domain],
			 tag);
	return buf;
}

/* Print one row; return the splits it caused, or -1 on error. */
static long bench_row(int fd, __u64 method, __u64 domain, __u64 npages,
		      const char *tag)
{
	struct gfx_pool_dmap before, after;
	struct test_gfx_pool_cmd cmd;
	char name[64];
	long splits;
	int ret;

	if (gfx_pool_dmap_read(&before))
		return -1;
	ret = gfx_pool_run(fd, method, domain, npages, &cmd);
	if (gfx_pool_dmap_read(&after))
		return -1;
	method_name(method, domain, tag, name, sizeof(name));
	if (ret) {
		printf("%-30s %7llu   %s\n", name, (unsigned long long)npages,
		       strerror(-ret));
		return ret == -EOPNOTSUPP ? 0 : -1;
	}
	splits = (after.splits_2m - before.splits_2m) +
		 (after.splits_1g - before.splits_1g);
	printf("%-30s %7llu %9llu %15ld %12ld %22ld\n", name,
	       (unsigned long long)npages,
	       (unsigned long long)((cmd.ns_alloc + cmd.ns_set + cmd.ns_reset +
				     cmd.ns_free) / npages),
	       after.splits_2m - before.splits_2m,
	       after.splits_1g - before.splits_1g,
	       after.directmap_4k_kb - before.directmap_4k_kb);
	return splits;
}

int main(int argc, char **argv)
{
	unsigned long sizes[8], nsizes = 0, s;
	int domains[4], ndomains = 0, d, opt, fd;
	long pool_splits = 0, r, r2;
	int failed = 0;

	while ((opt = getopt(argc, argv, "n:d:")) != -1) {
		switch (opt) {
		case 'n':
			if (nsizes < 8)
				sizes[nsizes++] = strtoul(optarg, NULL, 0);
			break;
		case 'd':
			for (d = 0; d < 4; d++)
				if (!strcasecmp(optarg, gfx_pool_domain_names[d]))
					break;
			if (d == 4 || ndomains == 4) {
				fprintf(stderr, "bad domain %s\n", optarg);
				return 2;
			}
			domains[ndomains++] = d;
			break;
		default:
			fprintf(stderr, "usage: %s [-n pages]... [-d wb|wc|uc|np]...\n",
				argv[0]);
			return 2;
		}
	}
	if (!nsizes)
		sizes[nsizes++] = 32768;
	if (!ndomains) {
		domains[ndomains++] = TEST_GFX_POOL_WC;
		domains[ndomains++] = TEST_GFX_POOL_UC;
	}

	fd = open(GFX_POOL_DEV, O_RDWR);
	if (fd < 0) {
		perror(GFX_POOL_DEV);
		return 4;
	}
	printf("%-30s %7s %9s %15s %12s %22s\n", "method", "pages", "ns/page",
	       "2M->4K splits", "1G->2M splits", "DirectMap4k delta (kB)");
	for (s = 0; s < nsizes; s++) {
		/* The floor: plain alloc_page() and __free_page(). */
		if (bench_row(fd, TEST_GFX_POOL_LEGACY, TEST_GFX_POOL_WB,
			      sizes[s], "") < 0)
			failed = 1;
		for (d = 0; d < ndomains; d++) {
			/*
			 * TTM first: its stock path keeps its pages in TTM's
			 * own pool, so the legacy rows after it still get
			 * memory that was never split.
			 */
			if (domains[d] == TEST_GFX_POOL_WC ||
			    domains[d] == TEST_GFX_POOL_UC) {
				if (bench_row(fd, TEST_GFX_POOL_TTM_STOCK,
					      domains[d], sizes[s], "") < 0)
					failed = 1;
				r = bench_row(fd, TEST_GFX_POOL_TTM, domains[d],
					      sizes[s], "");
				if (r < 0)
					failed = 1;
				else
					pool_splits += r;
			}
			if (domains[d] != TEST_GFX_POOL_NP &&
			    bench_row(fd, TEST_GFX_POOL_LEGACY, domains[d],
				      sizes[s], "") < 0)
				failed = 1;
			/*
			 * The first pool row may convert blocks to the
			 * domain; the second finds them converted (warm).
			 */
			r = bench_row(fd, TEST_GFX_POOL_POOL, domains[d],
				      sizes[s], "");
			r2 = bench_row(fd, TEST_GFX_POOL_POOL, domains[d],
				       sizes[s], ", warm");
			if (r < 0 || r2 < 0)
				failed = 1;
			else
				pool_splits += r + r2;
		}
	}
	close(fd);
	printf("gfx_pool: splits outside pool: %ld\n", pool_splits);
	return failed;
}
