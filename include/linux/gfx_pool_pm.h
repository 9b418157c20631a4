/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gfx_pool and sleep: the user mappings of pool pages that the pool zaps
 * when the system suspends or hibernates. See Documentation/mm/gfx_pool.rst.
 */
#ifndef _LINUX_GFX_POOL_PM_H
#define _LINUX_GFX_POOL_PM_H

#include <linux/list.h>
#include <linux/types.h>

struct address_space;

/**
 * struct gfx_pool_mapping - a range of user mappings of pool pages
 * @mapping: the address_space the user mappings belong to.
 * @start: first byte of the range, as unmap_mapping_range() takes it.
 * @len: length of the range in bytes; 0 means to the end of @mapping.
 *
 * A driver that maps pool pages into user space with a caching other
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

/* Only sleep zaps mappings: without CONFIG_PM_SLEEP there is no registry. */
#if IS_ENABLED(CONFIG_GFX_POOL) && IS_ENABLED(CONFIG_PM_SLEEP)

/* Documented at their definitions, in mm/gfx_pool/pm.c. */
void gfx_pool_register_mapping(struct gfx_pool_mapping *map);
void gfx_pool_unregister_mapping(struct gfx_pool_mapping *map);

#else

static inline void gfx_pool_register_mapping(struct gfx_pool_mapping *map)
{
}

static inline void gfx_pool_unregister_mapping(struct gfx_pool_mapping *map)
{
}

#endif /* CONFIG_GFX_POOL && CONFIG_PM_SLEEP */

#endif /* _LINUX_GFX_POOL_PM_H */
