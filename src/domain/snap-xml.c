// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Domain snapshot XML: <domainsnapshot> parsed with libxml2 and written
 * in libvirt's element order and indentation, the domain's definition at
 * the time embedded (indented by two spaces, as libvirt does).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "common/util.h"
#include "domain/dom-int.h"
#include "domain/snap.h"

static const char *const state_names[] = { "running", "paused", "shutoff",
					   "disk-snapshot" };

const char *snap_state_name(enum snap_state s)
{
	return s < ARRAY_SIZE(state_names) ? state_names[s] : "nostate";
}

bool snap_name_ok(const char *name)
{
	size_t i, n = strlen(name);

	if (!n || n > SNAP_NAME_MAX || name[0] == '.')
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("._-", name[i]))
			return false;
	return true;
}

void snap_clear(struct snap_def *s)
{
	unsigned int i;

	for (i = 0; i < s->ndisks; i++)
		free(s->disks[i].file);
	free(s->description);
	free(s->domain);
	memset(s, 0, sizeof(*s));
}

/* bad - err gets "snapshot XML: WHAT (line N)"; returns -EINVAL. */
static int bad(xmlNodePtr n, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "snapshot XML: %s (line %d)", what,
		 n ? dom_line(n) : 0);
	return -EINVAL;
}

/* parse_external - an external disk's <source file>: absolute. */
static int parse_external(xmlNodePtr d, struct snap_disk *k, char *err,
			  size_t errlen)
{
	const char *f = dom_prop(dom_child(d, "source"), "file");

	if (!f || f[0] != '/' || strlen(f) >= 4096)
		return bad(
			d,
			"an external <disk> needs <source file> with an absolute path",
			err, errlen);
	k->file = strdup(f);
	return k->file ? 0 : bad(d, "out of memory", err, errlen);
}

/* parse_disks - <disks><disk name snapshot/>: internal or no, at most
 * DOMAIN_DISKS_MAX, names of letters and digits. */
static int parse_disks(xmlNodePtr disks, struct snap_def *s, char *err,
		       size_t errlen)
{
	xmlNodePtr d;
	const char *name, *mode;
	size_t i;

	for (d = dom_child(disks, "disk"); d; d = dom_next(d, "disk")) {
		name = dom_prop(d, "name");
		mode = dom_prop(d, "snapshot");
		if (!name || !*name || strlen(name) > SNAP_DISK_NAME_MAX)
			return bad(d, "<disk name> is missing or too long", err,
				   errlen);
		for (i = 0; name[i]; i++)
			if (!isalnum((unsigned char)name[i]))
				return bad(
					d,
					"<disk name> must be a target like vda",
					err, errlen);
		if (!mode || (strcmp(mode, "internal") && strcmp(mode, "no") &&
			      strcmp(mode, "external")))
			return bad(
				d,
				"<disk snapshot> must be internal, external or no",
				err, errlen);
		if (s->ndisks == DOMAIN_DISKS_MAX)
			return bad(d, "too many <disk> elements", err, errlen);
		strcpy(s->disks[s->ndisks].name, name);
		s->disks[s->ndisks].internal = !strcmp(mode, "internal");
		if (!strcmp(mode, "external") &&
		    parse_external(d, &s->disks[s->ndisks], err, errlen))
			return -EINVAL;
		s->ndisks++;
	}
	return 0;
}

/* unindent - len bytes of t, each line after the first without the two
 * spaces it had inside <domainsnapshot>, and a final newline, into
 * s->domain. Returns 0 or -ENOMEM. */
static int unindent(const char *t, size_t len, struct snap_def *s)
{
	char *o = malloc(len + 2);
	size_t i;

	if (!o)
		return -ENOMEM;
	s->domain = o;
	for (i = 0; i < len; i++) {
		*o++ = t[i];
		if (t[i] == '\n' && i + 2 < len && t[i + 1] == ' ' &&
		    t[i + 2] == ' ')
			i += 2;
	}
	*o++ = '\n';
	*o = 0;
	return 0;
}

/*
 * dump_domain - the <domain> element n as text: its bytes in xml as
 * snap_format wrote them (libvirt's quoting kept), else as libxml2
 * serializes it. Returns 0 or -ENOMEM.
 */
static int dump_domain(xmlNodePtr n, const char *xml, size_t len,
		       struct snap_def *s)
{
	static const char end[] = "\n  </domain>\n</domainsnapshot>";
	const char *a = memmem(xml, len, "\n  <domain", 10);
	const char *e = memmem(xml, len, end, sizeof(end) - 1);
	xmlBufferPtr b;
	int r;

	if (a && e && a < e)
		return unindent(a + 3, e + 12 - (a + 3), s);
	b = xmlBufferCreate();
	if (!b || xmlNodeDump(b, n->doc, n, 0, 0) < 0) {
		xmlBufferFree(b);
		return -ENOMEM;
	}
	r = unindent((const char *)xmlBufferContent(b),
		     strlen((const char *)xmlBufferContent(b)), s);
	xmlBufferFree(b);
	return r;
}

/* parse_state - <state> and <creationTime>. */
static int parse_state(xmlNodePtr root, struct snap_def *s, char *err,
		       size_t errlen)
{
	xmlNodePtr n = dom_child(root, "state");
	const char *t = n ? dom_text(n) : NULL;
	char *end;
	size_t i;

	for (i = 0; t && i < ARRAY_SIZE(state_names); i++)
		if (!strcmp(t, state_names[i]))
			break;
	if (!t || i == ARRAY_SIZE(state_names))
		return bad(
			n ? n : root,
			"<state> must be running, paused, shutoff or disk-snapshot",
			err, errlen);
	s->state = i;
	n = dom_child(root, "creationTime");
	t = n ? dom_text(n) : NULL;
	errno = 0;
	s->creation_time =
		t && isdigit((unsigned char)*t) ? strtoll(t, &end, 10) : -1;
	if (s->creation_time < 0 || errno || *end)
		return bad(n ? n : root,
			   "<creationTime> must be seconds since 1970", err,
			   errlen);
	return 0;
}

/* parse_root - the fields of <domainsnapshot> root into *s. */
static int parse_root(xmlNodePtr root, const char *xml, size_t len,
		      struct snap_def *s, char *err, size_t errlen)
{
	xmlNodePtr n = dom_child(root, "name");
	const char *t = n ? dom_text(n) : NULL;

	if (!t || !snap_name_ok(t))
		return bad(
			n ? n : root,
			"<name> must be 1 to 64 of A-Z a-z 0-9 . _ - (not starting with .)",
			err, errlen);
	strcpy(s->name, t);
	n = dom_child(root, "description");
	if (n && strlen(dom_text(n)) > SNAP_DESC_MAX)
		return bad(n, "<description> is longer than 4096 bytes", err,
			   errlen);
	if (n && !(s->description = strdup(dom_text(n))))
		return -ENOMEM;
	if (parse_state(root, s, err, errlen))
		return -EINVAL;
	n = dom_child(dom_child(root, "parent"), "name");
	if (n && !snap_name_ok(dom_text(n)))
		return bad(n, "<parent><name> is not a snapshot name", err,
			   errlen);
	if (n)
		strcpy(s->parent, dom_text(n));
	n = dom_child(root, "memory");
	t = n ? dom_prop(n, "snapshot") : "no";
	if (!t || (strcmp(t, "internal") && strcmp(t, "no")))
		return bad(n, "<memory snapshot> must be internal or no", err,
			   errlen);
	s->memory = !strcmp(t, "internal");
	if (parse_disks(dom_child(root, "disks"), s, err, errlen))
		return -EINVAL;
	n = dom_child(root, "domain");
	return n ? dump_domain(n, xml, len, s) : 0;
}

int snap_parse(const char *xml, size_t len, struct snap_def *s, char *err,
	       size_t errlen)
{
	const int opts =
		XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
	xmlDocPtr doc = len < INT32_MAX ?
				xmlReadMemory(xml, (int)len, "snapshot.xml",
					      NULL, opts) :
				NULL;
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
	int r = -EINVAL;

	memset(s, 0, sizeof(*s));
	if (!root || strcmp((const char *)root->name, "domainsnapshot"))
		snprintf(
			err, errlen,
			"snapshot XML: not a well-formed document with a <domainsnapshot> root element");
	else
		r = parse_root(root, xml, len, s, err, errlen);
	if (r == -ENOMEM)
		snprintf(err, errlen, "snapshot XML: out of memory");
	if (r)
		snap_clear(s);
	xmlFreeDoc(doc);
	return r;
}

/* put_domain - the domain's XML, each line indented by two spaces. */
static void put_domain(FILE *f, const char *x)
{
	const char *nl;

	while (*x) {
		nl = strchr(x, '\n');
		if (!nl)
			nl = x + strlen(x);
		fprintf(f, "  %.*s\n", (int)(nl - x), x);
		x = *nl ? nl + 1 : nl;
	}
}

/* put_disk - one <disk> of <disks>. */
static void put_disk(FILE *f, const struct snap_disk *k)
{
	if (!k->file) {
		fprintf(f, "    <disk name='%s' snapshot='%s'/>\n", k->name,
			k->internal ? "internal" : "no");
		return;
	}
	fprintf(f,
		"    <disk name='%s' snapshot='external' type='file'>\n"
		"      <driver type='qcow2'/>\n      <source file='",
		k->name);
	fput_xml(f, k->file, true);
	fprintf(f, "'/>\n    </disk>\n");
}

char *snap_format(const struct snap_def *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	unsigned int i;

	if (!f)
		return NULL;
	fprintf(f, "<domainsnapshot>\n  <name>%s</name>\n", s->name);
	if (s->description) {
		fprintf(f, "  <description>");
		fput_xml(f, s->description, false);
		fprintf(f, "</description>\n");
	}
	fprintf(f, "  <state>%s</state>\n", snap_state_name(s->state));
	if (s->parent[0])
		fprintf(f, "  <parent>\n    <name>%s</name>\n  </parent>\n",
			s->parent);
	fprintf(f, "  <creationTime>%" PRId64 "</creationTime>\n",
		s->creation_time);
	fprintf(f, "  <memory snapshot='%s'/>\n",
		s->memory ? "internal" : "no");
	if (s->ndisks)
		fprintf(f, "  <disks>\n");
	for (i = 0; i < s->ndisks; i++)
		put_disk(f, &s->disks[i]);
	if (s->ndisks)
		fprintf(f, "  </disks>\n");
	if (s->domain)
		put_domain(f, s->domain);
	fprintf(f, "</domainsnapshot>\n");
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}
