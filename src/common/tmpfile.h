/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Files replaced atomically: written under a temporary name beside the
 * final one, synced, renamed over it, and the directory synced so that
 * the rename survives a power cut. The temporary name is never followed
 * through a symbolic link.
 */
#ifndef WIRT_COMMON_TMPFILE_H
#define WIRT_COMMON_TMPFILE_H

#include <sys/types.h>

/*
 * tmpfile_create - create tmp for writing (O_CREAT | O_EXCL | O_NOFOLLOW,
 * with mode): whatever is at tmp already (a file left by a crash, or a
 * planted symbolic link) is unlinked first, never followed or written
 * through. Returns the fd, or -errno (-EEXIST: something reappeared at
 * tmp between the unlink and the create).
 */
int tmpfile_create(const char *tmp, mode_t mode);

/*
 * tmpfile_sync_dir - fsync the directory that holds path, so that a
 * rename or create of path in it is durable. Returns 0 or -errno.
 */
int tmpfile_sync_dir(const char *path);

/*
 * tmpfile_commit - rename tmp (written and synced by the caller) to
 * path, then sync their directory. Returns 0 or -errno; on a failed
 * rename tmp is left in place for the caller to remove.
 */
int tmpfile_commit(const char *tmp, const char *path);

#endif
