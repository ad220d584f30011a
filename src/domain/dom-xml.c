// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libxml2 helpers for the domain document: element lookup, attribute and
 * text access without copies, and insertion in libvirt's element order.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "domain/dom-int.h"

/* libvirt's order of <domain>'s children when it writes a definition. */
static const char *const domain_order[] = {
	"name",	     "uuid",	    "genid",
	"title",     "description", "metadata",
	"maxMemory", "memory",	    "currentMemory",
	"blkiotune", "memtune",	    "memoryBacking",
	"vcpu",	     "vcpus",	    "iothreads",
	"cputune",   "numatune",    "resource",
	"sysinfo",   "bootloader",  "os",
	"idmap",     "features",    "cpu",
	"clock",     "on_poweroff", "on_reboot",
	"on_crash",  "pm",	    "perf",
	"devices",   "seclabel",
};

static const char *const os_order[] = {
	"type",	   "firmware", "loader", "nvram",    "kernel", "initrd",
	"cmdline", "dtb",      "boot",	 "bootmenu", "smbios", "bios",
};

static const char *const devices_order[] = {
	"emulator",  "disk",	  "controller", "lease",    "filesystem",
	"interface", "smartcard", "serial",	"parallel", "console",
	"channel",   "input",	  "tpm",	"graphics", "sound",
	"audio",     "video",	  "hostdev",	"redirdev", "redirfilter",
	"hub",	     "watchdog",  "memballoon", "rng",	    "panic",
};

static bool is_elem(xmlNodePtr n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE &&
	       (!name || !strcmp((const char *)n->name, name));
}

xmlNodePtr dom_child(xmlNodePtr n, const char *name)
{
	xmlNodePtr c;

	for (c = n ? n->children : NULL; c; c = c->next)
		if (is_elem(c, name))
			return c;
	return NULL;
}

xmlNodePtr dom_next(xmlNodePtr n, const char *name)
{
	for (n = n ? n->next : NULL; n; n = n->next)
		if (is_elem(n, name))
			return n;
	return NULL;
}

const char *dom_prop(xmlNodePtr n, const char *name)
{
	xmlAttrPtr a = n ? xmlHasProp(n, (const xmlChar *)name) : NULL;

	if (!a)
		return NULL;
	if (!a->children)
		return "";
	return (const char *)a->children->content;
}

const char *dom_text(xmlNodePtr n)
{
	xmlNodePtr c;

	if (!n)
		return NULL;
	for (c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return NULL;
	c = n->children;
	if (!c)
		return "";
	if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
	    !c->next)
		return (const char *)c->content;
	return NULL; /* text split by comments: not a plain value */
}

int dom_line(xmlNodePtr n)
{
	long l = n ? xmlGetLineNo(n) : -1;

	return l > 0 && l < (1L << 30) ? (int)l : 0;
}

/* order_of - the list that orders parent's children, or NULL. */
static const char *const *order_of(xmlNodePtr parent, size_t *n)
{
	const char *p = (const char *)parent->name;

	if (!strcmp(p, "domain") && !parent->parent->parent) {
		*n = ARRAY_SIZE(domain_order);
		return domain_order;
	}
	if (!strcmp(p, "os")) {
		*n = ARRAY_SIZE(os_order);
		return os_order;
	}
	if (!strcmp(p, "devices")) {
		*n = ARRAY_SIZE(devices_order);
		return devices_order;
	}
	return NULL;
}

static size_t rank(const char *const *order, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(order[i], name))
			return i;
	return n; /* unknown elements sort last */
}

xmlNodePtr dom_add(xmlNodePtr parent, const char *name, const char *text)
{
	const char *const *order;
	xmlNodePtr n, c;
	size_t len = 0, r;

	n = xmlNewDocNode(parent->doc, NULL, (const xmlChar *)name, NULL);
	if (!n)
		return NULL;
	if (text && dom_set_text(n, text)) {
		xmlFreeNode(n);
		return NULL;
	}
	order = order_of(parent, &len);
	if (order) {
		r = rank(order, len, name);
		for (c = parent->children; c; c = c->next)
			if (is_elem(c, NULL) &&
			    rank(order, len, (const char *)c->name) > r)
				return xmlAddPrevSibling(c, n);
	}
	return xmlAddChild(parent, n);
}

int dom_set_text(xmlNodePtr n, const char *text)
{
	xmlChar *esc = xmlEncodeSpecialChars(n->doc, (const xmlChar *)text);

	if (!esc)
		return -ENOMEM;
	xmlNodeSetContent(n, esc);
	xmlFree(esc);
	return 0;
}

int dom_fail(const struct domain *d, xmlNodePtr n, int code, char *err,
	     size_t errlen, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int line = dom_line(n);

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line)
		snprintf(err, errlen, "%s:%d: %s", d->origin, line, msg);
	else
		snprintf(err, errlen, "%s: %s", d->origin, msg);
	return code;
}
