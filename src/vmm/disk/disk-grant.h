/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Handing each writable disk's snapshot directory to the sandbox's user. */
#ifndef WIRT_VMM_DISK_GRANT_H
#define WIRT_VMM_DISK_GRANT_H

#include <stddef.h>
#include <sys/types.h>

struct disk;

/*
 * disk_grant - for a writable disk d (not a block device): create
 * IMAGE.snapshots/ if missing and give it, with the regular files in it,
 * to uid:gid, so that savevm, loadvm and delvm work after the sandbox's
 * user switch; nothing for other disks. Returns 0, or -errno with one
 * line in err.
 */
int disk_grant(const struct disk *d, uid_t uid, gid_t gid, char *err,
	       size_t len);

#endif
