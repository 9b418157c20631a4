// SPDX-License-Identifier: GPL-2.0
/*
 * gfx_pool on x86: conversions of a 2 MiB block of the direct map
 * through CPA, with PAT giving each domain its memtype.
 *
 * CPA keeps a 2M (or 1G) entry whole when one set_memory_*() call covers
 * all of it (__should_split_large_page() in pat/set_memory.c), so each
 * hook is one call over the whole block. The memtype of RAM only moves
 * to and from WB: WC and UC are entered from WB and left to WB.
 * set_memory_wc() and set_memory_uc() flush the block's cache lines as
 * they change its type; an NP block keeps the WB memtype, so PAT maps it
 * WB wherever it is mapped and no flush is needed either way.
 */

#include <linux/gfx_pool_mm.h>
#include <linux/init.h>
#include <linux/pgtable.h>
#include <linux/set_memory.h>

#include <kunit/visibility.h>

#include <asm/gfx_pool.h>
#include <asm/memtype.h>

/* The direct map had _PAGE_GLOBAL where the pool set up. */
static bool gfx_pool_global __ro_after_init;

/**
 * arch_gfx_pool_setup() - learn how the direct map maps pool memory
 * @addr: a direct-map address of the pool (or of any RAM, if it has no
 *	region).
 *
 * set_memory_np() drops _PAGE_GLOBAL and set_memory_p() does not give it
 * back: remember whether the direct map had it, so that a block leaving
 * %GFX_POOL_NP gets it back.
 *
 * Context: Init.
 */
void __init arch_gfx_pool_setup(unsigned long addr)
{
	unsigned int level;
	pte_t *pte = lookup_address(addr, &level);

	gfx_pool_global = pte && (pte_flags(*pte) & _PAGE_GLOBAL);
}

/**
 * arch_gfx_pool_map_shift() - the size of the direct-map entry over @addr
 * @addr: a direct-map address.
 *
 * Present or not: an NP block keeps its 2M entry, only not present.
 *
 * Context: Any context.
 * Return: PAGE_SHIFT, PMD_SHIFT or PUD_SHIFT, or 0 if nothing maps @addr.
 */
unsigned int arch_gfx_pool_map_shift(unsigned long addr)
{
	unsigned int level;

	if (!lookup_address(addr, &level))
		return 0;
	switch (level) {
	case PG_LEVEL_4K:
		return PAGE_SHIFT;
	case PG_LEVEL_2M:
		return PMD_SHIFT;
	case PG_LEVEL_1G:
		return PUD_SHIFT;
	default:
		return 0;
	}
}

#if IS_ENABLED(CONFIG_KUNIT)
/**
 * arch_gfx_pool_map_domain() - how the direct map maps @addr, as a domain
 * @addr: a direct-map address.
 *
 * What the tests check every block against, pool pages or not.
 *
 * Context: Any context.
 * Return: the domain whose caching the entry over @addr has
 * (%GFX_POOL_UC for PAT's UC-, the type set_memory_uc() gives), or
 * %GFX_POOL_NP if the entry is not present; -ENOENT if there is no entry,
 * -EINVAL for a caching no domain has, -EOPNOTSUPP for a present entry
 * whose caching cannot be told (PAT off: WC reads as UC- then).
 */
int arch_gfx_pool_map_domain(unsigned long addr)
{
	unsigned int level;
	pte_t *pte = lookup_address(addr, &level);
	pgprot_t prot;

	if (!pte)
		return -ENOENT;
	if (!(pte_flags(*pte) & _PAGE_PRESENT))
		return GFX_POOL_NP;
	if (!pat_enabled())
		return -EOPNOTSUPP;
	/*
	 * A large entry's PAT bit is bit 12, which pte_flags() takes for a
	 * pfn bit: read it as the entry of its level.
	 */
	if (level == PG_LEVEL_2M)
		prot = pgprot_large_2_4k(__pgprot(pmd_flags(*(pmd_t *)pte)));
	else if (level == PG_LEVEL_1G)
		prot = pgprot_large_2_4k(__pgprot(pud_flags(*(pud_t *)pte)));
	else
		prot = __pgprot(pte_flags(*pte));
	switch (pgprot2cachemode(prot)) {
	case _PAGE_CACHE_MODE_WB:
		return GFX_POOL_WB;
	case _PAGE_CACHE_MODE_WC:
		return GFX_POOL_WC;
	case _PAGE_CACHE_MODE_UC_MINUS:
		return GFX_POOL_UC;
	default:
		return -EINVAL;
	}
}
EXPORT_SYMBOL_IF_KUNIT(arch_gfx_pool_map_domain);
#endif /* CONFIG_KUNIT */

/**
 * arch_gfx_pool_enter() - map a WB block in another domain
 * @addr: the block's direct-map address.
 * @nr: its pages, a whole 2 MiB.
 * @domain: %GFX_POOL_WC, %GFX_POOL_UC or %GFX_POOL_NP.
 *
 * A block inside a 1G entry demotes that entry to 2M ones: CPA splits a
 * 1G page into 2M pages when a call covers a whole 2M of it.
 *
 * Context: Process context; may sleep.
 * Return: 0, or the error of set_memory_*(): the block may then be half
 * changed, and arch_gfx_pool_reset() puts it back to WB.
 */
int arch_gfx_pool_enter(unsigned long addr, unsigned int nr,
			enum gfx_pool_domain domain)
{
	switch (domain) {
	case GFX_POOL_WC:
		return set_memory_wc(addr, nr);
	case GFX_POOL_UC:
		return set_memory_uc(addr, nr);
	case GFX_POOL_NP:
		return set_memory_np(addr, nr);
	default:
		return 0;
	}
}

/* The NP block at @addr present again, with _PAGE_GLOBAL if it had it. */
static int gfx_pool_map_present(unsigned long addr, unsigned int nr)
{
	int ret = set_memory_p(addr, nr);

	/* Failing that costs TLB efficiency only, so it is not an error. */
	if (!ret && gfx_pool_global)
		set_memory_global(addr, nr);
	return ret;
}

/**
 * arch_gfx_pool_leave() - map a block of @domain WB again
 * @addr: the block's direct-map address.
 * @nr: its pages, a whole 2 MiB.
 * @domain: the domain it is in now.
 *
 * %GFX_POOL_WC and %GFX_POOL_UC give their memtype back;
 * %GFX_POOL_NP maps the block present again. The hibernation snapshot
 * uses the same for an NP block that it must read.
 *
 * Context: Process context; may sleep.
 * Return: 0, or the error of set_memory_*().
 */
int arch_gfx_pool_leave(unsigned long addr, unsigned int nr,
			enum gfx_pool_domain domain)
{
	switch (domain) {
	case GFX_POOL_WC:
	case GFX_POOL_UC:
		return set_memory_wb(addr, nr);
	case GFX_POOL_NP:
		return gfx_pool_map_present(addr, nr);
	default:
		return 0;
	}
}

/**
 * arch_gfx_pool_reset() - put a block back to WB after a failed enter
 * @addr: the block's direct-map address.
 * @nr: its pages, a whole 2 MiB.
 * @domain: the domain that arch_gfx_pool_enter() failed to enter.
 *
 * set_memory_wc() and set_memory_uc() have given the memtype back when
 * they fail, but the entry may be half changed: _set_memory_wb() sets
 * the cache bits without a memtype. set_memory_np() may have left the
 * block either way: map it present.
 *
 * Context: Process context; may sleep.
 * Return: 0, or the error of set_memory_*(): the block's state is then
 * unknown.
 */
int arch_gfx_pool_reset(unsigned long addr, unsigned int nr,
			enum gfx_pool_domain domain)
{
	if (domain == GFX_POOL_NP)
		return gfx_pool_map_present(addr, nr);
	return _set_memory_wb(addr, nr);
}
