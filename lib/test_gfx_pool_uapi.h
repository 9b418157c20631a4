/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Interface of the gfx_pool test driver (lib/test_gfx_pool.c), used by
 * tools/testing/selftests/mm/gfx_pool-tests.c and gfx_pool-bench.c.
 */
#ifndef _LIB_TEST_GFX_POOL_UAPI_H
#define _LIB_TEST_GFX_POOL_UAPI_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Values of test_gfx_pool_cmd.method. */
enum {
	/* alloc_page() + set_pages_array_{wc,uc}(): the per-page path */
	TEST_GFX_POOL_PER_PAGE = 0,
	/* gfx_pool_alloc_pages() */
	TEST_GFX_POOL_POOL = 1,
	/*
	 * ttm_pool_alloc() of a WC or UC ttm_tt, zeroed as a user-visible
	 * BO's (TTM_TT_FLAG_ZERO_ALLOC): over gfx_pool when it is on
	 */
	TEST_GFX_POOL_TTM = 2,
	/* the same from a GFP_DMA32 TTM device: TTM's own path, pool or not */
	TEST_GFX_POOL_TTM_PER_PAGE = 3,
};

/* Values of test_gfx_pool_cmd.domain: those of enum gfx_pool_domain. */
enum {
	TEST_GFX_POOL_WB = 0,
	TEST_GFX_POOL_WC = 1,
	TEST_GFX_POOL_UC = 2,
	TEST_GFX_POOL_NP = 3,
};

/**
 * struct test_gfx_pool_cmd - one workload run by TEST_GFX_POOL_BENCH
 * @method: (in) TEST_GFX_POOL_PER_PAGE, _POOL, _TTM or _TTM_PER_PAGE.
 * @domain: (in) the caching domain; TEST_GFX_POOL_NP only with _POOL,
 *	WC or UC with the TTM methods.
 * @npages: (in) order-0 pages to allocate, 1 to 1048576.
 * @flags: (in) 0, or TEST_GFX_POOL_BENCH_ZERO: allocate with __GFP_ZERO
 *	(alloc_page() and the pool; not the TTM methods); or, for the TTM
 *	methods only, TEST_GFX_POOL_BENCH_LOOP: populate and free the
 *	ttm_tt as many times as make TEST_GFX_POOL_LOOP_PAGES pages (at
 *	least once), timed as a whole, and give the mean time of one
 *	populate and free together in @ns_alloc, @ns_free 0. Or, for _PER_PAGE
 *	and _POOL in WC or UC at order 0 only, TEST_GFX_POOL_BENCH_MEMTYPE:
 *	while the pages are in their domain, ask x86 PAT for the memtype of
 *	each, as every vmf_insert_pfn_prot() of a fault does
 *	(lookup_memtype(), through pat_pfn_immune_to_uc_mtrr()); -EIO if
 *	one is none of WC, UC and UC-, -EOPNOTSUPP without PAT (not built,
 *	or nopat).
 * @order: (in) the order of each allocation, 0 to 10; above 0 only for
 *	_POOL, and _PER_PAGE in WB (alloc_pages() of that order), and
 *	@npages a multiple of 1 << @order. Times stay per page.
 * @ns_alloc: (out) time to allocate all pages (for TTM: ttm_pool_alloc(),
 *	caching change included; with TEST_GFX_POOL_BENCH_LOOP, populate
 *	and free together).
 * @ns_set: (out) time to change their caching (per-page only, else 0).
 * @ns_reset: (out) time to change it back to WB (per-page only, else 0).
 * @ns_free: (out) time to free all pages (0 with TEST_GFX_POOL_BENCH_LOOP).
 * @ns_memtype: (out) with TEST_GFX_POOL_BENCH_MEMTYPE, time to look up the
 *	memtype of all pages (in none of the other times); else 0.
 * @regions: (out, per-page WC and UC only) the 2M regions of the direct
 *	map the pages sit in that a 2M or 1G entry mapped before the set.
 * @regions_split: (out, the same) how many of those 4K entries map after
 *	the reset to WB: the per-page path's splits, which nothing undoes.
 *
 * The pages are held all at once, then freed: N pages cost ns_alloc +
 * ns_set + ns_reset + ns_free.
 */
struct test_gfx_pool_cmd {
	__u64 method;
	__u64 domain;
	__u64 npages;
	__u64 flags;
	__u64 order;
	__u64 ns_alloc;
	__u64 ns_set;
	__u64 ns_reset;
	__u64 ns_free;
	__u64 ns_memtype;
	__u64 regions;
	__u64 regions_split;
};

#define TEST_GFX_POOL_BENCH	_IOWR('G', 0x00, struct test_gfx_pool_cmd)
#define TEST_GFX_POOL_BENCH_ZERO	0x1ULL
#define TEST_GFX_POOL_BENCH_LOOP	0x2ULL
#define TEST_GFX_POOL_BENCH_MEMTYPE	0x4ULL
#define TEST_GFX_POOL_LOOP_PAGES	32768

/**
 * struct test_gfx_pool_buf - the buffer of one open file, for mmap()
 * @domain: (in, ALLOC) the caching domain; (out, INFO) the buffer's.
 * @npages: (in, ALLOC) size in pages, 1 to TEST_GFX_POOL_MAX_BUF_PAGES;
 *	(out, INFO).
 * @flags: (in) 0, or for ALLOC TEST_GFX_POOL_FREE_AT_SLEEP: the driver
 *	frees the buffer in its own suspend or freeze callback, before the
 *	pool zaps, so that it is gone before resume; and or
 *	TEST_GFX_POOL_BUF_PER_PAGE: the buffer is alloc_page() pages that
 *	set_pages_array_wc() or _uc() made WC or UC (the per-page path), not
 *	pool pages, mapped the same way: what faults on a mapping of
 *	ordinary pages cost. Not for NP (-EOPNOTSUPP); also with the pool
 *	off. And or TEST_GFX_POOL_BUF_PREFAULT: a fault maps up to
 *	TEST_GFX_POOL_PREFAULT pages from the faulting one, as TTM's fault
 *	handler does (TTM_BO_VM_NUM_PREFAULT); @faults then counts the
 *	pages each fault inserted, one already mapped again.
 * @faults: (out, INFO) pages mapped by the fault handler so far.
 * @kernel_faults: (out, INFO) those the kernel faulted (copy_to_user()).
 * @zaps: (out, INFO) times the pool zapped this file's mappings.
 * @resumes: (out, INFO) resume callbacks of the test device, all files.
 * @addr: (in, PTE) a user address in a mapping of the buffer.
 * @pte_domain: (out, PTE) the domain whose caching its PTE has, in the
 *	values of @domain: TEST_GFX_POOL_WB, _WC, or _UC (x86 UC- or UC);
 *	TEST_GFX_POOL_PTE_OTHER for any other (WT, WP). An NP buffer is
 *	mapped WB, its pages' PAT type.
 * @pfn: (out, PTE) the page frame that PTE maps (pagemap shows none for
 *	a VM_PFNMAP mapping).
 *
 * TEST_GFX_POOL_ALLOC gives the file a zeroed buffer of pool pages (one at a
 * time; -EBUSY if it has one); mmap() of the file at offset 0 maps it in the
 * domain's caching (NP pages WB: their PAT type); MAP_PRIVATE is refused.
 * TEST_GFX_POOL_FREE gives the pages back and zaps the mappings, which then
 * get SIGBUS. TEST_GFX_POOL_ZAP zaps them only: the next access faults.
 */
struct test_gfx_pool_buf {
	__u64 domain;
	__u64 npages;
	__u64 flags;
	__u64 faults;
	__u64 kernel_faults;
	__u64 zaps;
	__u64 addr;
	__u64 pte_domain;
	__u64 resumes;
	__u64 pfn;
};

#define TEST_GFX_POOL_ALLOC	_IOWR('G', 0x01, struct test_gfx_pool_buf)
#define TEST_GFX_POOL_FREE	_IOWR('G', 0x02, struct test_gfx_pool_buf)
#define TEST_GFX_POOL_INFO	_IOWR('G', 0x03, struct test_gfx_pool_buf)
#define TEST_GFX_POOL_PTE	_IOWR('G', 0x04, struct test_gfx_pool_buf)
#define TEST_GFX_POOL_ZAP	_IOWR('G', 0x05, struct test_gfx_pool_buf)
/*
 * TEST_GFX_POOL_FRAGMENT: @npages (in) pages taken from the page allocator
 * one by one, unmovable (fewer if it runs short: __GFP_NORETRY), then
 * every other one given back; the rest are kept until the file is
 * closed. What they leave free is scattered 4 KiB holes that compaction
 * cannot close. @npages (out): the pages kept. -EBUSY if the file keeps
 * some already; at most TEST_GFX_POOL_MAX_PAGES and RAM's size.
 */
#define TEST_GFX_POOL_FRAGMENT	_IOWR('G', 0x06, struct test_gfx_pool_buf)

/**
 * struct test_gfx_pool_stress - one slice of TEST_GFX_POOL_STRESS
 * @ms: (in) how long the slice runs, 1 to 1000 ms.
 * @seed: (in) seeds the file's random choices at its first slice; ignored
 *	after that.
 * @flags: (in) 0.
 * @ops: (out) allocations tried and frees done in this slice.
 * @allocs: (out) allocations that succeeded in this slice.
 * @failed: (out) allocations the pool refused in this slice: it was
 *	exhausted, or an atomic one found no block of its domain with room.
 * @deferred: (out) frees of this slice handed to a timer (softirq) or
 *	an irq_work (hard interrupt; a thread on PREEMPT_RT) of this file.
 * @held: (out) allocations the file holds after the slice.
 * @corrupt: (out) pages of this file, all slices, whose contents were
 *	wrong: a pattern written at allocation changed before the free, or
 *	a __GFP_ZERO page was not zero. Must stay 0.
 * @freed_soft: (out) frees of this file, all slices, that the timer did
 *	in softirq context, as it saw itself (in_serving_softirq()).
 * @freed_hard: (out) frees of this file, all slices, that the irq_work
 *	did in hard interrupt context (in_hardirq(); never on PREEMPT_RT,
 *	where it runs in a thread).
 *
 * Each slice allocates and frees at random in every domain, orders 0 to
 * 10, with GFP_KERNEL or GFP_NOWAIT, some __GFP_ZERO, on the local node
 * or a random one, holding up to TEST_GFX_POOL_STRESS_SLOTS allocations
 * between slices; a free happens here, in the timer or in the irq_work.
 * Slices are short so that the freezer stops the caller between two (the
 * timer and the irq_work may still free meanwhile). Closing the file
 * frees everything it holds.
 */
struct test_gfx_pool_stress {
	__u64 ms;
	__u64 seed;
	__u64 flags;
	__u64 ops;
	__u64 allocs;
	__u64 failed;
	__u64 deferred;
	__u64 held;
	__u64 corrupt;
	__u64 freed_soft;
	__u64 freed_hard;
};

#define TEST_GFX_POOL_STRESS	_IOWR('G', 0x07, struct test_gfx_pool_stress)
#define TEST_GFX_POOL_STRESS_SLOTS	128

#define TEST_GFX_POOL_PTE_OTHER		(~0ULL)

#define TEST_GFX_POOL_MAX_BUF_PAGES	262144UL
#define TEST_GFX_POOL_FREE_AT_SLEEP	0x1ULL
#define TEST_GFX_POOL_BUF_PER_PAGE	0x2ULL
#define TEST_GFX_POOL_BUF_PREFAULT	0x4ULL
#define TEST_GFX_POOL_PREFAULT		16

#define TEST_GFX_POOL_MAX_PAGES	0x100000UL

#endif /* _LIB_TEST_GFX_POOL_UAPI_H */
