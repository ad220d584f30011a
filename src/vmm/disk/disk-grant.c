// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Giving a sandboxed wirt-vmm what it writes later. Started as root,
 * wirt-vmm drops to an unprivileged user after set-up, but savevm,
 * loadvm and delvm then create, rename and delete files in each writable
 * disk's IMAGE.snapshots/ directory (state files, raw disks' overlays and
 * records). Before the switch, that directory is created if missing and
 * given, with the files already in it, to the sandbox's user: the model
 * of libvirt handing images to its qemu user, limited to wirt's own
 * directory (the images themselves keep their owner: they are open).
 */
#include "vmm/disk/disk-grant.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/disk/disk.h"

/*
 * Give the regular files directly in the open directory dfd to uid:gid
 * (symbolic links are not followed). Returns 0 or -errno with the file
 * named in err.
 */
static int grant_files(int dfd, const char *dir, uid_t uid, gid_t gid,
		       char *err, size_t len)
{
	int fd = dup(dfd);
	struct dirent *e;
	DIR *d;
	int r = 0;

	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		snprintf(err, len, "sandbox: cannot list '%s': %s", dir,
			 strerror(-r));
		return r;
	}
	while (!r && (e = readdir(d))) {
		struct stat st;

		if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    !S_ISREG(st.st_mode))
			continue;
		if (fchownat(dfd, e->d_name, uid, gid, AT_SYMLINK_NOFOLLOW)) {
			r = -errno;
			snprintf(
				err, len,
				"sandbox: cannot give '%s/%s' to the VM's user: %s",
				dir, e->d_name, strerror(errno));
		}
	}
	closedir(d);
	return r;
}

/*
 * Create path.snapshots (mode 0700) if missing and give it and its
 * files to uid:gid. A symbolic link or non-directory there is refused.
 * Returns 0 or -errno with one line in err.
 */
static int grant_dir(const char *path, uid_t uid, gid_t gid, char *err,
		     size_t len)
{
	char dir[PATH_MAX];
	struct stat st;
	int fd, r;

	if (snprintf(dir, sizeof(dir), "%s.snapshots", path) >=
	    (int)sizeof(dir)) {
		snprintf(err, len, "disk '%s': its name is too long", path);
		return -ENAMETOOLONG;
	}
	if (mkdir(dir, 0700) && errno != EEXIST) {
		r = -errno;
		snprintf(
			err, len,
			"disk '%s': cannot create '%s' for its snapshots: %s (or run with --sandbox off)",
			path, dir, strerror(errno));
		return r;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		r = -errno;
		snprintf(err, len, "disk '%s': '%s' is not a directory: %s",
			 path, dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return r;
	}
	if (fchown(fd, uid, gid)) {
		r = -errno;
		snprintf(err, len,
			 "sandbox: cannot give '%s' to the VM's user: %s", dir,
			 strerror(errno));
	} else {
		r = grant_files(fd, dir, uid, gid, err, len);
	}
	close(fd);
	return r;
}

int disk_grant(const struct disk *d, uid_t uid, gid_t gid, char *err,
	       size_t len)
{
	if (d->readonly || d->is_blkdev)
		return 0;
	return grant_dir(d->opts.path, uid, gid, err, len);
}
