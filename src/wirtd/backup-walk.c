// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The images of a backup chain, walked from one backup down its backing
 * files to the full backup at the bottom, with the block library (each
 * link opened alone, as qcow2), for backup-restore and backup --verify.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "block/blk.h"
#include "block/info.h"
#include "common/util.h"
#include "wirtd/cmds.h"

/*
 * The backing file of the qcow2 image file (resolved) into buf, "" when
 * it has none. Returns 0, or -errno with err naming file.
 */
static int backing_of(const char *file, char *buf, size_t len, char *err,
		      size_t errlen)
{
	struct blk_info i;
	struct blk *b;
	int r = blk_open(&b, file, BLK_FMT_QCOW2,
			 BLK_O_NO_BACKING | BLK_O_NO_PROBE_WARN |
				 BLK_O_NO_REPAIR);

	if (r)
		return err_set(
			err, errlen, r,
			"backup '%s' cannot be read as a qcow2 image: %s", file,
			blk_last_error());
	blk_get_info(b, &i);
	if (i.backing_file && !i.full_backing)
		r = err_set(err, errlen, -ENOMEM, "backup '%s': out of memory",
			    file);
	else if (i.backing_file &&
		 snprintf(buf, len, "%s", i.full_backing) >= (int)len)
		r = err_set(err, errlen, -ENAMETOOLONG,
			    "backup '%s': its backing file name is too long",
			    file);
	else if (!i.backing_file)
		buf[0] = '\0';
	blk_info_free(&i);
	blk_close(b);
	return r;
}

/* Whether file is in l already (a loop of backing files). */
static bool listed(const struct chain_list *l, const char *file)
{
	unsigned int i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->file[i], file))
			return true;
	return false;
}

int chain_walk(const char *top, struct chain_list *l, char *err, size_t errlen)
{
	char cur[PATH_MAX], next[PATH_MAX];
	struct stat st;
	int r = 0;

	memset(l, 0, sizeof(*l));
	snprintf(cur, sizeof(cur), "%s", top);
	while (!r && cur[0]) {
		if (stat(cur, &st) || !S_ISREG(st.st_mode)) {
			r = -ENOENT;
			if (l->n)
				err_set(err, errlen, r,
					"the backup chain under '%s' is broken: '%s', the backing file of '%s', is missing",
					top, cur, l->file[l->n - 1]);
			else
				err_set(err, errlen, r,
					"backup '%s' not found (give the file of a backup, as wirt backup printed it)",
					top);
			break;
		}
		if (listed(l, cur))
			r = err_set(
				err, errlen, -ELOOP,
				"the backup chain under '%s' loops: '%s' comes back",
				top, cur);
		if (!r)
			r = chain_list_add(l, cur);
		if (r == -E2BIG || r == -ENOMEM)
			err_set(err, errlen, r,
				"the backup chain under '%s' is too long (%u images)",
				top, l->n);
		if (!r)
			r = backing_of(cur, next, sizeof(next), err, errlen);
		if (!r)
			memcpy(cur, next, sizeof(cur));
	}
	if (r)
		chain_list_free(l);
	return r;
}
