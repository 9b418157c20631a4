// SPDX-License-Identifier: GPL-2.0
/*
 * gfx_pool: write-combined, uncached and unmapped pages for graphics
 * drivers, without cache-attribute aliases and without splitting the
 * direct map.
 *
 * Why: a driver that maps a page write-combined (WC) or uncached (UC) into
 * user space or the GPU must not leave the kernel's direct map of the same
 * page write-back (WB): that is an illegal cache-attribute alias. Fixing it
 * page by page (set_pages_array_wc()) makes x86 CPA split the 2 MiB and
 * 1 GiB direct-map entries covering those pages into 4 KiB ones, and
 * nothing ever merges them back.
 *
 * How: a physically contiguous region is reserved from memblock at boot
 * (gfx_pool= or CONFIG_GFX_POOL_SIZE_MBYTES) and cut into 2 MiB blocks, one
 * direct-map PMD each. Every block is in one domain at a time (WB, WC, UC
 * or NP for "not present"), and only a wholly free block changes domain,
 * with one set_memory_*() call covering the whole aligned 2 MiB. CPA keeps
 * a large page whole when one call changes all of it, so the pool never
 * splits a PMD. Where the direct map uses 1 GiB pages, the first domain
 * change inside such a page would demote it to 2 MiB pages; the pool does
 * that once per GiB at init (gfx_pool_demote_gbpages()), never later.
 *
 * Inside a block, allocations of order 0 to 9 are served from a 512-bit
 * bitmap (bitmap_find_next_zero_area(), naturally aligned); order 10
 * (MAX_PAGE_ORDER, which TTM asks for first) takes two wholly free,
 * aligned blocks. A bitmap and
 * not a buddy: a block is only 512 pages, so a search is eight words, the
 * block only needs "is it wholly free" to change domain, and the per-page
 * order record (struct gfx_pool_block::order) that lets a wrong free be
 * refused is needed anyway. This is the same choice the execmem ROX cache
 * and the unmapped_alloc proposal make: refill in whole 2 MiB blocks so
 * the large page stays whole, and keep the small-page allocator inside it.
 *
 * The warm path (a block of the asked domain has room) takes the node lock
 * for a list walk and a bitmap search, and makes no CPA call. A cold path
 * that needs a domain change drops the lock and converts a wholly free
 * block; that needs a gfp that may sleep. Blocks of the asked domain are
 * always used before any other block is converted.
 *
 * Locking: each &struct gfx_pool_node has a spinlock, taken with
 * interrupts off (pages may be freed from any context), that protects the
 * node's lists and every mutable field of the node's blocks; and a mutex
 * that serialises domain changes on the node, so that an allocation
 * waiting for a conversion finds the converted block instead of failing
 * or converting a second one. A block being converted is off every list
 * and marked converting, and CPA runs with the spinlock dropped. The
 * mutex also guards the hibernation state (the node's snapshot flag and
 * each block's snapshot_mapped), so that the PM callbacks and conversions
 * agree on whether an NP block is mapped.
 *
 * Free pages are PageOffline() and carry a dirty bit per page; see the
 * Zeroing section. Suspend and hibernation: see their section.
 *
 * Lock order: gfx_pool_node.convert_lock, then gfx_pool_node.lock.
 */

#define pr_fmt(fmt) "gfx_pool: " fmt

#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/cacheflush.h>
#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/fault-inject.h>
#include <linux/gfp.h>
#include <linux/gfx_pool.h>
#include <linux/init.h>
#include <linux/kmemleak.h>
#include <linux/log2.h>
#include <linux/memblock.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/overflow.h>
#include <linux/page-flags.h>
#include <linux/percpu.h>
#include <linux/pgtable.h>
#include <linux/platform_device.h>
#include <linux/seq_file.h>
#include <linux/set_memory.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/suspend.h>
#include <linux/syscore_ops.h>
#include <linux/vmalloc.h>

#include <linux/smp.h>

#include <kunit/static_stub.h>
#include <kunit/visibility.h>

#include <asm/tlbflush.h>

#include "gfx_pool.h"

/* === Data structures ===================================================== */

/**
 * struct gfx_pool_domain_lists - the blocks of one domain on one node
 * @empty: wholly free blocks, already mapped in this domain.
 * @partial: blocks with both used and free pages.
 * @nr_blocks: blocks in this domain, on a list or full.
 * @nr_used: pages of this domain handed out.
 */
struct gfx_pool_domain_lists {
	struct list_head empty;
	struct list_head partial;
	unsigned long nr_blocks;
	unsigned long nr_used;
};

/**
 * struct gfx_pool_node - the part of the pool on one NUMA node
 * @convert_lock: serialises domain changes of this node's blocks.
 * @lock: protects @domain and every mutable field of this node's blocks.
 * @domain: per-domain block lists and gauges.
 * @snapshot: from freeze_late to thaw_early or restore_early, NP blocks
 *	are mapped present so that the hibernation snapshot can read them;
 *	a block converted to NP meanwhile stays mapped. Protected by
 *	@convert_lock.
 */
struct gfx_pool_node {
	struct mutex convert_lock;	/* one domain change at a time */
	spinlock_t lock;	/* protects @domain and this node's blocks */
	struct gfx_pool_domain_lists domain[GFX_POOL_NR_DOMAINS];
	bool snapshot;		/* NP blocks mapped for hibernation */
};

/**
 * struct gfx_pool - the one pool
 * @base: physical start of the region, 2 MiB aligned.
 * @size: size of the region in bytes, a multiple of 2 MiB; 0 if off.
 * @start_pfn: first page frame of the region.
 * @nr_blocks: number of 2 MiB blocks.
 * @blocks: the blocks, in physical order.
 * @node: per-node structures, NULL where the pool has no memory.
 * @ready: set once init is done; read with smp_load_acquire().
 * @global: the direct map had _PAGE_GLOBAL on the region, so a block that
 *	comes back from %GFX_POOL_NP gets it back too.
 * @gbpage_demotions: 1 GiB direct-map pages demoted to 2 MiB at init.
 * @broken_blocks: blocks whose domain change failed half way and could
 *	not be put back to WB; they are never handed out again.
 * @counters: per-domain events, see &enum gfx_pool_counter.
 *
 * Everything but @broken_blocks and @counters is written only before
 * @ready is set.
 */
struct gfx_pool {
	phys_addr_t base;
	phys_addr_t size;
	unsigned long start_pfn;
	unsigned long nr_blocks;
	struct gfx_pool_block *blocks;
	struct gfx_pool_node *node[MAX_NUMNODES];
	bool ready;
	bool global;
	unsigned long gbpage_demotions;
	atomic_long_t broken_blocks;
	atomic_long_t counters[GFX_POOL_NR_DOMAINS][GFX_POOL_NR_COUNTERS];
};

static struct gfx_pool gfx_pool;

static const char *const gfx_pool_domain_names[GFX_POOL_NR_DOMAINS] = {
	[GFX_POOL_WB] = "wb",
	[GFX_POOL_WC] = "wc",
	[GFX_POOL_UC] = "uc",
	[GFX_POOL_NP] = "np",
};

static_assert(ARRAY_SIZE(gfx_pool_domain_names) == GFX_POOL_NR_DOMAINS);

static void gfx_pool_count(enum gfx_pool_domain domain,
			   enum gfx_pool_counter counter)
{
	atomic_long_inc(&gfx_pool.counters[domain][counter]);
}

static bool gfx_pool_is_ready(void)
{
	/* Pairs with the release in gfx_pool_init(): all set up is seen. */
	return smp_load_acquire(&gfx_pool.ready);
}

VISIBLE_IF_KUNIT struct gfx_pool_block *gfx_pool_pfn_to_block(unsigned long pfn)
{
	unsigned long idx;

	if (!gfx_pool_is_ready() || pfn < gfx_pool.start_pfn)
		return NULL;
	idx = (pfn - gfx_pool.start_pfn) >> GFX_POOL_BLOCK_ORDER;
	if (idx >= gfx_pool.nr_blocks)
		return NULL;
	return &gfx_pool.blocks[idx];
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_pfn_to_block);

static unsigned long gfx_pool_block_addr(const struct gfx_pool_block *block)
{
	return (unsigned long)pfn_to_kaddr(block->pfn);
}

/* === Boot parameter and reservation ====================================== */

/*
 * memparse() without its silent wrap-around: decimal or 0x-hex digits and
 * an optional K, M, G, T, P or E suffix, -ERANGE if the value overflows.
 */
static int gfx_pool_parse_size(const char *str, const char **end, u64 *val)
{
	unsigned int base = 10, shift = 0;
	u64 v = 0;
	int digit;

	if (str[0] == '0' && tolower(str[1]) == 'x') {
		base = 16;
		str += 2;
	}
	if (hex_to_bin(*str) < 0 || hex_to_bin(*str) >= base)
		return -EINVAL;
	for (; (digit = hex_to_bin(*str)) >= 0 && digit < base; str++)
		if (check_mul_overflow(v, (u64)base, &v) ||
		    check_add_overflow(v, (u64)digit, &v))
			return -ERANGE;
	switch (toupper(*str)) {
	case 'E':
		shift += 10;
		fallthrough;
	case 'P':
		shift += 10;
		fallthrough;
	case 'T':
		shift += 10;
		fallthrough;
	case 'G':
		shift += 10;
		fallthrough;
	case 'M':
		shift += 10;
		fallthrough;
	case 'K':
		shift += 10;
		str++;
	}
	if (shift && check_shl_overflow(v, shift, &v))
		return -ERANGE;
	*end = str;
	*val = v;
	return 0;
}

/**
 * gfx_pool_parse_param() - parse the value of gfx_pool=<size>[@<base>]
 * @str: the value, as the kernel command line gave it.
 * @param: filled in on success.
 * @why: on failure, set to a message saying what is wrong.
 *
 * Size and base are decimal or 0x-hex, with an optional K, M, G, T, P or
 * E suffix as memparse() takes, but a value that overflows is refused
 * rather than wrapped. Both must be multiples of 2 MiB, since the pool
 * works in whole 2 MiB direct-map entries. A size of 0 is valid and turns
 * the pool off.
 *
 * Context: Any context.
 * Return: 0 on success, -EINVAL if @str is malformed.
 */
VISIBLE_IF_KUNIT int gfx_pool_parse_param(const char *str,
					  struct gfx_pool_param *param,
					  const char **why)
{
	const char *end;
	u64 val;
	int ret;

	memset(param, 0, sizeof(*param));
	*why = NULL;
	if (!str || !*str) {
		*why = "no size given";
		return -EINVAL;
	}
	ret = gfx_pool_parse_size(str, &end, &val);
	if (ret) {
		*why = ret == -ERANGE ? "the size is too large" :
					"the size is not a number";
		return -EINVAL;
	}
	param->size = val;
	if (*end == '@') {
		if (!end[1]) {
			*why = "no base address after '@'";
			return -EINVAL;
		}
		ret = gfx_pool_parse_size(end + 1, &end, &val);
		if (ret) {
			*why = ret == -ERANGE ? "the base is too large" :
						"the base is not a number";
			return -EINVAL;
		}
		param->base = val;
		param->fixed_base = true;
	}
	if (*end) {
		*why = "trailing characters";
		return -EINVAL;
	}
	if (!IS_ALIGNED(param->size, GFX_POOL_BLOCK_SIZE)) {
		*why = "the size is not a multiple of 2M";
		return -EINVAL;
	}
	if (param->fixed_base && !param->size) {
		*why = "a base makes no sense with size 0";
		return -EINVAL;
	}
	if (param->fixed_base && !IS_ALIGNED(param->base, GFX_POOL_BLOCK_SIZE)) {
		*why = "the base is not 2M aligned";
		return -EINVAL;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_parse_param);

/**
 * gfx_pool_check_param() - check a parsed gfx_pool= against the machine
 * @param: the parsed parameter.
 * @ram: bytes of RAM memblock knows about.
 * @why: on failure, set to a message saying what is wrong.
 *
 * The pool may take at most half of RAM, so that a typo cannot leave the
 * rest of the kernel too little memory to boot.
 *
 * Context: Any context.
 * Return: 0 if the pool may be reserved, -E2BIG if it is too large.
 */
VISIBLE_IF_KUNIT int gfx_pool_check_param(const struct gfx_pool_param *param,
					  phys_addr_t ram, const char **why)
{
	*why = NULL;
	if (param->size > ram / 2) {
		*why = "more than half of RAM";
		return -E2BIG;
	}
	if (param->fixed_base && param->base + param->size < param->base) {
		*why = "base + size overflows";
		return -E2BIG;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_check_param);

static char gfx_pool_cmdline[64] __initdata;
static struct gfx_pool_param gfx_pool_param __initdata;
static bool gfx_pool_param_given __initdata;
static bool gfx_pool_param_bad __initdata;

static int __init early_gfx_pool(char *p)
{
	const char *why;

	gfx_pool_param_given = true;
	strscpy(gfx_pool_cmdline, p ? p : "", sizeof(gfx_pool_cmdline));
	/* The last gfx_pool= wins, as with other parameters, good or bad. */
	gfx_pool_param_bad = gfx_pool_parse_param(p, &gfx_pool_param, &why);
	if (gfx_pool_param_bad)
		pr_err("ignoring gfx_pool=%s: %s; the pool stays off\n",
		       gfx_pool_cmdline, why);
	/* Never fail: a bad value must not stop the boot. */
	return 0;
}
early_param("gfx_pool", early_gfx_pool);

/*
 * Where the region goes without a fixed base: above 4 GiB if it fits
 * there, else below, never in the first 16 MiB (ZONE_DMA). Memory below
 * 4 GiB is what 32-bit DMA needs: the crash kernel (reserved after the
 * pool), swiotlb's bounce buffers, agpgart and old devices. memblock
 * allocates top-down, which usually means the same, but not with
 * movable_node, where it goes bottom-up: so ask for the range explicitly.
 */
static phys_addr_t __init gfx_pool_place(phys_addr_t size, phys_addr_t align)
{
	phys_addr_t addr;

	addr = memblock_phys_alloc_range(size, align, SZ_4G,
					 MEMBLOCK_ALLOC_ACCESSIBLE);
	if (!addr)
		addr = memblock_phys_alloc_range(size, align, SZ_16M, SZ_4G);
	return addr;
}

/*
 * Called from setup_arch() next to the CMA reservation. With no size
 * configured it does nothing. Errors are reported and leave the pool off;
 * they never stop the boot.
 *
 * Placement: a fixed base is taken as given (the KASLR decompressor keeps
 * the kernel out of it). Otherwise gfx_pool_place() chooses, and the
 * region is aligned to its size rounded up to a power of two, at most
 * 1 GiB, so that it never straddles a GiB boundary it does not have to:
 * each GiB window the pool touches may cost one 1 GiB -> 2 MiB demotion of
 * the direct map.
 */
void __init gfx_pool_reserve(void)
{
	struct gfx_pool_param *param = &gfx_pool_param;
	phys_addr_t ram = memblock_phys_mem_size();
	phys_addr_t align, addr = 0;
	const char *why;

	if (gfx_pool_param_bad)
		return;
	if (!gfx_pool_param_given) {
		param->size = (phys_addr_t)CONFIG_GFX_POOL_SIZE_MBYTES * SZ_1M;
		if (!IS_ALIGNED(param->size, GFX_POOL_BLOCK_SIZE)) {
			pr_err("CONFIG_GFX_POOL_SIZE_MBYTES=%d is not a multiple of 2; the pool stays off\n",
			       CONFIG_GFX_POOL_SIZE_MBYTES);
			return;
		}
		scnprintf(gfx_pool_cmdline, sizeof(gfx_pool_cmdline), "%dM",
			  CONFIG_GFX_POOL_SIZE_MBYTES);
	}
	if (!param->size) {
		if (gfx_pool_param_given)
			pr_info("off (gfx_pool=%s)\n", gfx_pool_cmdline);
		return;
	}
	if (gfx_pool_check_param(param, ram, &why)) {
		pr_err("ignoring gfx_pool=%s: %s (%pa bytes of RAM); the pool stays off\n",
		       gfx_pool_cmdline, why, &ram);
		return;
	}

	if (param->fixed_base) {
		if (!memblock_is_region_memory(param->base, param->size)) {
			pr_err("ignoring gfx_pool=%s: the range is not all RAM; the pool stays off\n",
			       gfx_pool_cmdline);
			return;
		}
		/* The window is exactly the range: all of it or nothing. */
		addr = memblock_phys_alloc_range(param->size,
						 GFX_POOL_BLOCK_SIZE,
						 param->base,
						 param->base + param->size);
		if (!addr) {
			pr_err("ignoring gfx_pool=%s: the range is already in use; the pool stays off\n",
			       gfx_pool_cmdline);
			return;
		}
	} else {
		align = min_t(phys_addr_t, roundup_pow_of_two(param->size),
			      SZ_1G);
		addr = gfx_pool_place(param->size, align);
		if (!addr && align > GFX_POOL_BLOCK_SIZE)
			addr = gfx_pool_place(param->size, GFX_POOL_BLOCK_SIZE);
		if (!addr) {
			pr_err("gfx_pool=%s: no free range of that size; the pool stays off\n",
			       gfx_pool_cmdline);
			return;
		}
	}

	/*
	 * kmemleak must not scan the pool: it would read NP blocks through
	 * the direct map, where they are not present, and crawl through UC
	 * ones. No kernel pointer lives in pool pages anyway. (cma does the
	 * same.)
	 */
	kmemleak_ignore_phys(addr);
	gfx_pool.base = addr;
	gfx_pool.size = param->size;
	pr_info("reserved %llu MiB at %pa\n",
		(unsigned long long)(param->size >> 20), &addr);
}

/* === Fault injection ===================================================== */

#ifdef CONFIG_FAIL_GFX_POOL
static DECLARE_FAULT_ATTR(fail_gfx_pool);

static int __init gfx_pool_setup_fail(char *str)
{
	return setup_fault_attr(&fail_gfx_pool, str);
}
__setup("fail_gfx_pool=", gfx_pool_setup_fail);

/*
 * Whether the direct-map change or metadata allocation of @size bytes
 * about to be made fails instead (CONFIG_FAIL_GFX_POOL).
 */
static bool gfx_pool_should_fail(size_t size)
{
	return should_fail(&fail_gfx_pool, size);
}
#else
static inline bool gfx_pool_should_fail(size_t size)
{
	return false;
}
#endif

/*
 * Every change the pool makes to the direct map goes through here: one
 * call of @cpa (a set_memory_*() function) over the whole block at @addr,
 * so that a 2 MiB entry stays one.
 */
static int gfx_pool_cpa(int (*cpa)(unsigned long addr, int numpages),
			unsigned long addr)
{
	if (gfx_pool_should_fail(GFX_POOL_BLOCK_SIZE))
		return -ENOMEM;
	return cpa(addr, GFX_POOL_BLOCK_PAGES);
}

/* === Zeroing ============================================================= */

/*
 * Pages are zeroed at most once between two uses: struct
 * gfx_pool_block::dirty says which free pages may hold old data. A block
 * that is converted to WC, UC or NP is zeroed while it is wholly free and
 * still WB, through the direct map, which is cheap; after that only pages
 * given back dirty need zeroing again, through their own mapping. NP pages
 * have none, so they are zeroed through a mapping slot of each CPU's own,
 * a kernel PTE that is set, used and cleared with interrupts off and
 * flushed from the local TLB only, as kmap_local() does on 32-bit: no
 * vmap(), no TLB shootdown, and it works in atomic context.
 */

static unsigned long gfx_pool_slot_base;	/* one page a CPU */
static DEFINE_PER_CPU(pte_t *, gfx_pool_slot_pte);

static int __init gfx_pool_slot_pte_fn(pte_t *pte, unsigned long addr,
				       void *data)
{
	unsigned int cpu = (addr - gfx_pool_slot_base) >> PAGE_SHIFT;

	/* Slots of CPUs that can never exist stay unused. */
	if (cpu_possible(cpu))
		per_cpu(gfx_pool_slot_pte, cpu) = pte;
	return 0;
}

static int __init gfx_pool_slot_init(void)
{
	unsigned long size = (unsigned long)nr_cpu_ids << PAGE_SHIFT;
	struct vm_struct *area;
	int ret;

	/* VM_IOREMAP: /proc/kcore reads the area as zeroes, never through it. */
	area = gfx_pool_should_fail(size) ? NULL :
		get_vm_area(size, VM_IOREMAP);
	if (!area)
		return -ENOMEM;
	gfx_pool_slot_base = (unsigned long)area->addr;
	ret = apply_to_page_range(&init_mm, gfx_pool_slot_base, size,
				  gfx_pool_slot_pte_fn, NULL);
	if (ret) {
		free_vm_area(area);
		gfx_pool_slot_base = 0;
	}
	return ret;
}

/* Zero one page of an NP block. Context: any; takes no lock. */
static void gfx_pool_clear_np_page(struct page *page)
{
	unsigned long flags, addr;
	pte_t *ptep;

	local_irq_save(flags);
	addr = gfx_pool_slot_base + (smp_processor_id() << PAGE_SHIFT);
	ptep = this_cpu_read(gfx_pool_slot_pte);
	/* WB is the memtype NP pages keep: this mapping is no alias. */
	set_pte(ptep, mk_pte(page, PAGE_KERNEL));
	/* clear_page() is not instrumented: KASAN has no shadow here. */
	clear_page((void *)addr);
	pte_clear(&init_mm, addr, ptep);
	flush_tlb_one_kernel(addr);
	local_irq_restore(flags);
}

/* Zero @nr pages from @page, which are in @domain, through their mapping. */
static void gfx_pool_clear_pages(struct page *page, unsigned long nr,
				 enum gfx_pool_domain domain)
{
	unsigned long i;

	for (i = 0; i < nr; i++) {
		if (domain == GFX_POOL_NP)
			gfx_pool_clear_np_page(page + i);
		else
			clear_page(page_address(page + i));
	}
	if (domain == GFX_POOL_WC)
		wmb();	/* drain the write-combining buffers */
}

/*
 * Zero the dirty pages of a wholly free block that is being converted and
 * is WB right now. The block is off every list and marked converting, so
 * nobody else touches its bitmaps.
 */
static void gfx_pool_block_clear_dirty(struct gfx_pool_block *block)
{
	unsigned int start, end;

	for_each_set_bitrange(start, end, block->dirty, GFX_POOL_BLOCK_PAGES) {
		memset(pfn_to_kaddr(block->pfn + start), 0,
		       (end - start) << PAGE_SHIFT);
		cond_resched();
	}
	bitmap_zero(block->dirty, GFX_POOL_BLOCK_PAGES);
}

/*
 * Free pool pages are PageOffline(): nobody but the pool may touch them,
 * and the hibernation snapshot, /proc/kcore and dump tools skip them.
 * Pages handed out are not. A page that still has a mapcount (a driver
 * that freed a page it had mapped with vm_insert_page()) keeps it.
 */
static void gfx_pool_set_offline(struct page *page, unsigned long nr,
				 bool offline)
{
	struct folio *folio;

	/* Not compound: each page is a folio of its own. */
	for (; nr; nr--, page++) {
		folio = page_folio(page);
		if (offline && page->page_type == UINT_MAX)
			__folio_set_offline(folio);
		else if (!offline && folio_test_offline(folio))
			__folio_clear_offline(folio);
	}
}

/* === Domain changes ====================================================== */

/* A domain change that leaves the block in no known state. */
#define GFX_POOL_BROKEN		GFX_POOL_NR_DOMAINS

static int gfx_pool_map_present(unsigned long addr)
{
	int ret = gfx_pool_cpa(set_memory_p, addr);

	/*
	 * set_memory_np() dropped _PAGE_GLOBAL and set_memory_p() does not
	 * restore it: give it back if the direct map had it. Failing that
	 * costs TLB efficiency only, so it is not an error.
	 */
	if (!ret && gfx_pool.global)
		gfx_pool_cpa(set_memory_global, addr);
	return ret;
}

/*
 * Map the block at @addr, WB and present now, in domain @to: one call over
 * the whole 2 MiB. KUnit may stand in for it to make a conversion fail.
 */
VISIBLE_IF_KUNIT int gfx_pool_enter_domain(unsigned long addr,
					   enum gfx_pool_domain to)
{
	KUNIT_STATIC_STUB_REDIRECT(gfx_pool_enter_domain, addr, to);
	switch (to) {
	case GFX_POOL_WC:
		return gfx_pool_cpa(set_memory_wc, addr);
	case GFX_POOL_UC:
		return gfx_pool_cpa(set_memory_uc, addr);
	case GFX_POOL_NP:
		return gfx_pool_cpa(set_memory_np, addr);
	default:
		return 0;
	}
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_enter_domain);

/*
 * Change how the direct map maps a wholly free block: every step is one
 * set_memory_*() call over the whole aligned 2 MiB, so CPA keeps the PMD.
 * WC and UC go through WB because the PAT memtype of RAM pages only moves
 * to and from WB; set_memory_wc() and _uc() flush the block's cache lines
 * as they change its type. An NP block keeps the WB memtype (PAT maps it
 * WB wherever it is mapped), so its cache lines need no flush either way.
 * On the way through WB, the block's dirty pages are zeroed, while that
 * is a plain memset().
 *
 * If a step fails half way, the block is put back to plain WB; if even
 * that fails, its state is unknown and it is reported broken.
 *
 * Context: Process context, the node's convert_lock held, the block off
 * every list and marked converting.
 * Return: the domain the block is in afterwards (@to on success), or
 * %GFX_POOL_BROKEN.
 */
static unsigned int gfx_pool_convert(struct gfx_pool_node *node,
				     struct gfx_pool_block *block,
				     enum gfx_pool_domain to)
{
	unsigned long addr = gfx_pool_block_addr(block);
	enum gfx_pool_domain from = block->domain;
	int ret = 0;

	might_sleep();
	lockdep_assert_held(&node->convert_lock);
	switch (from) {
	case GFX_POOL_WC:
	case GFX_POOL_UC:
		ret = gfx_pool_cpa(set_memory_wb, addr);
		break;
	case GFX_POOL_NP:
		/* Mapped already if hibernation mapped it for its image. */
		if (!block->snapshot_mapped)
			ret = gfx_pool_map_present(addr);
		block->snapshot_mapped = false;
		break;
	default:
		break;
	}
	if (ret) {
		pr_err("block at pfn %#lx: leaving domain %s failed (%d); block taken out of use\n",
		       block->pfn, gfx_pool_domain_names[from], ret);
		return GFX_POOL_BROKEN;
	}

	if (to != GFX_POOL_WB)
		gfx_pool_block_clear_dirty(block);

	/* The snapshot must find an NP block mapped until thaw or restore. */
	if (to == GFX_POOL_NP && node->snapshot)
		block->snapshot_mapped = true;
	else
		ret = gfx_pool_enter_domain(addr, to);
	if (!ret) {
		gfx_pool_count(to, GFX_POOL_CONVERSIONS);
		return to;
	}

	/*
	 * set_memory_wc() and _uc() have given the memtype back, but the
	 * PMD may be half changed; set_memory_np() may have left it either
	 * way. Back to WB, which needs no memtype.
	 */
	pr_warn_ratelimited("block at pfn %#lx: entering domain %s failed (%d)\n",
			    block->pfn, gfx_pool_domain_names[to], ret);
	ret = to == GFX_POOL_NP ? gfx_pool_map_present(addr) :
				  gfx_pool_cpa(_set_memory_wb, addr);
	if (ret) {
		pr_err("block at pfn %#lx: cannot put it back to wb (%d); block taken out of use\n",
		       block->pfn, ret);
		return GFX_POOL_BROKEN;
	}
	return GFX_POOL_WB;
}

/* === Allocation and free ================================================= */

/**
 * struct gfx_pool_alloc_ctx - one allocation on its way through a node
 * @domain: the domain asked for.
 * @order: the order asked for.
 * @zero: the pages must be zero (%__GFP_ZERO or init_on_alloc).
 * @dirty: out: with @zero, some of the pages may hold old data and must
 *	be zeroed; their dirty bits are already cleared.
 */
struct gfx_pool_alloc_ctx {
	enum gfx_pool_domain domain;
	unsigned int order;
	bool zero;
	bool dirty;
};

/* Put @block on the list its state says, after a change under the lock. */
static void __gfx_pool_block_relist(struct gfx_pool_node *node,
				    struct gfx_pool_block *block)
{
	struct gfx_pool_domain_lists *dom = &node->domain[block->domain];

	lockdep_assert_held(&node->lock);
	if (!block->nr_used)
		list_move(&block->list, &dom->empty);
	else if (block->nr_used == GFX_POOL_BLOCK_PAGES)
		list_del_init(&block->list);
	else
		list_move(&block->list, &dom->partial);
}

/* Hand out pages [@off, @off + @nr) of @block: bitmaps, zeroing, type. */
static void __gfx_pool_block_take(struct gfx_pool_node *node,
				  struct gfx_pool_block *block,
				  unsigned long off, unsigned long nr,
				  struct gfx_pool_alloc_ctx *ac)
{
	lockdep_assert_held(&node->lock);
	bitmap_set(block->used, off, nr);
	block->nr_used += nr;
	node->domain[block->domain].nr_used += nr;
	if (ac->zero && find_next_bit(block->dirty, off + nr, off) < off + nr) {
		bitmap_clear(block->dirty, off, nr);
		ac->dirty = true;
	}
	gfx_pool_set_offline(pfn_to_page(block->pfn + off), nr, false);
}

static struct page *__gfx_pool_block_alloc(struct gfx_pool_node *node,
					   struct gfx_pool_block *block,
					   struct gfx_pool_alloc_ctx *ac)
{
	unsigned long nr = 1UL << ac->order;
	bool was_partial = block->nr_used != 0;
	unsigned long off;

	lockdep_assert_held(&node->lock);
	off = bitmap_find_next_zero_area(block->used, GFX_POOL_BLOCK_PAGES, 0,
					 nr, nr - 1);
	if (off >= GFX_POOL_BLOCK_PAGES)
		return NULL;

	__gfx_pool_block_take(node, block, off, nr, ac);
	block->order[off] = ac->order + 1;
	/* A partial block that still has room stays where it is. */
	if (!was_partial || block->nr_used == GFX_POOL_BLOCK_PAGES)
		__gfx_pool_block_relist(node, block);
	return pfn_to_page(block->pfn + off);
}

/*
 * The warm path: pages from a block already in the domain, partly used
 * ones first so that free blocks stay free for other domains and orders.
 */
static struct page *gfx_pool_node_alloc_warm(struct gfx_pool_node *node,
					     struct gfx_pool_alloc_ctx *ac)
{
	struct gfx_pool_domain_lists *dom = &node->domain[ac->domain];
	struct gfx_pool_block *block;
	struct page *page = NULL;
	unsigned long flags;

	spin_lock_irqsave(&node->lock, flags);
	/* A partly used block never has room for a whole block. */
	if (ac->order < GFX_POOL_BLOCK_ORDER) {
		list_for_each_entry(block, &dom->partial, list) {
			page = __gfx_pool_block_alloc(node, block, ac);
			if (page)
				goto out_unlock;
		}
	}
	block = list_first_entry_or_null(&dom->empty, struct gfx_pool_block,
					 list);
	if (block)
		page = __gfx_pool_block_alloc(node, block, ac);
out_unlock:
	spin_unlock_irqrestore(&node->lock, flags);
	return page;
}

/*
 * Put a wholly free block back on the lists after gfx_pool_convert() left
 * it in domain @now. A block that fell back to WB goes to the tail of the
 * WB list, so that the next conversion tries another block first.
 * Return: false if it is broken and stays off them.
 */
static bool __gfx_pool_block_converted(struct gfx_pool_node *node,
				       struct gfx_pool_block *block,
				       unsigned int now, bool failed)
{
	lockdep_assert_held(&node->lock);
	if (now == GFX_POOL_BROKEN) {
		/* Off every list and converting for good: never handed out. */
		atomic_long_inc(&gfx_pool.broken_blocks);
		return false;
	}
	block->converting = false;
	block->domain = now;
	node->domain[now].nr_blocks++;
	if (failed)
		list_add_tail(&block->list, &node->domain[now].empty);
	else
		list_add(&block->list, &node->domain[now].empty);
	return true;
}

/*
 * The cold path: convert a wholly free block of another domain. A
 * conversion that fails (a memtype conflict, no memory for CPA) leaves
 * that block WB; other free blocks are tried, at most as many as were
 * free when this began, so that a conversion that always fails cannot
 * loop.
 */
static struct page *gfx_pool_node_alloc_cold(struct gfx_pool_node *node,
					     struct gfx_pool_alloc_ctx *ac)
{
	unsigned long flags, tries = 0;
	struct gfx_pool_block *block;
	struct page *page = NULL;
	unsigned int now;
	int d;

	lockdep_assert_held(&node->convert_lock);
	spin_lock_irqsave(&node->lock, flags);
	for (d = 0; d < GFX_POOL_NR_DOMAINS; d++)
		if (d != ac->domain)
			tries += list_count_nodes(&node->domain[d].empty);
	while (!page && tries--) {
		block = NULL;
		for (d = 0; d < GFX_POOL_NR_DOMAINS && !block; d++) {
			if (d == ac->domain)
				continue;
			block = list_first_entry_or_null(&node->domain[d].empty,
							 struct gfx_pool_block,
							 list);
		}
		if (!block)
			break;
		list_del_init(&block->list);
		node->domain[block->domain].nr_blocks--;
		block->converting = true;
		/*
		 * Drop the lock for CPA, which sleeps and sends IPIs. The
		 * block is off every list and marked converting, so nobody
		 * else touches it.
		 */
		spin_unlock_irqrestore(&node->lock, flags);

		now = gfx_pool_convert(node, block, ac->domain);

		spin_lock_irqsave(&node->lock, flags);
		if (__gfx_pool_block_converted(node, block, now,
					       now != ac->domain) &&
		    now == ac->domain)
			page = __gfx_pool_block_alloc(node, block, ac);
	}
	spin_unlock_irqrestore(&node->lock, flags);
	return page;
}

/*
 * Allocations above GFX_POOL_BLOCK_ORDER take 1 << (order - block order)
 * wholly free blocks, naturally aligned, on one node. They are rare (TTM
 * asks for MAX_PAGE_ORDER first), so a walk of the node's blocks under
 * the lock finds them; the blocks are marked full and only the first one
 * records the order.
 */
static unsigned int gfx_pool_span(unsigned int order)
{
	return 1U << (order - GFX_POOL_BLOCK_ORDER);
}

/* Are the @span blocks from @first all on @node, free, and (if @domain is
 * a domain) in @domain?
 */
static bool __gfx_pool_group_free(struct gfx_pool_node *node,
				  unsigned long first, unsigned int span,
				  unsigned int domain)
{
	struct gfx_pool_block *block;
	unsigned long i;

	lockdep_assert_held(&node->lock);
	for (i = first; i < first + span; i++) {
		block = &gfx_pool.blocks[i];
		if (gfx_pool.node[block->nid] != node || block->nr_used ||
		    block->converting ||
		    (domain < GFX_POOL_NR_DOMAINS && block->domain != domain))
			return false;
	}
	return true;
}

/* A free aligned group for @order, or -1; @domain as above. */
static long __gfx_pool_find_group(struct gfx_pool_node *node,
				  unsigned int order, unsigned int domain)
{
	unsigned int span = gfx_pool_span(order);
	unsigned long i;

	for (i = 0; i + span <= gfx_pool.nr_blocks; i++)
		if (IS_ALIGNED(gfx_pool.blocks[i].pfn, 1UL << order) &&
		    __gfx_pool_group_free(node, i, span, domain))
			return i;
	return -1;
}

static struct page *__gfx_pool_group_take(struct gfx_pool_node *node,
					  unsigned long first,
					  struct gfx_pool_alloc_ctx *ac)
{
	struct gfx_pool_block *block;
	unsigned long i;

	lockdep_assert_held(&node->lock);
	for (i = first; i < first + gfx_pool_span(ac->order); i++) {
		block = &gfx_pool.blocks[i];
		__gfx_pool_block_take(node, block, 0, GFX_POOL_BLOCK_PAGES, ac);
		list_del_init(&block->list);
	}
	gfx_pool.blocks[first].order[0] = ac->order + 1;
	return pfn_to_page(gfx_pool.blocks[first].pfn);
}

static struct page *gfx_pool_node_alloc_group_warm(struct gfx_pool_node *node,
						   struct gfx_pool_alloc_ctx *ac)
{
	struct page *page = NULL;
	unsigned long flags;
	long first;

	spin_lock_irqsave(&node->lock, flags);
	first = __gfx_pool_find_group(node, ac->order, ac->domain);
	if (first >= 0)
		page = __gfx_pool_group_take(node, first, ac);
	spin_unlock_irqrestore(&node->lock, flags);
	return page;
}

/*
 * Convert the blocks of a free group that are not in the domain yet. Every
 * block of the group is off the lists and marked converting meanwhile, so
 * that no other allocation takes one of them from under us.
 */
static struct page *gfx_pool_node_alloc_group_cold(struct gfx_pool_node *node,
						   struct gfx_pool_alloc_ctx *ac)
{
	unsigned int span = gfx_pool_span(ac->order);
	struct gfx_pool_block *block;
	unsigned int now[1U << (GFX_POOL_MAX_ORDER - GFX_POOL_BLOCK_ORDER)];
	struct page *page = NULL;
	unsigned long flags, i;
	bool all = true;
	long first;

	lockdep_assert_held(&node->convert_lock);
	spin_lock_irqsave(&node->lock, flags);
	first = __gfx_pool_find_group(node, ac->order, GFX_POOL_NR_DOMAINS);
	if (first < 0)
		goto out_unlock;
	for (i = first; i < first + span; i++) {
		block = &gfx_pool.blocks[i];
		list_del_init(&block->list);
		node->domain[block->domain].nr_blocks--;
		block->converting = true;
	}
	/* As in gfx_pool_node_alloc_cold(): CPA without the lock. */
	spin_unlock_irqrestore(&node->lock, flags);

	for (i = 0; i < span; i++) {
		block = &gfx_pool.blocks[first + i];
		now[i] = block->domain == ac->domain ? ac->domain :
			 gfx_pool_convert(node, block, ac->domain);
	}

	spin_lock_irqsave(&node->lock, flags);
	for (i = 0; i < span; i++) {
		block = &gfx_pool.blocks[first + i];
		all &= __gfx_pool_block_converted(node, block, now[i],
						  now[i] != ac->domain) &&
		       now[i] == ac->domain;
	}
	if (all)
		page = __gfx_pool_group_take(node, first, ac);
out_unlock:
	spin_unlock_irqrestore(&node->lock, flags);
	return page;
}

static struct page *gfx_pool_node_alloc(struct gfx_pool_node *node, gfp_t gfp,
					struct gfx_pool_alloc_ctx *ac)
{
	bool group = ac->order > GFX_POOL_BLOCK_ORDER;
	struct page *page;

	page = group ? gfx_pool_node_alloc_group_warm(node, ac) :
		       gfx_pool_node_alloc_warm(node, ac);
	if (page || !gfpflags_allow_blocking(gfp))
		return page;

	mutex_lock(&node->convert_lock);
	/* Whoever held the mutex may have converted a block we can use. */
	if (group) {
		page = gfx_pool_node_alloc_group_warm(node, ac);
		if (!page)
			page = gfx_pool_node_alloc_group_cold(node, ac);
	} else {
		page = gfx_pool_node_alloc_warm(node, ac);
		if (!page)
			page = gfx_pool_node_alloc_cold(node, ac);
	}
	mutex_unlock(&node->convert_lock);
	return page;
}

/*
 * Check a free of @page at @order and take its order record, so that a
 * second free of the same pages is refused from now on; the pages stay
 * marked in use until gfx_pool_release(). @domain is set to the block's
 * domain, read under the lock.
 * Return: 0, or -EINVAL if @page is not the head of an allocation of
 * @order that is handed out.
 */
static int gfx_pool_claim_free(struct gfx_pool_block *block, struct page *page,
			       unsigned int order, enum gfx_pool_domain *domain)
{
	struct gfx_pool_node *node = gfx_pool.node[block->nid];
	unsigned long off = page_to_pfn(page) - block->pfn;
	unsigned long flags;
	int ret = -EINVAL;

	spin_lock_irqsave(&node->lock, flags);
	*domain = block->domain;
	if (block->order[off] == order + 1) {
		block->order[off] = 0;
		ret = 0;
	}
	spin_unlock_irqrestore(&node->lock, flags);
	return ret;
}

/* Return pages [@off, @off + @nr) to @block, @zeroed or dirty. */
static void __gfx_pool_block_give(struct gfx_pool_node *node,
				  struct gfx_pool_block *block,
				  unsigned long off, unsigned long nr,
				  bool zeroed)
{
	lockdep_assert_held(&node->lock);
	gfx_pool_set_offline(pfn_to_page(block->pfn + off), nr, true);
	if (zeroed)
		bitmap_clear(block->dirty, off, nr);
	else
		bitmap_set(block->dirty, off, nr);
	bitmap_clear(block->used, off, nr);
	block->nr_used -= nr;
	node->domain[block->domain].nr_used -= nr;
	__gfx_pool_block_relist(node, block);
}

/*
 * Give back an allocation that gfx_pool_claim_free() accepted, or that
 * gfx_pool_alloc_pages() made and could not finish.
 */
static void gfx_pool_release(struct gfx_pool_block *block, struct page *page,
			     unsigned int order, bool zeroed)
{
	struct gfx_pool_node *node = gfx_pool.node[block->nid];
	unsigned long off = page_to_pfn(page) - block->pfn;
	unsigned long flags, i, first;

	spin_lock_irqsave(&node->lock, flags);
	block->order[off] = 0;
	if (order <= GFX_POOL_BLOCK_ORDER) {
		__gfx_pool_block_give(node, block, off, 1UL << order, zeroed);
	} else {
		/* Whole blocks: the group starts at this one, offset 0. */
		first = block - gfx_pool.blocks;
		for (i = first; i < first + gfx_pool_span(order); i++)
			__gfx_pool_block_give(node, &gfx_pool.blocks[i], 0,
					      GFX_POOL_BLOCK_PAGES, zeroed);
	}
	spin_unlock_irqrestore(&node->lock, flags);
}

/*
 * API misuse is reported rate-limited and with the caller, never with
 * WARN(): a buggy driver must neither flood the log nor panic a
 * panic_on_warn machine. The call is refused and counted.
 */
#define gfx_pool_misuse(domain, fmt, ...)				\
do {									\
	pr_err_ratelimited("%pS: " fmt, __builtin_return_address(0),	\
			   ##__VA_ARGS__);				\
	gfx_pool_count(domain, GFX_POOL_REFUSED);			\
} while (0)

struct page *gfx_pool_alloc_pages(int nid, enum gfx_pool_domain domain,
				  gfp_t gfp, unsigned int order)
{
	struct gfx_pool_alloc_ctx ac = {
		.domain = domain,
		.order = order,
		.zero = want_init_on_alloc(gfp),
	};
	struct gfx_pool_node *node;
	struct page *page = NULL;
	int n;

	might_alloc(gfp);
	if ((unsigned int)domain >= GFX_POOL_NR_DOMAINS) {
		gfx_pool_misuse(GFX_POOL_WB, "bad allocation: domain %d\n",
				domain);
		return NULL;
	}
	if (order > GFX_POOL_MAX_ORDER ||
	    (nid != NUMA_NO_NODE && (nid < 0 || nid >= MAX_NUMNODES))) {
		gfx_pool_misuse(domain, "bad allocation: order %u nid %d\n",
				order, nid);
		return NULL;
	}
	if (!gfx_pool_is_ready())
		return NULL;
	/* The pool has no ZONE_DMA memory; ZONE_DMA32 only if all below 4G. */
	if ((gfp & __GFP_DMA) ||
	    ((gfp & __GFP_DMA32) &&
	     gfx_pool.base + gfx_pool.size > SZ_4G))
		goto exhausted;

	if (nid == NUMA_NO_NODE)
		nid = numa_mem_id();
	node = gfx_pool.node[nid];
	if (node)
		page = gfx_pool_node_alloc(node, gfp, &ac);
	if (!page && !(gfp & __GFP_THISNODE)) {
		for_each_node(n) {
			node = gfx_pool.node[n];
			if (n == nid || !node)
				continue;
			page = gfx_pool_node_alloc(node, gfp, &ac);
			if (page)
				break;
		}
	}
	if (!page)
		goto exhausted;

	/* __GFP_ZERO, or init_on_alloc=1 as the page allocator honours it. */
	if (ac.dirty)
		gfx_pool_clear_pages(page, 1UL << order, domain);
	gfx_pool_count(domain, GFX_POOL_ALLOCS);
	return page;

exhausted:
	gfx_pool_count(domain, GFX_POOL_EXHAUSTED);
	return NULL;
}
EXPORT_SYMBOL_GPL(gfx_pool_alloc_pages);

void gfx_pool_free_pages(struct page *page, unsigned int order)
{
	struct gfx_pool_block *block;
	enum gfx_pool_domain domain;
	bool zero;

	if (!page)
		return;
	block = gfx_pool_pfn_to_block(page_to_pfn(page));
	if (!block) {
		gfx_pool_misuse(GFX_POOL_WB, "freeing pfn %#lx, which the pool does not own\n",
				page_to_pfn(page));
		return;
	}
	/* Checked before it is used: 1UL << 64 is undefined. */
	if (order > GFX_POOL_MAX_ORDER ||
	    gfx_pool_claim_free(block, page, order, &domain)) {
		gfx_pool_misuse(READ_ONCE(block->domain),
				"refusing to free pfn %#lx order %u: not an allocation of that order (double free?)\n",
				page_to_pfn(page), order);
		return;
	}
	/* init_on_free=1: clear the pages before anyone can have them. */
	zero = want_init_on_free();
	if (zero)
		gfx_pool_clear_pages(page, 1UL << order, domain);
	gfx_pool_release(block, page, order, zero);
	gfx_pool_count(domain, GFX_POOL_FREES);
}
EXPORT_SYMBOL_GPL(gfx_pool_free_pages);

bool gfx_pool_owns_page(const struct page *page)
{
	return page && gfx_pool_pfn_to_block(page_to_pfn(page));
}
EXPORT_SYMBOL_GPL(gfx_pool_owns_page);

int gfx_pool_page_domain(const struct page *page)
{
	struct gfx_pool_block *block;
	struct gfx_pool_node *node;
	unsigned long flags, off;
	int ret = -ENOENT;

	block = page ? gfx_pool_pfn_to_block(page_to_pfn(page)) : NULL;
	if (!block)
		return -ENOENT;
	node = gfx_pool.node[block->nid];
	off = page_to_pfn(page) - block->pfn;
	spin_lock_irqsave(&node->lock, flags);
	if (test_bit(off, block->used))
		ret = block->domain;
	spin_unlock_irqrestore(&node->lock, flags);
	return ret;
}
EXPORT_SYMBOL_GPL(gfx_pool_page_domain);

bool gfx_pool_enabled(void)
{
	return gfx_pool_is_ready();
}
EXPORT_SYMBOL_GPL(gfx_pool_enabled);

void gfx_pool_count_fallback(enum gfx_pool_domain domain)
{
	if ((unsigned int)domain < GFX_POOL_NR_DOMAINS)
		gfx_pool_count(domain, GFX_POOL_FALLBACKS);
	else
		gfx_pool_misuse(GFX_POOL_WB, "fallback in bad domain %d\n",
				domain);
}
EXPORT_SYMBOL_GPL(gfx_pool_count_fallback);

/* === Accounting for debugfs and tests ==================================== */

#if defined(CONFIG_DEBUG_FS) || IS_ENABLED(CONFIG_KUNIT)

VISIBLE_IF_KUNIT unsigned long gfx_pool_counter_read(enum gfx_pool_domain domain,
						     enum gfx_pool_counter counter)
{
	return atomic_long_read(&gfx_pool.counters[domain][counter]);
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_counter_read);
#endif /* CONFIG_DEBUG_FS || CONFIG_KUNIT */

/* Sum a per-node gauge of one domain, each node under its lock. */
static unsigned long gfx_pool_gauge(enum gfx_pool_domain domain, bool blocks)
{
	unsigned long flags, sum = 0;
	struct gfx_pool_node *node;
	int nid;

	for_each_node(nid) {
		node = gfx_pool.node[nid];
		if (!node)
			continue;
		spin_lock_irqsave(&node->lock, flags);
		sum += blocks ? node->domain[domain].nr_blocks :
				node->domain[domain].nr_used;
		spin_unlock_irqrestore(&node->lock, flags);
	}
	return sum;
}

VISIBLE_IF_KUNIT unsigned long gfx_pool_pages_in_use(void)
{
	unsigned long sum = 0;
	int d;

	for (d = 0; d < GFX_POOL_NR_DOMAINS; d++)
		sum += gfx_pool_gauge(d, false);
	return sum;
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_pages_in_use);

unsigned long gfx_pool_nr_free(void)
{
	unsigned long total;

	if (!gfx_pool_is_ready())
		return 0;
	total = (gfx_pool.nr_blocks -
		 atomic_long_read(&gfx_pool.broken_blocks)) << GFX_POOL_BLOCK_ORDER;
	return total - min(total, gfx_pool_pages_in_use());
}
EXPORT_SYMBOL_GPL(gfx_pool_nr_free);

#if IS_ENABLED(CONFIG_KUNIT)
/* Only the KUnit suite asks for these; without KUnit they would be unused. */
VISIBLE_IF_KUNIT unsigned long gfx_pool_gbpage_demotions(void)
{
	return gfx_pool.gbpage_demotions;
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_gbpage_demotions);

VISIBLE_IF_KUNIT unsigned long gfx_pool_nr_broken_blocks(void)
{
	return atomic_long_read(&gfx_pool.broken_blocks);
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_nr_broken_blocks);

VISIBLE_IF_KUNIT void gfx_pool_region(unsigned long *start_pfn,
				      unsigned long *nr_blocks)
{
	bool ready = gfx_pool_is_ready();

	*start_pfn = ready ? gfx_pool.start_pfn : 0;
	*nr_blocks = ready ? gfx_pool.nr_blocks : 0;
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_region);
#endif

/* === Suspend and hibernation ============================================ */

/*
 * Nothing here runs in a fault path, and nothing waits for a PM event:
 * everything is done from the callbacks of the pool's own PM device, which
 * the PM core calls after the freezer has stopped user space.
 *
 * User mappings: drivers register the address_space ranges their user
 * mappings of pool pages live in. The device's suspend and freeze
 * callbacks zap them. By then every user task is frozen, so no user fault
 * can map a page again before thaw: the driver's fault handler needs no
 * hook. (A task frozen in a TASK_FREEZABLE sleep inside a fault handler,
 * NFS's for one, could install a PTE after thaw that it looked up before
 * the zap; no fault handler of pool pages sleeps freezably.) What the
 * zap prevents: a user PTE that
 * outlives, across the sleep, the page it maps. Drivers free and move
 * buffers in their own suspend and freeze callbacks (TTM evicts), and a
 * freed pool page can change domain before its old owner runs again; a
 * stale WC PTE over a page that became UC, or that went to another user,
 * would be an alias and a use after free. After the zap, the first access
 * after resume faults, and the driver maps whatever now backs that offset,
 * in its current domain.
 *
 * Hibernation: the snapshot saves pool pages like any other memory, with
 * no copy of the pool's own and no nosave region. Free pool pages are
 * PageOffline(), so the snapshot skips them (see gfx_pool_set_offline()).
 * Pages in use in WB, WC and UC blocks are PageReserved and present in the
 * direct map, so the snapshot reads them through the block's own mapping.
 * Pages of NP blocks are not present, and the snapshot would skip them
 * (and map an absent page only 4K at a time, splitting the PMD): so
 * freeze_late, when every device is frozen, maps each NP block present
 * with one call over its 2 MiB (WB, the memtype NP pages keep, so no
 * alias), and thaw_early or restore_early unmaps it again. Because the
 * snapshot counts pool pages as ordinary saveable memory, the image needs
 * no more memory than the same pages would need outside the pool.
 *
 * On restore, the boot kernel writes pool pages through its own write-back
 * mapping, and lines of them may still sit dirty in the caches when the
 * image kernel takes over with the same pages mapped WC or UC. So a
 * syscore resume callback, which runs right after the restore and before
 * any device callback, writes back and invalidates the caches. Free pool
 * pages are not in the image, so the boot kernel may have left its data
 * in them: restore_early marks every page dirty, so that no zeroing
 * allocation trusts a stale "known zero". Neither keeps any state: both
 * are correct after a real restore and where create_image() gave up
 * before the snapshot and the same kernel resumes with PMSG_RESTORE, so
 * no variable has to survive the restore (a __nosavedata one would hold
 * the boot kernel's bytes).
 *
 * Suspend to RAM and to idle keep memory powered: only the zap is done.
 */

/* Registered user mappings; the mutex also orders zaps against changes. */
static LIST_HEAD(gfx_pool_mappings);
static DEFINE_MUTEX(gfx_pool_mappings_lock);
static atomic_long_t gfx_pool_zaps;	/* ranges zapped, all time */
static bool gfx_pool_can_hibernate;	/* the PM device is there */

void gfx_pool_register_mapping(struct gfx_pool_mapping *map)
{
	mutex_lock(&gfx_pool_mappings_lock);
	map->zaps = 0;
	list_add_tail(&map->list, &gfx_pool_mappings);
	mutex_unlock(&gfx_pool_mappings_lock);
}
EXPORT_SYMBOL_GPL(gfx_pool_register_mapping);

void gfx_pool_unregister_mapping(struct gfx_pool_mapping *map)
{
	mutex_lock(&gfx_pool_mappings_lock);
	list_del_init(&map->list);
	mutex_unlock(&gfx_pool_mappings_lock);
}
EXPORT_SYMBOL_GPL(gfx_pool_unregister_mapping);

/* The suspend and freeze callback: user space is frozen by now. */
VISIBLE_IF_KUNIT __maybe_unused int gfx_pool_pm_zap(struct device *dev)
{
	struct gfx_pool_mapping *map;

	mutex_lock(&gfx_pool_mappings_lock);
	list_for_each_entry(map, &gfx_pool_mappings, list) {
		unmap_mapping_range(map->mapping, map->start, map->len, 1);
		map->zaps++;
		atomic_long_inc(&gfx_pool_zaps);
	}
	mutex_unlock(&gfx_pool_mappings_lock);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_pm_zap);

static int gfx_pool_pm_notify(struct notifier_block *nb, unsigned long event,
			      void *unused)
{
	/* Without the PM device an image would lose the NP blocks' data. */
	if (event == PM_HIBERNATION_PREPARE && IS_ENABLED(CONFIG_HIBERNATION) &&
	    !gfx_pool_can_hibernate) {
		pr_err("no PM device to map NP blocks for the image: hibernation refused\n");
		return notifier_from_errno(-ENODEV);
	}
	return NOTIFY_OK;
}

static struct notifier_block gfx_pool_pm_nb = {
	.notifier_call = gfx_pool_pm_notify,
};

#ifdef CONFIG_HIBERNATION
static atomic_long_t gfx_pool_image_pages;	/* in use at the last freeze_late */

/*
 * Map every NP block present for the snapshot, or (!@present) unmap those
 * mapped so. Each step is one call over a whole block; a block being
 * converted is skipped, and the conversion follows the node's snapshot
 * flag. @n is set to the number of blocks changed.
 * Return: 0, or the first error of set_memory_p(): a block the snapshot
 * cannot read must stop the hibernation. A failure to unmap only costs NP
 * its promise for that block until the next try, so it is reported and
 * not returned.
 */
static int gfx_pool_snapshot_map(bool present, unsigned long *n)
{
	struct gfx_pool_block *block;
	struct gfx_pool_node *node;
	unsigned long i, flags;
	int nid, ret = 0;
	bool np;

	*n = 0;
	for_each_node(nid) {
		node = gfx_pool.node[nid];
		if (!node)
			continue;
		mutex_lock(&node->convert_lock);
		for (i = 0; i < gfx_pool.nr_blocks && !ret; i++) {
			block = &gfx_pool.blocks[i];
			if (block->nid != nid)
				continue;
			spin_lock_irqsave(&node->lock, flags);
			np = block->domain == GFX_POOL_NP && !block->converting;
			spin_unlock_irqrestore(&node->lock, flags);
			/* convert_lock held: neither can change under us. */
			if (!np || block->snapshot_mapped == present)
				continue;
			if (present) {
				ret = gfx_pool_map_present(gfx_pool_block_addr(block));
			} else if (gfx_pool_cpa(set_memory_np,
						gfx_pool_block_addr(block))) {
				pr_err("block at pfn %#lx: cannot unmap it after hibernation\n",
				       block->pfn);
				continue;
			}
			if (ret) {
				pr_err("block at pfn %#lx: cannot map it for the hibernation image (%d)\n",
				       block->pfn, ret);
				break;
			}
			block->snapshot_mapped = present;
			(*n)++;
		}
		WRITE_ONCE(node->snapshot, present && !ret);
		mutex_unlock(&node->convert_lock);
		if (ret)
			break;
	}
	return ret;
}

static int gfx_pool_freeze_late(struct device *dev)
{
	unsigned long in_use = gfx_pool_pages_in_use(), n;
	int ret = gfx_pool_snapshot_map(true, &n);

	/* The PM core calls thaw_early then, which unmaps what was mapped. */
	if (ret)
		return ret;
	atomic_long_set(&gfx_pool_image_pages, in_use);
	dev_info(dev, "%lu pages in use go into the image; %lu NP blocks mapped for it\n",
		 in_use, n);
	return 0;
}

/* In the kernel that took the snapshot: the pool was not touched. */
static int gfx_pool_thaw_early(struct device *dev)
{
	unsigned long n;

	gfx_pool_snapshot_map(false, &n);
	return 0;
}

/*
 * Free pages are not in the image: in the image kernel they hold whatever
 * the boot kernel left there (it may have used them as ordinary memory),
 * and the dirty bits restored with the image say nothing about that. Mark
 * every page dirty, so that the next zeroing allocation zeroes it; on a
 * page in use the bit is harmless, its free sets or clears it anyway.
 */
static void gfx_pool_mark_all_dirty(void)
{
	struct gfx_pool_block *block;
	struct gfx_pool_node *node;
	unsigned long i, flags;

	for (i = 0; i < gfx_pool.nr_blocks; i++) {
		block = &gfx_pool.blocks[i];
		node = gfx_pool.node[block->nid];
		spin_lock_irqsave(&node->lock, flags);
		bitmap_fill(block->dirty, GFX_POOL_BLOCK_PAGES);
		spin_unlock_irqrestore(&node->lock, flags);
	}
}

/*
 * In the image kernel, after the boot kernel wrote every page back; or in
 * the same kernel where create_image() gave up. Correct for both.
 */
static int gfx_pool_restore_early(struct device *dev)
{
	unsigned long n;

	gfx_pool_mark_all_dirty();
	gfx_pool_snapshot_map(false, &n);
	dev_info(dev, "restored: free pages marked dirty, %lu NP blocks unmapped\n",
		 n);
	return 0;
}

/*
 * The boot kernel wrote the image's pages through its own write-back
 * mapping, and lines of pool pages may still sit dirty in the caches
 * while the image kernel maps them WC or UC: write them back before any
 * device callback runs (devices resume asynchronously, some before any
 * early callback of ours). syscore resume runs right after the restore,
 * on the boot CPU alone, with interrupts off; the other CPUs wrote back
 * their caches when they went offline (play_dead). After a snapshot that
 * was not restored it is merely a wasted write-back.
 */
static void gfx_pool_syscore_resume(void *data)
{
	wbinvd();
}

static const struct syscore_ops gfx_pool_syscore_ops = {
	.resume = gfx_pool_syscore_resume,
};

static struct syscore gfx_pool_syscore = {
	.ops = &gfx_pool_syscore_ops,
};
#endif /* CONFIG_HIBERNATION */

#ifdef CONFIG_PM_SLEEP
static const struct dev_pm_ops gfx_pool_pm_ops = {
	.suspend = gfx_pool_pm_zap,
#ifdef CONFIG_HIBERNATION
	.freeze = gfx_pool_pm_zap,
	.freeze_late = gfx_pool_freeze_late,
	.thaw_early = gfx_pool_thaw_early,
	.restore_early = gfx_pool_restore_early,
#endif
};

static struct platform_driver gfx_pool_pm_driver = {
	.driver = {
		.name = "gfx_pool",
		.pm = &gfx_pool_pm_ops,
	},
};

/*
 * Registered at subsys_initcall, before any graphics driver. The order of
 * callbacks matters little: the zap needs only user space frozen (a
 * driver that frees or moves pool pages in its own callbacks, maybe
 * asynchronously after ours, zaps their mappings itself, as TTM does on
 * every move), and the cache write-back after a restore is a syscore
 * callback, before any device's.
 */
static int __init gfx_pool_pm_device_init(void)
{
	struct platform_device *pdev;
	int ret;

	ret = platform_driver_register(&gfx_pool_pm_driver);
	if (ret)
		return ret;
	pdev = platform_device_register_simple("gfx_pool", PLATFORM_DEVID_NONE,
					       NULL, 0);
	if (IS_ERR(pdev)) {
		platform_driver_unregister(&gfx_pool_pm_driver);
		return PTR_ERR(pdev);
	}
	gfx_pool_can_hibernate = true;
#ifdef CONFIG_HIBERNATION
	register_syscore(&gfx_pool_syscore);
#endif
	return 0;
}
#else
static inline int gfx_pool_pm_device_init(void)
{
	return 0;
}
#endif /* CONFIG_PM_SLEEP */

static int __init gfx_pool_pm_init(void)
{
	int ret = gfx_pool_pm_device_init();

	/*
	 * Without it user mappings stay live across sleep, and an image
	 * would lose the NP blocks' data: the notifier refuses hibernation
	 * then, and the pool is still good for everything else.
	 */
	if (ret)
		pr_err("no PM device (%d): mappings are not zapped, hibernation will be refused\n",
		       ret);
	return register_pm_notifier(&gfx_pool_pm_nb);
}

/* === debugfs ============================================================= */

#ifdef CONFIG_DEBUG_FS

static const char *const gfx_pool_counter_names[GFX_POOL_NR_COUNTERS] = {
	[GFX_POOL_ALLOCS] = "allocs",
	[GFX_POOL_FREES] = "frees",
	[GFX_POOL_CONVERSIONS] = "conversions",
	[GFX_POOL_EXHAUSTED] = "exhausted",
	[GFX_POOL_REFUSED] = "refused",
	[GFX_POOL_FALLBACKS] = "fallbacks",
};

static_assert(ARRAY_SIZE(gfx_pool_counter_names) == GFX_POOL_NR_COUNTERS);

static int gfx_pool_stats_show(struct seq_file *m, void *v)
{
	int d, c;

	seq_printf(m, "base: %pa\nsize: %pa\nblocks: %lu\ngbpage_demotions: %lu\nbroken_blocks: %ld\npages_in_use: %lu\n",
		   &gfx_pool.base, &gfx_pool.size, gfx_pool.nr_blocks,
		   gfx_pool.gbpage_demotions,
		   atomic_long_read(&gfx_pool.broken_blocks),
		   gfx_pool_pages_in_use());
	seq_printf(m, "mappings_zapped: %ld\n", atomic_long_read(&gfx_pool_zaps));
#ifdef CONFIG_HIBERNATION
	seq_printf(m, "hibernation_image_pages: %ld\n",
		   atomic_long_read(&gfx_pool_image_pages));
#endif
	seq_printf(m, "%-6s %8s %12s", "domain", "blocks", "pages_in_use");
	for (c = 0; c < GFX_POOL_NR_COUNTERS; c++)
		seq_printf(m, " %12s", gfx_pool_counter_names[c]);
	seq_putc(m, '\n');
	for (d = 0; d < GFX_POOL_NR_DOMAINS; d++) {
		seq_printf(m, "%-6s %8lu %12lu", gfx_pool_domain_names[d],
			   gfx_pool_gauge(d, true), gfx_pool_gauge(d, false));
		for (c = 0; c < GFX_POOL_NR_COUNTERS; c++)
			seq_printf(m, " %12lu", gfx_pool_counter_read(d, c));
		seq_putc(m, '\n');
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(gfx_pool_stats);

static const char *const gfx_pool_level_names[] = {
	[PG_LEVEL_NONE] = "none",
	[PG_LEVEL_4K] = "4k",
	[PG_LEVEL_2M] = "2M",
	[PG_LEVEL_1G] = "1G",
	[PG_LEVEL_512G] = "512G",
};

static int gfx_pool_blocks_show(struct seq_file *m, void *v)
{
	struct gfx_pool_block *block;
	struct gfx_pool_node *node;
	unsigned long i, flags;
	unsigned int level;
	bool converting;
	int domain;
	u32 used;

	seq_printf(m, "%-6s %-18s %4s %-6s %5s %-5s\n",
		   "block", "pfn", "nid", "domain", "used", "level");
	for (i = 0; i < gfx_pool.nr_blocks; i++) {
		block = &gfx_pool.blocks[i];
		node = gfx_pool.node[block->nid];
		spin_lock_irqsave(&node->lock, flags);
		domain = block->domain;
		used = block->nr_used;
		converting = block->converting;
		spin_unlock_irqrestore(&node->lock, flags);
		lookup_address(gfx_pool_block_addr(block), &level);
		seq_printf(m, "%-6lu %#-18lx %4d %-6s %5u %-5s%s\n", i,
			   block->pfn, block->nid,
			   gfx_pool_domain_names[domain], used,
			   level < ARRAY_SIZE(gfx_pool_level_names) ?
			   gfx_pool_level_names[level] : "?",
			   converting ? " converting" : "");
		cond_resched();
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(gfx_pool_blocks);

static void __init gfx_pool_debugfs_init(void)
{
	struct dentry *dir = debugfs_create_dir("gfx_pool", NULL);

	debugfs_create_file("stats", 0444, dir, NULL, &gfx_pool_stats_fops);
	debugfs_create_file("blocks", 0444, dir, NULL, &gfx_pool_blocks_fops);
#ifdef CONFIG_FAIL_GFX_POOL
	/* Next to fail_page_alloc and the others, as the framework has it. */
	fault_create_debugfs_attr("fail_gfx_pool", NULL, &fail_gfx_pool);
#endif
}
#else
static inline void gfx_pool_debugfs_init(void)
{
}
#endif /* CONFIG_DEBUG_FS */

/* === Init ================================================================ */

/*
 * A 1 GiB direct-map page cannot hold blocks of two domains. The first
 * domain change inside it would demote it to 2 MiB pages anyway, at some
 * random later time and from an allocation path; do it here, once per GiB
 * window, with a WB -> WC -> WB round trip of the window's first pool
 * block, and count it. Where the window also maps memory outside the pool
 * that memory keeps 2 MiB pages; a pool of whole, GiB-aligned gigabytes
 * avoids that.
 */
static void __init gfx_pool_demote_gbpages(void)
{
	unsigned long pfn = gfx_pool.start_pfn;
	unsigned long end = pfn + (gfx_pool.nr_blocks << GFX_POOL_BLOCK_ORDER);
	struct gfx_pool_block *block;
	struct gfx_pool_node *node;
	unsigned long addr, next;
	unsigned int level;
	int ret;

	for (; pfn < end; pfn = next) {
		next = min(ALIGN(pfn + 1, PUD_SIZE >> PAGE_SHIFT), end);
		addr = (unsigned long)pfn_to_kaddr(pfn);
		if (!lookup_address(addr, &level) || level != PG_LEVEL_1G)
			continue;
		ret = gfx_pool_cpa(set_memory_wc, addr);
		if (!ret)
			ret = gfx_pool_cpa(set_memory_wb, addr);
		if (ret) {
			/*
			 * Either step may have left the block half changed,
			 * or WC with its memtype held: it must never be
			 * handed out as WB.
			 */
			/* Not ready yet: gfx_pool_pfn_to_block() says NULL. */
			block = &gfx_pool.blocks[(pfn - gfx_pool.start_pfn) >>
						 GFX_POOL_BLOCK_ORDER];
			node = gfx_pool.node[block->nid];
			list_del_init(&block->list);
			node->domain[block->domain].nr_blocks--;
			block->converting = true;
			atomic_long_inc(&gfx_pool.broken_blocks);
			pr_err("could not demote the 1G page at %#lx (%d); block at pfn %#lx taken out of use\n",
			       addr, ret, pfn);
			continue;
		}
		gfx_pool.gbpage_demotions++;
		pr_info("demoted the 1G direct-map page over pfn %#lx to 2M pages%s\n",
			pfn, next - pfn < (PUD_SIZE >> PAGE_SHIFT) ?
			" (it also maps memory outside the pool)" : "");
	}
}

static int __init gfx_pool_init(void)
{
	unsigned long i, nr_blocks = gfx_pool.size >> PMD_SHIFT;
	struct gfx_pool_block *block;
	struct gfx_pool_node *node;
	unsigned int level;
	int nid, d;
	pte_t *pte;

	if (!nr_blocks)
		return 0;

	gfx_pool.start_pfn = PHYS_PFN(gfx_pool.base);
	if (!gfx_pool_should_fail(nr_blocks * sizeof(*gfx_pool.blocks)))
		gfx_pool.blocks = kvcalloc(nr_blocks, sizeof(*gfx_pool.blocks),
					   GFP_KERNEL);
	if (!gfx_pool.blocks)
		goto out_off;
	if (gfx_pool_slot_init())
		goto out_free_blocks;

	for (i = 0; i < nr_blocks; i++) {
		block = &gfx_pool.blocks[i];
		block->pfn = gfx_pool.start_pfn + (i << GFX_POOL_BLOCK_ORDER);
		block->nid = pfn_to_nid(block->pfn);
		block->domain = GFX_POOL_WB;
		INIT_LIST_HEAD(&block->list);
		/* Whatever firmware or the boot left there: not zero. */
		bitmap_fill(block->dirty, GFX_POOL_BLOCK_PAGES);
		gfx_pool_set_offline(pfn_to_page(block->pfn),
				     GFX_POOL_BLOCK_PAGES, true);

		node = gfx_pool.node[block->nid];
		if (!node) {
			node = gfx_pool_should_fail(sizeof(*node)) ? NULL :
				kzalloc_node(sizeof(*node), GFP_KERNEL,
					     block->nid);
			if (!node)
				goto out_free_nodes;
			mutex_init(&node->convert_lock);
			spin_lock_init(&node->lock);
			for (d = 0; d < GFX_POOL_NR_DOMAINS; d++) {
				INIT_LIST_HEAD(&node->domain[d].empty);
				INIT_LIST_HEAD(&node->domain[d].partial);
			}
			gfx_pool.node[block->nid] = node;
		}
		list_add_tail(&block->list, &node->domain[GFX_POOL_WB].empty);
		node->domain[GFX_POOL_WB].nr_blocks++;
	}
	gfx_pool.nr_blocks = nr_blocks;

	pte = lookup_address((unsigned long)__va(gfx_pool.base), &level);
	gfx_pool.global = pte && (pte_flags(*pte) & _PAGE_GLOBAL);
	gfx_pool_demote_gbpages();

	/* Pairs with gfx_pool_is_ready(): publish everything set up above. */
	smp_store_release(&gfx_pool.ready, true);
	if (gfx_pool_pm_init())
		pr_err("no PM notifier: hibernation is not refused without the PM device\n");
	gfx_pool_debugfs_init();
	pr_info("%lu blocks of 2M ready at %pa\n", nr_blocks, &gfx_pool.base);
	return 0;

out_free_nodes:
	for_each_node(nid) {
		kfree(gfx_pool.node[nid]);
		gfx_pool.node[nid] = NULL;
	}
	for (i = 0; i < nr_blocks; i++)
		gfx_pool_set_offline(pfn_to_page(gfx_pool.start_pfn +
						 (i << GFX_POOL_BLOCK_ORDER)),
				     GFX_POOL_BLOCK_PAGES, false);
out_free_blocks:
	kvfree(gfx_pool.blocks);
	gfx_pool.blocks = NULL;
out_off:
	/* The region is still WB and unused: give it to the page allocator. */
	pr_err("no memory for the metadata of %lu blocks; the pool stays off and its memory is freed\n",
	       nr_blocks);
	memblock_free_late(gfx_pool.base, gfx_pool.size);
	gfx_pool.size = 0;
	return -ENOMEM;
}
subsys_initcall(gfx_pool_init);
