// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * wirtd's directories: /etc/wirt, /var/lib/wirt, /run/wirt, /var/log/wirt,
 * or ROOT/etc, ROOT/lib, ROOT/run, ROOT/log for an independent instance
 * (`wirtd --root DIR`), and the wirt-vmm it runs (beside its executable).
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "wirtd/wirtd.h"

int path_of(char *buf, size_t len, const char *dir, const char *name,
	    const char *suffix)
{
	int n = snprintf(buf, len, "%s/%s%s", dir, name, suffix);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int nvram_path(const char *name, const struct dom_def *d, char *buf, size_t len)
{
	char dir[PATH_MAX];

	if (d->nvram) {
		snprintf(buf, len, "%s", d->nvram);
		return strlen(d->nvram) < len ? 0 : -ENAMETOOLONG;
	}
	return path_of(dir, sizeof(dir), W->paths.lib, "nvram", "") ?:
		       path_of(buf, len, dir, name, "_VARS.fd");
}

int mkdirs(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];
	char *p;

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

/* vmm_path - the wirt-vmm beside /proc/self/exe. */
static int vmm_path(char *out, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n < 0)
		return -errno;
	exe[n] = '\0';
	return path_of(out, len, dirname(exe), "wirt-vmm", "");
}

int paths_init(struct wirtd_paths *p, const char *root, const char *argv0)
{
	char *dirs[] = { p->etc, p->lib, p->run, p->log };
	static const char *const sys[] = { "/etc/wirt", "/var/lib/wirt",
					   "/run/wirt", "/var/log/wirt" };
	static const char *const sub[] = { "etc", "lib", "run", "log" };
	char auto_dir[PATH_MAX];
	size_t i;
	int r;

	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		r = root ? path_of(dirs[i], PATH_MAX, root, sub[i], "") :
			   path_of(dirs[i], PATH_MAX, sys[i], "", "");
		if (r)
			return r;
		if (!root)
			dirs[i][strlen(dirs[i]) - 1] = '\0'; /* the '/' of "" */
		/* run: sockets for everyone (the read-only one); lib: traversable
		 * (the sandboxed VMs' save staging lies below), not listable */
		r = mkdirs(dirs[i], i == 2 ? 0755 : i == 1 ? 0711 : 0700);
		if (!r && i == 1)
			r = chmod(dirs[i], 0711) ? -errno : 0;
		if (r) {
			wirt_err("cannot create directory '%s': %s", dirs[i],
				 strerror(-r));
			return r;
		}
	}
	r = path_of(auto_dir, sizeof(auto_dir), p->etc, "autostart", "");
	if (!r)
		r = mkdirs(auto_dir, 0700);
	if (r)
		return r;
	r = vmm_path(p->vmm, sizeof(p->vmm));
	if (r || access(p->vmm, X_OK)) {
		wirt_err(
			"wirt-vmm not found beside %s (looked for '%s'); install both from the same build",
			argv0, p->vmm);
		return -ENOENT;
	}
	return 0;
}
