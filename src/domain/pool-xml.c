// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Storage pool XML: <pool type='dir'> (a directory of image files) and
 * <pool type='logical'> (an LVM volume group), parsed with libxml2 and
 * written in libvirt's element order and indentation.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <libxml/parser.h>

#include "common/util.h"
#include "domain/dom-int.h"
#include "domain/pool.h"

const char *pool_type_name(enum pool_type t)
{
	return t == POOL_LOGICAL ? "logical" : "dir";
}

int pool_name_ok(const char *name)
{
	size_t i, n = strlen(name);

	if (!n || n > POOL_NAME_MAX || name[0] == '.' || name[0] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789_.+-",
			    name[i]))
			return 0;
	return 1;
}

/* uuid_ok - s is a UUID in canonical text form (36 characters). */
static int uuid_ok(const char *s)
{
	size_t i;

	if (strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++)
		if ((i == 8 || i == 13 || i == 18 || i == 23) ?
			    s[i] != '-' :
			    !strchr("0123456789abcdefABCDEF", s[i]))
			return 0;
	return 1;
}

/* new_uuid - a random (version 4) UUID into s[37]. Returns 0 or -EIO. */
static int new_uuid(char *s)
{
	uint8_t b[16];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return -EIO;
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(
		s, 37,
		"%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

/* copy_text - the text of n into buf; -EINVAL when missing, not text or
 * too long (err names what). */
static int copy_text(xmlNodePtr n, const char *what, char *buf, size_t len,
		     char *err, size_t errlen)
{
	const char *t = dom_text(n);

	if (!t || !*t || strlen(t) >= len) {
		snprintf(err, errlen,
			 "pool XML: %s is missing, empty or too long (line %d)",
			 what, dom_line(n));
		return -EINVAL;
	}
	strcpy(buf, t);
	return 0;
}

/* parse_source - <source>: the volume group's name and its devices. */
static int parse_source(xmlNodePtr src, struct pool_def *p, char *err,
			size_t errlen)
{
	xmlNodePtr d;
	const char *path;

	if (dom_child(src, "name") &&
	    copy_text(dom_child(src, "name"), "<source><name>", p->vg,
		      sizeof(p->vg), err, errlen))
		return -EINVAL;
	for (d = dom_child(src, "device"); d; d = dom_next(d, "device")) {
		path = dom_prop(d, "path");
		if (!path || path[0] != '/' || strlen(path) >= PATH_MAX ||
		    p->ndevices == POOL_DEVICES_MAX) {
			snprintf(
				err, errlen,
				"pool XML: <device path> must be an absolute path, at most %d devices (line %d)",
				POOL_DEVICES_MAX, dom_line(d));
			return -EINVAL;
		}
		strcpy(p->devices[p->ndevices++], path);
	}
	return 0;
}

/* parse_root - the fields of <pool> root into *p. */
static int parse_root(xmlNodePtr root, struct pool_def *p, char *err,
		      size_t errlen)
{
	const char *type = dom_prop(root, "type");
	xmlNodePtr n;

	if (!type || (strcmp(type, "dir") && strcmp(type, "logical"))) {
		snprintf(
			err, errlen,
			"pool XML: type '%s' is not supported (use dir or logical)",
			type ? type : "");
		return -EINVAL;
	}
	p->type = strcmp(type, "dir") ? POOL_LOGICAL : POOL_DIR;
	if (copy_text(dom_child(root, "name"), "<name>", p->name,
		      sizeof(p->name), err, errlen))
		return -EINVAL;
	if (!pool_name_ok(p->name)) {
		snprintf(
			err, errlen,
			"pool XML: name '%s': use 1 to 64 of A-Z a-z 0-9 _ . + - (not starting with . or -)",
			p->name);
		return -EINVAL;
	}
	n = dom_child(root, "uuid");
	if (n &&
	    (copy_text(n, "<uuid>", p->uuid, sizeof(p->uuid), err, errlen) ||
	     !uuid_ok(p->uuid))) {
		snprintf(err, errlen, "pool XML: <uuid> is malformed (line %d)",
			 dom_line(n));
		return -EINVAL;
	}
	if (!n && new_uuid(p->uuid))
		return -EIO;
	n = dom_child(root, "source");
	if (n && parse_source(n, p, err, errlen))
		return -EINVAL;
	return 0;
}

/* parse_target - <target><path>: absolute; a logical pool's defaults to
 * /dev/VG (and VG to the pool's name). */
static int parse_target(xmlNodePtr root, struct pool_def *p, char *err,
			size_t errlen)
{
	xmlNodePtr t = dom_child(dom_child(root, "target"), "path");

	if (p->type == POOL_LOGICAL) {
		if (!p->vg[0])
			strcpy(p->vg, p->name);
		snprintf(p->target, sizeof(p->target), "/dev/%s", p->vg);
		return 0;
	}
	if (copy_text(t, "<target><path>", p->target, sizeof(p->target), err,
		      errlen))
		return -EINVAL;
	if (p->target[0] != '/') {
		snprintf(
			err, errlen,
			"pool XML: <target><path> '%s' must be an absolute path",
			p->target);
		return -EINVAL;
	}
	return 0;
}

int pool_parse(const char *xml, size_t len, struct pool_def *p, char *err,
	       size_t errlen)
{
	const int opts = XML_PARSE_NONET | XML_PARSE_NOBLANKS |
			 XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
	xmlDocPtr doc =
		len < INT32_MAX ?
			xmlReadMemory(xml, (int)len, "pool.xml", NULL, opts) :
			NULL;
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
	int r = -EINVAL;

	memset(p, 0, sizeof(*p));
	if (!root || strcmp((const char *)root->name, "pool"))
		snprintf(
			err, errlen,
			"pool XML: not a well-formed document with a <pool> root element");
	else if (!parse_root(root, p, err, errlen))
		r = parse_target(root, p, err, errlen);
	xmlFreeDoc(doc);
	return r;
}

/* put_size - one <NAME unit='bytes'>N</NAME> line. */
static void put_size(FILE *f, const char *name, uint64_t v)
{
	fprintf(f, "  <%s unit='bytes'>%llu</%s>\n", name,
		(unsigned long long)v, name);
}

char *pool_format(const struct pool_def *p, const struct pool_sizes *s)
{
	static const struct pool_sizes zero;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int i;

	if (!f)
		return NULL;
	s = s ? s : &zero;
	fprintf(f, "<pool type='%s'>\n  <name>", pool_type_name(p->type));
	fput_xml(f, p->name, false);
	fprintf(f, "</name>\n  <uuid>%s</uuid>\n", p->uuid);
	put_size(f, "capacity", s->capacity);
	put_size(f, "allocation", s->allocation);
	put_size(f, "available", s->available);
	fprintf(f, "  <source>\n");
	for (i = 0; i < p->ndevices; i++) {
		fprintf(f, "    <device path='");
		fput_xml(f, p->devices[i], true);
		fprintf(f, "'/>\n");
	}
	if (p->type == POOL_LOGICAL) {
		fprintf(f, "    <name>");
		fput_xml(f, p->vg, false);
		fprintf(f, "</name>\n    <format type='lvm2'/>\n");
	}
	fprintf(f, "  </source>\n  <target>\n    <path>");
	fput_xml(f, p->target, false);
	fprintf(f, "</path>\n  </target>\n</pool>\n");
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}
