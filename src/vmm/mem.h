/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest physical memory as the host sees it: a few RAM regions, each a
 * contiguous host mapping. Every guest-supplied address goes through
 * gmem_ptr(), which refuses anything not wholly inside one region.
 */
#ifndef WIRT_VMM_MEM_H
#define WIRT_VMM_MEM_H

#include <stddef.h>
#include <stdint.h>

#define GMEM_MAX_REGIONS 4

struct gmem_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *hva;
};

struct gmem {
	struct gmem_region r[GMEM_MAX_REGIONS];
	unsigned int n;
};

/*
 * gmem_ptr - host pointer for guest range [gpa, gpa+len), or NULL when the
 * range wraps, is empty-sized past the end, or is not inside one region.
 */
static inline void *gmem_ptr(const struct gmem *m, uint64_t gpa, uint64_t len)
{
	unsigned int i;

	if (gpa + len < gpa)
		return NULL;
	for (i = 0; i < m->n; i++) {
		const struct gmem_region *r = &m->r[i];

		if (gpa >= r->gpa && gpa - r->gpa <= r->size &&
		    len <= r->size - (gpa - r->gpa))
			return r->hva + (gpa - r->gpa);
	}
	return NULL;
}

#endif
