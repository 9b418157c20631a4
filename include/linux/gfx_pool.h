/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gfx_pool: a boot-reserved pool of pages that are handed out already in
 * the domain a graphics driver asked for, without an alias in the
 * direct map and without splitting its large pages.
 *
 * See Documentation/mm/gfx_pool.rst.
 */
#ifndef _LINUX_GFX_POOL_H
#define _LINUX_GFX_POOL_H

#include <linux/gfp_types.h>
#include <linux/jump_label.h>
#include <linux/mm_types.h>
#include <linux/printk.h>
#include <linux/types.h>

struct page;

/**
 * enum gfx_pool_domain - how the direct map maps a pool page
 * @GFX_POOL_WB: write-back, like any other kernel page.
 * @GFX_POOL_WC: write-combined.
 * @GFX_POOL_UC: uncached (UC-, as set_memory_uc() gives).
 * @GFX_POOL_NP: not present in the direct map at all, like highmem.
 * @GFX_POOL_NR_DOMAINS: the number of domains; not a domain.
 *
 * A user mapping of a pool page made with the caching of its domain
 * (pgprot_writecombine() for @GFX_POOL_WC, pgprot_noncached() for
 * @GFX_POOL_UC) is no illegal alias: the PAT memtype of the page is the
 * domain's, so vmf_insert_pfn_prot() and remap_pfn_range() keep that caching.
 * @GFX_POOL_NP pages have no kernel mapping at all but keep the WB
 * memtype: map them WB (PAT turns a WC or UC request for them into WB);
 * a driver that wants WC or UC mappings uses those domains.
 */
enum gfx_pool_domain {
	GFX_POOL_WB,
	GFX_POOL_WC,
	GFX_POOL_UC,
	GFX_POOL_NP,
	GFX_POOL_NR_DOMAINS
};

#ifdef CONFIG_GFX_POOL

/* Documented at their definitions, in mm/gfx_pool/core.c. */
struct page *gfx_pool_alloc_pages(int nid, enum gfx_pool_domain domain,
				  gfp_t gfp, unsigned int order);
void gfx_pool_free_pages(struct page *page, unsigned int order);
bool __gfx_pool_owns_page(const struct page *page);
bool gfx_pool_page_reserved(const struct page *page);

/* On once the pool is initialised; never off again. */
DECLARE_STATIC_KEY_FALSE(gfx_pool_enabled_key);

/**
 * gfx_pool_enabled() - is there a pool at all?
 *
 * Users that fall back to another path when the pool is off can test
 * this once instead of counting failed allocations. A static branch: a
 * kernel built with the pool but booted without one (gfx_pool=0) pays a
 * no-op for it in its users' hot paths, not a call.
 *
 * Context: Any context.
 * Return: true if a pool was reserved and initialised.
 */
static inline bool gfx_pool_enabled(void)
{
	return static_branch_unlikely(&gfx_pool_enabled_key);
}

/**
 * gfx_pool_owns_page() - is @page the pool's?
 * @page: any page, or NULL.
 *
 * Without a pool, false at the cost of a static branch.
 *
 * Context: Any context; takes no lock.
 * Return: true if @page belongs to the pool (a region's, not lent now, or
 * a grown block's), handed out or not.
 */
static inline bool gfx_pool_owns_page(const struct page *page)
{
	return gfx_pool_enabled() && __gfx_pool_owns_page(page);
}

#else /* CONFIG_GFX_POOL */

static inline struct page *gfx_pool_alloc_pages(int nid,
						enum gfx_pool_domain domain,
						gfp_t gfp, unsigned int order)
{
	return NULL;
}

static inline void gfx_pool_free_pages(struct page *page, unsigned int order)
{
	/*
	 * No pool page can exist, so whatever this is, it is not ours:
	 * refused with an error, as the pool refuses misuse, never a WARN.
	 */
	if (page)
		pr_err_ratelimited("gfx_pool: %pS freed a page, but this kernel has no pool\n",
				   __builtin_return_address(0));
}

static inline bool gfx_pool_owns_page(const struct page *page)
{
	return false;
}

static inline bool gfx_pool_page_reserved(const struct page *page)
{
	return false;
}

static inline bool gfx_pool_enabled(void)
{
	return false;
}

#endif /* CONFIG_GFX_POOL */

#endif /* _LINUX_GFX_POOL_H */
