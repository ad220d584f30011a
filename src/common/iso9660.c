// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ISO 9660 images with one flat root directory (ECMA-119) and Joliet names.
 * Layout in 2048-byte sectors: 0-15 system area (zero), 16 the primary
 * volume descriptor, 17 the Joliet supplementary one, 18 the terminator,
 * 19-22 the L and M path tables of each volume (one entry: the root),
 * then the primary root directory, the Joliet root directory, and the
 * files' data, each from a sector boundary. Both directories point at the
 * same data.
 */
#include "common/iso9660.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#define SECTOR 2048u
#define LBA_PVD 16
#define LBA_PATH 19 /* L, M (primary), L, M (Joliet) */
#define LBA_DIRS 23
#define PATH_TABLE_LEN 10 /* the root's entry */
#define PRIMARY_ID_MAX 14 /* "NAMENAME.EXT;1" */

struct ent {
	uint8_t id[PRIMARY_ID_MAX]; /* 8.3 name with ";1" */
	size_t idlen;
	uint8_t jid[2 * (ISO_NAME_MAX + 2)]; /* UCS-2BE name with ";1" */
	size_t jidlen;
	uint32_t lba, len;
};

struct layout {
	struct ent e[ISO_MAX_FILES];
	unsigned int order[2][ISO_MAX_FILES]; /* by primary, by Joliet id */
	size_t n;
	uint32_t root_lba[2], root_len[2], total;
	struct tm tm;
};

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* ECMA-119's both-byte orders: little-endian, then big-endian. */
static void put_both32(uint8_t *p, uint32_t v)
{
	put_le32(p, v);
	put_be32(p + 4, v);
}

static void put_both16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 8;
	p[3] = v;
}

static uint32_t sectors(uint64_t bytes)
{
	return (bytes + SECTOR - 1) / SECTOR;
}

/*
 * A directory record for (lba, len) named id at p, or only its length when
 * p is NULL; returns that length (33 bytes, the id, a pad to even).
 */
static size_t dir_record(uint8_t *p, uint32_t lba, uint32_t len, bool dir,
			 const uint8_t *id, size_t idlen, const struct tm *tm)
{
	size_t n = 33 + idlen + !(idlen & 1);

	if (!p)
		return n;
	memset(p, 0, n);
	p[0] = n;
	put_both32(p + 2, lba);
	put_both32(p + 10, len);
	p[18] = tm->tm_year;
	p[19] = tm->tm_mon + 1;
	p[20] = tm->tm_mday;
	p[21] = tm->tm_hour;
	p[22] = tm->tm_min;
	p[23] = tm->tm_sec;
	p[25] = dir ? 2 : 0;
	put_both16(p + 28, 1);
	p[32] = idlen;
	memcpy(p + 33, id, idlen);
	return n;
}

/*
 * Lay out root directory v (0 primary, 1 Joliet) into buf (NULL: measure
 * only): ".", "..", then the files in their order, no record crossing a
 * sector. Returns its length in bytes, whole sectors.
 */
static uint32_t root_dir(uint8_t *buf, const struct layout *l, int v)
{
	static const uint8_t self = 0, parent = 1;
	size_t pos = 0, r, i;
	const struct ent *e;

	for (i = 0; i < l->n + 2; i++) {
		e = i >= 2 ? &l->e[l->order[v][i - 2]] : NULL;
		r = e ? dir_record(NULL, 0, 0, false, v ? e->jid : e->id,
				   v ? e->jidlen : e->idlen, &l->tm) :
			34;
		if (pos % SECTOR + r > SECTOR)
			pos = (size_t)sectors(pos) * SECTOR;
		if (buf && e)
			dir_record(buf + pos, e->lba, e->len, false,
				   v ? e->jid : e->id, v ? e->jidlen : e->idlen,
				   &l->tm);
		else if (buf)
			dir_record(buf + pos, l->root_lba[v], l->root_len[v],
				   true, i ? &parent : &self, 1, &l->tm);
		pos += r;
	}
	return sectors(pos) * SECTOR;
}

/* The 8.3 primary identifier of name (uppercase, others as '_'), number k
 * of its kind when k > 0. */
static void primary_id(struct ent *e, const char *name, unsigned int k)
{
	const char *dot = strrchr(name, '.');
	size_t blen = dot ? (size_t)(dot - name) : strlen(name), i, o = 0;
	char c;

	for (i = 0; i < blen && i < 8; i++) {
		c = name[i];
		if (c >= 'a' && c <= 'z')
			c -= 'a' - 'A';
		e->id[o++] = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ?
				     c :
				     '_';
	}
	if (k) {
		o = o > 6 ? 6 : o;
		e->id[o++] = '0' + k / 10 % 10;
		e->id[o++] = '0' + k % 10;
	}
	e->id[o++] = '.';
	for (i = 0; dot && dot[1 + i] && i < 3; i++) {
		c = dot[1 + i];
		if (c >= 'a' && c <= 'z')
			c -= 'a' - 'A';
		e->id[o++] = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ?
				     c :
				     '_';
	}
	e->id[o++] = ';';
	e->id[o++] = '1';
	e->idlen = o;
}

static void joliet_id(struct ent *e, const char *name)
{
	size_t i, o = 0;

	for (i = 0; name[i]; i++) {
		e->jid[o++] = 0;
		e->jid[o++] = (uint8_t)name[i];
	}
	memcpy(e->jid + o,
	       "\0;\0"
	       "1",
	       4);
	e->jidlen = o + 4;
}

static bool valid_chars(const char *s, const char *extra)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr(extra, *s)))
			return false;
	return true;
}

static int cmp_id(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);

	return c ? c : (al > bl) - (al < bl);
}

/* Sort order[v] by the identifiers of volume v (insertion: n <= 16). */
static void sort_ids(struct layout *l, int v)
{
	unsigned int i, j, t;
	const struct ent *a, *b;

	for (i = 0; i < l->n; i++)
		l->order[v][i] = i;
	for (i = 1; i < l->n; i++)
		for (j = i; j > 0; j--) {
			a = &l->e[l->order[v][j - 1]];
			b = &l->e[l->order[v][j]];
			if (cmp_id(v ? a->jid : a->id, v ? a->jidlen : a->idlen,
				   v ? b->jid : b->id,
				   v ? b->jidlen : b->idlen) <= 0)
				break;
			t = l->order[v][j];
			l->order[v][j] = l->order[v][j - 1];
			l->order[v][j - 1] = t;
		}
}

/* Names and identifiers of the files; 0 or -EINVAL/-E2BIG with err. */
static int make_ids(struct layout *l, const struct iso_file *f, size_t n,
		    char *err, size_t errlen)
{
	size_t i, j;
	unsigned int k;

	for (i = 0; i < n; i++) {
		if (!f[i].name || !*f[i].name ||
		    strlen(f[i].name) > ISO_NAME_MAX ||
		    !valid_chars(f[i].name, "._-")) {
			snprintf(
				err, errlen,
				"file name '%s' cannot go on the image: use 1 to %d of A-Z, a-z, 0-9, '.', '_', '-'",
				f[i].name ? f[i].name : "", ISO_NAME_MAX);
			return -EINVAL;
		}
		if (f[i].len > UINT32_MAX) {
			snprintf(
				err, errlen,
				"file '%s' is over 4 GiB, too big for ISO 9660",
				f[i].name);
			return -E2BIG;
		}
		for (j = 0; j < i; j++)
			if (!strcmp(f[i].name, f[j].name)) {
				snprintf(err, errlen,
					 "file name '%s' is given twice",
					 f[i].name);
				return -EINVAL;
			}
		joliet_id(&l->e[i], f[i].name);
		/* number 8.3 names that collide: USER_DAT, USER_D01, ... */
		for (k = 0; k < 100; k++) {
			primary_id(&l->e[i], f[i].name, k);
			for (j = 0; j < i; j++)
				if (!cmp_id(l->e[i].id, l->e[i].idlen,
					    l->e[j].id, l->e[j].idlen))
					break;
			if (j == i)
				break;
		}
		l->e[i].len = f[i].len;
	}
	l->n = n;
	return 0;
}

/* An identifier field of len bytes: text space-padded, in UCS-2BE for
 * Joliet (pairs 0x00 0x20, an odd last byte 0x20). */
static void put_text(uint8_t *p, size_t len, const char *s, bool ucs2)
{
	size_t i, sl = strlen(s);

	memset(p, ' ', len);
	if (!ucs2) {
		memcpy(p, s, sl < len ? sl : len);
		return;
	}
	for (i = 0; i + 1 < len; i += 2) {
		p[i] = 0;
		p[i + 1] = i / 2 < sl ? (uint8_t)s[i / 2] : ' ';
	}
}

/* ECMA-119 8.4.26.1: "YYYYMMDDHHMMSScc" and the offset from GMT. */
static void put_date(uint8_t *p, const struct tm *tm)
{
	char s[32];

	snprintf(s, sizeof(s), "%04d%02d%02d%02d%02d%02d00",
		 (tm->tm_year + 1900) % 10000, tm->tm_mon + 1, tm->tm_mday,
		 tm->tm_hour, tm->tm_min, tm->tm_sec);
	memcpy(p, s, 16);
	p[16] = 0;
}

/* Volume descriptor v (0 primary, 1 Joliet) at p. */
static void vol_desc(uint8_t *p, const struct layout *l, int v,
		     const char *label)
{
	p[0] = v ? 2 : 1;
	memcpy(p + 1, "CD001", 5);
	p[6] = 1;
	put_text(p + 8, 32, "LINUX", v);
	put_text(p + 40, 32, label, v);
	put_both32(p + 80, l->total);
	if (v)
		memcpy(p + 88, "%/E", 3); /* UCS-2 level 3 */
	put_both16(p + 120, 1);
	put_both16(p + 124, 1);
	put_both16(p + 128, SECTOR);
	put_both32(p + 132, PATH_TABLE_LEN);
	put_le32(p + 140, LBA_PATH + 2 * v);
	put_be32(p + 148, LBA_PATH + 2 * v + 1);
	dir_record(p + 156, l->root_lba[v], l->root_len[v], true,
		   (const uint8_t *)"", 1, &l->tm);
	put_text(p + 190, 128, "", v);
	put_text(p + 318, 128, "", v);
	put_text(p + 446, 128, "", v);
	put_text(p + 574, 128, "WIRT", v);
	put_text(p + 702, 37, "", v);
	put_text(p + 739, 37, "", v);
	put_text(p + 776, 37, "", v);
	put_date(p + 813, &l->tm);
	put_date(p + 830, &l->tm);
	memset(p + 847, '0', 16);
	memset(p + 864, '0', 16);
	p[881] = 1;
}

/* The root's path table entry of volume v, little- or big-endian. */
static void path_table(uint8_t *p, const struct layout *l, int v, bool be)
{
	p[0] = 1;
	if (be) {
		put_be32(p + 2, l->root_lba[v]);
		p[7] = 1;
	} else {
		put_le32(p + 2, l->root_lba[v]);
		p[6] = 1;
	}
}

/* Place the directories and data; -E2BIG when the image passes 4 GiB. */
static int place(struct layout *l)
{
	uint64_t next;
	size_t i;

	l->root_len[0] = root_dir(NULL, l, 0);
	l->root_len[1] = root_dir(NULL, l, 1);
	l->root_lba[0] = LBA_DIRS;
	l->root_lba[1] = LBA_DIRS + l->root_len[0] / SECTOR;
	next = l->root_lba[1] + l->root_len[1] / SECTOR;
	for (i = 0; i < l->n; i++) {
		l->e[i].lba = next;
		next += sectors(l->e[i].len);
		if (next > UINT32_MAX / SECTOR)
			return -E2BIG;
	}
	l->total = next;
	return 0;
}

int iso_build(const char *label, const struct iso_file *files, size_t n,
	      time_t t, uint8_t **out, size_t *outlen, char *err, size_t errlen)
{
	struct layout *l;
	uint8_t *img = NULL;
	size_t i;
	int r, v;

	if (!label || !*label || strlen(label) > ISO_LABEL_MAX ||
	    !valid_chars(label, "_-")) {
		snprintf(
			err, errlen,
			"volume label '%s' cannot go on the image: use 1 to %d of A-Z, a-z, 0-9, '_', '-'",
			label ? label : "", ISO_LABEL_MAX);
		return -EINVAL;
	}
	if (n > ISO_MAX_FILES) {
		snprintf(err, errlen, "%zu files: at most %d fit on the image",
			 n, ISO_MAX_FILES);
		return -E2BIG;
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	gmtime_r(&t, &l->tm);
	r = make_ids(l, files, n, err, errlen);
	if (!r) {
		sort_ids(l, 0);
		sort_ids(l, 1);
		r = place(l);
		if (r)
			snprintf(err, errlen, "the image would pass 4 GiB");
	}
	if (!r && !(img = calloc(l->total, SECTOR)))
		r = -ENOMEM;
	if (r) {
		free(l);
		return r;
	}
	for (v = 0; v < 2; v++) {
		vol_desc(img + (LBA_PVD + v) * SECTOR, l, v, label);
		path_table(img + (LBA_PATH + 2 * v) * SECTOR, l, v, false);
		path_table(img + (LBA_PATH + 2 * v + 1) * SECTOR, l, v, true);
		root_dir(img + (size_t)l->root_lba[v] * SECTOR, l, v);
	}
	img[(LBA_PVD + 2) * SECTOR] = 255;
	memcpy(img + (LBA_PVD + 2) * SECTOR + 1, "CD001", 5);
	img[(LBA_PVD + 2) * SECTOR + 6] = 1;
	for (i = 0; i < n; i++)
		if (files[i].len)
			memcpy(img + (size_t)l->e[i].lba * SECTOR,
			       files[i].data, files[i].len);
	*out = img;
	*outlen = (size_t)l->total * SECTOR;
	free(l);
	return 0;
}

/* iso_probe - whether fd (size bytes) holds an ISO 9660 image: NULL, or
 * a static phrase saying what is wrong. */
static const char *iso_probe(int fd, uint64_t size)
{
	uint8_t vd[SECTOR];
	ssize_t n;

	if (size < (LBA_PVD + 1) * (uint64_t)SECTOR)
		return "too small to be an ISO 9660 image";
	n = pread(fd, vd, sizeof(vd), LBA_PVD * (off_t)SECTOR);
	if (n != (ssize_t)sizeof(vd))
		return "cannot read its volume descriptor";
	if (memcmp(vd + 1, "CD001", 5))
		return "not an ISO 9660 image (no CD001 volume descriptor at sector 16)";
	return NULL;
}

int iso_open(const char *path, uint64_t *size, char *err, size_t errlen)
{
	const char *why;
	struct stat st;
	off_t end;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		e = errno;
		snprintf(err, errlen, "%s: give the path of a CD/DVD image",
			 strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	end = lseek(fd, 0, SEEK_END);
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		why = "not a regular file or block device";
	else if (end < 0)
		why = "cannot find its size";
	else
		why = iso_probe(fd, (uint64_t)end);
	if (why) {
		snprintf(err, errlen, "%s: give an ISO 9660 CD/DVD image", why);
		close(fd);
		return -EINVAL;
	}
	*size = (uint64_t)end;
	return fd;
}
