// SPDX-License-Identifier: GPL-2.0
/*
 * gfx_pool-fuzz: random commands and fields at every ioctl of
 * /dev/test_gfx_pool, and random sequences of open, mmap, mremap, munmap,
 * mprotect, touching the mappings, fork, ALLOC, FREE, ZAP and close, for
 * a bounded number of steps. The kernel must refuse what is malformed
 * with an error code, and report nothing (test.sh reads the log); the
 * mappings may fault (SIGBUS after FREE, SIGSEGV after mprotect), which
 * is survived. At the end every file is closed and the pool must be
 * whole: as many pages in use as before, no block broken, as many frees
 * as allocations. (The direct map may have been split: the fuzzer runs
 * the per-page path, set_pages_array_*(), as well.)
 *
 *   gfx_pool-fuzz [-n steps] [-s seed]
 *
 * The last line is "gfx_pool-fuzz: ok ..." or "gfx_pool-fuzz: not ok ...";
 * the exit status is 0 only for ok.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "../kselftest.h"
#include "gfx_pool_util.h"

#define NR_FILES	4
#define NR_MAPS		8
#define PAGE		4096UL

static uint64_t rnd_state;

/* xorshift64*: the same steps for the same seed. */
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return rnd_state * 2685821657736338717ULL;
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/*
 * A field's value: mostly small and plausible, sometimes at or just past
 * a limit, sometimes anything above 2^40. Sizes that are valid stay at
 * 4096 pages or below, so that no step takes minutes or much of RAM.
 */
static __u64 rnd_field(void)
{
	static const __u64 edges[] = {
		0, 1, 2, 3, 4, 9, 10, 11, 16, 64, 1000, 1001, 4096,
		TEST_GFX_POOL_MAX_PAGES + 1,
		1ULL << 31, 1ULL << 32, 1ULL << 63, ~0ULL, ~0ULL - 1,
		TEST_GFX_POOL_PTE_OTHER,
	};

	switch (rnd_below(4)) {
	case 0:
	case 1:
		return rnd_below(17);
	case 2:
		return edges[rnd_below(ARRAY_SIZE(edges))];
	default:
		/* Large values are refused; these are never large and valid. */
		return rnd() | (1ULL << 40);
	}
}

static const unsigned long commands[] = {
	TEST_GFX_POOL_BENCH, TEST_GFX_POOL_ALLOC, TEST_GFX_POOL_FREE,
	TEST_GFX_POOL_INFO, TEST_GFX_POOL_PTE, TEST_GFX_POOL_ZAP,
	TEST_GFX_POOL_FRAGMENT, TEST_GFX_POOL_STRESS,
};

struct map {
	char *addr;
	size_t len;
	int file;		/* index into files[] */
};

static int files[NR_FILES] = { -1, -1, -1, -1 };
static struct map maps[NR_MAPS];
static sigjmp_buf fault_jmp;
static long faults;	/* counted in the handler, atomically */

static void on_fault(int sig)
{
	__atomic_fetch_add(&faults, 1, __ATOMIC_RELAXED);
	siglongjmp(fault_jmp, 1);
}

/* Read or write a random word of a mapping; a fault is fine. */
static void touch(struct map *m, bool write)
{
	uint64_t *p;

	if (!m->addr)
		return;
	p = (uint64_t *)(m->addr + rnd_below(m->len / PAGE) * PAGE) +
	    rnd_below(PAGE / 8);
	if (sigsetjmp(fault_jmp, 1))
		return;
	/* Atomic accesses: the compiler must neither drop nor merge them. */
	if (write)
		__atomic_store_n(p, rnd(), __ATOMIC_RELAXED);
	else
		__atomic_load_n(p, __ATOMIC_RELAXED);
}

static void drop_maps_of(int file)
{
	int i;

	for (i = 0; i < NR_MAPS; i++) {
		if (maps[i].addr && (file < 0 || maps[i].file == file)) {
			munmap(maps[i].addr, maps[i].len);
			maps[i].addr = NULL;
		}
	}
}

/* One ioctl with fields at random, or a pointer that is not one. */
static int fuzz_ioctl(int fd)
{
	__u64 arg[16];
	unsigned long cmd;
	void *p = arg;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(arg); i++)
		arg[i] = rnd_field();
	switch (rnd_below(10)) {
	case 0:
		/* Another command number, size or direction of our type. */
		cmd = _IOC(rnd_below(4), 'G', rnd_below(16), rnd_below(256));
		break;
	case 1:
		/*
		 * Any number of our type. Other types reach the VFS's own
		 * ioctls (FIFREEZE would freeze devtmpfs), not the driver.
		 */
		cmd = (rnd() & ~(_IOC_TYPEMASK << _IOC_TYPESHIFT)) |
		      ('G' << _IOC_TYPESHIFT);
		break;
	default:
		cmd = commands[rnd_below(ARRAY_SIZE(commands))];
		break;
	}
	switch (rnd_below(16)) {
	case 0:
		p = NULL;
		break;
	case 1:
		p = (void *)(uintptr_t)rnd();
		break;
	case 2:
		/* The struct ends on an unmapped page. */
		p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return 0;
		munmap((char *)p + PAGE, PAGE);
		i = ioctl(fd, cmd, (char *)p + PAGE - 24);
		munmap(p, PAGE);
		return i;
	}
	return ioctl(fd, cmd, p);
}

static void fuzz_mmap(void)
{
	int f = rnd_below(NR_FILES), m = rnd_below(NR_MAPS);
	int prot = rnd_below(8), flags;
	size_t len = (1 + rnd_below(32)) * PAGE;
	off_t off = rnd_below(4) ? 0 : rnd_below(64) * PAGE;
	void *addr;

	if (files[f] < 0)
		return;
	flags = rnd_below(6) ? MAP_SHARED : MAP_PRIVATE;
	if (!rnd_below(8))
		flags |= MAP_POPULATE;
	if (maps[m].addr) {
		munmap(maps[m].addr, maps[m].len);
		maps[m].addr = NULL;
	}
	addr = mmap(NULL, len, prot, flags, files[f], off);
	if (addr == MAP_FAILED)
		return;
	maps[m].addr = addr;
	maps[m].len = len;
	maps[m].file = f;
}

static void fuzz_step(void)
{
	struct test_gfx_pool_buf buf;
	struct map *m = &maps[rnd_below(NR_MAPS)];
	int f = rnd_below(NR_FILES);
	size_t len;
	void *addr;
	pid_t pid;

	switch (rnd_below(14)) {
	case 0:
		if (files[f] >= 0) {
			drop_maps_of(f);
			close(files[f]);
		}
		files[f] = open(GFX_POOL_DEV, rnd_below(4) ? O_RDWR : O_RDONLY);
		break;
	case 1:
		if (files[f] >= 0) {
			close(files[f]);
			files[f] = -1;
		}
		break;
	case 2:
	case 3:
		if (files[f] >= 0)
			fuzz_ioctl(files[f]);
		break;
	case 4:
		/* A well-formed buffer now and then, so that maps have pages. */
		if (files[f] < 0)
			break;
		memset(&buf, 0, sizeof(buf));
		buf.domain = rnd_below(4);
		buf.npages = 1 + rnd_below(64);
		buf.flags = rnd_below(4) ? 0 : rnd_below(8);
		ioctl(files[f], rnd_below(3) ? TEST_GFX_POOL_ALLOC :
			       TEST_GFX_POOL_FREE, &buf);
		break;
	case 5:
		if (files[f] >= 0) {
			memset(&buf, 0, sizeof(buf));
			ioctl(files[f], TEST_GFX_POOL_ZAP, &buf);
		}
		break;
	case 6:
	case 7:
		fuzz_mmap();
		break;
	case 8:
		if (m->addr) {
			munmap(m->addr + rnd_below(m->len / PAGE) * PAGE, PAGE);
			/* What is left is unmapped with the rest below. */
		}
		break;
	case 9:
		if (!m->addr)
			break;
		len = (1 + rnd_below(64)) * PAGE;
		addr = mremap(m->addr, m->len, len,
			      rnd_below(2) ? MREMAP_MAYMOVE : 0);
		if (addr != MAP_FAILED) {
			m->addr = addr;
			m->len = len;
		}
		break;
	case 10:
		if (m->addr)
			mprotect(m->addr, m->len, rnd_below(8));
		break;
	case 11:
	case 12:
		touch(m, rnd_below(2));
		break;
	case 13:
		/* The child shares the mappings; it touches, frees, exits. */
		pid = fork();
		if (!pid) {
			touch(m, true);
			if (files[f] >= 0 && rnd_below(2)) {
				memset(&buf, 0, sizeof(buf));
				ioctl(files[f], TEST_GFX_POOL_FREE, &buf);
			}
			touch(m, false);
			_exit(0);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
		break;
	}
}

int main(int argc, char **argv)
{
	unsigned long steps = 20000, i;
	struct gfx_pool_whole before, after;
	struct sigaction sa = {};
	bool whole;
	int opt;

	rnd_state = 20080406;
	while ((opt = getopt(argc, argv, "n:s:")) != -1) {
		switch (opt) {
		case 'n':
			steps = strtoul(optarg, NULL, 0);
			break;
		case 's':
			rnd_state = strtoull(optarg, NULL, 0) | 1;
			break;
		default:
			fprintf(stderr, "usage: %s [-n steps] [-s seed]\n", argv[0]);
			return 2;
		}
	}
	if (gfx_pool_whole_read(&before)) {
		printf("gfx_pool-fuzz: skip: no %s or no pool counters\n",
		       GFX_POOL_DEV);
		return 4;
	}
	sa.sa_handler = on_fault;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);

	for (i = 0; i < steps; i++)
		fuzz_step();
	drop_maps_of(-1);
	for (i = 0; i < NR_FILES; i++)
		if (files[i] >= 0)
			close(files[i]);

	if (gfx_pool_whole_read(&after)) {
		printf("gfx_pool-fuzz: not ok: the pool counters went away\n");
		return 1;
	}
	/* Its BENCH and BUF_PER_PAGE commands run the per-page path: splits. */
	whole = gfx_pool_whole_again(&before, &after, 0);
	printf("gfx_pool-fuzz: %lu steps, %ld faults survived\n", steps,
	       __atomic_load_n(&faults, __ATOMIC_RELAXED));
	gfx_pool_whole_print("gfx_pool-fuzz", &before, &after);
	printf("gfx_pool-fuzz: %s steps=%lu whole=%s\n", whole ? "ok" : "not ok",
	       steps, whole ? "yes" : "no");
	return whole ? 0 : 1;
}
