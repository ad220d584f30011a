// SPDX-License-Identifier: GPL-2.0-or-later
/* Parsing the value of one --disk option. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/disk/disk.h"

#define KNOWN_KEYS "path, format, readonly, cache, serial, id, bus, media"

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Put one message in err; returns -EINVAL. */
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/*
 * Take the next "key=value" item from *p: a "," ends it unless doubled
 * (",," is a literal comma). Returns a malloc'ed, unescaped copy, or NULL
 * when out of memory; *p moves past the item and its separator.
 */
static char *next_item(const char **p)
{
	const char *s = *p;
	size_t n = strlen(s), i, j = 0;
	char *out = malloc(n + 1);

	if (!out)
		return NULL;
	for (i = 0; i < n; i++) {
		if (s[i] == ',') {
			if (s[i + 1] != ',')
				break;
			i++;
		}
		out[j++] = s[i];
	}
	out[j] = 0;
	*p = s + i + (i < n);
	return out;
}

/* Parse on/off (also true/false, yes/no, 1/0). Returns 0/1 or -EINVAL. */
static int parse_bool(const char *v)
{
	static const char *const yes[] = { "on", "true", "yes", "1" };
	static const char *const no[] = { "off", "false", "no", "0" };
	unsigned int i;

	for (i = 0; i < 4; i++) {
		if (!strcmp(v, yes[i]))
			return 1;
		if (!strcmp(v, no[i]))
			return 0;
	}
	return -EINVAL;
}

/* id=NAME: 1 to DISK_ID_MAX of [A-Za-z0-9_.-]. Returns 0 or -EINVAL. */
static int parse_id(struct disk_opts *o, const char *val, char *err,
		    size_t errlen)
{
	size_t n = strlen(val);

	if (!n || n > DISK_ID_MAX ||
	    strspn(val, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			"0123456789_.-") != n)
		return fail(
			err, errlen,
			"--disk: id '%s' must be 1 to %d letters, digits, '_', '.' or '-'",
			val, DISK_ID_MAX);
	memcpy(o->id, val, n + 1);
	return 0;
}

/* bus=virtio|scsi and media=disk|cdrom. Returns 0 or -EINVAL. */
static int apply_bus(struct disk_opts *o, const char *key, const char *val,
		     char *err, size_t errlen)
{
	if (!strcmp(key, "media")) {
		if (strcmp(val, "disk") && strcmp(val, "cdrom"))
			return fail(
				err, errlen,
				"--disk: unknown media '%s' (use media=disk or media=cdrom)",
				val);
		o->cdrom = !strcmp(val, "cdrom");
		return 0;
	}
	if (!strcmp(val, "virtio"))
		o->bus = DISK_BUS_VIRTIO;
	else if (!strcmp(val, "scsi"))
		o->bus = DISK_BUS_SCSI;
	else
		return fail(
			err, errlen,
			"--disk: unknown bus '%s' (use bus=virtio for virtio-blk or bus=scsi for virtio-scsi)",
			val);
	return 0;
}

/* Apply one key=value to o. Returns 0 or -EINVAL with err filled. */
static int apply(struct disk_opts *o, const char *key, const char *val,
		 char *err, size_t errlen)
{
	int b;

	if (!strcmp(key, "path")) {
		if (!*val)
			return fail(err, errlen, "--disk: path= is empty");
		free(o->path);
		o->path = strdup(val);
		return o->path ? 0 : -ENOMEM;
	}
	if (!strcmp(key, "format")) {
		if (blk_format_parse(val, &o->format) < 0)
			return fail(
				err, errlen,
				"--disk: unknown format '%s' (use format=raw or format=qcow2)",
				val);
		return 0;
	}
	if (!strcmp(key, "readonly")) {
		b = parse_bool(val);
		if (b < 0)
			return fail(
				err, errlen,
				"--disk: readonly= takes on or off, not '%s'",
				val);
		o->readonly = b;
		return 0;
	}
	if (!strcmp(key, "cache")) {
		if (!strcmp(val, "none"))
			o->cache = DISK_CACHE_NONE;
		else if (!strcmp(val, "writeback"))
			o->cache = DISK_CACHE_WRITEBACK;
		else
			return fail(
				err, errlen,
				"--disk: unknown cache mode '%s' (use cache=none or cache=writeback)",
				val);
		return 0;
	}
	if (!strcmp(key, "serial")) {
		size_t i, n = strlen(val);

		if (n > DISK_SERIAL_MAX)
			return fail(
				err, errlen,
				"--disk: serial '%s' is longer than %d characters",
				val, DISK_SERIAL_MAX);
		for (i = 0; i < n; i++)
			if ((unsigned char)val[i] < 0x20 ||
			    (unsigned char)val[i] > 0x7e)
				return fail(
					err, errlen,
					"--disk: serial= must be printable ASCII");
		memcpy(o->serial, val, n + 1);
		return 0;
	}
	if (!strcmp(key, "id"))
		return parse_id(o, val, err, errlen);
	if (!strcmp(key, "media") || !strcmp(key, "bus"))
		return apply_bus(o, key, val, err, errlen);
	return fail(err, errlen, "--disk: unknown option '%s' (known: %s)", key,
		    KNOWN_KEYS);
}

int disk_parse_opts(const char *spec, struct disk_opts *o, char *err,
		    size_t errlen)
{
	const char *p = spec ? spec : "";
	int r = 0;

	memset(o, 0, sizeof(*o));
	err[0] = 0;
	while (*p && !r) {
		char *item = next_item(&p), *eq;

		if (!item)
			return -ENOMEM;
		eq = strchr(item, '=');
		if (!*item)
			r = fail(
				err, errlen,
				"--disk: empty item in '%s' (items are key=value, separated by commas)",
				spec);
		else if (!eq)
			r = fail(
				err, errlen,
				"--disk: '%s' is not key=value (e.g. --disk path=disk.img,format=raw)",
				item);
		else {
			*eq = 0;
			r = apply(o, item, eq + 1, err, errlen);
		}
		free(item);
	}
	if (!r && !o->path)
		r = fail(
			err, errlen,
			"--disk: path= is required (e.g. --disk path=disk.img,format=raw)");
	if (!r && o->cdrom && o->bus != DISK_BUS_SCSI)
		r = fail(
			err, errlen,
			"--disk '%s': media=cdrom needs bus=scsi (or use --cdrom for a SATA CD-ROM)",
			o->path);
	if (!r && o->cdrom)
		o->readonly = true;
	if (r)
		disk_opts_free(o);
	return r;
}

void disk_opts_free(struct disk_opts *o)
{
	free(o->path);
	o->path = NULL;
	o->format = BLK_FMT_PROBE;
}
