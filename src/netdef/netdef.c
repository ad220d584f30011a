// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Parsing a libvirt network definition (see netdef.h): libxml2 with no
 * network, no DTDs and no entity expansion, a size limit, then one pass
 * over <network>'s children that checks each value.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "common/util.h"
#include "netdef/netdef-int.h"

int nd_fail(struct nd_parse *p, xmlNodePtr at, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(p->err, p->errlen, "%s:%ld: ", p->origin,
		     at ? xmlGetLineNo(at) : 0L);
	if (n < 0 || (size_t)n >= p->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

const char *nd_prop(xmlNodePtr e, const char *name)
{
	xmlAttrPtr a = e ? xmlHasProp(e, (const xmlChar *)name) : NULL;

	if (!a)
		return NULL;
	return a->children ? (const char *)a->children->content : "";
}

bool nd_is(xmlNodePtr n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE &&
	       (!name || !strcmp((const char *)n->name, name));
}

bool netdef_valid_name(const char *s)
{
	size_t n = strlen(s), i;

	if (!n || n > NETDEF_NAME_MAX || s[0] == '.')
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.+-", s[i]))
			return false;
	return true;
}

/* Text of element e when it holds only text ("" when empty), else NULL. */
static const char *text_of(xmlNodePtr e)
{
	xmlNodePtr c = e->children;

	if (!c)
		return "";
	if (c->type != XML_TEXT_NODE || c->next)
		return NULL;
	return (const char *)c->content;
}

/* Whether s is a usable Linux interface name. */
static bool valid_ifname(const char *s)
{
	const char *c;

	if (!*s || strlen(s) >= NETDEF_IFNAME_MAX || !strcmp(s, ".") ||
	    !strcmp(s, ".."))
		return false;
	for (c = s; *c; c++)
		if (*c == '/' || *c == ':' || !isgraph((unsigned char)*c))
			return false;
	return true;
}

/* <forward mode= dev=>. */
static int parse_forward(struct nd_parse *p, xmlNodePtr e)
{
	static const char *const modes[] = { "", "nat", "route", "open",
					     "bridge" };
	const char *m = nd_prop(e, "mode"), *dev = nd_prop(e, "dev");
	unsigned int i;

	if (!m)
		m = "nat"; /* libvirt's default for <forward/> */
	for (i = 1; i < ARRAY_SIZE(modes); i++)
		if (!strcmp(m, modes[i]))
			break;
	if (i == ARRAY_SIZE(modes))
		return nd_fail(
			p, e,
			"<forward mode='%s'> is not supported: use nat, route, open or bridge, or no <forward> for an isolated network",
			m);
	p->n->forward = i;
	if (dev && !valid_ifname(dev))
		return nd_fail(
			p, e, "<forward dev='%s'>: not an interface name", dev);
	if (dev)
		strcpy(p->n->forward_dev, dev);
	if (e->children)
		return nd_fail(
			p, e,
			"<forward> with child elements (<nat>, <interface>, <pf>) is not supported; remove them");
	return 0;
}

/* <bridge name= stp= delay=>. */
static int parse_bridge(struct nd_parse *p, xmlNodePtr e)
{
	const char *name = nd_prop(e, "name"), *stp = nd_prop(e, "stp");
	const char *delay = nd_prop(e, "delay");
	uint64_t v;

	if (name && !valid_ifname(name))
		return nd_fail(
			p, e,
			"<bridge name='%s'>: give an interface name of 1 to 15 characters",
			name);
	if (name)
		strcpy(p->n->bridge, name);
	if (stp && strcmp(stp, "on") && strcmp(stp, "off"))
		return nd_fail(p, e, "<bridge stp='%s'>: use on or off", stp);
	p->n->stp = !stp || !strcmp(stp, "on");
	if (delay && parse_uint(delay, 0, 3600, &v))
		return nd_fail(p, e,
			       "<bridge delay='%s'>: give seconds, 0 to 3600",
			       delay);
	p->n->delay = delay ? (unsigned int)v : 0;
	return 0;
}

/* <name>, <uuid>, <mac address=>, <domain name=>. */
static int parse_simple(struct nd_parse *p, xmlNodePtr e)
{
	const char *name = (const char *)e->name, *t = text_of(e), *v;
	struct netdef *n = p->n;

	if (!strcmp(name, "name")) {
		if (!t || !netdef_valid_name(t))
			return nd_fail(
				p, e,
				"<name>: give 1 to %d of letters, digits, '_', '.', '+', '-' (not starting with '.')",
				NETDEF_NAME_MAX);
		strcpy(n->name, t);
		return 0;
	}
	if (!strcmp(name, "uuid")) {
		unsigned int i;

		if (!t || strlen(t) != 36)
			goto bad_uuid;
		for (i = 0; i < 36; i++)
			if ((i == 8 || i == 13 || i == 18 || i == 23) ?
				    t[i] != '-' :
				    !isxdigit((unsigned char)t[i]))
				goto bad_uuid;
		for (i = 0; i < 36; i++)
			n->uuid[i] = tolower((unsigned char)t[i]);
		return 0;
bad_uuid:
		return nd_fail(p, e,
			       "<uuid>: give 36 characters such as "
			       "dd8fe884-6c02-601e-7551-cca97df1c5df");
	}
	if (!strcmp(name, "mac")) {
		v = nd_prop(e, "address");
		if (!v || !nd_valid_mac(v, n->mac))
			return nd_fail(
				p, e,
				"<mac address='%s'>: give six hex pairs such as 52:54:00:0a:0b:0c (unicast)",
				v ? v : "");
		return 0;
	}
	v = nd_prop(e, "name"); /* <domain name=> */
	if (!v || !nd_valid_hostname(v))
		return nd_fail(p, e,
			       "<domain name='%s'>: give a DNS domain name",
			       v ? v : "");
	strcpy(n->domain, v);
	return 0;
}

/* One child of <network>. */
static int parse_child(struct nd_parse *p, xmlNodePtr e)
{
	const char *name = (const char *)e->name;

	if (!strcmp(name, "name") || !strcmp(name, "uuid") ||
	    !strcmp(name, "mac") || !strcmp(name, "domain"))
		return parse_simple(p, e);
	if (!strcmp(name, "forward"))
		return parse_forward(p, e);
	if (!strcmp(name, "bridge"))
		return parse_bridge(p, e);
	if (!strcmp(name, "ip"))
		return nd_parse_ip(p, e);
	if (!strcmp(name, "dns"))
		return nd_parse_dns(p, e);
	if (!strcmp(name, "metadata"))
		return nd_parse_metadata(p, e);
	return nd_fail(
		p, e,
		"<%s> is not supported in a wirt network; remove it (wirt takes name, uuid, forward, bridge, mac, domain, dns, ip, metadata)",
		name);
}

/* Checks across elements, after the pass. */
static int check_whole(struct nd_parse *p, xmlNodePtr root)
{
	struct netdef *n = p->n;
	const struct netdef_ip *ip;
	unsigned int i;

	if (!n->name[0])
		return nd_fail(p, root, "the network has no <name>; add one");
	if (n->forward == NETDEF_FWD_BRIDGE && !n->bridge[0])
		return nd_fail(
			p, root,
			"<forward mode='bridge'> needs <bridge name='BRIDGE'/>, an existing host bridge");
	if (n->forward == NETDEF_FWD_BRIDGE && (n->nips || n->ndns || n->nfwd))
		return nd_fail(
			p, root,
			"<forward mode='bridge'> uses the LAN's addresses: remove <ip>, <dns> and port forwards");
	if (n->nfwd && n->forward != NETDEF_FWD_NAT)
		return nd_fail(
			p, root,
			"port forwards need <forward mode='nat'>; this network forwards '%s'",
			netdef_forward_name(n->forward));
	ip = netdef_ipv4(n, NULL, NULL);
	if (n->nfwd && !ip)
		return nd_fail(
			p, root,
			"port forwards need an IPv4 <ip> in the network");
	for (i = 0; i < n->nfwd; i++)
		if (!nd_in_subnet(ip, n->fwd[i].to))
			return nd_fail(
				p, root,
				"port forward to '%s': give an address of the network's %s/%u",
				n->fwd[i].to, ip->address, ip->prefix);
	return 0;
}

/* Parse the document into p->n; 0 or -EINVAL with p->err set. */
static int parse_doc(struct nd_parse *p, xmlDocPtr doc)
{
	xmlNodePtr root = xmlDocGetRootElement(doc), c;
	int r;

	if (doc->intSubset)
		return nd_fail(
			p, NULL,
			"a <!DOCTYPE> is not allowed in a network definition; remove it");
	if (!nd_is(root, "network"))
		return nd_fail(p, root,
			       "the root element must be <network>, not <%s>",
			       root ? (const char *)root->name : "");
	p->n->stp = true;
	for (c = root->children; c; c = c->next) {
		if (c->type == XML_COMMENT_NODE)
			continue;
		if (!nd_is(c, NULL))
			return nd_fail(
				p, c,
				"text directly inside <network>; remove it");
		r = parse_child(p, c);
		if (r)
			return r;
	}
	return check_whole(p, root);
}

int netdef_parse(const char *xml, size_t len, const char *origin,
		 struct netdef **out, char *err, size_t errlen)
{
	const int opts = XML_PARSE_NONET | XML_PARSE_NOBLANKS |
			 XML_PARSE_BIG_LINES | XML_PARSE_NOERROR |
			 XML_PARSE_NOWARNING;
	struct nd_parse p = { origin ? origin : "(network definition)", err,
			      errlen, NULL };
	xmlDocPtr doc;
	int r;

	*out = NULL;
	if (len > NETDEF_XML_MAX) {
		snprintf(
			err, errlen,
			"%s: %zu bytes of XML; a definition may have at most %d",
			p.origin, len, NETDEF_XML_MAX);
		return -E2BIG;
	}
	p.n = calloc(1, sizeof(*p.n));
	if (!p.n)
		return -ENOMEM;
	doc = xmlReadMemory(xml, (int)len, p.origin, NULL, opts);
	if (!doc) {
		const xmlError *e = xmlGetLastError();

		r = nd_fail(&p, NULL, "not well-formed XML (line %d): %s",
			    e ? e->line : 0,
			    e && e->message ? e->message : "?");
		err[strcspn(err, "\n")] = '\0';
	} else {
		r = parse_doc(&p, doc);
		xmlFreeDoc(doc);
	}
	if (r) {
		free(p.n);
		return r;
	}
	*out = p.n;
	return 0;
}
