// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * domain_normalize(): what libvirt adds to a definition when it is
 * defined, so that `dumpxml` shows the same complete document wherever
 * it came from.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "common/util.h"
#include "domain/dom-int.h"

static int random_bytes(uint8_t *b, size_t n)
{
	ssize_t r = getrandom(b, n, 0);

	return r == (ssize_t)n ? 0 : -EIO;
}

static int add_uuid(xmlNodePtr root)
{
	uint8_t b[16];
	char s[37];

	if (dom_child(root, "uuid"))
		return 0;
	if (random_bytes(b, sizeof(b)))
		return -EIO;
	b[6] = (b[6] & 0x0f) | 0x40; /* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80; /* RFC 4122 variant */
	snprintf(
		s, sizeof(s),
		"%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		b[10], b[11], b[12], b[13], b[14], b[15]);
	return dom_add(root, "uuid", s) ? 0 : -ENOMEM;
}

/* set_kib - write kib into n (or a new element name) with unit='KiB'. */
static int set_kib(xmlNodePtr root, xmlNodePtr n, const char *name,
		   uint64_t kib)
{
	char v[24];

	snprintf(v, sizeof(v), "%llu", (unsigned long long)kib);
	if (!n)
		n = dom_add(root, name, NULL);
	if (!n || dom_set_text(n, v))
		return -ENOMEM;
	return xmlSetProp(n, BAD_CAST "unit", BAD_CAST "KiB") ? 0 : -ENOMEM;
}

static int memory_and_vcpu(struct domain *d, xmlNodePtr root)
{
	const struct dom_def *def = &d->def;
	xmlNodePtr v;
	int r;

	r = set_kib(root, dom_child(root, "memory"), "memory", def->memory_kib);
	if (!r)
		r = set_kib(root, dom_child(root, "currentMemory"),
			    "currentMemory",
			    def->current_memory_kib ?: def->memory_kib);
	if (r)
		return r;
	v = dom_child(root, "vcpu");
	if (!v)
		v = dom_add(root, "vcpu", "1");
	if (!v)
		return -ENOMEM;
	if (!dom_prop(v, "placement") &&
	    !xmlSetProp(v, BAD_CAST "placement", BAD_CAST "static"))
		return -ENOMEM;
	return 0;
}

/* has_boot_order - some device carries <boot order=...> (libvirt then
 * forbids <os><boot dev=...>). */
static bool has_boot_order(xmlNodePtr devs)
{
	xmlNodePtr n;

	for (n = devs ? devs->children : NULL; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE && dom_child(n, "boot"))
			return true;
	return false;
}

static int os_and_lifecycle(struct domain *d, xmlNodePtr root)
{
	static const char *const actions[][2] = { { "on_poweroff", "destroy" },
						  { "on_reboot", "restart" },
						  { "on_crash", "destroy" } };
	xmlNodePtr os = dom_child(root, "os"), b;
	size_t i;

	if (!os && !(os = dom_add(root, "os", NULL)))
		return -ENOMEM;
	if (!dom_child(os, "type") && !dom_add(os, "type", "hvm"))
		return -ENOMEM;
	if (!dom_child(os, "boot") &&
	    !has_boot_order(dom_child(root, "devices"))) {
		b = dom_add(os, "boot", NULL);
		if (!b || !xmlSetProp(b, BAD_CAST "dev", BAD_CAST "hd"))
			return -ENOMEM;
	}
	if (!dom_child(root, "clock")) {
		b = dom_add(root, "clock", NULL);
		if (!b || !xmlSetProp(b, BAD_CAST "offset", BAD_CAST "utc"))
			return -ENOMEM;
	}
	for (i = 0; i < ARRAY_SIZE(actions); i++)
		if (!dom_child(root, actions[i][0]) &&
		    !dom_add(root, actions[i][0], actions[i][1]))
			return -ENOMEM;
	return 0;
}

/* add_mac - a <mac> as the first child of interface n when it has none. */
static int add_mac(xmlNodePtr n)
{
	uint8_t b[3];
	char s[18];
	xmlNodePtr m;

	if (dom_child(n, "mac"))
		return 0;
	if (random_bytes(b, sizeof(b)))
		return -EIO;
	snprintf(s, sizeof(s), "52:54:00:%02x:%02x:%02x", b[0], b[1], b[2]);
	m = xmlNewDocNode(n->doc, NULL, BAD_CAST "mac", NULL);
	if (!m || !xmlSetProp(m, BAD_CAST "address", BAD_CAST s))
		goto nomem;
	if (n->children ? !xmlAddPrevSibling(n->children, m) :
			  !xmlAddChild(n, m))
		goto nomem;
	return 0;
nomem:
	xmlFreeNode(m);
	return -ENOMEM;
}

/* serial_target - <target port='N'/> in serial port n when it has none. */
static int serial_target(xmlNodePtr n, int port)
{
	xmlNodePtr t = dom_child(n, "target");
	char p[16];

	snprintf(p, sizeof(p), "%d", port);
	if (!t && !(t = xmlNewChild(n, NULL, BAD_CAST "target", NULL)))
		return -ENOMEM;
	if (!dom_prop(t, "port") && !xmlSetProp(t, BAD_CAST "port", BAD_CAST p))
		return -ENOMEM;
	return 0;
}

/* mirror_console - libvirt shows the first serial port as a <console>
 * too: a copy of it with <target type='serial' port='0'/>. */
static int mirror_console(xmlNodePtr devs, xmlNodePtr serial)
{
	xmlNodePtr c, t;

	if (!serial || dom_child(devs, "console"))
		return 0;
	c = xmlDocCopyNode(serial, devs->doc, 1);
	if (!c)
		return -ENOMEM;
	xmlNodeSetName(c, BAD_CAST "console");
	t = dom_child(c, "target");
	if (t)
		xmlUnsetProp(t, BAD_CAST "port"); /* libvirt: type, then port */
	if (!t || !xmlSetProp(t, BAD_CAST "type", BAD_CAST "serial") ||
	    !xmlSetProp(t, BAD_CAST "port", BAD_CAST "0")) {
		xmlFreeNode(c);
		return -ENOMEM;
	}
	/* the copy goes after the last <serial>, before other kinds */
	for (t = serial; dom_next(t, "serial"); t = dom_next(t, "serial"))
		;
	return xmlAddNextSibling(t, c) ? 0 : -ENOMEM;
}

static int devices(xmlNodePtr root)
{
	xmlNodePtr devs = dom_child(root, "devices"), n, first = NULL;
	int port = 0, r = 0;

	for (n = devs ? devs->children : NULL; n && !r; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (!strcmp((const char *)n->name, "interface"))
			r = add_mac(n);
		if (!strcmp((const char *)n->name, "serial")) {
			r = serial_target(n, port++);
			first = first ?: n;
		}
	}
	return r ? r : mirror_console(devs, first);
}

int domain_normalize(struct domain *d, char *err, size_t errlen)
{
	xmlNodePtr root = xmlDocGetRootElement(d->doc);
	int r;

	r = add_uuid(root);
	if (!r)
		r = memory_and_vcpu(d, root);
	if (!r)
		r = os_and_lifecycle(d, root);
	if (!r)
		r = devices(root);
	if (r)
		return dom_fail(d, NULL, r, err, errlen,
				"cannot complete the definition: %s",
				strerror(-r));
	return dom_view(d, err, errlen);
}

int domain_set_uuid(struct domain *d, const char *uuid, char *err,
		    size_t errlen)
{
	xmlNodePtr root = xmlDocGetRootElement(d->doc);
	xmlNodePtr n = dom_child(root, "uuid");

	if (!n)
		n = dom_add(root, "uuid", NULL);
	if (!n || dom_set_text(n, uuid))
		return -ENOMEM;
	return dom_view(d, err, errlen);
}
