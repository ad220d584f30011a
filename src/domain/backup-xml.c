// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Domain backup XML: <domainbackup mode='push'> parsed with libxml2 and
 * written in libvirt's element order and indentation.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "common/util.h"
#include "domain/backup.h"
#include "domain/dom-int.h"

void backup_clear(struct backup_def *b)
{
	unsigned int i;

	for (i = 0; i < b->ndisks; i++)
		free(b->disks[i].file);
	memset(b, 0, sizeof(*b));
}

struct backup_disk *backup_find(struct backup_def *b, const char *name)
{
	unsigned int i;

	for (i = 0; i < b->ndisks; i++)
		if (!strcmp(b->disks[i].name, name))
			return &b->disks[i];
	return NULL;
}

/* bad - err gets "backup XML: WHAT (line N)"; returns -EINVAL. */
static int bad(xmlNodePtr n, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "backup XML: %s (line %d)", what,
		 n ? dom_line(n) : 0);
	return -EINVAL;
}

/* Whether s is a disk target name: letters and digits, 1..31 of them. */
static bool target_ok(const char *s)
{
	size_t i;

	if (!s || !*s || strlen(s) > BACKUP_DISK_NAME_MAX)
		return false;
	for (i = 0; s[i]; i++)
		if (!isalnum((unsigned char)s[i]))
			return false;
	return true;
}

/* The copy's part of a backed-up <disk>: type, <target>, <driver>. */
static int parse_copy(xmlNodePtr d, struct backup_disk *k, char *err,
		      size_t errlen)
{
	const char *type = dom_prop(d, "type"), *f, *fmt;
	xmlNodePtr t = dom_child(d, "target");

	if (type && strcmp(type, "file"))
		return bad(
			d,
			"<disk type> must be 'file' (block device targets are not supported)",
			err, errlen);
	fmt = dom_prop(dom_child(d, "driver"), "type");
	if (fmt && strcmp(fmt, "qcow2"))
		return bad(
			d,
			"<driver type> must be 'qcow2' (backups are written as qcow2)",
			err, errlen);
	if (t && (dom_child(t, "encryption") || dom_child(t, "seclabel")))
		return bad(t, "<encryption> and <seclabel> are not supported",
			   err, errlen);
	f = t ? dom_prop(t, "file") : NULL;
	if (t && (!f || f[0] != '/' || strlen(f) >= 4096))
		return bad(t, "<target file> must be an absolute path", err,
			   errlen);
	if (f && !(k->file = strdup(f)))
		return -ENOMEM;
	return 0;
}

/* parse_disk - one <disk name backup backupmode ...> into k. */
static int parse_disk(xmlNodePtr d, struct backup_def *b, struct backup_disk *k,
		      char *err, size_t errlen)
{
	const char *name = dom_prop(d, "name"), *bk = dom_prop(d, "backup"),
		   *mode = dom_prop(d, "backupmode");

	if (!target_ok(name))
		return bad(d, "<disk name> must be a target like vda", err,
			   errlen);
	if (backup_find(b, name))
		return bad(d, "a disk is named twice", err, errlen);
	strcpy(k->name, name);
	if (bk && strcmp(bk, "yes") && strcmp(bk, "no"))
		return bad(d, "<disk backup> must be yes or no", err, errlen);
	k->skip = bk && !strcmp(bk, "no");
	if (mode && strcmp(mode, "full") && strcmp(mode, "incremental"))
		return bad(d, "<disk backupmode> must be full or incremental",
			   err, errlen);
	k->full = mode && !strcmp(mode, "full");
	if (mode && !k->full && !b->incremental[0])
		return bad(
			d,
			"backupmode='incremental' needs <incremental> in <domainbackup>",
			err, errlen);
	return k->skip ? 0 : parse_copy(d, k, err, errlen);
}

/* parse_root - mode, <incremental> and <disks> of root into *b. */
static int parse_root(xmlNodePtr root, struct backup_def *b, char *err,
		      size_t errlen)
{
	const char *mode = dom_prop(root, "mode"), *t;
	xmlNodePtr n = dom_child(root, "incremental"), d;
	int r;

	if (mode && strcmp(mode, "push"))
		return bad(
			root,
			"only mode='push' is supported (the copies written to files); pull mode is not",
			err, errlen);
	if (dom_child(root, "server"))
		return bad(root, "<server> belongs to pull mode, not supported",
			   err, errlen);
	t = n ? dom_text(n) : NULL;
	if (n && (!*t || strlen(t) > BACKUP_INC_MAX))
		return bad(
			n,
			"<incremental> must name a checkpoint (1 to 64 bytes)",
			err, errlen);
	if (t)
		strcpy(b->incremental, t);
	n = dom_child(root, "disks");
	for (d = dom_child(n, "disk"); d; d = dom_next(d, "disk")) {
		if (b->ndisks == DOMAIN_DISKS_MAX)
			return bad(d, "too many <disk> elements", err, errlen);
		r = parse_disk(d, b, &b->disks[b->ndisks], err, errlen);
		b->ndisks++;
		if (r)
			return r;
	}
	return 0;
}

int backup_parse(const char *xml, size_t len, struct backup_def *b, char *err,
		 size_t errlen)
{
	const int opts =
		XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
	xmlDocPtr doc =
		len < INT32_MAX ?
			xmlReadMemory(xml, (int)len, "backup.xml", NULL, opts) :
			NULL;
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
	int r = -EINVAL;

	memset(b, 0, sizeof(*b));
	if (!root || strcmp((const char *)root->name, "domainbackup"))
		snprintf(
			err, errlen,
			"backup XML: not a well-formed document with a <domainbackup> root element");
	else
		r = parse_root(root, b, err, errlen);
	if (r == -ENOMEM)
		snprintf(err, errlen, "backup XML: out of memory");
	if (r)
		backup_clear(b);
	xmlFreeDoc(doc);
	return r;
}

/* put_disk - one <disk> of <disks>, the mode as b says for it. */
static void put_disk(FILE *f, const struct backup_def *b,
		     const struct backup_disk *k)
{
	if (k->skip) {
		fprintf(f, "    <disk name='%s' backup='no'/>\n", k->name);
		return;
	}
	fprintf(f, "    <disk name='%s' backup='yes' type='file'", k->name);
	if (k->full || !b->incremental[0]) {
		fprintf(f, " backupmode='full'>\n");
	} else {
		fprintf(f, " backupmode='incremental' incremental='");
		fput_xml(f, b->incremental, true);
		fprintf(f, "'>\n");
	}
	if (k->file) {
		fprintf(f, "      <target file='");
		fput_xml(f, k->file, true);
		fprintf(f, "'/>\n");
	}
	fprintf(f, "      <driver type='qcow2'/>\n    </disk>\n");
}

char *backup_format(const struct backup_def *b)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	unsigned int i;

	if (!f)
		return NULL;
	fprintf(f, "<domainbackup mode='push'>\n");
	if (b->incremental[0]) {
		fprintf(f, "  <incremental>");
		fput_xml(f, b->incremental, false);
		fprintf(f, "</incremental>\n");
	}
	if (b->ndisks)
		fprintf(f, "  <disks>\n");
	for (i = 0; i < b->ndisks; i++)
		put_disk(f, b, &b->disks[i]);
	if (b->ndisks)
		fprintf(f, "  </disks>\n");
	fprintf(f, "</domainbackup>\n");
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}
