/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libvirt storage pool XML (<pool type='dir'> and <pool type='logical'>):
 * parsed into a plain struct and written back in libvirt's layout, so that
 * `virt-xml-validate FILE storagepool` accepts it.
 */
#ifndef WIRT_DOMAIN_POOL_H
#define WIRT_DOMAIN_POOL_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define POOL_NAME_MAX 64
#define POOL_DEVICES_MAX 8

enum pool_type { POOL_DIR, POOL_LOGICAL };

struct pool_def {
	char name[POOL_NAME_MAX + 1];
	char uuid[37];
	enum pool_type type;
	char target[PATH_MAX]; /* dir: the directory; logical: /dev/VG */
	char vg[POOL_NAME_MAX + 1]; /* logical: <source><name> */
	char devices[POOL_DEVICES_MAX][PATH_MAX]; /* logical: PVs */
	int ndevices;
};

/* Sizes shown in <capacity>, <allocation>, <available> (bytes). */
struct pool_sizes {
	uint64_t capacity, allocation, available;
};

/* pool_name_ok - name is 1..64 of [A-Za-z0-9_.+-], not starting with a
 * dot or a dash. */
int pool_name_ok(const char *name);

/*
 * pool_parse - read a <pool> document (len bytes of xml) into *p; a UUID
 * is made up when absent. Returns 0, or -EINVAL with err naming the
 * element at fault.
 */
int pool_parse(const char *xml, size_t len, struct pool_def *p, char *err,
	       size_t errlen);

/* pool_format - p as libvirt writes it (sizes may be NULL: all zero).
 * Returns a malloc'd string, or NULL when out of memory. */
char *pool_format(const struct pool_def *p, const struct pool_sizes *s);

/* pool_type_name - "dir" or "logical". */
const char *pool_type_name(enum pool_type t);

#endif
