// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Parsing a libvirt domain definition: libxml2 with no network, no DTDs
 * and no entity expansion, a size limit, and the checks of the top-level
 * elements (name, uuid, memory, vcpu, lifecycle actions).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "common/util.h"
#include "domain/dom-int.h"

static const char *const lifecycle_names[] = {
	[DOM_LC_DESTROY] = "destroy",
	[DOM_LC_RESTART] = "restart",
	[DOM_LC_PRESERVE] = "preserve",
	[DOM_LC_RENAME_RESTART] = "rename-restart",
	[DOM_LC_COREDUMP_DESTROY] = "coredump-destroy",
	[DOM_LC_COREDUMP_RESTART] = "coredump-restart",
};

const char *domain_lifecycle_name(enum dom_lifecycle lc)
{
	return (unsigned int)lc < ARRAY_SIZE(lifecycle_names) ?
		       lifecycle_names[lc] :
		       "?";
}

const struct dom_def *domain_def(const struct domain *d)
{
	return &d->def;
}

void domain_free(struct domain *d)
{
	if (!d)
		return;
	xmlFreeDoc(d->doc);
	free(d);
}

/*
 * parse_doc - libxml2 over xml with the safe options. Returns the document
 * or NULL with err set to "ORIGIN:LINE: parser message".
 */
static xmlDocPtr parse_doc(struct domain *d, const char *xml, size_t len,
			   char *err, size_t errlen)
{
	const int opts = XML_PARSE_NONET | XML_PARSE_NOBLANKS |
			 XML_PARSE_BIG_LINES | XML_PARSE_NOERROR |
			 XML_PARSE_NOWARNING;
	xmlParserCtxtPtr ctx = xmlNewParserCtxt();
	const xmlError *e;
	xmlDocPtr doc;
	size_t n;

	if (!ctx) {
		snprintf(err, errlen, "%s: out of memory", d->origin);
		return NULL;
	}
	doc = xmlCtxtReadMemory(ctx, xml, (int)len, d->origin, NULL, opts);
	if (!doc || !ctx->wellFormed) {
		e = xmlCtxtGetLastError(ctx);
		snprintf(err, errlen, "%s:%d: %s", d->origin, e ? e->line : 0,
			 e && e->message ? e->message : "malformed XML\n");
		n = strlen(err);
		if (n && err[n - 1] == '\n')
			err[n - 1] = '\0';
		xmlFreeDoc(doc);
		doc = NULL;
	}
	xmlFreeParserCtxt(ctx);
	return doc;
}

int domain_parse(const char *xml, size_t len, const char *origin,
		 struct domain **out, char *err, size_t errlen)
{
	struct domain *d;
	int r;

	*out = NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	snprintf(d->origin, sizeof(d->origin), "%s",
		 origin ? origin : "(domain definition)");
	if (len > DOMAIN_XML_MAX) {
		r = dom_fail(
			d, NULL, -E2BIG, err, errlen,
			"%zu bytes of XML; a definition may have at most %d",
			len, DOMAIN_XML_MAX);
		goto fail;
	}
	d->doc = parse_doc(d, xml, len, err, errlen);
	if (!d->doc) {
		r = -EINVAL;
		goto fail;
	}
	if (d->doc->intSubset) {
		r = dom_fail(
			d, NULL, -EINVAL, err, errlen,
			"a <!DOCTYPE> is not allowed in a domain definition; remove it");
		goto fail;
	}
	r = dom_view(d, err, errlen);
	if (r)
		goto fail;
	*out = d;
	return 0;
fail:
	domain_free(d);
	return r;
}

/* A unit multiplier in bytes, or 0 for an unknown unit. */
static uint64_t unit_bytes(const char *u)
{
	static const struct {
		const char *name;
		uint64_t bytes;
	} units[] = {
		{ "b", 1 },	      { "bytes", 1 },
		{ "KB", 1000 },	      { "k", KiB },
		{ "KiB", KiB },	      { "MB", 1000000 },
		{ "M", MiB },	      { "MiB", MiB },
		{ "GB", 1000000000 }, { "G", GiB },
		{ "GiB", GiB },	      { "TB", 1000000000000 },
		{ "T", 1024 * GiB },  { "TiB", 1024 * GiB },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(units); i++)
		if (!strcmp(u, units[i].name))
			return units[i].bytes;
	return 0;
}

int dom_memory_kib(xmlNodePtr n, uint64_t *kib)
{
	const char *t = dom_text(n), *u = dom_prop(n, "unit");
	uint64_t v, mul;
	int r;

	if (!t)
		return -EINVAL;
	r = parse_uint(t, 0, UINT64_MAX, &v);
	if (r)
		return r;
	mul = unit_bytes(u ? u : "KiB");
	if (!mul)
		return -EINVAL;
	if (v > UINT64_MAX / mul)
		return -ERANGE;
	/* libvirt rounds up to whole KiB */
	*kib = v * mul / KiB + (v * mul % KiB != 0);
	return 0;
}
