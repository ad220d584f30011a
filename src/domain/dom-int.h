/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internal to src/domain/: the document behind a struct domain, and the
 * libxml2 helpers its files share. */
#ifndef WIRT_DOMAIN_DOM_INT_H
#define WIRT_DOMAIN_DOM_INT_H

#include <libxml/tree.h>

#include "domain/domain.h"

struct domain {
	xmlDocPtr doc;
	char origin[128];
	struct dom_def def; /* rebuilt from doc by dom_view() */
};

/* dom_child - the first element child of n named name, or NULL. */
xmlNodePtr dom_child(xmlNodePtr n, const char *name);

/* dom_next - the next element sibling of n named name, or NULL. */
xmlNodePtr dom_next(xmlNodePtr n, const char *name);

/* dom_prop - attribute name of n as a string inside the document, or NULL
 * (an empty attribute gives ""). */
const char *dom_prop(xmlNodePtr n, const char *name);

/* dom_text - the text content of element n inside the document ("" when
 * empty), or NULL when n is NULL or holds elements. */
const char *dom_text(xmlNodePtr n);

/* dom_line - the source line of n, 0 when unknown (added nodes). */
int dom_line(xmlNodePtr n);

/*
 * dom_add - a new element named name, with text (or NULL), inserted into
 * parent in libvirt's canonical element order (for <domain>, <os> and
 * <devices>; at the end elsewhere). Returns it, or NULL on ENOMEM.
 */
xmlNodePtr dom_add(xmlNodePtr parent, const char *name, const char *text);

/* dom_set_text - replace the content of n by text. Returns 0 or -ENOMEM. */
int dom_set_text(xmlNodePtr n, const char *text);

/*
 * dom_view - (re)build d->def from d->doc, checking values as it goes.
 * Returns 0, or -EINVAL / -E2BIG with err set to "ORIGIN:LINE: ...".
 */
int dom_view(struct domain *d, char *err, size_t errlen);

/* dom_view_devices - the <devices> part of dom_view(). */
int dom_view_devices(struct domain *d, char *err, size_t errlen);

/*
 * dom_view_boot - the boot order part of dom_view(): <os><boot dev> into
 * def.boot_devs, <boot order> of disks and interfaces (a positive number,
 * each used once). Returns 0 or -EINVAL / -E2BIG with err set.
 */
int dom_view_boot(struct domain *d, char *err, size_t errlen);

/* What domain_check() collects: up to max issues into out, n counted. */
struct dom_checker {
	struct dom_issue *out;
	unsigned int max, n;
};

/* dom_issue - add one issue at n's line (fatal: refused, else a warning). */
void dom_issue(struct dom_checker *c, bool fatal, xmlNodePtr n, const char *fmt,
	       ...) __attribute__((format(printf, 4, 5)));

/* dom_check_boot - the <boot> parts of domain_check(), under <os> (os). */
void dom_check_boot(struct dom_checker *c, const struct domain *d,
		    xmlNodePtr os);

/*
 * dom_memory_kib - the size in KiB of a <memory>-like element (its text and
 * unit attribute, as libvirt reads them: b, KB, k/KiB, MB, M/MiB, GB,
 * G/GiB, TB, T/TiB). Returns 0 with *kib set, or -EINVAL / -ERANGE.
 */
int dom_memory_kib(xmlNodePtr n, uint64_t *kib);

/* dom_fail - write "ORIGIN:LINE: MESSAGE" into err; returns code. */
int dom_fail(const struct domain *d, xmlNodePtr n, int code, char *err,
	     size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

#endif
