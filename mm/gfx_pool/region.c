// SPDX-License-Identifier: GPL-2.0
/*
 * gfx_pool region: the gfx_pool= boot parameter, the reservation from
 * memblock at boot, and the blocks set up over it at init.
 */

#define pr_fmt(fmt) "gfx_pool: " fmt

#include <linux/cma.h>
#include <linux/crash_dump.h>
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
 * memparse() without its silent wrap-around: decimal, 0x-hex or 0-octal
 * digits, as memparse() reads them (the KASLR decompressor reads the same
 * string with it), and an optional K, M, G, T, P or E suffix; -ERANGE if
 * the value overflows.
 */
int gfx_pool_parse_size(const char *str, const char **end, u64 *val)
{
	unsigned int base = 10, shift = 0;
	u64 v = 0;
	int digit;

	if (str[0] == '0' && tolower(str[1]) == 'x') {
		base = 16;
		str += 2;
	} else if (str[0] == '0') {
		base = 8;
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

/*
 * "<nid>:<size>[,<nid>:<size>...]": a region of that size on each node
 * listed. A size of 0 puts nothing there.
 */
static int gfx_pool_parse_nodes(const char *str, struct gfx_pool_param *param,
				const char **why)
{
	const char *p = str, *end;
	unsigned int nid, i;
	u64 size;
	int ret;

	for (;;) {
		if (!isdigit(*p)) {
			*why = "a node is not a number";
			return -EINVAL;
		}
		for (nid = 0; isdigit(*p); p++) {
			nid = nid * 10 + (*p - '0');
			if (nid >= MAX_NUMNODES) {
				*why = "no such node";
				return -EINVAL;
			}
		}
		if (*p++ != ':') {
			*why = "no ':' after a node";
			return -EINVAL;
		}
		ret = gfx_pool_parse_size(p, &end, &size);
		if (ret) {
			*why = ret == -ERANGE ? "a node's size is too large" :
						"a node's size is not a number";
			return -EINVAL;
		}
		if (!IS_ALIGNED(size, GFX_POOL_BLOCK_SIZE)) {
			*why = "a node's size is not a multiple of 2M";
			return -EINVAL;
		}
		for (i = 0; i < param->nr_nodes; i++) {
			if (param->nodes[i].nid == nid) {
				*why = "a node is given twice";
				return -EINVAL;
			}
		}
		if (param->nr_nodes == GFX_POOL_MAX_REGIONS) {
			*why = "more nodes than the pool has regions for (16)";
			return -EINVAL;
		}
		if (check_add_overflow(param->size, (phys_addr_t)size,
				       &param->size)) {
			*why = "the size is too large";
			return -EINVAL;
		}
		param->nodes[param->nr_nodes].nid = nid;
		param->nodes[param->nr_nodes].size = size;
		param->nr_nodes++;
		p = end;
		if (!*p)
			return 0;
		if (*p++ != ',') {
			*why = "trailing characters";
			return -EINVAL;
		}
	}
}

/**
 * gfx_pool_parse_param() - parse the value of gfx_pool=
 * @str: the value, as the kernel command line gave it.
 * @param: filled in on success.
 * @why: on failure, set to a message saying what is wrong.
 *
 * Three forms: ``<size>`` (split across the nodes that have memory),
 * ``<size>@<base>`` (one region at that physical address), and
 * ``<nid>:<size>[,<nid>:<size>...]`` (a region of each size on each
 * node). Sizes and the base are decimal or 0x-hex, with an optional K, M,
 * G, T, P or E suffix as memparse() takes, but a value that overflows is
 * refused rather than wrapped. All must be multiples of 2 MiB, since the
 * pool works in whole 2 MiB direct-map entries. A size of 0 is valid and
 * turns the pool off (or, for one node, puts nothing there).
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
	if (strchr(str, ':'))
		return gfx_pool_parse_nodes(str, param, why);
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
 * The least alignment of a region: a block's, or a pageblock's where the
 * region is to be lent (CMA areas start and end on pageblocks, which are
 * 4 MiB on x86 without CONFIG_HUGETLB_PAGE).
 */
static phys_addr_t __init gfx_pool_min_align(void)
{
	if (IS_ENABLED(CONFIG_CMA) && gfx_pool_lend)
		return max_t(phys_addr_t, GFX_POOL_BLOCK_SIZE,
			     CMA_MIN_ALIGNMENT_BYTES);
	return GFX_POOL_BLOCK_SIZE;
}

/*
 * Make @region a CMA area, so that its blocks serve movable allocations
 * while the pool does not need them (elastic.c). A CMA area must lie in
 * one zone: not across the 16M or 4G boundaries, nor across nodes. Where
 * it cannot be one, the region stays the pool's for good.
 */
static void __init gfx_pool_reserve_lend(struct gfx_pool_region *region)
{
	phys_addr_t addr = region->base, size = region->size;
	char name[CMA_MAX_NAME];
	int ret;

	if (!IS_ENABLED(CONFIG_CMA) || !gfx_pool_lend)
		return;
	if ((addr < SZ_16M && addr + size > SZ_16M) ||
	    (addr < SZ_4G && addr + size > SZ_4G) ||
	    early_pfn_to_nid(PHYS_PFN(addr)) !=
	    early_pfn_to_nid(PHYS_PFN(addr + size - 1))) {
		pr_info("the region at %pa spans zones or nodes; it is not lent\n",
			&addr);
		return;
	}
	/* A fixed base or size may be 2M-aligned only. */
	if (!IS_ALIGNED(addr | size, CMA_MIN_ALIGNMENT_BYTES)) {
		pr_info("the region at %pa is not aligned to %lu KiB, as CMA needs; it is not lent\n",
			&addr, CMA_MIN_ALIGNMENT_BYTES >> 10);
		return;
	}
	snprintf(name, sizeof(name), "gfx_pool%d", region->nid);
	ret = cma_init_reserved_mem(addr, size, GFX_POOL_BLOCK_ORDER, name,
				    &region->cma);
	if (ret) {
		pr_err("no CMA area for the region at %pa (%d); it is not lent\n",
		       &addr, ret);
		region->cma = NULL;
		return;
	}
	/* If CMA cannot activate it, keep it reserved: init takes it then. */
	cma_reserve_pages_on_error(region->cma);
}

/*
 * Where a region goes without a fixed base: on @nid (any node for
 * NUMA_NO_NODE), above 4 GiB if it fits there, else below, never in the
 * first 16 MiB (ZONE_DMA). Memory below 4 GiB is what 32-bit DMA needs:
 * swiotlb's bounce buffers, the crash kernel's low memory, agpgart and
 * old devices. memblock allocates top-down, which usually means the
 * same, but not with movable_node, where it goes bottom-up: so ask for
 * the range explicitly. In each range the region is aligned to *@align
 * if it can be, else to gfx_pool_min_align(), and *@align says which:
 * an unaligned region above 4 GiB before an aligned one below.
 */
static phys_addr_t __init gfx_pool_place(phys_addr_t size, phys_addr_t *align,
					 int nid)
{
	static const phys_addr_t range[][2] = {
		{ SZ_4G, MEMBLOCK_ALLOC_ACCESSIBLE }, { SZ_16M, SZ_4G },
	};
	phys_addr_t want[] = { *align, gfx_pool_min_align() };
	bool exact = nid != NUMA_NO_NODE;
	phys_addr_t addr;
	int r, a;

	for (r = 0; r < ARRAY_SIZE(range); r++) {
		for (a = 0; a < ARRAY_SIZE(want); a++) {
			if (a && want[a] >= want[0])
				break;
			addr = memblock_alloc_range_nid(size, want[a],
							range[r][0],
							range[r][1], nid,
							exact);
			if (addr) {
				*align = want[a];
				return addr;
			}
		}
	}
	return 0;
}

/* Memory memblock knows on @nid, in bytes. */
static phys_addr_t __init gfx_pool_node_memory(int nid)
{
	unsigned long start, end, pages = 0;
	int i;

	for_each_mem_pfn_range(i, nid, &start, &end, NULL)
		pages += end - start;
	return PFN_PHYS(pages);
}

/*
 * Is all of [@base, @base + @size) RAM? memblock_is_region_memory() asks
 * for one memblock region, and memblock splits its regions where nodes
 * meet: a range across two nodes is RAM all the same.
 */
static bool __init gfx_pool_range_is_ram(phys_addr_t base, phys_addr_t size)
{
	phys_addr_t start, end, at = base;
	u64 i;

	for_each_mem_range(i, &start, &end) {
		if (start > at)
			break;		/* a hole at @at: the ranges are sorted */
		if (end > at)
			at = end;
		if (at >= base + size)
			return true;
	}
	return false;
}

/*
 * Record a region memblock just reserved at @align (0: at a fixed base),
 * and lend it if it may.
 */
static void __init gfx_pool_add_region(phys_addr_t addr, phys_addr_t size,
				       phys_addr_t align)
{
	struct gfx_pool_region *region = &gfx_pool.region[gfx_pool.nr_regions++];

	/*
	 * kmemleak must not scan the pool: it would read NP blocks through
	 * the direct map, where they are not present, and crawl through UC
	 * ones. No kernel pointer lives in pool pages anyway. (cma does the
	 * same.)
	 */
	kmemleak_ignore_phys(addr);
	region->base = addr;
	region->size = size;
	region->align = align;
	region->nid = early_pfn_to_nid(PHYS_PFN(addr));
	gfx_pool_reserve_lend(region);
	pr_info("reserved %llu MiB at %pa%s on node %d\n",
		(unsigned long long)(size >> 20), &addr,
		region->cma ? ", lent while idle" : "", region->nid);
}

/*
 * A region of @size on node @nid, aligned to its size rounded up to a
 * power of two, at most 1 GiB, so that it never straddles a GiB boundary
 * it does not have to: each GiB window the pool touches may cost one
 * 1 GiB -> 2 MiB demotion of the direct map.
 */
static void __init gfx_pool_reserve_on(phys_addr_t size, int nid)
{
	phys_addr_t align, addr;

	/* The parser and the split never ask for more; be sure of it. */
	if (WARN_ON_ONCE(gfx_pool.nr_regions == GFX_POOL_MAX_REGIONS))
		return;
	align = min_t(phys_addr_t, roundup_pow_of_two(size), SZ_1G);
	addr = gfx_pool_place(size, &align, nid);
	if (!addr) {
		pr_err("gfx_pool=%s: no free range of %llu MiB on node %d; no region there\n",
		       gfx_pool_cmdline, (unsigned long long)(size >> 20), nid);
		return;
	}
	gfx_pool_add_region(addr, size, align);
}

/*
 * gfx_pool=<nid>:<size>,...: each node must have memory, and give at most
 * half of it, as the whole pool gives at most half of RAM. Return: true
 * if every node listed may have its region.
 */
static bool __init gfx_pool_check_nodes(const struct gfx_pool_param *param)
{
	phys_addr_t mem;
	unsigned int i;
	int nid;

	for (i = 0; i < param->nr_nodes; i++) {
		nid = param->nodes[i].nid;
		mem = gfx_pool_node_memory(nid);
		if (!param->nodes[i].size)
			continue;
		if (!mem) {
			pr_err("ignoring gfx_pool=%s: node %d has no memory; the pool stays off\n",
			       gfx_pool_cmdline, nid);
			return false;
		}
		if (param->nodes[i].size > mem / 2) {
			pr_err("ignoring gfx_pool=%s: more than half of node %d's memory; the pool stays off\n",
			       gfx_pool_cmdline, nid);
			return false;
		}
	}
	return true;
}

/*
 * gfx_pool=<size>: a share of it on every node that has memory, in whole
 * blocks, the first nodes taking one block more where it does not divide
 * evenly; on a machine with one node, all of it there.
 */
static void __init gfx_pool_reserve_split(phys_addr_t size)
{
	unsigned long blocks = size >> PMD_SHIFT, share, extra;
	nodemask_t nodes = NODE_MASK_NONE;
	unsigned int nr = 0;
	int nid;

	phys_addr_t mine;

	for_each_online_node(nid) {
		if (!gfx_pool_node_memory(nid))
			continue;
		if (nr == GFX_POOL_MAX_REGIONS) {
			pr_info("gfx_pool=%s: more than 16 nodes with memory; node %d and later get no region\n",
				gfx_pool_cmdline, nid);
			break;
		}
		node_set(nid, nodes);
		nr++;
	}
	if (nr <= 1) {
		gfx_pool_reserve_on(size, NUMA_NO_NODE);
		return;
	}
	share = blocks / nr;
	extra = blocks % nr;
	for_each_node_mask(nid, nodes) {
		mine = (phys_addr_t)(share + !!extra) << PMD_SHIFT;
		if (extra)
			extra--;
		if (!mine)
			continue;
		/* As for the whole pool: at most half of the node. */
		if (mine > gfx_pool_node_memory(nid) / 2) {
			pr_err("gfx_pool=%s: %llu MiB is more than half of node %d's memory; no region there\n",
			       gfx_pool_cmdline, (unsigned long long)(mine >> 20),
			       nid);
			continue;
		}
		gfx_pool_reserve_on(mine, nid);
	}
}

/*
 * gfx_pool_reserve_fixed() (@fixed) or gfx_pool_reserve() without the
 * sorting: see there. Each acts on what is its own and reports it, so
 * that every message is said once.
 */
static void __init __gfx_pool_reserve(bool fixed)
{
	struct gfx_pool_param *param = &gfx_pool_param;
	phys_addr_t ram = memblock_phys_mem_size();
	const char *why;
	unsigned int i;

	if (gfx_pool_param_bad ||
	    fixed != (gfx_pool_param_given && param->fixed_base))
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
	/*
	 * A kdump capture kernel runs in the crashkernel= reservation, a few
	 * hundred MiB, to save a dump: it drives no GPU worth a pool, and up
	 * to half of its memory held for one could leave the dump short.
	 * kdump-tools hands it the crashed kernel's command line, gfx_pool=
	 * and all.
	 */
	if (is_kdump_kernel()) {
		pr_info("gfx_pool=%s: a kdump kernel; the pool stays off\n",
			gfx_pool_cmdline);
		return;
	}
	if (gfx_pool_check_param(param, ram, &why)) {
		pr_err("ignoring gfx_pool=%s: %s (%pa bytes of RAM); the pool stays off\n",
		       gfx_pool_cmdline, why, &ram);
		return;
	}

	if (param->nr_nodes) {
		if (!gfx_pool_check_nodes(param))
			return;
		for (i = 0; i < param->nr_nodes; i++)
			if (param->nodes[i].size)
				gfx_pool_reserve_on(param->nodes[i].size,
						    param->nodes[i].nid);
		return;
	}
	if (!param->fixed_base) {
		gfx_pool_reserve_split(param->size);
		return;
	}
	if (!gfx_pool_range_is_ram(param->base, param->size)) {
		pr_err("ignoring gfx_pool=%s: the range is not all RAM; the pool stays off\n",
		       gfx_pool_cmdline);
		return;
	}
	/*
	 * Exactly the range, all of it or nothing. Not through
	 * memblock_phys_alloc_range(): it finds free ranges within one
	 * memblock region, so never one across nodes.
	 */
	if (memblock_is_region_reserved(param->base, param->size) ||
	    memblock_reserve(param->base, param->size)) {
		pr_err("ignoring gfx_pool=%s: the range is already in use; the pool stays off\n",
		       gfx_pool_cmdline);
		return;
	}
	/*
	 * As a memblock allocation is: accepted (memory a TDX or SEV-SNP
	 * guest accepts lazily would fault on the first zeroing, or go to
	 * the buddy allocator unaccepted when lent), and known to kmemleak
	 * (gfx_pool_add_region() ignores it).
	 */
	accept_memory(param->base, param->size);
	kmemleak_alloc_phys(param->base, param->size, 0);
	gfx_pool_add_region(param->base, param->size, 0);
}

/**
 * gfx_pool_reserve_fixed() - reserve the pool's memory at boot, at a fixed base
 *
 * For architecture setup code only, called once after the NUMA layout is
 * known, and before the reservations that may go anywhere (hugetlb_cma=,
 * a crashkernel= without an offset), so that those go around a range the
 * admin chose: gfx_pool=<size>@<base> is taken as given (the KASLR
 * decompressor keeps the kernel out of it). Any other gfx_pool= waits for
 * gfx_pool_reserve(). Errors are reported and leave the pool off; they
 * never stop the boot.
 *
 * Context: Early boot.
 */
void __init gfx_pool_reserve_fixed(void)
{
	__gfx_pool_reserve(true);
}

/**
 * gfx_pool_reserve() - reserve the pool's memory at boot
 *
 * For architecture setup code only, called once after
 * gfx_pool_reserve_fixed() and after the reservations that must be where
 * they were asked for (crashkernel=X@Y) or that go anywhere
 * (hugetlb_cma=), before memblock memory is freed to the page allocator:
 * the pool, which can go anywhere, goes around them. With no size
 * configured, or a fixed base, it does nothing but sort. Errors are
 * reported and leave the pool off (or, where only one node's region does
 * not fit, that node without one); they never stop the boot.
 *
 * Placement: each region goes where gfx_pool_place() puts it, on its
 * node.
 *
 * Context: Early boot.
 */
void __init gfx_pool_reserve(void)
{
	unsigned int i, j;

	__gfx_pool_reserve(false);
	/* In physical order, whatever order the nodes were given in. */
	for (i = 1; i < gfx_pool.nr_regions; i++)
		for (j = i; j && gfx_pool.region[j - 1].base > gfx_pool.region[j].base; j--)
			swap(gfx_pool.region[j], gfx_pool.region[j - 1]);
}

/* === Init ================================================================ */

/*
 * Demote every 1 GiB direct-map page over @region to 2 MiB pages now,
 * once per GiB window (see gfx_pool_demote_gbpage()), rather than from an
 * allocation path later. Where the window also maps memory outside the
 * pool that memory keeps 2 MiB pages; a pool of whole, GiB-aligned
 * gigabytes avoids that.
 */
static void __init gfx_pool_demote_gbpages(struct gfx_pool_region *region)
{
	unsigned long pfn = region->start_pfn;
	unsigned long end = pfn + (region->nr_blocks << GFX_POOL_BLOCK_ORDER);
	struct gfx_pool_block *block;
	struct gfx_pool_node *node;
	unsigned long next;
	int ret;

	for (; pfn < end; pfn = next) {
		next = min(ALIGN(pfn + 1, PUD_SIZE >> PAGE_SHIFT), end);
		/* Not ready yet: gfx_pool_pfn_to_block() says NULL. */
		block = &region->blocks[(pfn - region->start_pfn) >>
					GFX_POOL_BLOCK_ORDER];
		ret = gfx_pool_demote_gbpage(block);
		if (ret < 0) {
			node = gfx_pool.node[block->nid];
			__gfx_pool_block_detach(node, block);
			__gfx_pool_block_broken(node, block);
			/*
			 * The window is still one 1G page: the next block
			 * tries again, so that no later conversion of a block
			 * in it splits the 1G page inside CPA.
			 */
			next = pfn + GFX_POOL_BLOCK_PAGES;
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
	int nid, d, o;

	for_each_node_state(nid, N_MEMORY) {
		node = NULL;
		if (!gfx_pool_should_fail(GFX_POOL_FAIL_INIT, sizeof(*node)))
			node = kzalloc_node(sizeof(*node), GFP_KERNEL, nid);
		if (!node)
			return -ENOMEM;
		node->nid = nid;
		mutex_init(&node->convert_lock);
		spin_lock_init(&node->lock);
		INIT_LIST_HEAD(&node->grown);
		INIT_LIST_HEAD(&node->broken);
		INIT_DELAYED_WORK(&node->warm_work, gfx_pool_warm_fn);
		for (d = 0; d < GFX_POOL_NR_DOMAINS; d++) {
			INIT_LIST_HEAD(&node->domain[d].free);
			for (o = 0; o < GFX_POOL_BLOCK_ORDER; o++)
				INIT_LIST_HEAD(&node->domain[d].partial[o]);
			for (o = 0; o < GFX_POOL_NR_DOMAINS; o++)
				INIT_LIST_HEAD(&node->pairs[d][o]);
		}
		gfx_pool.node[nid] = node;
	}
	return 0;
}

/* Set up the blocks of @region, from @blocks on. */
static void __init gfx_pool_region_init(struct gfx_pool_region *region,
					struct gfx_pool_block *blocks)
{
	struct gfx_pool_block *block;
	unsigned long i;

	region->start_pfn = PHYS_PFN(region->base);
	region->nr_blocks = region->size >> PMD_SHIFT;
	region->blocks = blocks;
	/* One lending region a node: the reservation never makes two. */
	if (region->cma)
		gfx_pool.node[region->nid]->region = region;
	for (i = 0; i < region->nr_blocks; i++) {
		block = &region->blocks[i];
		block->pfn = region->start_pfn + (i << GFX_POOL_BLOCK_ORDER);
		block->nid = pfn_to_nid(block->pfn);
		block->domain = GFX_POOL_WB;
		INIT_LIST_HEAD(&block->list);
		INIT_LIST_HEAD(&block->pair);
		block->free_order = -1;
		/* Whatever firmware or the boot left there: not zero. */
		bitmap_fill(block->dirty, GFX_POOL_BLOCK_PAGES);
		if (region->cma) {
			/* The page allocator's until the pool takes it back. */
			block->lent = true;
			block->converting = true;
			continue;
		}
		/* Listed by gfx_pool_list_blocks() once all are set up. */
		gfx_pool_set_offline(pfn_to_page(block->pfn),
				     GFX_POOL_BLOCK_PAGES, true);
	}
	if (region->cma)
		atomic_long_set(&region->nr_lent, region->nr_blocks);
}

/*
 * The pool comes up if it has a region, or may grow (gfx_pool.grow_limit
 * at boot); with neither it stays off and costs nothing.
 */
static int __init gfx_pool_init(void)
{
	struct gfx_pool_region *region;
	unsigned long i, nr_blocks = 0;
	unsigned int r, lent = 0;
	unsigned long addr;
	int nid;

	for (r = 0; r < gfx_pool.nr_regions; r++) {
		region = &gfx_pool.region[r];
		nr_blocks += region->size >> PMD_SHIFT;
		/*
		 * CMA activated the area at core_initcall, or kept it
		 * reserved: then it is the pool's like a region that does
		 * not lend, and is freed like one if init fails.
		 */
		if (IS_ENABLED(CONFIG_CMA) && region->cma &&
		    cma_get_size(region->cma) != region->size) {
			pr_err("CMA could not activate the region at %pa; it is not lent\n",
			       &region->base);
			region->cma = NULL;
		}
	}
	if (!nr_blocks && !gfx_pool.grow_limit)
		return 0;
	/* A kdump kernel reserved no region (__gfx_pool_reserve()); nor grows. */
	if (is_kdump_kernel()) {
		pr_info("gfx_pool.grow_limit=%luM: a kdump kernel; the pool stays off\n",
			gfx_pool.grow_limit << (GFX_POOL_BLOCK_SHIFT - 20));
		gfx_pool.grow_limit = 0;
		return 0;
	}

	if (nr_blocks &&
	    !gfx_pool_should_fail(GFX_POOL_FAIL_INIT,
				  nr_blocks * sizeof(*gfx_pool.blocks)))
		gfx_pool.blocks = kvcalloc(nr_blocks, sizeof(*gfx_pool.blocks),
					   GFP_KERNEL);
	if (nr_blocks && !gfx_pool.blocks)
		goto out_off;
	if (gfx_pool_slot_init())
		goto out_free_blocks;
	if (gfx_pool_nodes_init())
		goto out_free_nodes;

	gfx_pool.dma32 = gfx_pool.nr_regions > 0;
	for (r = 0, i = 0; r < gfx_pool.nr_regions; r++) {
		region = &gfx_pool.region[r];
		gfx_pool_region_init(region, gfx_pool.blocks + i);
		i += region->nr_blocks;
		if (region->base + region->size > SZ_4G)
			gfx_pool.dma32 = false;
	}
	gfx_pool.nr_blocks = nr_blocks;
	gfx_pool_list_blocks();

	/* Without a region, any direct-map address tells: a node struct's. */
	addr = gfx_pool.nr_regions ?
	       (unsigned long)__va(gfx_pool.region[0].base) :
	       (unsigned long)gfx_pool.node[first_memory_node];
	arch_gfx_pool_setup(addr);
	/* A lent block is demoted when it is taken back: it is not ours. */
	for (r = 0; r < gfx_pool.nr_regions; r++)
		if (!gfx_pool.region[r].cma)
			gfx_pool_demote_gbpages(&gfx_pool.region[r]);

	/* Before the pool is ready: a drain may come as soon as it is. */
	if (gfx_pool_pcp_init())
		pr_err("no CPU hotplug state: the per-CPU lists stay off\n");
	/* Pairs with gfx_pool_is_ready(): publish everything set up above. */
	smp_store_release(&gfx_pool.ready, true);
	static_branch_enable(&gfx_pool_enabled_key);
	if (gfx_pool_grow_init())
		pr_err("no shrinker: grown blocks are given back only when idle\n");
	if (gfx_pool_pm_init())
		pr_err("no PM notifier: hibernation is not refused without the PM device\n");
	gfx_pool_debugfs_init();
	for (r = 0; r < gfx_pool.nr_regions; r++) {
		region = &gfx_pool.region[r];
		pr_info("%lu blocks of 2M ready at %pa%s on node %d\n",
			region->nr_blocks, &region->base,
			region->cma ? ", lent until needed" : "", region->nid);
	}
	if (gfx_pool.grow_limit)
		pr_info("may grow by up to %lu blocks of 2M\n",
			gfx_pool.grow_limit);
	return 0;

out_free_nodes:
	for_each_node(nid) {
		kfree(gfx_pool.node[nid]);
		gfx_pool.node[nid] = NULL;
	}
	gfx_pool_slot_exit();
out_free_blocks:
	kvfree(gfx_pool.blocks);
	gfx_pool.blocks = NULL;
out_off:
	for (r = 0; r < gfx_pool.nr_regions; r++) {
		region = &gfx_pool.region[r];
		if (region->cma) {
			/* The page allocator has it already, and keeps it. */
			lent++;
			continue;
		}
		/* The region is still WB and unused: free it. */
		memblock_free_late(region->base, region->size);
	}
	pr_err("no memory for the metadata of %lu blocks; the pool stays off%s\n",
	       nr_blocks, !nr_blocks ? "" :
	       lent == gfx_pool.nr_regions ? " and its memory stays lent" :
	       !lent ? " and its memory is freed" :
	       " and its memory is freed or stays lent");
	gfx_pool.nr_regions = 0;
	return -ENOMEM;
}
subsys_initcall(gfx_pool_init);
