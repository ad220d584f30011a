// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * domain_format(): the document written as libvirt writes definitions:
 * no XML declaration, two spaces of indent per level, attributes in
 * single quotes, empty elements as <x/>, comments dropped, namespaces of
 * <metadata> children kept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "domain/dom-int.h"

static void put_name(FILE *f, xmlNodePtr n)
{
	if (n->ns && n->ns->prefix)
		fprintf(f, "%s:", (const char *)n->ns->prefix);
	fputs((const char *)n->name, f);
}

static void put_attrs(FILE *f, xmlNodePtr n)
{
	xmlNsPtr ns;
	xmlAttrPtr a;

	for (ns = n->nsDef; ns; ns = ns->next) {
		fputs(ns->prefix ? " xmlns:" : " xmlns", f);
		if (ns->prefix)
			fputs((const char *)ns->prefix, f);
		fputs("='", f);
		fput_xml(f, ns->href ? (const char *)ns->href : "", true);
		fputc('\'', f);
	}
	for (a = n->properties; a; a = a->next) {
		fputc(' ', f);
		if (a->ns && a->ns->prefix)
			fprintf(f, "%s:", (const char *)a->ns->prefix);
		fprintf(f, "%s='", (const char *)a->name);
		if (a->children && a->children->content)
			fput_xml(f, (const char *)a->children->content, true);
		fputc('\'', f);
	}
}

/* has_elements - n has element children (else only text, or nothing). */
static bool has_elements(xmlNodePtr n)
{
	for (n = n->children; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			return true;
	return false;
}

static void put_node(FILE *f, xmlNodePtr n, int depth)
{
	xmlNodePtr c;
	const char *t;

	fprintf(f, "%*s<", 2 * depth, "");
	put_name(f, n);
	put_attrs(f, n);
	if (has_elements(n)) {
		fputs(">\n", f);
		for (c = n->children; c; c = c->next)
			if (c->type == XML_ELEMENT_NODE)
				put_node(f, c, depth + 1);
		fprintf(f, "%*s</", 2 * depth, "");
	} else {
		t = NULL;
		for (c = n->children; c && !t; c = c->next)
			if (c->type == XML_TEXT_NODE ||
			    c->type == XML_CDATA_SECTION_NODE)
				t = (const char *)c->content;
		if (!t || !*t) {
			fputs("/>\n", f);
			return;
		}
		fputc('>', f);
		for (c = n->children; c; c = c->next)
			if (c->type == XML_TEXT_NODE ||
			    c->type == XML_CDATA_SECTION_NODE)
				fput_xml(f, (const char *)c->content, false);
		fputs("</", f);
	}
	put_name(f, n);
	fputs(">\n", f);
}

char *domain_format(const struct domain *d)
{
	xmlNodePtr root = xmlDocGetRootElement(d->doc);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	put_node(f, root, 0);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}
