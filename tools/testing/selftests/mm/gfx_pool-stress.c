// SPDX-License-Identifier: GPL-2.0
/*
 * gfx_pool-stress: threads that allocate and free pool pages at random
 * through /dev/test_gfx_pool (TEST_GFX_POOL_STRESS): every domain, orders
 * 0 to 10, sleeping and atomic, on every node, with frees in process,
 * softirq and hard interrupt context. Suspend cycles at a pm_test level
 * run in the middle. At the end the pool must be whole: every page back,
 * no block broken, as many frees as allocations, no page's contents
 * changed while it was held, and no direct-map page split.
 *
 *   gfx_pool-stress [-t threads] [-s seconds] [-p seconds] [-l levels]
 *                   [-d seconds]
 *
 * -t: threads, one per CPU by default, each pinned to a CPU in turn.
 * -s: how long, 60 s by default.
 * -p: a suspend cycle every that many seconds (0, the default: none).
 * -l: the /sys/power/pm_test levels of those cycles, comma-separated and
 *     taken in turn: "freezer,devices,processors,core" by default
 *     (processors takes every CPU but the boot CPU offline and back).
 * -d: every that many seconds, echo 2 > /proc/sys/vm/drop_caches, which
 *     runs every shrinker, the pool's too: free blocks are lent and
 *     grown ones given back while the others allocate (0: never, the
 *     default).
 *
 * The last line is "gfx_pool-stress: ok ..." or "gfx_pool-stress: not ok
 * ...", with the figures as key=value; the exit status is 0 only for ok.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "gfx_pool_util.h"

#define SLICE_MS	100

struct worker {
	pthread_t thread;
	int id;
	int cpu;
	time_t end;
	unsigned long long ops, allocs, failed, deferred, corrupt;
	unsigned long long freed_soft, freed_hard;
	int err;		/* errno of a failed ioctl, or 0 */
};

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	struct test_gfx_pool_stress cmd;
	cpu_set_t set;
	int fd;

	CPU_ZERO(&set);
	CPU_SET(w->cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	fd = open(GFX_POOL_DEV, O_RDWR);
	if (fd < 0) {
		w->err = errno;
		return NULL;
	}
	while (time(NULL) < w->end) {
		memset(&cmd, 0, sizeof(cmd));
		cmd.ms = SLICE_MS;
		cmd.seed = 20080406 + w->id;
		if (ioctl(fd, TEST_GFX_POOL_STRESS, &cmd)) {
			w->err = errno;
			break;
		}
		w->ops += cmd.ops;
		w->allocs += cmd.allocs;
		w->failed += cmd.failed;
		w->deferred += cmd.deferred;
		w->corrupt = cmd.corrupt;
		w->freed_soft = cmd.freed_soft;
		w->freed_hard = cmd.freed_hard;
	}
	/* Frees everything the file holds, deferred frees included. */
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	int nthreads = sysconf(_SC_NPROCESSORS_ONLN), seconds = 60, pm_every = 0;
	int drop_every = 0, drops = 0, nlevels = 0;
	char *levels[16], *tok;
	unsigned long long ops = 0, allocs = 0, failed = 0, deferred = 0;
	unsigned long long corrupt = 0, freed_soft = 0, freed_hard = 0;
	int ncpus = nthreads, sleeps = 0, sleep_errors = 0, errs = 0, i, opt;
	char level_arg[256] = "freezer,devices,processors,core";
	struct gfx_pool_whole before, after;
	struct worker *w;
	time_t start, next_pm, next_drop;
	bool whole, ok;

	while ((opt = getopt(argc, argv, "t:s:p:l:d:")) != -1) {
		switch (opt) {
		case 't':
			nthreads = atoi(optarg);
			break;
		case 's':
			seconds = atoi(optarg);
			break;
		case 'p':
			pm_every = atoi(optarg);
			break;
		case 'l':
			snprintf(level_arg, sizeof(level_arg), "%s", optarg);
			break;
		case 'd':
			drop_every = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: %s [-t threads] [-s seconds]", argv[0]);
			fprintf(stderr, " [-p seconds] [-l levels] [-d seconds]\n");
			return 2;
		}
	}
	for (tok = strtok(level_arg, ","); tok && nlevels < 16;
	     tok = strtok(NULL, ","))
		levels[nlevels++] = tok;
	if (nthreads < 1 || nthreads > 256 || seconds < 1 || pm_every < 0 ||
	    drop_every < 0 || ncpus < 1 || (pm_every && !nlevels)) {
		fprintf(stderr, "gfx_pool-stress: bad arguments\n");
		return 2;
	}
	if (gfx_pool_whole_read(&before)) {
		printf("gfx_pool-stress: skip: no %s or no pool counters\n",
		       GFX_POOL_DEV);
		return 4;
	}
	for (i = 0; pm_every && i < nlevels; i++) {
		if (!gfx_pool_write_file("/sys/power/pm_test", levels[i]))
			continue;
		printf("gfx_pool-stress: no pm_test level %s: no suspend cycles\n",
		       levels[i]);
		pm_every = 0;
	}

	w = calloc(nthreads, sizeof(*w));
	if (!w)
		return 1;
	start = time(NULL);
	for (i = 0; i < nthreads; i++) {
		w[i].id = i;
		w[i].cpu = i % ncpus;
		w[i].end = start + seconds;
		if (pthread_create(&w[i].thread, NULL, worker_fn, &w[i])) {
			fprintf(stderr, "gfx_pool-stress: cannot start thread %d\n", i);
			return 1;
		}
	}
	next_pm = start + pm_every;
	next_drop = start + drop_every;
	while (time(NULL) < start + seconds) {
		sleep(1);
		if (time(NULL) >= start + seconds)
			break;
		if (drop_every && time(NULL) >= next_drop) {
			if (!gfx_pool_write_file("/proc/sys/vm/drop_caches", "2"))
				drops++;
			next_drop = time(NULL) + drop_every;
		}
		if (!pm_every || time(NULL) < next_pm)
			continue;
		/* Returns once the system is back; the workers froze meanwhile. */
		if (gfx_pool_write_file("/sys/power/pm_test", levels[sleeps % nlevels]) ||
		    gfx_pool_write_file("/sys/power/state", "mem")) {
			printf("gfx_pool-stress: suspend at pm_test level %s failed\n",
			       levels[sleeps % nlevels]);
			sleep_errors++;
		}
		sleeps++;
		next_pm = time(NULL) + pm_every;
	}
	for (i = 0; i < nthreads; i++) {
		pthread_join(w[i].thread, NULL);
		ops += w[i].ops;
		allocs += w[i].allocs;
		failed += w[i].failed;
		deferred += w[i].deferred;
		corrupt += w[i].corrupt;
		freed_soft += w[i].freed_soft;
		freed_hard += w[i].freed_hard;
		if (w[i].err) {
			printf("gfx_pool-stress: thread %d: %s\n", i,
			       strerror(w[i].err));
			errs++;
		}
	}
	if (pm_every)
		gfx_pool_write_file("/sys/power/pm_test", "none");
	if (gfx_pool_whole_read(&after)) {
		printf("gfx_pool-stress: not ok: the pool counters went away\n");
		return 1;
	}

	printf("gfx_pool-stress: %d threads on %d CPUs, %d s, ", nthreads,
	       ncpus, seconds);
	printf("%d suspend cycles, %d shrinker runs\n", sleeps - sleep_errors,
	       drops);
	printf("gfx_pool-stress: %llu ops (%llu ops/s), %llu allocations, ",
	       ops, ops / seconds, allocs);
	printf("%llu refused, %llu frees handed to softirq or hardirq, ",
	       failed, deferred);
	printf("%llu done in softirq, %llu in hardirq\n", freed_soft,
	       freed_hard);
	gfx_pool_whole_print("gfx_pool-stress", &before, &after);
	whole = gfx_pool_whole_again(&before, &after, 1);
	if (!allocs)
		printf("gfx_pool-stress: no allocation succeeded\n");
	if (sleep_errors)
		printf("gfx_pool-stress: %d suspend cycles failed\n", sleep_errors);
	ok = whole && !corrupt && !errs && allocs && !sleep_errors &&
	     (!pm_every || sleeps);
	printf("gfx_pool-stress: %s ops=%llu ops_per_s=%llu deferred=%llu ",
	       ok ? "ok" : "not ok", ops, ops / seconds, deferred);
	printf("freed_soft=%llu freed_hard=%llu ", freed_soft, freed_hard);
	printf("sleeps=%d corrupt=%llu whole=%s\n", sleeps - sleep_errors,
	       corrupt, whole ? "yes" : "no");
	return ok ? 0 : 1;
}
