// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `wirt install --cloud-init user-data=F[,meta-data=F][,network-config=F]`:
 * a cloud-init NoCloud seed, an ISO 9660 image labelled "cidata" holding
 * those files (meta-data defaults to the instance id and host name of the
 * VM), stored as the raw volume NAME-cidata.iso in wirtd's default pool
 * and attached to the VM read-only, where cloud-init looks for it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/iso9660.h"
#include "common/util.h"
#include "wirt/wirt.h"

#define SEED_FILE_MAX (1 << 20) /* cloud-init's files are small */

static const char *const seed_keys[] = { "user-data", "meta-data",
					 "network-config", "vendor-data" };

/* Read path whole into *buf (at most SEED_FILE_MAX); 0 or -errno, err. */
static int read_small(const char *key, const char *path, char **buf,
		      size_t *len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), e;
	struct stat st;
	ssize_t n;

	if (fd < 0 || fstat(fd, &st)) {
		e = -errno;
		snprintf(err, errlen, "--cloud-init %s=%.1024s: %s", key, path,
			 strerror(-e));
		if (fd >= 0)
			close(fd);
		return e;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > SEED_FILE_MAX) {
		close(fd);
		snprintf(
			err, errlen,
			"--cloud-init %s=%.1024s: give a regular file of at most %d bytes",
			key, path, SEED_FILE_MAX);
		return -EINVAL;
	}
	*buf = malloc(st.st_size + 1);
	n = *buf ? read(fd, *buf, st.st_size) : -1;
	e = n == st.st_size ? 0 : n < 0 ? -errno : -EIO;
	close(fd);
	if (e)
		snprintf(err, errlen,
			 "--cloud-init %s=%.1024s: cannot read it: %s", key,
			 path, strerror(-e));
	*len = n > 0 ? (size_t)n : 0;
	return e;
}

/*
 * The seed's files from spec ("user-data=F,meta-data=F,..."): files[]
 * with their contents in bufs[] (free them). Returns the number of files
 * or -errno with c->err set.
 */
static int seed_files(struct ctx *c, const char *spec, struct iso_file *files,
		      char **bufs)
{
	char path[4096], *md;
	size_t i, len = 0;
	int n = 0, r;

	for (i = 0; i < ARRAY_SIZE(seed_keys); i++) {
		if (!opt_kv(spec, seed_keys[i], path, sizeof(path)))
			continue;
		r = read_small(seed_keys[i], path, &bufs[n], &len, c->err,
			       sizeof(c->err));
		if (r)
			return r;
		files[n] = (struct iso_file){ seed_keys[i], bufs[n], len };
		n++;
	}
	if (!n || strcmp(files[0].name, "user-data")) {
		snprintf(
			c->err, sizeof(c->err),
			"--cloud-init '%s': give user-data=FILE (and optionally meta-data=, network-config=, vendor-data=)",
			spec);
		return -EINVAL;
	}
	if (opt_kv(spec, "meta-data", path, sizeof(path)))
		return n;
	if (asprintf(&md, "instance-id: %s\nlocal-hostname: %s\n", c->cl.pos[0],
		     c->cl.pos[0]) < 0)
		return -ENOMEM;
	bufs[n] = md;
	files[n++] = (struct iso_file){ "meta-data", md, strlen(md) };
	return n;
}

/* Write len bytes of img into the volume name; 0 or -errno. */
static int seed_upload(struct ctx *c, const char *name, const uint8_t *img,
		       size_t len, char *path, size_t pathlen)
{
	struct json_object *a = json_object_new_object(), *r;
	size_t off = 0;
	ssize_t w;
	int fd, e = 0;

	json_object_object_add(a, "name", json_object_new_string(name));
	json_object_object_add(a, "size", json_object_new_int64(len));
	json_object_object_add(a, "format", json_object_new_string("raw"));
	r = call(c, "vol_create", a, NULL);
	if (!r)
		return -EIO;
	snprintf(path, pathlen, "%s", str(r, "path"));
	json_object_put(r);
	a = json_object_new_object();
	json_object_object_add(a, "pool", json_object_new_string("default"));
	json_object_object_add(a, "vol", json_object_new_string(name));
	json_object_object_add(a, "write", json_object_new_boolean(true));
	r = call(c, "vol_open", a, &fd);
	if (!r || fd < 0)
		return -EIO;
	json_object_put(r);
	while (!e && off < len) {
		w = pwrite(fd, img + off, len - off, off);
		e = w < 0 ? -errno : w == 0 ? -EIO : 0;
		off += w > 0 ? (size_t)w : 0;
	}
	if (!e && fsync(fd))
		e = -errno;
	close(fd);
	if (e)
		snprintf(c->err, sizeof(c->err),
			 "cannot write the cloud-init seed to volume '%s': %s",
			 name, strerror(-e));
	return e;
}

/*
 * install_seed - the --cloud-init seed of the VM c->cl.pos[0] as a volume,
 * and its read-only disk (vd + idx) in the XML x. 0 or -errno, c->err.
 */
int install_seed(struct ctx *c, FILE *x, const char *spec, int idx)
{
	struct iso_file files[ARRAY_SIZE(seed_keys)];
	char *bufs[ARRAY_SIZE(seed_keys)] = { 0 }, name[300], path[4096];
	uint8_t *img = NULL;
	size_t len, i;
	int n, r;

	n = seed_files(c, spec, files, bufs);
	r = n < 0 ? n :
		    iso_build("cidata", files, n, time(NULL), &img, &len,
			      c->err, sizeof(c->err));
	for (i = 0; i < ARRAY_SIZE(bufs); i++)
		free(bufs[i]);
	if (r)
		return r;
	snprintf(name, sizeof(name), "%s-cidata.iso", c->cl.pos[0]);
	r = seed_upload(c, name, img, len, path, sizeof(path));
	free(img);
	if (r)
		return r;
	printf("Allocating '%s' (cloud-init seed)\n", name);
	fprintf(x,
		"    <disk type='file' device='disk'>\n      <driver name='qemu' type='raw'/>\n      <source file='");
	fput_xml(x, path, true);
	fprintf(x,
		"'/>\n      <target dev='vd%c' bus='virtio'/>\n      <readonly/>\n    </disk>\n",
		'a' + idx);
	return 0;
}
