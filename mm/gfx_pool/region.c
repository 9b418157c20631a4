// SPDX-License-Identifier: GPL-2.0
/*
 * gfx_pool region: the gfx_pool= boot parameter, the reservation from
 * memblock at boot, and the blocks set up over it at init.
 */

#define pr_fmt(fmt) "gfx_pool: " fmt

#include <linux/cma.h>
#include <linux/ctype.h>
#include <linux/init.h>
#include <linux/kstrtox.h>
#include <linux/kmemleak.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/pgtable.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>

#include <kunit/visibility.h>

#include "gfx_pool.h"

/* === Boot parameter and reservation ====================================== */

/*
 * memparse() without its silent wrap-around: decimal or 0x-hex digits and
 * an optional K, M, G, T, P or E suffix, -ERANGE if the value overflows.
 */
int gfx_pool_parse_size(const char *str, const char **end, u64 *val)
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
 * gfx_pool.lend=0 keeps the region the pool's for good, as without
 * CONFIG_CMA: no block is ever lent, so no allocation waits for a
 * migration. Early, like gfx_pool=: the reservation needs it.
 */
static bool gfx_pool_lend __initdata = IS_ENABLED(CONFIG_CMA);

static int __init early_gfx_pool_lend(char *p)
{
	bool lend;

	if (!p || kstrtobool(p, &lend)) {
		pr_err("ignoring gfx_pool.lend=%s: not a boolean\n", p ? p : "");
		return 0;
	}
	if (lend && !IS_ENABLED(CONFIG_CMA))
		pr_err("gfx_pool.lend=%s: this kernel has no CONFIG_CMA; the region is not lent\n",
		       p);
	gfx_pool_lend = lend && IS_ENABLED(CONFIG_CMA);
	return 0;
}
early_param("gfx_pool.lend", early_gfx_pool_lend);

/*
 * Make the region a CMA area, so that its blocks serve movable
 * allocations while the pool does not need them (elastic.c). A CMA area
 * must lie in one zone: not across the 16M or 4G boundaries, nor across
 * nodes. Where it cannot be one, the region stays the pool's for good.
 */
static void __init gfx_pool_reserve_lend(phys_addr_t addr, phys_addr_t size)
{
	unsigned long first = PHYS_PFN(addr), last = PHYS_PFN(addr + size - 1);
	int ret;

	if (!IS_ENABLED(CONFIG_CMA) || !gfx_pool_lend)
		return;
	if ((addr < SZ_16M && addr + size > SZ_16M) ||
	    (addr < SZ_4G && addr + size > SZ_4G) ||
	    early_pfn_to_nid(first) != early_pfn_to_nid(last)) {
		pr_info("the region spans zones or nodes; it is not lent\n");
		return;
	}
	ret = cma_init_reserved_mem(addr, size, GFX_POOL_BLOCK_ORDER,
				    "gfx_pool", &gfx_pool.cma);
	if (ret) {
		pr_err("no CMA area for the region (%d); it is not lent\n", ret);
		gfx_pool.cma = NULL;
		return;
	}
	/* If CMA cannot activate it, keep it reserved: init takes it then. */
	cma_reserve_pages_on_error(gfx_pool.cma);
}

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
/**
 * gfx_pool_reserve() - reserve the pool's memory at boot
 *
 * For architecture setup code only, called once after the NUMA layout is
 * known and before memblock memory is freed to the page allocator.
 *
 * Context: Early boot.
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
	gfx_pool_reserve_lend(addr, param->size);
	pr_info("reserved %llu MiB at %pa%s\n",
		(unsigned long long)(param->size >> 20), &addr,
		gfx_pool.cma ? ", lent while idle" : "");
}

/* === Init ================================================================ */

/*
 * Demote every 1 GiB direct-map page over the region to 2 MiB pages now,
 * once per GiB window (see gfx_pool_demote_gbpage()), rather than from an
 * allocation path later. Where the window also maps memory outside the
 * pool that memory keeps 2 MiB pages; a pool of whole, GiB-aligned
 * gigabytes avoids that.
 */
static void __init gfx_pool_demote_gbpages(void)
{
	unsigned long pfn = gfx_pool.start_pfn;
	unsigned long end = pfn + (gfx_pool.nr_blocks << GFX_POOL_BLOCK_ORDER);
	struct gfx_pool_block *block;
	struct gfx_pool_node *node;
	unsigned long next;
	int ret;

	for (; pfn < end; pfn = next) {
		next = min(ALIGN(pfn + 1, PUD_SIZE >> PAGE_SHIFT), end);
		ret = gfx_pool_demote_gbpage(pfn);
		if (ret < 0) {
			/* Not ready yet: gfx_pool_pfn_to_block() says NULL. */
			block = &gfx_pool.blocks[(pfn - gfx_pool.start_pfn) >>
						 GFX_POOL_BLOCK_ORDER];
			node = gfx_pool.node[block->nid];
			__gfx_pool_block_detach(node, block);
			atomic_long_inc(&gfx_pool.broken_blocks);
			continue;
		}
		if (ret)
			pr_info("demoted the 1G direct-map page over pfn %#lx to 2M pages%s\n",
				pfn, next - pfn < (PUD_SIZE >> PAGE_SHIFT) ?
				" (it also maps memory outside the pool)" : "");
	}
}

/* The per-node structures: one for every node that has memory. */
static int __init gfx_pool_nodes_init(void)
{
	struct gfx_pool_node *node;
	int nid, d;

	for_each_node_state(nid, N_MEMORY) {
		node = gfx_pool_should_fail(sizeof(*node)) ? NULL :
			kzalloc_node(sizeof(*node), GFP_KERNEL, nid);
		if (!node)
			return -ENOMEM;
		node->nid = nid;
		mutex_init(&node->convert_lock);
		spin_lock_init(&node->lock);
		INIT_LIST_HEAD(&node->grown);
		for (d = 0; d < GFX_POOL_NR_DOMAINS; d++) {
			INIT_LIST_HEAD(&node->domain[d].empty);
			INIT_LIST_HEAD(&node->domain[d].partial);
		}
		gfx_pool.node[nid] = node;
	}
	return 0;
}

/*
 * The pool comes up if it has a region, or may grow (gfx_pool.grow_limit
 * at boot); with neither it stays off and costs nothing.
 */
static int __init gfx_pool_init(void)
{
	unsigned long i, nr_blocks = gfx_pool.size >> PMD_SHIFT;
	struct gfx_pool_block *block;
	struct gfx_pool_node *node;
	unsigned long addr;
	int nid;

	if (!nr_blocks && !gfx_pool.grow_limit)
		return 0;

	gfx_pool.start_pfn = PHYS_PFN(gfx_pool.base);
	if (nr_blocks && !gfx_pool_should_fail(nr_blocks * sizeof(*gfx_pool.blocks)))
		gfx_pool.blocks = kvcalloc(nr_blocks, sizeof(*gfx_pool.blocks),
					   GFP_KERNEL);
	if (nr_blocks && !gfx_pool.blocks)
		goto out_off;
	if (gfx_pool_slot_init())
		goto out_free_blocks;
	if (gfx_pool_nodes_init())
		goto out_free_nodes;

	/* CMA activated the area at core_initcall, or kept it reserved. */
	if (IS_ENABLED(CONFIG_CMA) && gfx_pool.cma &&
	    cma_get_size(gfx_pool.cma) != gfx_pool.size) {
		pr_err("CMA could not activate the region; it is not lent\n");
		gfx_pool.cma = NULL;
	}
	gfx_pool.region_nid = nr_blocks ? pfn_to_nid(gfx_pool.start_pfn) :
					  NUMA_NO_NODE;
	for (i = 0; i < nr_blocks; i++) {
		block = &gfx_pool.blocks[i];
		block->pfn = gfx_pool.start_pfn + (i << GFX_POOL_BLOCK_ORDER);
		block->nid = pfn_to_nid(block->pfn);
		block->domain = GFX_POOL_WB;
		INIT_LIST_HEAD(&block->list);
		/* Whatever firmware or the boot left there: not zero. */
		bitmap_fill(block->dirty, GFX_POOL_BLOCK_PAGES);
		if (gfx_pool.cma) {
			/* The page allocator's until the pool takes it back. */
			block->lent = true;
			block->converting = true;
			continue;
		}
		gfx_pool_set_offline(pfn_to_page(block->pfn),
				     GFX_POOL_BLOCK_PAGES, true);
		node = gfx_pool.node[block->nid];
		list_add_tail(&block->list, &node->domain[GFX_POOL_WB].empty);
		node->domain[GFX_POOL_WB].nr_blocks++;
	}
	gfx_pool.nr_blocks = nr_blocks;
	if (gfx_pool.cma)
		atomic_long_set(&gfx_pool.nr_lent, nr_blocks);
	gfx_pool.dma32 = nr_blocks && gfx_pool.base + gfx_pool.size <= SZ_4G;

	/* Without a region, any direct-map address tells: a node struct's. */
	addr = nr_blocks ? (unsigned long)__va(gfx_pool.base) :
			   (unsigned long)gfx_pool.node[first_memory_node];
	arch_gfx_pool_setup(addr);
	/* A lent block is demoted when it is taken back: it is not ours. */
	if (!gfx_pool.cma)
		gfx_pool_demote_gbpages();

	/* Pairs with gfx_pool_is_ready(): publish everything set up above. */
	smp_store_release(&gfx_pool.ready, true);
	if (gfx_pool_grow_init())
		pr_err("no shrinker: grown blocks are given back only when idle\n");
	if (gfx_pool_pm_init())
		pr_err("no PM notifier: hibernation is not refused without the PM device\n");
	gfx_pool_debugfs_init();
	if (nr_blocks)
		pr_info("%lu blocks of 2M ready at %pa%s\n", nr_blocks,
			&gfx_pool.base, gfx_pool.cma ? ", lent until needed" : "");
	if (gfx_pool.grow_limit)
		pr_info("may grow by up to %lu blocks of 2M\n",
			gfx_pool.grow_limit);
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
	if (gfx_pool.cma) {
		/* The page allocator has it already, and keeps it. */
		pr_err("no memory for the metadata of %lu blocks; the pool stays off and its memory stays lent\n",
		       nr_blocks);
	} else {
		pr_err("no memory for the metadata of %lu blocks; the pool stays off%s\n",
		       nr_blocks, nr_blocks ? " and its memory is freed" : "");
		/* The region is still WB and unused: free it. */
		if (nr_blocks)
			memblock_free_late(gfx_pool.base, gfx_pool.size);
	}
	gfx_pool.size = 0;
	return -ENOMEM;
}
subsys_initcall(gfx_pool_init);
