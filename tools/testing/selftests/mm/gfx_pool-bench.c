// SPDX-License-Identifier: GPL-2.0
/*
 * gfx_pool-bench: the same workload done several ways, side by side.
 *
 * For each size N and domain: N order-0 pages allocated, held, and freed
 * through the per-page path (alloc_page() + set_pages_array_<domain>() +
 * set_pages_array_wb() + __free_page()); through gfx_pool_alloc_pages() +
 * gfx_pool_free_pages(), cold (drop_caches before each repeat has the
 * pool lend every free block again, so that the repeat takes its blocks
 * back and converts them) and warm (the blocks already in the domain);
 * and as one ttm_tt populated and freed by a TTM device over the pool.
 * Plain alloc_page() + __free_page() is the floor. Booted with
 * gfx_pool=0, the pool rows are left out and the TTM rows are the same
 * device on TTM's own path (its pool types filled by the first repeat).
 *
 * Every row runs -r times (5 by default) and shows the median ns per
 * page with min and max, the 2M -> 4K and 1G -> 2M splits of the direct
 * map (direct_map_level2/3_splits) and the change of DirectMap4k over all
 * repeats; a "csv," line after each row has the same for scripts. The
 * last line sums the splits seen during the pool rows, TTM over gfx_pool
 * included.
 *
 * With -c N, the latency of one WC page, N times each way, p50/p99/max:
 * warm (a WC block has room); with the region lent, a block taken back
 * first (drop_caches has the shrinker lend every free block again before
 * each sample); the same with a warm block (a full 2 MiB WC buffer held,
 * and 300 ms for the warm work to take the next block back and convert
 * it); and with every region block held, a block grown from the page
 * allocator (likewise given back before each sample). The rows that
 * measure taking back and growing run with gfx_pool.warm_blocks=0, so
 * that no warm block hides what they measure.
 *
 * With -z, the floor and the warm rows once more with __GFP_ZERO; with -s,
 * the warm rows with 1, 2 and 4 threads at once, N / threads pages each
 * (the median thread's ns per page). With -P, after the rows, the warm
 * row of each domain and alloc_page()'s interleaved, a repeat of each in
 * turn, and the median of the repeats' own ratios: a boot's drift, which
 * moves alloc_page() more than the pool, falls on both alike; with -z as
 * well, the zeroed warm rows of UC and NP interleaved with WC's.
 *
 * With -f, what user faults on a WC or UC mapping cost: a buffer of N
 * pages mapped by the test driver and each page written once; a fault
 * maps 16 pages, as TTM's handler does, each with a vmf_insert_pfn_prot()
 * that asks PAT for the page's memtype. Pool pages answer that from their
 * block; the same mapping of ordinary pages that set_pages_array_wc() or
 * _uc() made WC or UC ("per-page path") walks the resource tree for it.
 * ns per page mapped, same repeats. Then that lookup alone, the "memtype"
 * rows: N pages held in the domain, PAT asked for the memtype of each
 * (TEST_GFX_POOL_BENCH_MEMTYPE), ns per page asked.
 *
 * With -T, only TTM as a driver sees it: one ttm_tt of 4 KiB, 64 KiB,
 * 2 MiB, 16 MiB and 64 MiB populated and freed, WC and UC, warm (the tt
 * populated once untimed first, then in each repeat as many times as make
 * 32768 pages, TEST_GFX_POOL_BENCH_LOOP) and cold (drop_caches before
 * each repeat, one populate each:
 * the pool lends its free blocks again, stock TTM's shrinker empties its
 * pool types). Booted with gfx_pool=0 the same rows are stock TTM's.
 *
 * With -G, TTM under fragmentation: all of MemAvailable but 16 MiB taken
 * page by page and every other page given back (TEST_GFX_POOL_FRAGMENT),
 * so that what is free is 4 KiB holes compaction cannot close; then 25
 * times a 64 MiB WC ttm_tt populated and freed, after drop_caches (cold:
 * the pool lends its free blocks again, stock TTM's pool types are
 * emptied). p50, p99 and max of the populate.
 *
 * With -F, only the rows that show whether a cost grows with the pool's
 * size: every block of the regions but FILL_FREE held in WB first (the
 * lowest ones, as a pool that does not lend lists them), then, in WC on
 * the blocks left, the warm path at order 0 with and without the per-CPU
 * lists, and at order 10 (two blocks at once); and the pool's metadata.
 * make bench boots it with pools of 64 MiB, 1 GiB and 8 GiB.
 *
 *   gfx_pool-bench [-n pages]... [-d wc|uc|np|wb]... [-r repeats]
 *                  [-c samples] [-z] [-s] [-f] [-T] [-G] [-F] [-P]
 *
 * Times are for comparing two rows of one run, not across machines.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <time.h>

#include "gfx_pool_util.h"

#define STATS		"/sys/kernel/debug/gfx_pool/stats"
#define GROW_LIMIT	"/sys/module/gfx_pool/parameters/grow_limit"
#define WARM_BLOCKS	"/sys/module/gfx_pool/parameters/warm_blocks"
#define PCP		"/sys/module/gfx_pool/parameters/pcp"

/* Blocks -F leaves free, for the rows to use. */
#define FILL_FREE	12

/* The most threads a row runs at once (-s: 1, 2 and 4). */
#define MAX_THREADS	4

/* Times each row is run; the row shows the median, min and max. */
static int repeats = 5;

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static int write_str(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");
	int ret;

	if (!f)
		return -1;
	ret = fputs(val, f) < 0 ? -1 : 0;
	return fclose(f) ? -1 : ret;
}

/* The name a row has in the table, and its method's in the CSV. */
static const char *method_name(__u64 method, __u64 domain, const char *tag,
			       char *buf, size_t len)
{
	static const char *const per_page[] = {
		"alloc_page", "alloc_page+set_pages_array_wc",
		"alloc_page+set_pages_array_uc", "",
	};

	if (method == TEST_GFX_POOL_PER_PAGE)
		snprintf(buf, len, "%s%s", per_page[domain], tag);
	else if (method == TEST_GFX_POOL_TTM_PER_PAGE)
		snprintf(buf, len, "TTM %s, per-page path (dma32)",
			 gfx_pool_domain_names[domain]);
	else if (method == TEST_GFX_POOL_TTM)
		snprintf(buf, len, "TTM %s%s", gfx_pool_domain_names[domain],
			 tag);
	else
		snprintf(buf, len, "gfx_pool %s%s", gfx_pool_domain_names[domain],
			 tag);
	return buf;
}

static const char *const csv_method[] = {
	[TEST_GFX_POOL_PER_PAGE] = "per_page",
	[TEST_GFX_POOL_POOL] = "pool",
	[TEST_GFX_POOL_TTM] = "ttm",
	[TEST_GFX_POOL_TTM_PER_PAGE] = "ttm_dma32",
};

/* How a row runs. */
struct row_opts {
	bool cold;	/* drop_caches before each repeat */
	__u64 flags;	/* TEST_GFX_POOL_BENCH_ZERO or _MEMTYPE, or 0 */
	int threads;	/* 0: this thread; else that many at once */
	__u64 order;	/* of each allocation */
};

/* The order the next run_once() allocates with (a row's, -F). */
static __u64 run_order;

/* One workload; ns per page (allocation, caching change and back, free). */
static int run_once(int fd, __u64 method, __u64 domain, __u64 npages,
		    __u64 flags, __u64 *ns)
{
	struct test_gfx_pool_cmd cmd = {
		.method = method,
		.domain = domain,
		.npages = npages,
		.flags = flags,
		.order = run_order,
	};

	if (ioctl(fd, TEST_GFX_POOL_BENCH, &cmd))
		return -errno;
	/* A memtype row times the lookup alone. */
	if (flags & TEST_GFX_POOL_BENCH_MEMTYPE)
		*ns = cmd.ns_memtype / npages;
	else
		*ns = (cmd.ns_alloc + cmd.ns_set + cmd.ns_reset +
		       cmd.ns_free) / npages;
	return 0;
}

struct thread_arg {
	pthread_barrier_t *start;
	__u64 method, domain, npages, flags, ns;
	int ret;
};

static void *thread_fn(void *data)
{
	struct thread_arg *arg = data;
	int fd = open(GFX_POOL_DEV, O_RDWR);

	arg->ret = fd < 0 ? -errno : 0;
	pthread_barrier_wait(arg->start);
	if (!arg->ret)
		arg->ret = run_once(fd, arg->method, arg->domain, arg->npages,
				    arg->flags, &arg->ns);
	if (fd >= 0)
		close(fd);
	return NULL;
}

/*
 * @threads threads at once, @npages / @threads pages each, each on a file
 * of its own. @ns is set to the median of the threads' ns per page: what
 * one thread pays while the others run.
 */
static int run_threads(__u64 method, __u64 domain, __u64 npages, __u64 flags,
		       int threads, __u64 *ns)
{
	struct thread_arg arg[MAX_THREADS];
	pthread_t tid[MAX_THREADS];
	pthread_barrier_t start;
	__u64 each[MAX_THREADS];
	int i, ret = 0;

	pthread_barrier_init(&start, NULL, threads);
	for (i = 0; i < threads; i++) {
		arg[i] = (struct thread_arg){
			.start = &start, .method = method, .domain = domain,
			.npages = npages / threads, .flags = flags,
		};
		if (pthread_create(&tid[i], NULL, thread_fn, &arg[i])) {
			/* Nobody would ever meet at the barrier. */
			fprintf(stderr, "pthread_create failed\n");
			exit(4);
		}
	}
	for (i = 0; i < threads; i++) {
		pthread_join(tid[i], NULL);
		if (arg[i].ret)
			ret = arg[i].ret;
		each[i] = arg[i].ns;
	}
	pthread_barrier_destroy(&start);
	qsort(each, threads, sizeof(*each), cmp_u64);
	*ns = each[(threads - 1) / 2];
	return ret;
}

/*
 * Run one row @repeats times and print it: ns per page as median, min and
 * max, and the splits and DirectMap4k change of all repeats together;
 * then the same as a "csv," line. A cold row starts each repeat with
 * drop_caches, so that the pool lends every free block again and the
 * repeat takes its blocks back and converts them.
 * Return: the splits, or -1 on error.
 */
static long bench_row(int fd, __u64 method, __u64 domain, __u64 npages,
		      const char *tag, const char *variant,
		      const struct row_opts *o)
{
	struct gfx_pool_dmap before, after;
	long splits_2m, splits_1g, demoted;
	__u64 ns[64], med;
	char name[64];
	int r, ret = 0;

	method_name(method, domain, tag, name, sizeof(name));
	run_order = o->order;
	demoted = gfx_pool_read_key(STATS, "gbpage_demotions");
	if (gfx_pool_dmap_read(&before))
		return -1;
	for (r = 0; r < repeats && !ret; r++) {
		if (o->cold)
			write_str("/proc/sys/vm/drop_caches", "2");
		ret = o->threads ?
		      run_threads(method, domain, npages, o->flags, o->threads,
				  &ns[r]) :
		      run_once(fd, method, domain, npages, o->flags, &ns[r]);
	}
	run_order = 0;
	if (gfx_pool_dmap_read(&after))
		return -1;
	if (ret) {
		printf("%-32s %7llu   %s\n", name, (unsigned long long)npages,
		       strerror(-ret));
		return ret == -EOPNOTSUPP ? 0 : -1;
	}
	qsort(ns, repeats, sizeof(*ns), cmp_u64);
	/* The median; of an even count, the mean of the middle two. */
	med = (ns[(repeats - 1) / 2] + ns[repeats / 2]) / 2;
	splits_2m = after.splits_2m - before.splits_2m;
	splits_1g = after.splits_1g - before.splits_1g;
	printf("%-32s %7llu %9llu %9llu %9llu %13ld %13ld %18ld\n", name,
	       (unsigned long long)npages, (unsigned long long)med,
	       (unsigned long long)ns[0], (unsigned long long)ns[repeats - 1],
	       splits_2m, splits_1g,
	       after.directmap_4k_kb - before.directmap_4k_kb);
	printf("csv,%s,%s,%s,%llu,%llu,%llu,%llu,%ld,%ld\n", csv_method[method],
	       gfx_pool_domain_names[domain], variant,
	       (unsigned long long)npages, (unsigned long long)med,
	       (unsigned long long)ns[0], (unsigned long long)ns[repeats - 1],
	       splits_2m, splits_1g);
	/*
	 * The pool's own 1G -> 2M demotion, once per GiB when it first takes
	 * a lent block there back, is counted and reported by the pool and
	 * is no split of memory outside it (Documentation/mm/gfx_pool.rst,
	 * "1 GiB pages"): it is left out of the sum. A 4K split never is.
	 */
	if (demoted >= 0)
		splits_1g -= gfx_pool_read_key(STATS, "gbpage_demotions") - demoted;
	return splits_2m + (splits_1g > 0 ? splits_1g : 0);
}

/*
 * One WC page, @n times, after @before (if any) each time; with @full, a
 * 2 MiB WC buffer is held around each sample, 300 ms before it, so that
 * the sample needs a new block and the warm work has had the time to
 * make one ready. Prints p50, p99 and max of the allocation alone.
 * Return: 0, or -1 on error.
 */
static int latency_row(int fd, const char *name, const char *key, int n,
		       const char *before, bool full)
{
	struct test_gfx_pool_buf buf = {
		.domain = TEST_GFX_POOL_WC,
		.npages = 512,
	};
	struct test_gfx_pool_cmd cmd;
	int i, hold = -1, ret;
	__u64 ns[256];

	if (n > 256)
		n = 256;
	for (i = 0; i < n; i++) {
		if (before && write_str("/proc/sys/vm/drop_caches", before))
			return -1;
		if (full) {
			hold = open(GFX_POOL_DEV, O_RDWR);
			if (hold < 0 || ioctl(hold, TEST_GFX_POOL_ALLOC, &buf)) {
				if (hold >= 0)
					close(hold);
				return -1;
			}
			usleep(300000);
		}
		ret = gfx_pool_run(fd, TEST_GFX_POOL_POOL, TEST_GFX_POOL_WC, 1,
				   &cmd);
		if (hold >= 0)
			close(hold);
		if (ret)
			return -1;
		ns[i] = cmd.ns_alloc;
	}
	qsort(ns, n, sizeof(*ns), cmp_u64);
	printf("%-32s %7d %9llu %9llu %9llu\n", name, n,
	       (unsigned long long)ns[n / 2],
	       (unsigned long long)ns[(n * 99 + 99) / 100 - 1],
	       (unsigned long long)ns[n - 1]);
	printf("csv-latency,%s,%d,%llu,%llu,%llu\n", key, n,
	       (unsigned long long)ns[n / 2],
	       (unsigned long long)ns[(n * 99 + 99) / 100 - 1],
	       (unsigned long long)ns[n - 1]);
	return 0;
}

/* One WC page: warm, a block taken back, a warm block, a block grown. */
static int latency(int fd, int n)
{
	struct test_gfx_pool_buf buf = { .domain = TEST_GFX_POOL_WC };
	struct test_gfx_pool_cmd cmd;
	int hold, ret = 0;
	char old[32] = "0M", warm[32];
	long blocks;
	FILE *f;

	if (access(STATS, R_OK))
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	blocks = gfx_pool_read_key(STATS, "blocks");
	printf("%-32s %7s %9s %9s %9s\n", "one WC page, latency (ns)",
	       "samples", "p50", "p99", "max");
	/* A WC block with room first, for the warm row. */
	gfx_pool_run(fd, TEST_GFX_POOL_POOL, TEST_GFX_POOL_WC, 1, &cmd);
	ret |= latency_row(fd, "gfx_pool WC, warm", "warm", n, NULL, false);
	f = fopen(WARM_BLOCKS, "r");
	if (!f || !fgets(warm, sizeof(warm), f)) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	/* Every free block lent again: is there a region that lends? */
	write_str("/proc/sys/vm/drop_caches", "2");
	if (gfx_pool_read_key(STATS, "lent_blocks") > 0) {
		ret |= write_str(WARM_BLOCKS, "0");
		ret |= latency_row(fd, "gfx_pool WC, block taken back",
				   "taken_back", n, "2", false);
		ret |= write_str(WARM_BLOCKS, "1");
		ret |= latency_row(fd, "gfx_pool WC, warm block",
				   "warm_block", n, "2", true);
	}
	ret |= write_str(WARM_BLOCKS, "0");
	f = fopen(GROW_LIMIT, "r");
	if (!f || !fgets(old, sizeof(old), f) || blocks < 0) {
		if (f)
			fclose(f);
		write_str(WARM_BLOCKS, warm);
		return ret;
	}
	fclose(f);
	/* Hold the whole region, so that every sample must grow. */
	hold = open(GFX_POOL_DEV, O_RDWR);
	buf.npages = blocks * 512;
	if (hold < 0 || write_str(GROW_LIMIT, "64M") ||
	    (buf.npages && ioctl(hold, TEST_GFX_POOL_ALLOC, &buf))) {
		printf("gfx_pool WC, block grown: cannot hold the region\n");
		ret = -1;
	} else {
		ret |= latency_row(fd, "gfx_pool WC, block grown", "grown",
				   n, "2", false);
	}
	if (hold >= 0)
		close(hold);
	write_str(GROW_LIMIT, old);
	write_str(WARM_BLOCKS, warm);
	write_str("/proc/sys/vm/drop_caches", "2");
	return ret;
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* One mapping of @npages faulted in by writes; ns per page, or 0. */
static __u64 fault_once(__u64 domain, __u64 npages, bool per_page)
{
	struct test_gfx_pool_buf buf = {
		.domain = domain,
		.npages = npages,
		.flags = TEST_GFX_POOL_BUF_PREFAULT |
			 (per_page ? TEST_GFX_POOL_BUF_PER_PAGE : 0),
	};
	__u64 t0, t1, i;
	char *map;
	int fd = open(GFX_POOL_DEV, O_RDWR);

	if (fd < 0 || ioctl(fd, TEST_GFX_POOL_ALLOC, &buf)) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	map = mmap(NULL, npages * 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
		   fd, 0);
	if (map == MAP_FAILED) {
		close(fd);
		return 0;
	}
	t0 = now_ns();
	for (i = 0; i < npages; i++)
		map[i * 4096] = 1;
	/* Every store done before the clock is read. */
	asm volatile("" : : : "memory");
	t1 = now_ns();
	munmap(map, npages * 4096);
	close(fd);
	return (t1 - t0) / npages;
}

/*
 * The fault row of @domain, on pool pages or on the per-page path's.
 * Return: the splits it made (a pool row's count), or -1 on error.
 */
static long fault_row(__u64 domain, __u64 npages, bool per_page)
{
	struct gfx_pool_dmap before, after;
	__u64 ns[64], med;
	char name[64];
	int r;

	snprintf(name, sizeof(name), "fault %s, %s",
		 gfx_pool_domain_names[domain],
		 per_page ? "per-page path" : "gfx_pool");
	if (gfx_pool_dmap_read(&before))
		return -1;
	for (r = 0; r < repeats; r++) {
		ns[r] = fault_once(domain, npages, per_page);
		if (!ns[r]) {
			printf("%-32s %7llu   failed\n", name,
			       (unsigned long long)npages);
			return -1;
		}
	}
	if (gfx_pool_dmap_read(&after))
		return -1;
	qsort(ns, repeats, sizeof(*ns), cmp_u64);
	med = (ns[(repeats - 1) / 2] + ns[repeats / 2]) / 2;
	printf("%-32s %7llu %9llu %9llu %9llu %13ld %13ld %18ld\n", name,
	       (unsigned long long)npages, (unsigned long long)med,
	       (unsigned long long)ns[0], (unsigned long long)ns[repeats - 1],
	       after.splits_2m - before.splits_2m,
	       after.splits_1g - before.splits_1g,
	       after.directmap_4k_kb - before.directmap_4k_kb);
	printf("csv,%s,%s,fault,%llu,%llu,%llu,%llu,%ld,%ld\n",
	       per_page ? "per_page" : "pool", gfx_pool_domain_names[domain],
	       (unsigned long long)npages, (unsigned long long)med,
	       (unsigned long long)ns[0], (unsigned long long)ns[repeats - 1],
	       after.splits_2m - before.splits_2m,
	       after.splits_1g - before.splits_1g);
	return after.splits_2m - before.splits_2m;
}

/* Add a pool row's splits to the sum, or note a failed row. */
static void pool_row(long r, long *pool_splits, int *failed)
{
	if (r < 0)
		*failed = 1;
	else
		*pool_splits += r;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One side of an interleaved pair: a row's method, domain and flags. */
struct pair_side {
	__u64 method, domain, flags;
};

/*
 * Rows @a and @b interleaved: each repeat runs both, the first one in
 * turn (@a first in even repeats), so that a boot's drift falls on both
 * alike; each once untimed first, so that their blocks are in their
 * domains. Sets the median, min and max of the repeats' own ratios and
 * each side's median ns per page.
 * Return: 0, or a negative errno.
 */
static int pair_rows(int fd, __u64 npages, const struct pair_side *a,
		     const struct pair_side *b, double ratio[3],
		     __u64 *a_ns, __u64 *b_ns)
{
	__u64 x[64], y[64], ns;
	double q[64];
	int r, ret;

	ret = run_once(fd, a->method, a->domain, npages, a->flags, &ns);
	if (!ret)
		ret = run_once(fd, b->method, b->domain, npages, b->flags, &ns);
	for (r = 0; r < repeats && !ret; r++) {
		if (!(r & 1))
			ret = run_once(fd, a->method, a->domain, npages,
				       a->flags, &x[r]);
		if (!ret)
			ret = run_once(fd, b->method, b->domain, npages,
				       b->flags, &y[r]);
		if (!ret && (r & 1))
			ret = run_once(fd, a->method, a->domain, npages,
				       a->flags, &x[r]);
		if (!ret)
			q[r] = (double)x[r] / y[r];
	}
	if (ret)
		return ret;
	qsort(x, repeats, sizeof(*x), cmp_u64);
	qsort(y, repeats, sizeof(*y), cmp_u64);
	qsort(q, repeats, sizeof(*q), cmp_double);
	ratio[0] = (q[(repeats - 1) / 2] + q[repeats / 2]) / 2;
	ratio[1] = q[0];
	ratio[2] = q[repeats - 1];
	*a_ns = (x[(repeats - 1) / 2] + x[repeats / 2]) / 2;
	*b_ns = (y[(repeats - 1) / 2] + y[repeats / 2]) / 2;
	return 0;
}

/*
 * -P: the warm row of each domain and alloc_page()'s, interleaved (see
 * pair_rows()); with @zero, also the warm row with __GFP_ZERO of each
 * domain but WC and WC's, the bound for zeroed NP and UC pages,
 * at half the pages: both rows' blocks must fit in the pool at once, or
 * each repeat converts blocks from one domain to the other and is no
 * warm row (make bench's 32768 pages are half of its 256 MiB pool).
 * Prints the median, min and max of the repeats' own ratios, and each
 * side's median ns per page; a "csv-pair," line has the same, the pair
 * named <domain>/alloc_page or <domain>_zero/WC_zero.
 * Return: 0, or 1 on error.
 */
static int bench_pairs(int fd, __u64 npages, const int *domains, int ndomains,
		       bool zero)
{
	static const struct pair_side stock = {
		.method = TEST_GFX_POOL_PER_PAGE, .domain = TEST_GFX_POOL_WB,
	};
	static const struct pair_side wc_zero = {
		.method = TEST_GFX_POOL_POOL, .domain = TEST_GFX_POOL_WC,
		.flags = TEST_GFX_POOL_BENCH_ZERO,
	};
	struct pair_side pool = { .method = TEST_GFX_POOL_POOL };
	bool has_wc = false;
	__u64 a_ns, b_ns;
	double ratio[3];
	const char *d;
	int i, ret = 0;

	for (i = 0; i < ndomains && !ret; i++) {
		d = gfx_pool_domain_names[domains[i]];
		has_wc |= domains[i] == TEST_GFX_POOL_WC;
		pool.domain = domains[i];
		pool.flags = 0;
		ret = pair_rows(fd, npages, &pool, &stock, ratio, &a_ns, &b_ns);
		if (ret)
			break;
		fprintf(stdout,
			"ratio: gfx_pool %s warm / alloc_page, interleaved: %.2fx (min %.2fx, max %.2fx; %llu pages: %llu against %llu ns/page)\n",
			d, ratio[0], ratio[1], ratio[2],
			(unsigned long long)npages, (unsigned long long)a_ns,
			(unsigned long long)b_ns);
		printf("csv-pair,%s/alloc_page,%llu,%.3f,%.3f,%.3f,%llu,%llu\n",
		       d, (unsigned long long)npages, ratio[0], ratio[1],
		       ratio[2], (unsigned long long)a_ns,
		       (unsigned long long)b_ns);
	}
	for (i = 0; i < ndomains && zero && has_wc && !ret; i++) {
		if (domains[i] == TEST_GFX_POOL_WC)
			continue;
		d = gfx_pool_domain_names[domains[i]];
		pool.domain = domains[i];
		pool.flags = TEST_GFX_POOL_BENCH_ZERO;
		ret = pair_rows(fd, npages / 2, &pool, &wc_zero, ratio, &a_ns,
				&b_ns);
		if (ret)
			break;
		fprintf(stdout,
			"ratio: gfx_pool %s warm, __GFP_ZERO / gfx_pool WC warm, __GFP_ZERO, interleaved: %.2fx (min %.2fx, max %.2fx; %llu pages: %llu against %llu ns/page)\n",
			d, ratio[0], ratio[1], ratio[2],
			(unsigned long long)npages / 2, (unsigned long long)a_ns,
			(unsigned long long)b_ns);
		printf("csv-pair,%s_zero/WC_zero,%llu,%.3f,%.3f,%.3f,%llu,%llu\n",
		       d, (unsigned long long)npages / 2, ratio[0], ratio[1],
		       ratio[2], (unsigned long long)a_ns,
		       (unsigned long long)b_ns);
	}
	if (ret)
		printf("-P: %s\n", strerror(-ret));
	return !!ret;
}

/*
 * One size: the floor, then each domain on each path; with @zero the
 * floor and the warm rows once more with __GFP_ZERO; with @scale the warm
 * row with 1, 2 and 4 threads at once.
 */
static int bench_size(int fd, unsigned long npages, const int *domains,
		      int ndomains, bool pool_on, bool lends, bool zero,
		      bool scale, bool faults, long *pool_splits)
{
	static const struct row_opts plain = {}, cold = { .cold = true };
	static const struct row_opts zeroed = {
		.flags = TEST_GFX_POOL_BENCH_ZERO,
	};
	static const struct row_opts memtype = {
		.flags = TEST_GFX_POOL_BENCH_MEMTYPE,
	};
	struct row_opts threads = {};
	int d, dom, failed = 0, t;
	long stock_splits = 0;
	char tag[32], variant[32];
	__u64 ns;

	/* The floor: plain alloc_page() and __free_page(). */
	if (bench_row(fd, TEST_GFX_POOL_PER_PAGE, TEST_GFX_POOL_WB, npages, "",
		      "plain", &plain) < 0)
		failed = 1;
	if (zero && bench_row(fd, TEST_GFX_POOL_PER_PAGE, TEST_GFX_POOL_WB,
			      npages, ", zeroed", "zero", &zeroed) < 0)
		failed = 1;
	/*
	 * The floor with 1, 2 and 4 threads: what the same threads cost the
	 * page allocator, so that the pool's scaling can be told apart from
	 * the vCPUs' (4 vCPUs on fewer host cores wait for each other).
	 */
	for (t = 1; scale && t <= MAX_THREADS; t *= 2) {
		threads.threads = t;
		snprintf(tag, sizeof(tag), ", %d thread%s", t, t > 1 ? "s" : "");
		snprintf(variant, sizeof(variant), "plain_%dt", t);
		if (bench_row(fd, TEST_GFX_POOL_PER_PAGE, TEST_GFX_POOL_WB,
			      npages, tag, variant, &threads) < 0)
			failed = 1;
	}
	for (d = 0; d < ndomains; d++) {
		dom = domains[d];
		if (dom == TEST_GFX_POOL_WC || dom == TEST_GFX_POOL_UC) {
			/*
			 * The same TTM device either way: over the pool, or
			 * (gfx_pool=0) on TTM's own path, its pool types
			 * filled by the first repeat.
			 */
			pool_row(bench_row(fd, TEST_GFX_POOL_TTM, dom, npages,
					   pool_on ? " over gfx_pool" :
						     ", gfx_pool=0",
					   pool_on ? "pool" : "stock", &plain),
				 pool_on ? pool_splits : &stock_splits, &failed);
		}
		if (!pool_on)
			continue;
		if (dom != TEST_GFX_POOL_NP &&
		    bench_row(fd, TEST_GFX_POOL_PER_PAGE, dom, npages, "",
			      "plain", &plain) < 0)
			failed = 1;
		/* Cold: every block taken back from lending and converted. */
		if (lends)
			pool_row(bench_row(fd, TEST_GFX_POOL_POOL, dom, npages,
					   ", cold", "cold", &cold),
				 pool_splits, &failed);
		/* Warm: once untimed, so that the blocks are in the domain. */
		if (run_once(fd, TEST_GFX_POOL_POOL, dom, npages, 0, &ns))
			failed = 1;
		pool_row(bench_row(fd, TEST_GFX_POOL_POOL, dom, npages,
				   ", warm", "warm", &plain),
			 pool_splits, &failed);
		if (zero)
			pool_row(bench_row(fd, TEST_GFX_POOL_POOL, dom, npages,
					   ", warm, zeroed", "warm_zero",
					   &zeroed),
				 pool_splits, &failed);
		for (t = 1; scale && t <= MAX_THREADS; t *= 2) {
			threads.threads = t;
			snprintf(tag, sizeof(tag), ", warm, %d thread%s", t,
				 t > 1 ? "s" : "");
			snprintf(variant, sizeof(variant), "warm_%dt", t);
			pool_row(bench_row(fd, TEST_GFX_POOL_POOL, dom, npages,
					   tag, variant, &threads),
				 pool_splits, &failed);
		}
		/*
		 * A fault a page, pool pages against ordinary ones; then
		 * the memtype lookup each page inserted makes, alone.
		 */
		if (faults && dom != TEST_GFX_POOL_NP) {
			pool_row(fault_row(dom, npages, false), pool_splits,
				 &failed);
			if (fault_row(dom, npages, true) < 0)
				failed = 1;
		}
		/* PAT's memtype is a question of WC and UC pages only. */
		if (faults && (dom == TEST_GFX_POOL_WC ||
			       dom == TEST_GFX_POOL_UC)) {
			pool_row(bench_row(fd, TEST_GFX_POOL_POOL, dom, npages,
					   ", memtype", "memtype", &memtype),
				 pool_splits, &failed);
			if (bench_row(fd, TEST_GFX_POOL_PER_PAGE, dom, npages,
				      ", memtype", "memtype", &memtype) < 0)
				failed = 1;
		}
		/* The same through the node lock alone: what the lists save. */
		if (write_str(PCP, "0"))
			continue;
		pool_row(bench_row(fd, TEST_GFX_POOL_POOL, dom, npages,
				   ", warm, no pcp", "warm_nopcp", &plain),
			 pool_splits, &failed);
		write_str(PCP, "1");
	}
	return failed;
}

/* -T: the ttm_tt sizes, in pages. */
static const unsigned long ttm_tt_pages[] = { 1, 16, 512, 4096, 16384 };

/*
 * -T: TTM's populate and free of one ttm_tt per size, cold then warm, in
 * WC and UC; over the pool, or stock TTM with gfx_pool=0.
 * Return: 0, or 1 if a row failed.
 */
static int bench_ttm(int fd, bool pool_on, long *pool_splits)
{
	static const struct row_opts cold = { .cold = true };
	static const struct row_opts looped = {
		.flags = TEST_GFX_POOL_BENCH_LOOP,
	};
	static const int domains[] = { TEST_GFX_POOL_WC, TEST_GFX_POOL_UC };
	char tag[32], variant[32];
	long stock_splits = 0;
	int failed = 0, d, c;
	unsigned int i;
	__u64 ns;

	for (d = 0; d < 2; d++) {
		for (i = 0; i < sizeof(ttm_tt_pages) / sizeof(*ttm_tt_pages);
		     i++) {
			for (c = 1; c >= 0; c--) {
				/* Warm: once untimed, so that its pages are ready. */
				if (!c && run_once(fd, TEST_GFX_POOL_TTM,
						   domains[d], ttm_tt_pages[i],
						   0, &ns))
					failed = 1;
				snprintf(tag, sizeof(tag), "%s, %s",
					 pool_on ? " over gfx_pool" :
						   ", gfx_pool=0",
					 c ? "cold" : "warm");
				snprintf(variant, sizeof(variant), "%s_%s",
					 pool_on ? "pool" : "stock",
					 c ? "cold" : "warm");
				pool_row(bench_row(fd, TEST_GFX_POOL_TTM,
						   domains[d], ttm_tt_pages[i],
						   tag, variant,
						   c ? &cold : &looped),
					 pool_on ? pool_splits : &stock_splits,
					 &failed);
			}
		}
	}
	return failed;
}

/* -G: samples, and what is left unfragmented. */
#define FRAG_SAMPLES	25
#define FRAG_SPARE_KB	(16 * 1024)

/*
 * -G: fragment memory, then the latency of populating a 64 MiB WC
 * ttm_tt, FRAG_SAMPLES times, each after drop_caches.
 * Return: 0, or 1 on error.
 */
static int bench_fragmented(int fd, bool pool_on, long *pool_splits)
{
	struct gfx_pool_dmap before, after;
	struct test_gfx_pool_buf frag = {};
	long avail = gfx_pool_read_key("/proc/meminfo", "MemAvailable");
	struct test_gfx_pool_cmd cmd;
	__u64 ns[FRAG_SAMPLES];
	const char *name;
	int hold, i, n = FRAG_SAMPLES;

	if (avail < 2 * FRAG_SPARE_KB) {
		printf("-G: MemAvailable %ld kB is too little\n", avail);
		return 1;
	}
	frag.npages = (avail - FRAG_SPARE_KB) / 4;
	hold = open(GFX_POOL_DEV, O_RDWR);
	if (hold < 0 || ioctl(hold, TEST_GFX_POOL_FRAGMENT, &frag)) {
		printf("-G: cannot fragment memory: %s\n", strerror(errno));
		return 1;
	}
	printf("fragmented: %llu pages kept of %ld kB available, every other one\n",
	       (unsigned long long)frag.npages, avail);
	if (gfx_pool_dmap_read(&before)) {
		close(hold);
		return 1;
	}
	for (i = 0; i < n; i++) {
		write_str("/proc/sys/vm/drop_caches", "3");
		if (gfx_pool_run(fd, TEST_GFX_POOL_TTM, TEST_GFX_POOL_WC,
				 16384, &cmd)) {
			printf("-G: sample %d: %s\n", i, strerror(errno));
			close(hold);
			return 1;
		}
		ns[i] = cmd.ns_alloc;
	}
	close(hold);
	if (gfx_pool_dmap_read(&after))
		return 1;
	printf("2M->4K splits during the samples: %ld\n",
	       after.splits_2m - before.splits_2m);
	/* Over the pool, TTM's WC pages split nothing. */
	if (pool_on)
		*pool_splits += after.splits_2m - before.splits_2m;
	qsort(ns, n, sizeof(*ns), cmp_u64);
	name = pool_on ? "TTM WC 64M, fragmented, gfx_pool" :
			 "TTM WC 64M, fragmented, stock";
	printf("%-32s %7s %9s %9s %9s\n", "populate latency (ns)", "samples",
	       "p50", "p99", "max");
	printf("%-32s %7d %9llu %9llu %9llu\n", name, n,
	       (unsigned long long)ns[n / 2],
	       (unsigned long long)ns[(n * 99 + 99) / 100 - 1],
	       (unsigned long long)ns[n - 1]);
	printf("csv-latency,ttm_frag,%d,%llu,%llu,%llu\n", n,
	       (unsigned long long)ns[n / 2],
	       (unsigned long long)ns[(n * 99 + 99) / 100 - 1],
	       (unsigned long long)ns[n - 1]);
	return 0;
}

/*
 * -F: hold every region block but FILL_FREE in WB, in buffers of files
 * left open until exit, so that only a few blocks are free and a walk of
 * the node's blocks would cost what the pool's size is; then the warm WC
 * rows on what is left, and the metadata. Return: 0, or 1 if a row failed.
 */
static int bench_fill(int fd, unsigned long npages, long *pool_splits)
{
	static const struct row_opts plain = {};
	static const struct row_opts group = { .order = 10 };
	struct test_gfx_pool_buf buf = { .domain = TEST_GFX_POOL_WB };
	long blocks = gfx_pool_read_key(STATS, "blocks");
	long meta = gfx_pool_read_key(STATS, "metadata_bytes");
	unsigned long hold, n;
	int failed = 0, h;
	__u64 ns;

	if (blocks < FILL_FREE + 4) {
		printf("-F: the pool has %ld blocks, needs %d\n", blocks,
		       FILL_FREE + 4);
		return 1;
	}
	if (meta >= 0) {
		printf("metadata: %ld bytes for %ld blocks (%ld MiB): %.4f%% of the pool\n",
		       meta, blocks, blocks * 2,
		       100.0 * meta / (blocks * 2097152.0));
		printf("csv-meta,%ld,%ld\n", blocks * 2, meta);
	}
	for (hold = (blocks - FILL_FREE) * 512UL; hold; hold -= n) {
		n = hold < TEST_GFX_POOL_MAX_BUF_PAGES ? hold :
			TEST_GFX_POOL_MAX_BUF_PAGES;
		buf.npages = n;
		h = open(GFX_POOL_DEV, O_RDWR);
		if (h < 0 || ioctl(h, TEST_GFX_POOL_ALLOC, &buf)) {
			printf("-F: cannot hold %lu pages: %s\n", n,
			       strerror(errno));
			return 1;
		}
	}
	printf("held %ld of %ld blocks in WB\n", blocks - FILL_FREE, blocks);
	if (bench_row(fd, TEST_GFX_POOL_PER_PAGE, TEST_GFX_POOL_WB, npages, "",
		      "plain", &plain) < 0)
		failed = 1;
	/* Once untimed, so that the blocks left are WC. */
	if (run_once(fd, TEST_GFX_POOL_POOL, TEST_GFX_POOL_WC, npages, 0, &ns))
		failed = 1;
	pool_row(bench_row(fd, TEST_GFX_POOL_POOL, TEST_GFX_POOL_WC, npages,
			   ", warm", "warm", &plain), pool_splits, &failed);
	pool_row(bench_row(fd, TEST_GFX_POOL_POOL, TEST_GFX_POOL_WC, npages,
			   ", warm, order 10", "warm_o10", &group),
		 pool_splits, &failed);
	if (!write_str(PCP, "0")) {
		pool_row(bench_row(fd, TEST_GFX_POOL_POOL, TEST_GFX_POOL_WC,
				   npages, ", warm, no pcp", "warm_nopcp",
				   &plain), pool_splits, &failed);
		write_str(PCP, "1");
	}
	return failed;
}

int main(int argc, char **argv)
{
	unsigned long sizes[8], nsizes = 0, s;
	int domains[4], ndomains = 0, d, opt, fd;
	bool pool_on, lends, zero = false, scale = false, fill = false;
	bool faults = false, ttm = false, frag = false, pairs = false;
	int failed = 0, samples = 0;
	long pool_splits = 0;

	/*
	 * A line as soon as a row is done, through the guest's pipe: the
	 * log shows how far a slow or stuck boot got, and when each row
	 * ended (make profile attributes its samples by that).
	 */
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "n:d:c:r:zsfTGFP")) != -1) {
		switch (opt) {
		case 'G':
			frag = true;
			break;
		case 'P':
			pairs = true;
			break;
		case 'T':
			ttm = true;
			break;
		case 'f':
			faults = true;
			break;
		case 'F':
			fill = true;
			break;
		case 'z':
			zero = true;
			break;
		case 's':
			scale = true;
			break;
		case 'c':
			samples = atoi(optarg);
			break;
		case 'r':
			repeats = atoi(optarg);
			if (repeats < 1 || repeats > 64) {
				fprintf(stderr, "repeats: 1 to 64, not %s\n",
					optarg);
				return 2;
			}
			break;
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
			fprintf(stderr,
				"usage: %s [-n pages]... [-d wb|wc|uc|np]... [-r repeats] [-c samples] [-z] [-s] [-f] [-T] [-G] [-F] [-P]\n",
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
	if (access(STATS, R_OK))
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	/* The pool's debugfs exists exactly when the pool is on. */
	pool_on = !access(STATS, R_OK);
	/* Every free block lent again: is there a region that lends? */
	write_str("/proc/sys/vm/drop_caches", "2");
	lends = pool_on && gfx_pool_read_key(STATS, "lent_blocks") > 0;
	printf("%d repeats a row: ns/page is their median, then min and max\n",
	       repeats);
	printf("%-32s %7s %9s %9s %9s %13s %13s %18s\n", "method", "pages",
	       "ns/page", "min", "max", "2M->4K splits", "1G->2M splits",
	       "DirectMap4k (kB)");
	if (fill && !pool_on) {
		printf("-F: the pool is off\n");
		failed = 1;
	} else if (fill) {
		failed |= bench_fill(fd, sizes[0], &pool_splits);
	}
	if (ttm)
		failed |= bench_ttm(fd, pool_on, &pool_splits);
	if (frag)
		failed |= bench_fragmented(fd, pool_on, &pool_splits);
	for (s = 0; s < nsizes && !fill && !ttm && !frag; s++)
		failed |= bench_size(fd, sizes[s], domains, ndomains, pool_on,
				     lends, zero, scale, faults, &pool_splits);
	for (s = 0; s < nsizes && pairs && pool_on; s++)
		failed |= bench_pairs(fd, sizes[s], domains, ndomains, zero);
	if (samples > 0 && pool_on) {
		struct gfx_pool_dmap before, after;

		if (gfx_pool_dmap_read(&before) || latency(fd, samples) ||
		    gfx_pool_dmap_read(&after))
			failed = 1;
		else
			pool_splits += after.splits_2m - before.splits_2m;
	}
	close(fd);
	printf("gfx_pool: splits outside pool: %ld\n", pool_splits);
	return failed;
}
