// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Storage pools: the table, their definitions on disk (replaced
 * atomically, as domain definitions are), autostart links, active markers
 * on the run directory, and the life cycle of a pool (build, start, stop,
 * undefine). A dir pool is a directory; a logical pool is an LVM volume
 * group (pool-lvm.c).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "common/tmpfile.h"
#include "common/util.h"
#include "wirtd/cmds.h"
#include "wirtd/pool.h"
#include "wirtd/wirtd.h"

pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct poolrec *pools;

/* pool_file - ETC/storage[/SUB]/NAME.xml, or RUN/storage/NAME (marker). */
static int pool_file(char *buf, size_t len, const char *sub, const char *name)
{
	char dir[PATH_MAX];
	bool run = !strcmp(sub, "run");
	int n = run ? snprintf(dir, sizeof(dir), "%s/storage", W->paths.run) :
		      snprintf(dir, sizeof(dir), "%s/storage%s%s", W->paths.etc,
			       *sub ? "/" : "", sub);

	if (n < 0 || (size_t)n >= sizeof(dir))
		return -ENAMETOOLONG;
	if (!name)
		return snprintf(buf, len, "%s", dir) >= (int)len ?
			       -ENAMETOOLONG :
			       0;
	return path_of(buf, len, dir, name, run ? "" : ".xml");
}

struct poolrec *pool_find(const char *key)
{
	struct poolrec *p;

	for (p = pools; p; p = p->next)
		if (!strcmp(p->def.name, key) || !strcasecmp(p->def.uuid, key))
			return p;
	return NULL;
}

struct poolrec *pool_first(void)
{
	return pools;
}

struct poolrec *pool_get(const char *key, struct cmd_ctx *c)
{
	struct poolrec *p = key ? pool_find(key) : NULL;

	if (!p) {
		c->errclass = "StoragePoolNotFound";
		snprintf(c->err, c->errlen, "failed to get pool '%s'",
			 key ? key : "");
	}
	return p;
}

/* mark - create (on) or remove the file path; a directory sync after. */
static int mark(const char *path, bool on)
{
	int r = on ? store_write(path, "", 0, 0600) :
		     (unlink(path) && errno != ENOENT ? -errno : 0);

	return r ? r : tmpfile_sync_dir(path);
}

/* insert - p into the table in name order. */
static void insert(struct poolrec *p)
{
	struct poolrec **pp = &pools;

	while (*pp && strcmp((*pp)->def.name, p->def.name) < 0)
		pp = &(*pp)->next;
	p->next = *pp;
	*pp = p;
}

/* save_def - write p's definition (without sizes) to ETC/storage. */
static int save_def(const struct pool_def *d, struct cmd_ctx *c)
{
	char path[PATH_MAX], *xml = pool_format(d, NULL);
	int r = xml ? pool_file(path, sizeof(path), "", d->name) : -ENOMEM;

	if (!r)
		r = store_write(path, xml, strlen(xml), 0600);
	free(xml);
	if (r)
		snprintf(c->err, c->errlen,
			 "cannot write the definition of pool '%s': %s",
			 d->name, strerror(-r));
	return r;
}

/* target_clash - another pool already uses d's target. */
static struct poolrec *target_clash(const struct pool_def *d)
{
	struct poolrec *p;

	for (p = pools; p; p = p->next)
		if (strcmp(p->def.name, d->name) &&
		    !strcmp(p->def.target, d->target))
			return p;
	return NULL;
}

struct poolrec *pool_define(const struct pool_def *d, struct cmd_ctx *c)
{
	struct poolrec *p = pool_find(d->name), *o = target_clash(d);
	struct pool_def nd = *d;

	if (p && p->active && strcmp(p->def.target, d->target)) {
		snprintf(
			c->err, c->errlen,
			"Requested operation is not valid: storage pool '%s' is active; destroy it before changing its target",
			d->name);
		return NULL;
	}
	if (o) {
		snprintf(
			c->err, c->errlen,
			"operation failed: Storage source conflict with pool: '%s' (both use '%s')",
			o->def.name, d->target);
		return NULL;
	}
	if (p) /* a redefinition keeps the pool's UUID */
		strcpy(nd.uuid, p->def.uuid);
	if (save_def(&nd, c))
		return NULL;
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p)
			return NULL;
		p->def = nd;
		insert(p);
	}
	p->def = nd;
	return p;
}

int pool_set_autostart(struct poolrec *p, bool on, struct cmd_ctx *c)
{
	char path[PATH_MAX];
	int r = pool_file(path, sizeof(path), "autostart", p->def.name);

	if (!r)
		r = mark(path, on);
	if (r) {
		snprintf(c->err, c->errlen,
			 "cannot %s autostart of pool '%s' ('%s'): %s",
			 on ? "set" : "clear", p->def.name, path, strerror(-r));
		return r;
	}
	p->autostart = on;
	return 0;
}

int pool_undefine(struct poolrec *p, struct cmd_ctx *c)
{
	char path[PATH_MAX];
	struct poolrec **pp;
	int r;

	if (p->active) {
		snprintf(
			c->err, c->errlen,
			"Requested operation is not valid: storage pool '%s' is still active",
			p->def.name);
		return -EBUSY;
	}
	if (pool_set_autostart(p, false, c))
		return -EIO;
	r = pool_file(path, sizeof(path), "", p->def.name);
	if (!r)
		r = mark(path, false);
	if (r) {
		snprintf(c->err, c->errlen, "cannot remove '%s': %s", path,
			 strerror(-r));
		return r;
	}
	for (pp = &pools; *pp != p; pp = &(*pp)->next)
		;
	*pp = p->next;
	free(p);
	return 0;
}

/* already_active - c's error when p is active. */
static int already_active(struct poolrec *p, struct cmd_ctx *c)
{
	if (!p->active)
		return 0;
	snprintf(
		c->err, c->errlen,
		"Requested operation is not valid: storage pool '%s' is already active",
		p->def.name);
	return -EBUSY;
}

int pool_build(struct poolrec *p, struct cmd_ctx *c)
{
	int r = already_active(p, c);

	if (r)
		return r;
	if (p->def.type == POOL_LOGICAL)
		return lvm_build(p, c);
	r = mkdirs(p->def.target, 0711);
	if (r)
		snprintf(c->err, c->errlen, "cannot create directory '%s': %s",
			 p->def.target, strerror(-r));
	return r;
}

/* dir_ok - a dir pool's directory exists; else c's error says to build. */
static int dir_ok(struct poolrec *p, struct cmd_ctx *c)
{
	struct stat st;
	int e = stat(p->def.target, &st) ? errno : 0;

	if (!e && S_ISDIR(st.st_mode))
		return 0;
	snprintf(c->err, c->errlen,
		 "cannot open directory '%s': %s (run pool-build %s first)",
		 p->def.target, e ? strerror(e) : "Not a directory",
		 p->def.name);
	return -ENOENT;
}

/*
 * set_active - record that p is active (RUN/storage/NAME exists) or not.
 * Returns 0 or -errno with c->err naming the marker file.
 */
static int set_active(struct poolrec *p, bool on, struct cmd_ctx *c)
{
	char path[PATH_MAX];
	int r = pool_file(path, sizeof(path), "run", p->def.name);

	if (!r)
		r = mark(path, on);
	if (r) {
		snprintf(c->err, c->errlen, "cannot %s '%s': %s",
			 on ? "write" : "remove", path, strerror(-r));
		return r;
	}
	p->active = on;
	return 0;
}

int pool_start(struct poolrec *p, struct cmd_ctx *c)
{
	int r = already_active(p, c);

	if (!r)
		r = p->def.type == POOL_LOGICAL ? lvm_activate(p, true, c) :
						  dir_ok(p, c);
	if (r)
		return r;
	return set_active(p, true, c);
}

int pool_stop(struct poolrec *p, struct cmd_ctx *c)
{
	if (!p->active) {
		snprintf(
			c->err, c->errlen,
			"Requested operation is not valid: storage pool '%s' is not active",
			p->def.name);
		return -EINVAL;
	}
	if (p->def.type == POOL_LOGICAL && lvm_activate(p, false, c))
		return -EIO;
	return set_active(p, false, c);
}

int pool_sizes(const struct poolrec *p, struct pool_sizes *s)
{
	struct statvfs v;

	memset(s, 0, sizeof(*s));
	if (!p->active)
		return 0;
	if (p->def.type == POOL_LOGICAL)
		return lvm_sizes(p, s);
	if (statvfs(p->def.target, &v))
		return -errno;
	s->capacity = (uint64_t)v.f_blocks * v.f_frsize;
	s->allocation = (uint64_t)(v.f_blocks - v.f_bfree) * v.f_frsize;
	s->available = (uint64_t)v.f_bavail * v.f_frsize;
	return 0;
}

/* load_one - the definition ETC/storage/FILE into the table. */
static void load_one(const char *file)
{
	char path[PATH_MAX], err[512], *xml;
	struct poolrec *p;
	size_t len;

	if (pool_file(path, sizeof(path), "", NULL) ||
	    strlen(path) + strlen(file) + 2 > sizeof(path))
		return;
	strcat(strcat(path, "/"), file);
	if (store_read(path, &xml, &len, 1 << 20))
		return;
	p = calloc(1, sizeof(*p));
	if (p && !pool_parse(xml, len, &p->def, err, sizeof(err)) &&
	    !pool_find(p->def.name)) {
		insert(p);
		p = NULL;
	} else {
		wirt_warn("pool definition '%s' ignored: %s", path, err);
	}
	free(p);
	free(xml);
}

/* load_all - every ETC/storage/NAME.xml, with its autostart link and
 * active marker. */
static int load_all(void)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct poolrec *p;
	struct dirent *e;
	DIR *d;
	size_t n;

	if (pool_file(dir, sizeof(dir), "", NULL))
		return -ENAMETOOLONG;
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		n = strlen(e->d_name);
		if (e->d_name[0] != '.' && n > 4 &&
		    !strcmp(e->d_name + n - 4, ".xml"))
			load_one(e->d_name);
	}
	closedir(d);
	for (p = pools; p; p = p->next) {
		p->autostart = !pool_file(path, sizeof(path), "autostart",
					  p->def.name) &&
			       !access(path, F_OK);
		p->active =
			!pool_file(path, sizeof(path), "run", p->def.name) &&
			!access(path, F_OK);
	}
	return 0;
}

/* define_default - the pool 'default' in LIB/images, built, autostarted. */
static int define_default(struct cmd_ctx *c)
{
	struct pool_def d;
	struct poolrec *p;
	char xml[PATH_MAX + 128];
	int n = snprintf(
		xml, sizeof(xml),
		"<pool type='dir'><name>default</name><target><path>%s/images</path></target></pool>",
		W->paths.lib);

	if (n < 0 || (size_t)n >= sizeof(xml) ||
	    pool_parse(xml, n, &d, c->err, c->errlen))
		return -EINVAL;
	p = pool_define(&d, c);
	if (!p || pool_set_autostart(p, true, c))
		return -EIO;
	return mkdirs(d.target, 0711);
}

int pools_init(char *err, size_t errlen)
{
	struct cmd_ctx c = { err, errlen, "GenericError", -1, NULL };
	char path[PATH_MAX];
	struct poolrec *p;
	bool first;
	int r;

	if (pool_file(path, sizeof(path), "autostart", NULL))
		return -ENAMETOOLONG;
	first = access(path, F_OK) != 0;
	r = mkdirs(path, 0700);
	if (!r && !pool_file(path, sizeof(path), "run", NULL))
		r = mkdirs(path, 0700);
	if (r) {
		snprintf(err, errlen, "cannot create directory '%s': %s", path,
			 strerror(-r));
		return r;
	}
	pthread_mutex_lock(&pool_lock);
	r = load_all();
	if (!r && first && !pool_find("default"))
		r = define_default(&c);
	for (p = pools; !r && p; p = p->next)
		if (p->autostart && !p->active && pool_start(p, &c))
			wirt_warn("autostart of pool '%s' failed: %s",
				  p->def.name, err);
	pthread_mutex_unlock(&pool_lock);
	if (r && !err[0])
		snprintf(err, errlen, "cannot load the storage pools: %s",
			 strerror(-r));
	return r;
}
