// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Volumes of a dir pool: the regular files in its directory (names not
 * starting with a dot), each with its format and sizes from the block
 * library.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "wirtd/cmds.h"
#include "wirtd/pool.h"
#include "wirtd/wirtd.h"

int vol_path(const struct poolrec *p, const char *name, char *buf, size_t len,
	     struct cmd_ctx *c)
{
	if (!name || !*name || name[0] == '.' || strchr(name, '/') ||
	    strlen(name) > 255 ||
	    (p->def.type == POOL_LOGICAL && !pool_name_ok(name))) {
		snprintf(
			c->err, c->errlen,
			"volume name '%s': use a plain file name (no '/', not starting with '.')",
			name ? name : "");
		return -EINVAL;
	}
	if (path_of(buf, len, p->def.target, name, "")) {
		snprintf(c->err, c->errlen, "volume path of '%s' is too long",
			 name);
		return -ENAMETOOLONG;
	}
	return 0;
}

/* by_name - qsort order of json volume objects. */
static int by_name(const void *a, const void *b)
{
	struct json_object *x = *(struct json_object *const *)a;
	struct json_object *y = *(struct json_object *const *)b;
	struct json_object *nx, *ny;

	json_object_object_get_ex(x, "name", &nx);
	json_object_object_get_ex(y, "name", &ny);
	return strcmp(json_object_get_string(nx), json_object_get_string(ny));
}

/* vol_json - one volume's listing entry. */
static struct json_object *vol_json(const char *name, const char *path,
				    const struct volinfo *v)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "path", json_object_new_string(path));
	json_object_object_add(o, "type", json_object_new_string(v->type));
	json_object_object_add(o, "format", json_object_new_string(v->format));
	json_object_object_add(o, "capacity",
			       json_object_new_uint64(v->capacity));
	json_object_object_add(o, "allocation",
			       json_object_new_uint64(v->allocation));
	return o;
}

bool vol_exists(const struct poolrec *p, const char *path)
{
	struct stat st;

	if (p->def.type == POOL_LOGICAL)
		return !stat(path, &st) && S_ISBLK(st.st_mode);
	return !lstat(path, &st) && S_ISREG(st.st_mode);
}

struct json_object *vol_list(const struct poolrec *p)
{
	struct json_object *a = json_object_new_array();
	char path[PATH_MAX], err[512];
	struct volinfo v;
	struct dirent *e;
	DIR *d;

	if (p->def.type == POOL_LOGICAL) {
		json_object_put(a);
		return lvm_vol_list(p);
	}
	d = opendir(p->def.target);

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' ||
		    path_of(path, sizeof(path), p->def.target, e->d_name, "") ||
		    !vol_exists(p, path) ||
		    volblk_info(path, NULL, &v, err, sizeof(err)))
			continue;
		v.type = "file";
		json_object_array_add(a, vol_json(e->d_name, path, &v));
	}
	if (d)
		closedir(d);
	json_object_array_sort(a, by_name);
	return a;
}
