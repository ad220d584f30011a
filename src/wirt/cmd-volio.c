// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * wirt's vol-upload and vol-download: wirtd passes the volume's file (or
 * LV) over its socket; wirt copies between it and the local file, from
 * --offset for --length bytes, with its progress on a terminal.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/util.h"
#include "wirt/wirt.h"

#define CHUNK (1 << 20)

/* progress - "\rUploading: N %" on a terminal. */
static void progress(const char *what, uint64_t done, uint64_t total)
{
	if (!isatty(2) || !total)
		return;
	fprintf(stderr, "\r%s: [%3d %%]", what, (int)(done * 100 / total));
	if (done >= total)
		fputc('\n', stderr);
}

/* copy_fd - len bytes from in to out (to EOF when len is 0). Returns 0
 * or -errno. */
static int copy_fd(int in, int out, uint64_t len, uint64_t total,
		   const char *what)
{
	char *buf = malloc(CHUNK);
	uint64_t done = 0;
	ssize_t n;
	int r = buf ? 0 : -ENOMEM;

	while (!r && (!len || done < len)) {
		n = read(in, buf,
			 len && len - done < CHUNK ? len - done : CHUNK);
		if (n < 0)
			r = errno == EINTR ? 0 : -errno;
		if (n <= 0)
			break;
		if (write_full(out, buf, n) != n)
			r = -errno;
		done += n;
		progress(what, done, len ? len : total);
	}
	free(buf);
	return r;
}

/* transfer_fds - the copy of transfer(): from local into the volume's
 * fd at off (up), or from the volume's fd at off into local. */
static int transfer_fds(bool up, int local, int fd, uint64_t off, uint64_t len,
			uint64_t vol_size)
{
	struct stat st;
	uint64_t total;

	if (lseek(fd, (off_t)off, SEEK_SET) < 0 || fstat(local, &st))
		return -errno;
	total = up ? (uint64_t)st.st_size :
		     (vol_size > off ? vol_size - off : 0);
	if (up)
		return copy_fd(local, fd, len, total, "Uploading");
	return copy_fd(fd, local, len, total, "Downloading");
}

/* transfer - vol-upload (up) or vol-download of pos[0] from/to pos[1]. */
static int transfer(struct ctx *c, bool up)
{
	struct json_object *a = vol_args(c, c->cl.pos[0]), *r;
	const char *off_s = value(c, "offset"), *len_s = value(c, "length");
	uint64_t off = 0, len = 0;
	int fd, local, e;

	if (!a)
		return 1;
	if ((off_s && parse_uint(off_s, 0, INT64_MAX, &off)) ||
	    (len_s && parse_uint(len_s, 0, INT64_MAX, &len))) {
		json_object_put(a);
		snprintf(c->err, sizeof(c->err),
			 "--offset and --length take a byte count");
		return fail(c);
	}
	local = up ? open(c->cl.pos[1], O_RDONLY | O_CLOEXEC) :
		     open(c->cl.pos[1],
			  O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (local < 0) {
		json_object_put(a);
		snprintf(c->err, sizeof(c->err), "cannot open file '%s': %s",
			 c->cl.pos[1], strerror(errno));
		return fail(c);
	}
	json_object_object_add(a, "write", json_object_new_boolean(up));
	r = call(c, "vol_open", a, &fd);
	if (!r || fd < 0) {
		close(local);
		return 1;
	}
	e = transfer_fds(up, local, fd, off, len, (uint64_t)num(r, "size"));
	if (!e && (fsync(up ? fd : local) || close(local)))
		e = -errno;
	close(fd);
	json_object_put(r);
	if (e) {
		snprintf(c->err, sizeof(c->err), "cannot %s volume '%s': %s",
			 up ? "upload to" : "download", c->cl.pos[0],
			 strerror(-e));
		return fail(c);
	}
	return 0;
}

int do_vol_upload(struct ctx *c)
{
	return transfer(c, true);
}

int do_vol_download(struct ctx *c)
{
	return transfer(c, false);
}
