/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A probe of ISO 9660 images, and a writer of small ones with one flat root directory and
 * Joliet names: what a cloud-init NoCloud seed (volume label "cidata",
 * files user-data, meta-data, network-config) needs. Written from ECMA-119
 * and the Joliet specification.
 */
#ifndef WIRT_COMMON_ISO9660_H
#define WIRT_COMMON_ISO9660_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define ISO_MAX_FILES 16
#define ISO_NAME_MAX 64 /* bytes of a file name (Joliet allows 64 chars) */
#define ISO_LABEL_MAX 16 /* the Joliet volume identifier's 16 characters */

struct iso_file {
	const char *name; /* "user-data": [A-Za-z0-9._-], 1..ISO_NAME_MAX */
	const void *data;
	size_t len;
};

/*
 * iso_build - an ISO 9660 image of the files in the root directory, with
 * volume identifier label (ASCII letters, digits, '_' and '-', at most
 * ISO_LABEL_MAX), a primary volume with 8.3 names and a Joliet
 * supplementary volume with the names as given, dated t. Returns 0 with
 * *out (malloc'd, free it) and *outlen set, or -EINVAL (err names the bad
 * name or label, or a duplicate), -E2BIG (too many files or a file over
 * 4 GiB), -ENOMEM.
 */
int iso_build(const char *label, const struct iso_file *files, size_t n,
	      time_t t, uint8_t **out, size_t *outlen, char *err,
	      size_t errlen);

/*
 * iso_open - open the ISO 9660 image at path read-only and check it: a
 * regular file or block device with a CD001 volume descriptor at sector
 * 16. Returns the fd with *size set, or -EINVAL (not an ISO image) or
 * another -errno (cannot open it), with err saying what is wrong and
 * what to give instead.
 */
int iso_open(const char *path, uint64_t *size, char *err, size_t errlen);

#endif
