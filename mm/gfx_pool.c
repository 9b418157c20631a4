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
 * and marked converting, and CPA runs with the spinlock dropped.
 *
 * Lock order: gfx_pool_node.convert_lock, then gfx_pool_node.lock.
 */

#define pr_fmt(fmt) "gfx_pool: " fmt

#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/cacheflush.h>
#include <linux/ctype.h>
#include <linux/debugfs.h>
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
#include <linux/pgtable.h>
#include <linux/platform_device.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/set_memory.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/suspend.h>
#include <linux/vmalloc.h>

#include <kunit/visibility.h>

#include <linux/smp.h>
#include <linux/wait.h>

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
 */
struct gfx_pool_node {
	struct mutex convert_lock;	/* one domain change at a time */
	spinlock_t lock;	/* protects @domain and this node's blocks */
	struct gfx_pool_domain_lists domain[GFX_POOL_NR_DOMAINS];
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
	if (gfx_pool_parse_param(p, &gfx_pool_param, &why)) {
		pr_err("ignoring gfx_pool=%s: %s; the pool stays off\n",
		       gfx_pool_cmdline, why);
		gfx_pool_param_bad = true;
	}
	/* Never fail: a bad value must not stop the boot. */
	return 0;
}
early_param("gfx_pool", early_gfx_pool);

/*
 * Called from setup_arch() next to the CMA reservation. With no size
 * configured it does nothing. Errors are reported and leave the pool off;
 * they never stop the boot.
 *
 * Placement: a fixed base is taken as given. Otherwise the region is
 * aligned to its size rounded up to a power of two, at most 1 GiB, so that
 * it never straddles a GiB boundary it does not have to: each GiB window
 * the pool touches may cost one 1 GiB -> 2 MiB demotion of the direct map.
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
		addr = memblock_phys_alloc(param->size, align);
		if (!addr && align > GFX_POOL_BLOCK_SIZE)
			addr = memblock_phys_alloc(param->size,
						   GFX_POOL_BLOCK_SIZE);
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
	/*
	 * Hibernation must not save the region page by page; the pool saves
	 * its own pages (see "Suspend and hibernation"). This needs memblock,
	 * so it is done here and not at init.
	 */
	register_nosave_region(PFN_DOWN(addr), PFN_DOWN(addr + param->size));
	gfx_pool.base = addr;
	gfx_pool.size = param->size;
	pr_info("reserved %llu MiB at %pa\n",
		(unsigned long long)(param->size >> 20), &addr);
}

/* === Domain changes ====================================================== */

/* A domain change that leaves the block in no known state. */
#define GFX_POOL_BROKEN		GFX_POOL_NR_DOMAINS

static int gfx_pool_map_present(unsigned long addr)
{
	int ret = set_memory_p(addr, GFX_POOL_BLOCK_PAGES);

	/*
	 * set_memory_np() dropped _PAGE_GLOBAL and set_memory_p() does not
	 * restore it: give it back if the direct map had it. Failing that
	 * costs TLB efficiency only, so it is not an error.
	 */
	if (!ret && gfx_pool.global)
		set_memory_global(addr, GFX_POOL_BLOCK_PAGES);
	return ret;
}

/*
 * Change how the direct map maps a wholly free block: every step is one
 * set_memory_*() call over the whole aligned 2 MiB, so CPA keeps the PMD.
 * WC and UC go through WB because the PAT memtype of RAM pages only moves
 * to and from WB; set_memory_wc() and _uc() flush the block's cache lines
 * as they change its type. An NP block keeps the WB memtype (PAT maps it
 * WB wherever it is mapped), so its cache lines need no flush either way.
 *
 * If a step fails half way, the block is put back to plain WB; if even
 * that fails, its state is unknown and it is reported broken.
 *
 * Context: Process context, the node's convert_lock held, the block off
 * every list and marked converting.
 * Return: the domain the block is in afterwards (@to on success), or
 * %GFX_POOL_BROKEN.
 */
static unsigned int gfx_pool_convert(struct gfx_pool_block *block,
				     enum gfx_pool_domain to)
{
	unsigned long addr = gfx_pool_block_addr(block);
	enum gfx_pool_domain from = block->domain;
	int ret = 0;

	might_sleep();
	switch (from) {
	case GFX_POOL_WC:
	case GFX_POOL_UC:
		ret = set_memory_wb(addr, GFX_POOL_BLOCK_PAGES);
		break;
	case GFX_POOL_NP:
		ret = gfx_pool_map_present(addr);
		break;
	default:
		break;
	}
	if (ret) {
		pr_err("block at pfn %#lx: leaving domain %s failed (%d); block taken out of use\n",
		       block->pfn, gfx_pool_domain_names[from], ret);
		return GFX_POOL_BROKEN;
	}

	switch (to) {
	case GFX_POOL_WC:
		ret = set_memory_wc(addr, GFX_POOL_BLOCK_PAGES);
		break;
	case GFX_POOL_UC:
		ret = set_memory_uc(addr, GFX_POOL_BLOCK_PAGES);
		break;
	case GFX_POOL_NP:
		ret = set_memory_np(addr, GFX_POOL_BLOCK_PAGES);
		break;
	default:
		break;
	}
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
				  _set_memory_wb(addr, GFX_POOL_BLOCK_PAGES);
	if (ret) {
		pr_err("block at pfn %#lx: cannot put it back to wb (%d); block taken out of use\n",
		       block->pfn, ret);
		return GFX_POOL_BROKEN;
	}
	return GFX_POOL_WB;
}

/* === Allocation and free ================================================= */

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

static struct page *__gfx_pool_block_alloc(struct gfx_pool_node *node,
					   struct gfx_pool_block *block,
					   unsigned int order)
{
	unsigned long nr = 1UL << order;
	bool was_partial = block->nr_used != 0;
	unsigned long off;

	lockdep_assert_held(&node->lock);
	off = bitmap_find_next_zero_area(block->used, GFX_POOL_BLOCK_PAGES, 0,
					 nr, nr - 1);
	if (off >= GFX_POOL_BLOCK_PAGES)
		return NULL;

	bitmap_set(block->used, off, nr);
	block->order[off] = order + 1;
	block->nr_used += nr;
	node->domain[block->domain].nr_used += nr;
	/* A partial block that still has room stays where it is. */
	if (!was_partial || block->nr_used == GFX_POOL_BLOCK_PAGES)
		__gfx_pool_block_relist(node, block);
	return pfn_to_page(block->pfn + off);
}

/*
 * The warm path: pages from a block already in @domain, partly used ones
 * first so that free blocks stay free for other domains and orders.
 */
static struct page *gfx_pool_node_alloc_warm(struct gfx_pool_node *node,
					     enum gfx_pool_domain domain,
					     unsigned int order)
{
	struct gfx_pool_domain_lists *dom = &node->domain[domain];
	struct gfx_pool_block *block;
	struct page *page = NULL;
	unsigned long flags;

	spin_lock_irqsave(&node->lock, flags);
	/* A partly used block never has room for a whole block. */
	if (order < GFX_POOL_BLOCK_ORDER) {
		list_for_each_entry(block, &dom->partial, list) {
			page = __gfx_pool_block_alloc(node, block, order);
			if (page)
				goto out_unlock;
		}
	}
	block = list_first_entry_or_null(&dom->empty, struct gfx_pool_block,
					 list);
	if (block)
		page = __gfx_pool_block_alloc(node, block, order);
out_unlock:
	spin_unlock_irqrestore(&node->lock, flags);
	return page;
}

/*
 * Put a wholly free block back on the lists after gfx_pool_convert() left
 * it in domain @now. Return: false if it is broken and stays off them.
 */
static bool __gfx_pool_block_converted(struct gfx_pool_node *node,
				       struct gfx_pool_block *block,
				       unsigned int now)
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
	list_add(&block->list, &node->domain[now].empty);
	return true;
}

/* The cold path: convert a wholly free block of another domain. */
static struct page *gfx_pool_node_alloc_cold(struct gfx_pool_node *node,
					     enum gfx_pool_domain domain,
					     unsigned int order)
{
	struct gfx_pool_block *block = NULL;
	struct page *page = NULL;
	unsigned long flags;
	unsigned int now;
	int d;

	lockdep_assert_held(&node->convert_lock);
	spin_lock_irqsave(&node->lock, flags);
	for (d = 0; d < GFX_POOL_NR_DOMAINS && !block; d++) {
		if (d == domain)
			continue;
		block = list_first_entry_or_null(&node->domain[d].empty,
						 struct gfx_pool_block, list);
	}
	if (!block) {
		spin_unlock_irqrestore(&node->lock, flags);
		return NULL;
	}
	list_del_init(&block->list);
	node->domain[block->domain].nr_blocks--;
	block->converting = true;
	/*
	 * Drop the lock for CPA, which sleeps and sends IPIs. The block is
	 * off every list and marked converting, so nobody else touches it.
	 */
	spin_unlock_irqrestore(&node->lock, flags);

	now = gfx_pool_convert(block, domain);

	spin_lock_irqsave(&node->lock, flags);
	if (__gfx_pool_block_converted(node, block, now) && now == domain)
		page = __gfx_pool_block_alloc(node, block, order);
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
					  unsigned int order)
{
	struct gfx_pool_block *block;
	unsigned long i;

	lockdep_assert_held(&node->lock);
	for (i = first; i < first + gfx_pool_span(order); i++) {
		block = &gfx_pool.blocks[i];
		bitmap_fill(block->used, GFX_POOL_BLOCK_PAGES);
		block->nr_used = GFX_POOL_BLOCK_PAGES;
		node->domain[block->domain].nr_used += GFX_POOL_BLOCK_PAGES;
		list_del_init(&block->list);
	}
	gfx_pool.blocks[first].order[0] = order + 1;
	return pfn_to_page(gfx_pool.blocks[first].pfn);
}

static struct page *gfx_pool_node_alloc_group_warm(struct gfx_pool_node *node,
						   enum gfx_pool_domain domain,
						   unsigned int order)
{
	struct page *page = NULL;
	unsigned long flags;
	long first;

	spin_lock_irqsave(&node->lock, flags);
	first = __gfx_pool_find_group(node, order, domain);
	if (first >= 0)
		page = __gfx_pool_group_take(node, first, order);
	spin_unlock_irqrestore(&node->lock, flags);
	return page;
}

/*
 * Convert the blocks of a free group that are not in @domain yet. Every
 * block of the group is off the lists and marked converting meanwhile, so
 * that no other allocation takes one of them from under us.
 */
static struct page *gfx_pool_node_alloc_group_cold(struct gfx_pool_node *node,
						   enum gfx_pool_domain domain,
						   unsigned int order)
{
	unsigned int span = gfx_pool_span(order);
	struct gfx_pool_block *block;
	unsigned int now[1U << (GFX_POOL_MAX_ORDER - GFX_POOL_BLOCK_ORDER)];
	struct page *page = NULL;
	unsigned long flags, i;
	bool all = true;
	long first;

	lockdep_assert_held(&node->convert_lock);
	spin_lock_irqsave(&node->lock, flags);
	first = __gfx_pool_find_group(node, order, GFX_POOL_NR_DOMAINS);
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
		now[i] = block->domain == domain ? domain :
			 gfx_pool_convert(block, domain);
	}

	spin_lock_irqsave(&node->lock, flags);
	for (i = 0; i < span; i++) {
		block = &gfx_pool.blocks[first + i];
		all &= __gfx_pool_block_converted(node, block, now[i]) &&
		       now[i] == domain;
	}
	if (all)
		page = __gfx_pool_group_take(node, first, order);
out_unlock:
	spin_unlock_irqrestore(&node->lock, flags);
	return page;
}

static struct page *gfx_pool_node_alloc(struct gfx_pool_node *node,
					enum gfx_pool_domain domain,
					gfp_t gfp, unsigned int order)
{
	bool group = order > GFX_POOL_BLOCK_ORDER;
	struct page *page;

	page = group ? gfx_pool_node_alloc_group_warm(node, domain, order) :
		       gfx_pool_node_alloc_warm(node, domain, order);
	if (page || !gfpflags_allow_blocking(gfp))
		return page;

	mutex_lock(&node->convert_lock);
	/* Whoever held the mutex may have converted a block we can use. */
	if (group) {
		page = gfx_pool_node_alloc_group_warm(node, domain, order);
		if (!page)
			page = gfx_pool_node_alloc_group_cold(node, domain,
							      order);
	} else {
		page = gfx_pool_node_alloc_warm(node, domain, order);
		if (!page)
			page = gfx_pool_node_alloc_cold(node, domain, order);
	}
	mutex_unlock(&node->convert_lock);
	return page;
}

/*
 * Zero an NP allocation through a short-lived WB mapping of its own: WB is
 * the pages' PAT memtype, the mode every other mapping of them has.
 */
static int gfx_pool_zero_np(struct page *page, unsigned int order, gfp_t gfp)
{
	unsigned long i, nr = 1UL << order;
	unsigned int noio_flags = 0, nofs_flags = 0;
	struct page **pages;
	void *vaddr;
	int ret = -ENOMEM;

	/* vmap() allocates with GFP_KERNEL: keep the caller's IO/FS limits. */
	if (!(gfp & __GFP_IO))
		noio_flags = memalloc_noio_save();
	else if (!(gfp & __GFP_FS))
		nofs_flags = memalloc_nofs_save();

	pages = kvmalloc_array(nr, sizeof(*pages), gfp & GFP_KERNEL);
	if (!pages)
		goto out_restore;
	for (i = 0; i < nr; i++)
		pages[i] = page + i;
	vaddr = vmap(pages, nr, VM_MAP, PAGE_KERNEL);
	kvfree(pages);
	if (!vaddr)
		goto out_restore;
	memset(vaddr, 0, nr << PAGE_SHIFT);
	vunmap(vaddr);
	/*
	 * vunmap() leaves the TLB entries until a lazy purge; NP pages are
	 * meant to be out of the kernel's reach, so drop them now.
	 */
	flush_tlb_kernel_range((unsigned long)vaddr,
			       (unsigned long)vaddr + (nr << PAGE_SHIFT));
	ret = 0;
out_restore:
	if (!(gfp & __GFP_IO))
		memalloc_noio_restore(noio_flags);
	else if (!(gfp & __GFP_FS))
		memalloc_nofs_restore(nofs_flags);
	return ret;
}

static int gfx_pool_zero(struct page *page, enum gfx_pool_domain domain,
			 gfp_t gfp, unsigned int order)
{
	if (domain == GFX_POOL_NP)
		return gfx_pool_zero_np(page, order, gfp);
	memset(page_address(page), 0, PAGE_SIZE << order);
	if (domain == GFX_POOL_WC)
		wmb();	/* drain the write-combining buffers */
	return 0;
}

/*
 * Return @page to its block, the caller has checked that the pool owns
 * it. @domain is set to the block's domain, read under the lock.
 * Return: 0, or -EINVAL if @page is not the head of an allocation of
 * @order that is handed out.
 */
static int gfx_pool_release(struct gfx_pool_block *block, struct page *page,
			    unsigned int order, enum gfx_pool_domain *domain)
{
	struct gfx_pool_node *node = gfx_pool.node[block->nid];
	unsigned long off = page_to_pfn(page) - block->pfn;
	unsigned long nr = 1UL << order;
	unsigned long flags;
	int ret = -EINVAL;

	spin_lock_irqsave(&node->lock, flags);
	*domain = block->domain;
	if (order > GFX_POOL_MAX_ORDER || block->order[off] != order + 1)
		goto out_unlock;
	block->order[off] = 0;
	if (order > GFX_POOL_BLOCK_ORDER) {
		/* Whole blocks: the group starts at this one, offset 0. */
		unsigned long i, first = block - gfx_pool.blocks;

		for (i = first; i < first + gfx_pool_span(order); i++) {
			block = &gfx_pool.blocks[i];
			bitmap_zero(block->used, GFX_POOL_BLOCK_PAGES);
			block->nr_used = 0;
			node->domain[block->domain].nr_used -= GFX_POOL_BLOCK_PAGES;
			__gfx_pool_block_relist(node, block);
		}
		ret = 0;
		goto out_unlock;
	}
	bitmap_clear(block->used, off, nr);
	block->nr_used -= nr;
	node->domain[block->domain].nr_used -= nr;
	__gfx_pool_block_relist(node, block);
	ret = 0;
out_unlock:
	spin_unlock_irqrestore(&node->lock, flags);
	return ret;
}

struct page *gfx_pool_alloc_pages(int nid, enum gfx_pool_domain domain,
				  gfp_t gfp, unsigned int order)
{
	enum gfx_pool_domain ignored;
	struct gfx_pool_node *node;
	struct page *page = NULL;
	int n;

	might_alloc(gfp);
	if (WARN_ONCE((unsigned int)domain >= GFX_POOL_NR_DOMAINS ||
		      order > GFX_POOL_MAX_ORDER ||
		      (nid != NUMA_NO_NODE && (nid < 0 || nid >= MAX_NUMNODES)),
		      "gfx_pool: bad allocation: domain %d order %u nid %d\n",
		      domain, order, nid)) {
		if ((unsigned int)domain < GFX_POOL_NR_DOMAINS)
			gfx_pool_count(domain, GFX_POOL_REFUSED);
		return NULL;
	}
	if (!gfx_pool_is_ready())
		return NULL;
	/* Zeroing an NP page needs a temporary mapping, which may sleep. */
	if (domain == GFX_POOL_NP && want_init_on_alloc(gfp) &&
	    WARN_ONCE(!gfpflags_allow_blocking(gfp),
		      "gfx_pool: __GFP_ZERO on NP pages needs a gfp that may sleep\n")) {
		gfx_pool_count(domain, GFX_POOL_REFUSED);
		return NULL;
	}
	/* The pool has no ZONE_DMA memory; ZONE_DMA32 only if all below 4G. */
	if ((gfp & __GFP_DMA) ||
	    ((gfp & __GFP_DMA32) &&
	     gfx_pool.base + gfx_pool.size > SZ_4G))
		goto exhausted;

	if (nid == NUMA_NO_NODE)
		nid = numa_mem_id();
	node = gfx_pool.node[nid];
	if (node)
		page = gfx_pool_node_alloc(node, domain, gfp, order);
	if (!page && !(gfp & __GFP_THISNODE)) {
		for_each_node(n) {
			node = gfx_pool.node[n];
			if (n == nid || !node)
				continue;
			page = gfx_pool_node_alloc(node, domain, gfp, order);
			if (page)
				break;
		}
	}
	if (!page)
		goto exhausted;

	/* __GFP_ZERO, or init_on_alloc=1 as the page allocator honours it. */
	if (want_init_on_alloc(gfp) && gfx_pool_zero(page, domain, gfp, order)) {
		gfx_pool_release(gfx_pool_pfn_to_block(page_to_pfn(page)),
				 page, order, &ignored);
		goto exhausted;
	}
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

	if (!page)
		return;
	block = gfx_pool_pfn_to_block(page_to_pfn(page));
	if (!block) {
		WARN(1, "gfx_pool: freeing pfn %#lx, which the pool does not own\n",
		     page_to_pfn(page));
		gfx_pool_count(GFX_POOL_WB, GFX_POOL_REFUSED);
		return;
	}
	if (gfx_pool_release(block, page, order, &domain)) {
		WARN(1, "gfx_pool: refusing to free pfn %#lx order %u: not an allocation of that order (double free?)\n",
		     page_to_pfn(page), order);
		gfx_pool_count(domain, GFX_POOL_REFUSED);
		return;
	}
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
	if (!WARN_ON_ONCE((unsigned int)domain >= GFX_POOL_NR_DOMAINS))
		gfx_pool_count(domain, GFX_POOL_FALLBACKS);
}
EXPORT_SYMBOL_GPL(gfx_pool_count_fallback);

/* === Suspend and hibernation ============================================ */

/*
 * Sleep: suspend and hibernation make temporary mappings of memory with
 * their own caching, so user mappings of pool pages in other modes must not
 * be live across them. Drivers register the address_space ranges their user
 * mappings live in; on PM_SUSPEND_PREPARE and PM_HIBERNATION_PREPARE the
 * pool zaps them, and until PM_POST_* gfx_pool_mappings_blocked() tells
 * the drivers' fault handlers not to map them again (the faulting task is
 * frozen on its way back to user space). After resume they refault, in
 * the same caching mode.
 *
 * Hibernation: the snapshot code cannot save the pool as it saves other
 * memory. It skips a PageReserved page that is not in the direct map (an
 * NP block's data would be lost), maps any other absent page 4K at a time
 * with set_direct_map_default_noflush() (which splits an NP block's PMD,
 * for good), and the boot kernel would restore WC and UC pages through
 * its own write-back mapping. So the region is a nosave region, and the
 * pool saves its own data: in freeze_late, when every device has frozen
 * and nothing allocates or writes pool pages any more, the pages in use
 * are copied into an ordinary vmalloc buffer, which the snapshot saves like
 * any memory. In the image kernel, restore_early writes the caches back
 * (the boot kernel may have left lines of pool memory in them) and copies
 * the data back through the pages' own mappings. On the thaw path nothing
 * touched the pool, and the copy is just dropped. Suspend to RAM keeps
 * memory powered and needs no copy.
 */

/* Registered user mappings; the mutex also orders zaps against changes. */
static LIST_HEAD(gfx_pool_mappings);
static DEFINE_MUTEX(gfx_pool_mappings_lock);
static bool gfx_pool_sleeping;		/* PM_*_PREPARE to PM_POST_* */
static DECLARE_WAIT_QUEUE_HEAD(gfx_pool_wake);	/* woken at PM_POST_* */
static atomic_long_t gfx_pool_zaps;	/* ranges zapped, all time */
static bool gfx_pool_hibernating;	/* PM_HIBERNATION_PREPARE to POST */
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

bool gfx_pool_mappings_blocked(void)
{
	return READ_ONCE(gfx_pool_sleeping);
}
EXPORT_SYMBOL_GPL(gfx_pool_mappings_blocked);

vm_fault_t gfx_pool_fault_wait(struct vm_fault *vmf)
{
	if (!gfx_pool_mappings_blocked())
		return 0;
	/*
	 * Returning VM_FAULT_NOPAGE alone would spin a fault taken in the
	 * kernel (copy_to_user() on the mapping) and keep the task from
	 * freezing. Where the fault may be retried, sleep freezably without
	 * mmap_lock until resume instead.
	 */
	if ((vmf->flags & FAULT_FLAG_ALLOW_RETRY) &&
	    !(vmf->flags & FAULT_FLAG_RETRY_NOWAIT)) {
		release_fault_lock(vmf);
		wait_event_freezable(gfx_pool_wake, !gfx_pool_mappings_blocked());
		return VM_FAULT_RETRY;
	}
	return VM_FAULT_NOPAGE;
}
EXPORT_SYMBOL_GPL(gfx_pool_fault_wait);

static void gfx_pool_zap_mappings(void)
{
	struct gfx_pool_mapping *map;

	mutex_lock(&gfx_pool_mappings_lock);
	WRITE_ONCE(gfx_pool_sleeping, true);
	/*
	 * Pairs with the barrier a fault handler puts between installing a
	 * PTE and checking gfx_pool_mappings_blocked() again: either it sees
	 * the flag and zaps its own PTE, or the zap below finds the PTE.
	 */
	smp_mb();
	list_for_each_entry(map, &gfx_pool_mappings, list) {
		unmap_mapping_range(map->mapping, map->start, map->len, 1);
		map->zaps++;
		atomic_long_inc(&gfx_pool_zaps);
	}
	mutex_unlock(&gfx_pool_mappings_lock);
}

VISIBLE_IF_KUNIT int gfx_pool_pm_notify(struct notifier_block *nb,
					unsigned long event, void *unused)
{
	switch (event) {
	case PM_HIBERNATION_PREPARE:
		/* Without the PM device the image would lose the pool's data. */
		if (IS_ENABLED(CONFIG_HIBERNATION) && !gfx_pool_can_hibernate) {
			pr_err("cannot save the pool: hibernation refused\n");
			return notifier_from_errno(-ENODEV);
		}
		gfx_pool_hibernating = true;
		fallthrough;
	case PM_SUSPEND_PREPARE:
	case PM_RESTORE_PREPARE:
		gfx_pool_zap_mappings();
		break;
	case PM_POST_HIBERNATION:
		gfx_pool_hibernating = false;
		fallthrough;
	case PM_POST_SUSPEND:
	case PM_POST_RESTORE:
		WRITE_ONCE(gfx_pool_sleeping, false);
		wake_up_all(&gfx_pool_wake);
		break;
	}
	return NOTIFY_OK;
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_pm_notify);

static struct notifier_block gfx_pool_pm_nb = {
	.notifier_call = gfx_pool_pm_notify,
};

#ifdef CONFIG_HIBERNATION
/* The pool's own copy of its pages in use, for the hibernation image. */
static struct {
	void *data;		/* nr pages of data, vmalloc */
	unsigned long *pfns;	/* which page each one is */
	unsigned long nr;
} gfx_pool_image;
static atomic_long_t gfx_pool_saved_pages;	/* last image, for debugfs */

/*
 * Set when freeze_late took the copy. Not saved in the image: in the image
 * kernel it reads as the boot kernel left it (false), so restore_early
 * knows a real restore from the path where create_image() gave up before
 * the snapshot and resumes with PMSG_RESTORE in the kernel that made the
 * copy, whose pool nothing touched.
 */
static bool gfx_pool_copied __nosavedata;

/* Map @pfn for a copy: NP pages have no direct mapping; WB is their type. */
static void *gfx_pool_map_pfn(unsigned long pfn, bool *vmapped)
{
	struct gfx_pool_block *block = gfx_pool_pfn_to_block(pfn);
	struct page *page = pfn_to_page(pfn);

	*vmapped = block->domain == GFX_POOL_NP;
	return *vmapped ? vmap(&page, 1, VM_MAP, PAGE_KERNEL) :
			  page_address(page);
}

static void gfx_pool_unmap_pfn(void *vaddr, bool vmapped)
{
	if (vmapped)
		vunmap(vaddr);
}

/* Copy every page in use into (or, @back, out of) the image buffer. */
static int gfx_pool_image_copy(bool back)
{
	unsigned long i;
	bool vmapped;
	void *vaddr;

	for (i = 0; i < gfx_pool_image.nr; i++) {
		vaddr = gfx_pool_map_pfn(gfx_pool_image.pfns[i], &vmapped);
		if (!vaddr)
			return -ENOMEM;
		if (back)
			memcpy(vaddr, gfx_pool_image.data + (i << PAGE_SHIFT),
			       PAGE_SIZE);
		else
			memcpy(gfx_pool_image.data + (i << PAGE_SHIFT), vaddr,
			       PAGE_SIZE);
		gfx_pool_unmap_pfn(vaddr, vmapped);
	}
	if (back)
		wmb();	/* drain write-combining buffers */
	return 0;
}

static void gfx_pool_image_free(void)
{
	vfree(gfx_pool_image.data);
	kvfree(gfx_pool_image.pfns);
	gfx_pool_image.data = NULL;
	gfx_pool_image.pfns = NULL;
	gfx_pool_image.nr = 0;
}

static int gfx_pool_freeze_late(struct device *dev)
{
	unsigned long nr = 0, i, b, off, flags;
	struct gfx_pool_block *block;
	struct gfx_pool_node *node;
	int ret;

	gfx_pool_image_free();
	/*
	 * Only for the hibernation image: the boot kernel quiesces its
	 * devices through freeze_late too, before it restores an image.
	 */
	if (!gfx_pool_hibernating)
		return 0;
	/* Devices and tasks are frozen: the set of pages in use is final. */
	for (b = 0; b < gfx_pool.nr_blocks; b++)
		nr += READ_ONCE(gfx_pool.blocks[b].nr_used);
	if (!nr)
		goto out;
	gfx_pool_image.pfns = kvmalloc_array(nr, sizeof(long), GFP_KERNEL);
	gfx_pool_image.data = vmalloc(nr << PAGE_SHIFT);
	if (!gfx_pool_image.pfns || !gfx_pool_image.data) {
		dev_err(dev, "no memory to save %lu pages in use; hibernation stops\n",
			nr);
		gfx_pool_image_free();
		return -ENOMEM;
	}
	for (b = 0, i = 0; b < gfx_pool.nr_blocks && i < nr; b++) {
		block = &gfx_pool.blocks[b];
		node = gfx_pool.node[block->nid];
		spin_lock_irqsave(&node->lock, flags);
		for_each_set_bit(off, block->used, GFX_POOL_BLOCK_PAGES) {
			if (i == nr)
				break;
			gfx_pool_image.pfns[i++] = block->pfn + off;
		}
		spin_unlock_irqrestore(&node->lock, flags);
	}
	gfx_pool_image.nr = i;
	ret = gfx_pool_image_copy(false);
	if (ret) {
		gfx_pool_image_free();
		return ret;
	}
out:
	gfx_pool_copied = true;
	atomic_long_set(&gfx_pool_saved_pages, gfx_pool_image.nr);
	dev_info(dev, "saved %lu pages in use for the hibernation image\n",
		 gfx_pool_image.nr);
	return 0;
}

/* In the kernel that took the snapshot: the pool was not touched. */
static int gfx_pool_thaw_early(struct device *dev)
{
	gfx_pool_copied = false;
	gfx_pool_image_free();
	return 0;
}

/* In the image kernel, after the boot kernel restored everything else. */
static int gfx_pool_restore_early(struct device *dev)
{
	int ret;

	if (gfx_pool_copied) {
		/* create_image() gave up before the snapshot: nothing to do. */
		return gfx_pool_thaw_early(dev);
	}
	/*
	 * The boot kernel mapped the pool WB and may have left lines of it
	 * in the caches; a late write-back would land on the data put back
	 * here through WC or UC mappings.
	 */
	wbinvd_on_all_cpus();
	ret = gfx_pool_image_copy(true);
	if (ret)
		dev_err(dev, "could not put back the pool's pages: %d\n", ret);
	else
		dev_info(dev, "put back %lu pages from the hibernation image\n",
			 gfx_pool_image.nr);
	gfx_pool_image_free();
	return ret;
}

static const struct dev_pm_ops gfx_pool_pm_ops = {
	.freeze_late = gfx_pool_freeze_late,
	.thaw_early = gfx_pool_thaw_early,
	.restore_early = gfx_pool_restore_early,
};

static struct platform_driver gfx_pool_pm_driver = {
	.driver = {
		.name = "gfx_pool",
		.pm = &gfx_pool_pm_ops,
	},
};

/*
 * Registered at subsys_initcall, before any graphics driver, so that its
 * late freeze runs after theirs and its early restore before theirs.
 */
static int __init gfx_pool_hibernation_init(void)
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
	return 0;
}
#else
static inline int gfx_pool_hibernation_init(void)
{
	return 0;
}
#endif /* CONFIG_HIBERNATION */

static int __init gfx_pool_pm_init(void)
{
	int ret = gfx_pool_hibernation_init();

	/*
	 * Without it a hibernation image would lose the pool's data: the
	 * notifier refuses hibernation then, and the pool is still good for
	 * everything else.
	 */
	if (ret)
		pr_err("no PM device (%d): hibernation will be refused\n", ret);
	return register_pm_notifier(&gfx_pool_pm_nb);
}

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

VISIBLE_IF_KUNIT void gfx_pool_region(unsigned long *start_pfn,
				      unsigned long *nr_blocks)
{
	bool ready = gfx_pool_is_ready();

	*start_pfn = ready ? gfx_pool.start_pfn : 0;
	*nr_blocks = ready ? gfx_pool.nr_blocks : 0;
}
EXPORT_SYMBOL_IF_KUNIT(gfx_pool_region);
#endif

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
	seq_printf(m, "hibernation_saved_pages: %ld\n",
		   atomic_long_read(&gfx_pool_saved_pages));
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
	unsigned long addr, next;
	unsigned int level;

	for (; pfn < end; pfn = next) {
		next = min(ALIGN(pfn + 1, PUD_SIZE >> PAGE_SHIFT), end);
		addr = (unsigned long)pfn_to_kaddr(pfn);
		if (!lookup_address(addr, &level) || level != PG_LEVEL_1G)
			continue;
		if (set_memory_wc(addr, GFX_POOL_BLOCK_PAGES) ||
		    set_memory_wb(addr, GFX_POOL_BLOCK_PAGES)) {
			pr_warn("could not demote the 1G page at %#lx\n", addr);
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
	gfx_pool.blocks = kvcalloc(nr_blocks, sizeof(*gfx_pool.blocks),
				   GFP_KERNEL);
	if (!gfx_pool.blocks)
		goto out_off;

	for (i = 0; i < nr_blocks; i++) {
		block = &gfx_pool.blocks[i];
		block->pfn = gfx_pool.start_pfn + (i << GFX_POOL_BLOCK_ORDER);
		block->nid = pfn_to_nid(block->pfn);
		block->domain = GFX_POOL_WB;
		INIT_LIST_HEAD(&block->list);

		node = gfx_pool.node[block->nid];
		if (!node) {
			node = kzalloc_node(sizeof(*node), GFP_KERNEL,
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
		pr_err("no PM notifier: user mappings stay live across sleep\n");
	gfx_pool_debugfs_init();
	pr_info("%lu blocks of 2M ready at %pa\n", nr_blocks, &gfx_pool.base);
	return 0;

out_free_nodes:
	for_each_node(nid) {
		kfree(gfx_pool.node[nid]);
		gfx_pool.node[nid] = NULL;
	}
	kvfree(gfx_pool.blocks);
	gfx_pool.blocks = NULL;
out_off:
	/*
	 * The region stays reserved: it is a nosave region now, and pages
	 * given to the buddy there would be left out of hibernation images.
	 */
	pr_err("no memory for the metadata of %lu blocks; the pool stays off\n",
	       nr_blocks);
	gfx_pool.size = 0;
	return -ENOMEM;
}
subsys_initcall(gfx_pool_init);
