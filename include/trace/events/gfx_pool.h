/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Events of the graphics page pool (mm/gfx_pool/): pages handed out and
 * given back, 2 MiB blocks converted from one caching domain to another,
 * and blocks crossing the pool's border (taken back from the page
 * allocator or lent to it, grown from it or given back to it). See
 * Documentation/mm/gfx_pool.rst, "Tracing".
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM gfx_pool

#if !defined(_TRACE_GFX_POOL_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_GFX_POOL_H

#include <linux/gfx_pool.h>
#include <linux/mm.h>
#include <linux/tracepoint.h>
#include <trace/events/mmflags.h>

TRACE_DEFINE_ENUM(GFX_POOL_WB);
TRACE_DEFINE_ENUM(GFX_POOL_WC);
TRACE_DEFINE_ENUM(GFX_POOL_UC);
TRACE_DEFINE_ENUM(GFX_POOL_NP);

#define show_gfx_pool_domain(domain)				\
	__print_symbolic(domain,				\
			 { GFX_POOL_WB, "wb" },			\
			 { GFX_POOL_WC, "wc" },			\
			 { GFX_POOL_UC, "uc" },			\
			 { GFX_POOL_NP, "np" })

TRACE_EVENT(gfx_pool_alloc,
	    TP_PROTO(struct page *page, unsigned int order,
		     enum gfx_pool_domain domain, gfp_t gfp_flags,
		     unsigned long caller),
	    TP_ARGS(page, order, domain, gfp_flags, caller),
	    TP_STRUCT__entry(__field(unsigned long, pfn)
			     __field(unsigned int, order)
			     __field(unsigned int, domain)
			     __field(int, nid)
			     __field(unsigned long, gfp_flags)
			     __field(unsigned long, caller)),
	    TP_fast_assign(__entry->pfn = page_to_pfn(page);
			   __entry->order = order;
			   __entry->domain = domain;
			   __entry->nid = page_to_nid(page);
			   __entry->gfp_flags = (__force unsigned long)gfp_flags;
			   __entry->caller = caller;),
	    TP_printk("pfn=0x%lx order=%u domain=%s nid=%d gfp_flags=%s caller=%pS",
		      __entry->pfn, __entry->order,
		      show_gfx_pool_domain(__entry->domain), __entry->nid,
		      show_gfp_flags(__entry->gfp_flags),
		      (void *)__entry->caller)
);

TRACE_EVENT(gfx_pool_free,
	    TP_PROTO(struct page *page, unsigned int order,
		     enum gfx_pool_domain domain, unsigned long caller),
	    TP_ARGS(page, order, domain, caller),
	    TP_STRUCT__entry(__field(unsigned long, pfn)
			     __field(unsigned int, order)
			     __field(unsigned int, domain)
			     __field(int, nid)
			     __field(unsigned long, caller)),
	    TP_fast_assign(__entry->pfn = page_to_pfn(page);
			   __entry->order = order;
			   __entry->domain = domain;
			   __entry->nid = page_to_nid(page);
			   __entry->caller = caller;),
	    TP_printk("pfn=0x%lx order=%u domain=%s nid=%d caller=%pS",
		      __entry->pfn, __entry->order,
		      show_gfx_pool_domain(__entry->domain), __entry->nid,
		      (void *)__entry->caller)
);

/* A whole block changed domain, by one direct-map change over its 2 MiB. */
TRACE_EVENT(gfx_pool_convert,
	    TP_PROTO(unsigned long pfn, int nid, enum gfx_pool_domain from,
		     enum gfx_pool_domain to),
	    TP_ARGS(pfn, nid, from, to),
	    TP_STRUCT__entry(__field(unsigned long, pfn)
			     __field(unsigned int, order)
			     __field(int, nid)
			     __field(unsigned int, from)
			     __field(unsigned int, to)),
	    TP_fast_assign(__entry->pfn = pfn;
			   __entry->order = GFX_POOL_BLOCK_ORDER;
			   __entry->nid = nid;
			   __entry->from = from;
			   __entry->to = to;),
	    TP_printk("pfn=0x%lx order=%u nid=%d from=%s to=%s",
		      __entry->pfn, __entry->order, __entry->nid,
		      show_gfx_pool_domain(__entry->from),
		      show_gfx_pool_domain(__entry->to))
);

/*
 * Blocks crossing the pool's border, 1 << @order pages from @pfn (one block or
 * an aligned group). They cross it in WB only, so there is no domain.
 */
DECLARE_EVENT_CLASS(gfx_pool_block,
		    TP_PROTO(unsigned long pfn, unsigned int order, int nid),
		    TP_ARGS(pfn, order, nid),
		    TP_STRUCT__entry(__field(unsigned long, pfn)
				     __field(unsigned int, order)
				     __field(int, nid)),
		    TP_fast_assign(__entry->pfn = pfn;
				   __entry->order = order;
				   __entry->nid = nid;),
		    TP_printk("pfn=0x%lx order=%u nid=%d",
			      __entry->pfn, __entry->order, __entry->nid)
);

/* Taken back from the page allocator: a lent part of the region. */
DEFINE_EVENT(gfx_pool_block, gfx_pool_block_taken_back,
	     TP_PROTO(unsigned long pfn, unsigned int order, int nid),
	     TP_ARGS(pfn, order, nid)
);

/* Lent to the page allocator: an idle part of the region. */
DEFINE_EVENT(gfx_pool_block, gfx_pool_block_lent,
	     TP_PROTO(unsigned long pfn, unsigned int order, int nid),
	     TP_ARGS(pfn, order, nid)
);

/* Grown: taken from the page allocator beyond the region. */
DEFINE_EVENT(gfx_pool_block, gfx_pool_block_grown,
	     TP_PROTO(unsigned long pfn, unsigned int order, int nid),
	     TP_ARGS(pfn, order, nid)
);

/* Given back: a grown block returned to the page allocator for good. */
DEFINE_EVENT(gfx_pool_block, gfx_pool_block_given_back,
	     TP_PROTO(unsigned long pfn, unsigned int order, int nid),
	     TP_ARGS(pfn, order, nid)
);

#endif /* _TRACE_GFX_POOL_H */

/* This part must be outside protection */
#include <trace/define_trace.h>
