// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * wirtd's files: definitions ETC/NAME.xml, autostart links
 * ETC/autostart/NAME.xml, status files RUN/NAME.status. Every write is a
 * temporary file, fsync, rename and directory fsync: killing wirtd at any
 * instant leaves the old or the new file, never a torn one.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/tmpfile.h"
#include "common/util.h"
#include "wirtd/wirtd.h"

int store_write(const char *path, const char *data, size_t len, mode_t mode)
{
	char tmp[PATH_MAX];
	int fd, r;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = tmpfile_create(tmp, mode);
	if (fd < 0)
		return fd;
	r = write_full(fd, data, len) == (ssize_t)len ? 0 : -EIO;
	if (!r && fsync(fd))
		r = -errno;
	close(fd);
	if (!r)
		r = tmpfile_commit(tmp, path);
	if (r)
		unlink(tmp);
	return r;
}

int store_read(const char *path, char **data, size_t *len, size_t max)
{
	struct stat st;
	ssize_t n;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size > max) {
		close(fd);
		return -EFBIG;
	}
	*data = malloc(st.st_size + 1);
	if (!*data) {
		close(fd);
		return -ENOMEM;
	}
	n = read_full(fd, *data, st.st_size);
	if (n != st.st_size) {
		free(*data);
		*data = NULL;
		r = -EIO;
	} else {
		(*data)[n] = '\0';
		*len = n;
	}
	close(fd);
	return r;
}

int store_save_def(struct vmrec *vm, char *err, size_t errlen)
{
	char path[PATH_MAX], *xml = domain_format(vm->def);
	int r;

	if (!xml)
		return -ENOMEM;
	r = path_of(path, sizeof(path), W->paths.etc, vm->name, ".xml");
	if (!r)
		r = store_write(path, xml, strlen(xml), 0600);
	free(xml);
	if (r)
		snprintf(err, errlen, "cannot write the definition '%s': %s",
			 path, strerror(-r));
	return r;
}

int store_remove_def(struct vmrec *vm)
{
	char path[PATH_MAX];

	store_set_autostart(vm, false);
	if (path_of(path, sizeof(path), W->paths.etc, vm->name, ".xml"))
		return -ENAMETOOLONG;
	if (unlink(path) && errno != ENOENT)
		return -errno;
	return tmpfile_sync_dir(path);
}

int store_set_autostart(struct vmrec *vm, bool on)
{
	char link[PATH_MAX], target[PATH_MAX + 8];
	int r;

	r = path_of(link, sizeof(link), W->paths.etc, "autostart/", vm->name);
	if (r || strlen(link) + 4 >= sizeof(link))
		return -ENAMETOOLONG;
	strcat(link, ".xml");
	unlink(link);
	if (on) {
		snprintf(target, sizeof(target), "../%s.xml", vm->name);
		if (symlink(target, link))
			return -errno;
	}
	r = tmpfile_sync_dir(link);
	if (!r)
		vm->autostart = on;
	return r;
}

int store_save_status(struct vmrec *vm)
{
	struct json_object *o = json_object_new_object(), *taps;
	unsigned int i;
	char path[PATH_MAX];
	const char *s;
	int r;

	json_object_object_add(o, "name", json_object_new_string(vm->name));
	json_object_object_add(o, "pid", json_object_new_int(vm->pid));
	json_object_object_add(o, "starttime",
			       json_object_new_uint64(vm->starttime));
	json_object_object_add(o, "id", json_object_new_int(vm->id));
	json_object_object_add(o, "state", json_object_new_int(vm->state));
	json_object_object_add(o, "reason", json_object_new_int(vm->reason));
	json_object_object_add(o, "qmp", json_object_new_string(vm->qmp));
	json_object_object_add(o, "console",
			       json_object_new_string(vm->console));
	taps = json_object_new_array();
	for (i = 0; i < DOMAIN_NICS_MAX; i++)
		json_object_array_add(taps,
				      json_object_new_string(vm->taps[i]));
	json_object_object_add(o, "taps", taps); /* by NIC, "" when none */
	json_object_object_add(o, "persistent",
			       json_object_new_boolean(vm->persistent));
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	r = path_of(path, sizeof(path), W->paths.run, vm->name, ".status");
	if (!r)
		r = store_write(path, s, strlen(s), 0600);
	json_object_put(o);
	return r;
}

void store_remove_status(struct vmrec *vm)
{
	char path[PATH_MAX];

	if (!path_of(path, sizeof(path), W->paths.run, vm->name, ".status")) {
		unlink(path);
		tmpfile_sync_dir(path);
	}
}

/* load_one - a definition file, into the table; a bad one is reported and
 * skipped (wirtd still starts with the others). */
static void load_one(const char *file, const char *name)
{
	char path[PATH_MAX], err[512], *xml;
	struct domain *d;
	struct vmrec *vm;
	struct stat st;
	size_t len;

	if (path_of(path, sizeof(path), W->paths.etc, file, "") ||
	    store_read(path, &xml, &len, DOMAIN_XML_MAX))
		return;
	if (domain_parse(xml, len, path, &d, err, sizeof(err)) ||
	    domain_normalize(d, err, sizeof(err))) {
		wirt_err("skipping definition %s", err);
		free(xml);
		return;
	}
	free(xml);
	if (strcmp(domain_def(d)->name, name)) {
		wirt_err(
			"skipping definition '%s': its <name> is '%s'; rename the file or the domain",
			path, domain_def(d)->name);
		domain_free(d);
		return;
	}
	vm = vmtab_add(name, d);
	if (!vm) {
		domain_free(d);
		return;
	}
	vm->persistent = true;
	if (!path_of(path, sizeof(path), W->paths.etc, "autostart/", file))
		vm->autostart = !lstat(path, &st);
}

int store_load_all(char *err, size_t errlen)
{
	struct dirent *e;
	char name[DOMAIN_NAME_MAX + 1];
	size_t n;
	DIR *dir = opendir(W->paths.etc);

	if (!dir) {
		snprintf(err, errlen, "cannot read '%s': %s", W->paths.etc,
			 strerror(errno));
		return -errno;
	}
	while ((e = readdir(dir))) {
		n = strlen(e->d_name);
		if (n < 5 || n - 4 > DOMAIN_NAME_MAX ||
		    strcmp(e->d_name + n - 4, ".xml"))
			continue;
		memcpy(name, e->d_name, n - 4);
		name[n - 4] = '\0';
		load_one(e->d_name, name);
	}
	closedir(dir);
	return 0;
}
