/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gfx_pool: a boot-reserved pool of pages that are handed out already in
 * the caching mode a graphics driver asked for, without an alias in the
 * direct map and without splitting its large pages.
 *
 * See Documentation/mm/gfx_pool.rst.
 */
#ifndef _LINUX_GFX_POOL_H
#define _LINUX_GFX_POOL_H

#include <linux/bug.h>
#include <linux/errno.h>
#include <linux/gfp_types.h>
#include <linux/init.h>
#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/types.h>

struct address_space;
struct page;

/**
 * enum gfx_pool_domain - how the direct map maps a pool page
 * @GFX_POOL_WB: write-back, like any other kernel page.
 * @GFX_POOL_WC: write-combined.
 * @GFX_POOL_UC: uncached (UC-, as set_memory_uc() gives).
 * @GFX_POOL_NP: not present in the direct map at all, like highmem.
 * @GFX_POOL_NR_DOMAINS: the number of domains; not a domain.
 *
 * A user mapping of a pool page made with the caching mode of its domain
 * (pgprot_writecombine() for @GFX_POOL_WC, pgprot_noncached() for
 * @GFX_POOL_UC) is no illegal alias: the PAT memtype of the page is the
 * domain's, so vmf_insert_pfn_prot() and remap_pfn_range() keep that mode.
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

/**
 * struct gfx_pool_mapping - a range of user mappings of pool pages
 * @mapping: the address_space the user mappings belong to.
 * @start: first byte of the range, as unmap_mapping_range() takes it.
 * @len: length of the range in bytes; 0 means to the end of @mapping.
 *
 * A driver that maps pool pages into user space with a caching mode other
 * than write-back embeds one in its own structure and registers it with
 * gfx_pool_register_mapping(): the pool zaps the range when the system
 * suspends or hibernates, once user space is frozen, and the driver's
 * fault handler maps the pages again after resume.
 */
struct gfx_pool_mapping {
	struct address_space *mapping;
	loff_t start;
	loff_t len;
	/* private: */
	struct list_head list;
	unsigned long zaps;
};

/* The order of a block, the pool's unit: one 2 MiB direct-map entry. */
#define GFX_POOL_BLOCK_ORDER	9

/*
 * The largest order a pool allocation may have: MAX_PAGE_ORDER on x86-64,
 * so that users like TTM get the same chunks as from the page allocator.
 * Orders above GFX_POOL_BLOCK_ORDER take whole, naturally aligned blocks.
 */
#define GFX_POOL_MAX_ORDER	10

#ifdef CONFIG_GFX_POOL

/**
 * gfx_pool_alloc_pages() - allocate pool pages in a caching domain
 * @nid: preferred node, or %NUMA_NO_NODE for the local one. Other nodes
 *	are tried after it unless @gfp has %__GFP_THISNODE.
 * @domain: how the direct map must map the pages.
 * @gfp: allocation flags. %__GFP_ZERO gives zeroed pages in every domain.
 *	A gfp that may sleep lets the pool convert a free 2 MiB block to
 *	@domain when no block of @domain has room; an atomic one only takes
 *	pages from blocks already in @domain. %__GFP_DMA is never met,
 *	%__GFP_DMA32 only when the whole pool lies below 4 GiB. Other flags
 *	are ignored: the pool never reclaims.
 * @order: 0 to %GFX_POOL_MAX_ORDER; the pages are naturally aligned.
 *	Above %GFX_POOL_BLOCK_ORDER they are whole blocks, which must all
 *	be free.
 *
 * The pages are physically contiguous and mapped in the direct map as
 * @domain says (not at all for %GFX_POOL_NP), by a 2 MiB or 1 GiB entry.
 * Their struct pages are PageReserved and their refcount is not the
 * caller's to drop: give them back with gfx_pool_free_pages() only.
 * %__GFP_ZERO and init_on_alloc=1 work in every domain and context.
 *
 * Context: Any context the gfp allows, as for alloc_pages() (the pool
 * takes a spinlock_t, so not hard interrupt context on PREEMPT_RT);
 * might_alloc(@gfp).
 * Return: the first page, or NULL if the pool is off, exhausted, cannot
 * meet @gfp, or the call is malformed (that one with a rate-limited
 * error).
 */
struct page *gfx_pool_alloc_pages(int nid, enum gfx_pool_domain domain,
				  gfp_t gfp, unsigned int order);

/**
 * gfx_pool_free_pages() - give pages back to the pool
 * @page: first page, as gfx_pool_alloc_pages() returned it.
 * @order: the order it was allocated with.
 *
 * The contents are not cleared (unless init_on_free=1); the next
 * %__GFP_ZERO caller gets them zeroed. Freeing a page the pool does not
 * own, a page that is not the first of an allocation, an allocation with
 * another order than it was made with, or one already freed is refused
 * with a rate-limited error and changes nothing. Freeing NULL does
 * nothing.
 *
 * Context: Any context where a spinlock_t may be taken.
 */
void gfx_pool_free_pages(struct page *page, unsigned int order);

/**
 * gfx_pool_owns_page() - does @page lie in the pool's region?
 * @page: any page, or NULL.
 *
 * Context: Any context; takes no lock.
 * Return: true if @page belongs to the pool, handed out or not.
 */
bool gfx_pool_owns_page(const struct page *page);

/**
 * gfx_pool_page_domain() - the domain of a handed-out pool page
 * @page: any page.
 *
 * Context: Any context where a spinlock_t may be taken.
 * Return: the &enum gfx_pool_domain of @page if the pool handed it out,
 * -ENOENT if the pool does not own it or it is free.
 */
int gfx_pool_page_domain(const struct page *page);

/**
 * gfx_pool_enabled() - is there a pool at all?
 *
 * Users that fall back to another path when the pool is off can test
 * this once instead of counting failed allocations.
 *
 * Context: Any context.
 * Return: true if a pool was reserved and initialised.
 */
bool gfx_pool_enabled(void);

/**
 * gfx_pool_nr_free() - pages of the pool not handed out
 *
 * Some of them may sit in blocks of other domains that are not wholly
 * free, or on other nodes, so a nonzero count does not promise that any
 * allocation succeeds; zero says that none can. Do not steer allocation
 * orders by it (TTM no longer does): fall back at the order that failed.
 *
 * Context: Any context where a spinlock_t may be taken; takes each node's
 * lock in turn, so not for a hot path.
 * Return: the number of pages.
 */
unsigned long gfx_pool_nr_free(void);

/**
 * gfx_pool_count_fallback() - note that a user took a page elsewhere
 * @domain: the domain it had asked the pool for.
 *
 * A user that falls back to the page allocator and a per-page caching
 * change when the pool is off or could not serve it calls this once per
 * fallback allocation, so that the pool's debugfs shows how often its
 * size fell short (the ``fallbacks`` column).
 *
 * Context: Any context.
 */
void gfx_pool_count_fallback(enum gfx_pool_domain domain);

/**
 * gfx_pool_reserve() - reserve the pool's memory at boot
 *
 * For architecture setup code only, called once after the NUMA layout is
 * known and before memblock memory is freed to the page allocator.
 *
 * Context: Early boot.
 */
void __init gfx_pool_reserve(void);

#else /* CONFIG_GFX_POOL */

static inline struct page *gfx_pool_alloc_pages(int nid,
						enum gfx_pool_domain domain,
						gfp_t gfp, unsigned int order)
{
	return NULL;
}

static inline void gfx_pool_free_pages(struct page *page, unsigned int order)
{
	/* No pool page can exist, so whatever this is, it is not ours. */
	WARN_ON_ONCE(page);
}

static inline bool gfx_pool_owns_page(const struct page *page)
{
	return false;
}

static inline int gfx_pool_page_domain(const struct page *page)
{
	return -ENOENT;
}

static inline bool gfx_pool_enabled(void)
{
	return false;
}

static inline unsigned long gfx_pool_nr_free(void)
{
	return 0;
}

static inline void gfx_pool_count_fallback(enum gfx_pool_domain domain)
{
}

static inline void gfx_pool_reserve(void)
{
}

#endif /* CONFIG_GFX_POOL */

/* Only sleep zaps mappings: without CONFIG_PM_SLEEP there is no registry. */
#if IS_ENABLED(CONFIG_GFX_POOL) && IS_ENABLED(CONFIG_PM_SLEEP)

/**
 * gfx_pool_register_mapping() - have user mappings zapped around sleep
 * @map: the range; @map->mapping, @map->start and @map->len set.
 *
 * When the system suspends or hibernates, after user space is frozen and
 * after the driver's own suspend or freeze callbacks, the pool zaps the
 * range. No user PTE of a pool page then outlives the sleep: the first
 * access after resume faults, and the driver's fault handler maps the
 * pages that back the range then, in their domain. The fault handler
 * needs no hook for this and must not wait for PM events.
 *
 * Context: Process context; may sleep.
 */
void gfx_pool_register_mapping(struct gfx_pool_mapping *map);

/**
 * gfx_pool_unregister_mapping() - stop zapping a range
 * @map: a range registered with gfx_pool_register_mapping().
 *
 * Context: Process context; may sleep.
 */
void gfx_pool_unregister_mapping(struct gfx_pool_mapping *map);

#else

static inline void gfx_pool_register_mapping(struct gfx_pool_mapping *map)
{
}

static inline void gfx_pool_unregister_mapping(struct gfx_pool_mapping *map)
{
}

#endif /* CONFIG_GFX_POOL && CONFIG_PM_SLEEP */

#endif /* _LINUX_GFX_POOL_H */
