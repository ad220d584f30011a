// SPDX-License-Identifier: GPL-2.0-or-later
/* wirtd's snapshot metadata files (snaps.h). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "wirtd/snaps.h"
#include "wirtd/wirtd.h"

#define SNAP_XML_MAX (2 << 20)

/* snap_dir - LIB/snapshot/DOMAIN into buf. */
static int snap_dir(const struct vmrec *vm, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/snapshot/%s", W->paths.lib, vm->name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* snap_file - LIB/snapshot/DOMAIN/NAME + sfx into buf. */
static int snap_file(const struct vmrec *vm, const char *name, const char *sfx,
		     char *buf, size_t len)
{
	char dir[PATH_MAX];
	int r = snap_dir(vm, dir, sizeof(dir));

	return r ? r : path_of(buf, len, dir, name, sfx);
}

void snaps_free(struct snap_def *v, unsigned int n)
{
	while (v && n--)
		snap_clear(&v[n]);
	free(v);
}

static int by_name(const void *a, const void *b)
{
	const struct snap_def *x = a, *y = b;
	int r = strcasecmp(x->name, y->name);

	return r ? r : strcmp(x->name, y->name);
}

/* load_one - parse LIB/snapshot/DOMAIN/FILE into *s. */
static int load_one(const struct vmrec *vm, const char *file,
		    struct snap_def *s, char *err, size_t errlen)
{
	char path[PATH_MAX], why[256];
	char *xml;
	size_t len;
	int r = snap_file(vm, file, "", path, sizeof(path));

	if (!r)
		r = store_read(path, &xml, &len, SNAP_XML_MAX);
	if (r) {
		snprintf(err, errlen, "cannot read snapshot file '%s': %s",
			 path, strerror(-r));
		return r;
	}
	r = snap_parse(xml, len, s, why, sizeof(why));
	free(xml);
	if (r)
		snprintf(err, errlen, "%s: %s (fix or remove the file)", path,
			 why);
	return r;
}

int snaps_load(const struct vmrec *vm, struct snap_def **out, unsigned int *n,
	       char *err, size_t errlen)
{
	char dir[PATH_MAX];
	struct snap_def *v = calloc(SNAPS_MAX, sizeof(*v));
	struct dirent *e;
	DIR *d;
	size_t l;
	int r = 0;

	*out = NULL;
	*n = 0;
	if (!v || snap_dir(vm, dir, sizeof(dir))) {
		free(v);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	d = opendir(dir);
	while (d && !r && (e = readdir(d))) {
		l = strlen(e->d_name);
		if (l < 5 || strcmp(e->d_name + l - 4, ".xml") ||
		    e->d_name[0] == '.')
			continue;
		if (*n == SNAPS_MAX) {
			snprintf(
				err, errlen,
				"domain '%s' has more than %d snapshots in '%s'",
				vm->name, SNAPS_MAX, dir);
			r = -E2BIG;
		} else {
			r = load_one(vm, e->d_name, &v[*n], err, errlen);
			*n += !r;
		}
	}
	if (d)
		closedir(d);
	if (r) {
		snaps_free(v, *n);
		*n = 0;
		return r;
	}
	qsort(v, *n, sizeof(*v), by_name);
	*out = v;
	return 0;
}

struct snap_def *snaps_find(struct snap_def *v, unsigned int n,
			    const char *name)
{
	unsigned int i;

	for (i = 0; name && i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

int snap_store(const struct vmrec *vm, const struct snap_def *s, char *err,
	       size_t errlen)
{
	char path[PATH_MAX];
	char *xml = snap_format(s);
	int r = snap_dir(vm, path, sizeof(path));

	if (!r)
		r = mkdirs(path, 0700);
	if (!r)
		r = snap_file(vm, s->name, ".xml", path, sizeof(path));
	if (!r)
		r = xml ? store_write(path, xml, strlen(xml), 0600) : -ENOMEM;
	if (r)
		snprintf(
			err, errlen,
			"cannot write the XML of snapshot '%s' of domain '%s' under %s/snapshot: %s",
			s->name, vm->name, W->paths.lib, strerror(-r));
	free(xml);
	return r;
}

int snap_unstore(const struct vmrec *vm, const char *name)
{
	char path[PATH_MAX];
	int r = snap_file(vm, name, ".xml", path, sizeof(path));

	if (!r && unlink(path) && errno != ENOENT)
		r = -errno;
	return r;
}

void snap_current(const struct vmrec *vm, char buf[SNAP_NAME_MAX + 1])
{
	char path[PATH_MAX];
	char *s = NULL;
	size_t len = 0;

	buf[0] = 0;
	if (snap_file(vm, "current", "", path, sizeof(path)) ||
	    store_read(path, &s, &len, SNAP_NAME_MAX + 1))
		return;
	if (len <= SNAP_NAME_MAX) {
		memcpy(buf, s, len);
		buf[len] = 0;
		if (!snap_name_ok(buf))
			buf[0] = 0;
	}
	free(s);
}

int snap_set_current(const struct vmrec *vm, const char *name)
{
	char path[PATH_MAX];
	int r = snap_file(vm, "current", "", path, sizeof(path));

	if (r)
		return r;
	if (!name[0])
		return unlink(path) && errno != ENOENT ? -errno : 0;
	return store_write(path, name, strlen(name), 0600);
}

int snaps_undefine(const struct vmrec *vm, bool forget, char *err,
		   size_t errlen)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct dirent *e;
	unsigned int n = 0;
	DIR *d;

	if (snap_dir(vm, dir, sizeof(dir)))
		return 0;
	d = opendir(dir);
	while (d && (e = readdir(d))) {
		size_t l = strlen(e->d_name);

		if (e->d_name[0] == '.')
			continue;
		n += l > 4 && !strcmp(e->d_name + l - 4, ".xml");
		if (forget && !path_of(path, sizeof(path), dir, e->d_name, ""))
			unlink(path);
	}
	if (d)
		closedir(d);
	if (forget) {
		rmdir(dir);
		return 0;
	}
	if (!n)
		return 0;
	snprintf(
		err, errlen,
		"Requested operation is not valid: cannot delete inactive domain with %u snapshots (snapshot-delete them first, or undefine --snapshots-metadata to forget them)",
		n);
	return -EBUSY;
}
