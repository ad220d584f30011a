// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libvirt's backup-begin and backup-dumpxml, push mode: a <domainbackup>
 * document says which disks to copy into which files, full or
 * incremental, and the backup runs as wirt backup's does (one QMP
 * transaction of drive-backup jobs in wirt-vmm, copies staged and moved
 * to their names once all completed, chains recorded), but backup-begin
 * returns once the jobs run: a thread waits for them. domjobinfo and
 * domjobabort see the jobs; backup-dumpxml prints the document of the
 * domain's running backup, each disk with its file and mode.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/util.h"
#include "domain/backup.h"
#include "wirtd/backup.h"
#include "wirtd/cmds.h"
#include "wirtd/wirtd.h"

/* A backup begun and not ended: its domain and document. */
struct begun {
	char name[DOMAIN_NAME_MAX + 1];
	char *xml;
	struct begun *next;
};

static pthread_mutex_t begun_lock = PTHREAD_MUTEX_INITIALIZER;
static struct begun *begun_list;

/* The entry of domain name, begun_lock held; NULL when none. */
static struct begun **begun_find(const char *name)
{
	struct begun **b;

	for (b = &begun_list; *b; b = &(*b)->next)
		if (!strcmp((*b)->name, name))
			return b;
	return NULL;
}

/* Drop domain name's entry. */
static void begun_remove(const char *name)
{
	struct begun **b, *e;

	pthread_mutex_lock(&begun_lock);
	b = begun_find(name);
	if (b) {
		e = *b;
		*b = e->next;
		free(e->xml);
		free(e);
	}
	pthread_mutex_unlock(&begun_lock);
}

/*
 * The document of p as it runs: every disk of the spec and of p with
 * its file and whether its copy is incremental. malloc'd, or NULL.
 */
static char *running_doc(const struct bplan *p, const struct backup_def *spec)
{
	struct backup_def *d = calloc(1, sizeof(*d));
	unsigned int i;
	char *x = NULL;

	if (!d)
		return NULL;
	snprintf(d->incremental, sizeof(d->incremental), "%s",
		 spec->incremental);
	for (i = 0; i < p->n; i++) {
		struct backup_disk *k = &d->disks[d->ndisks++];

		snprintf(k->name, sizeof(k->name), "%s", p->disk[i]);
		k->file = (char *)p->final[i];
		k->full = p->ch[i].mode != CHAIN_INC;
	}
	for (i = 0; i < spec->ndisks && d->ndisks < DOMAIN_DISKS_MAX; i++)
		if (spec->disks[i].skip)
			d->disks[d->ndisks++] = spec->disks[i];
	x = backup_format(d);
	free(d); /* its strings belong to spec and p */
	return x;
}

/* The thread that waits for a begun backup, publishes it and ends it. */
static void *waiter(void *arg)
{
	struct bplan *p = arg;
	struct json_object *args = json_object_new_object();
	char err[1024] = "";
	struct cmd_ctx c = { .err = err, .errlen = sizeof(err), .fd = -1 };

	json_object_object_add(args, "domain", json_object_new_string(p->name));
	if (backup_wait(args, p, &c)) {
		backup_drop(p);
		wirt_warn("backup of domain '%s' ended: %s", p->name, err);
	} else if (backup_publish(p, &c)) {
		wirt_warn("backup of domain '%s' failed: %s", p->name, err);
	} else {
		wirt_info("backup of domain '%s' complete", p->name);
	}
	begun_remove(p->name);
	json_object_put(args);
	backup_clear(p->spec);
	free(p->spec);
	free(p);
	return NULL;
}

/*
 * Start p's backup of the locked vm and register it with its document,
 * a thread waiting for it. 0, 1 when it runs but no thread could wait
 * (the caller must call waiter), or -1 with c->err set.
 */
static int begin(struct vmrec *vm, struct bplan *p, struct cmd_ctx *c)
{
	struct begun *e = calloc(1, sizeof(*e));
	char dir[PATH_MAX];
	pthread_t t;
	int r = e ? 0 : err_set(c->err, c->errlen, -1, "out of memory");

	pthread_mutex_lock(&begun_lock);
	if (!r && begun_find(vm->name))
		r = err_set(
			c->err, c->errlen, -1,
			"Requested operation is not valid: domain '%s' has a backup job already (domjobabort ends it)",
			vm->name);
	if (!r)
		r = backup_dir(vm, NULL, dir, sizeof(dir), c);
	if (!r && running(vm, c))
		r = backup_start(vm, dir, p, c);
	else if (!r)
		r = -1;
	if (!r) {
		snprintf(e->name, sizeof(e->name), "%s", vm->name);
		e->xml = running_doc(p, p->spec);
		e->next = begun_list;
		begun_list = e;
		e = NULL;
	}
	pthread_mutex_unlock(&begun_lock);
	free(e);
	if (!r && thread_start(&t, waiter, p))
		return 1; /* no thread: the caller waits */
	if (!r)
		pthread_detach(t);
	return r;
}

struct json_object *cmd_backup_begin(struct json_object *args,
				     struct cmd_ctx *c)
{
	struct bplan *p = calloc(1, sizeof(*p));
	const char *xml = arg_str(args, "xml");
	struct json_object *v;
	struct vmrec *vm;
	int r = p ? 0 : err_set(c->err, c->errlen, -1, "out of memory");

	if (!r)
		p->spec = calloc(1, sizeof(*p->spec));
	if (!r && !p->spec)
		r = err_set(c->err, c->errlen, -1, "out of memory");
	if (!r && xml &&
	    backup_parse(xml, strlen(xml), p->spec, c->err, c->errlen))
		r = -1;
	vm = r ? NULL : lock_vm(args, c);
	if (!vm) {
		if (p)
			free(p->spec);
		free(p);
		return NULL;
	}
	p->want_inc = p->spec->incremental[0];
	if (json_object_object_get_ex(args, "bandwidth", &v))
		p->speed = json_object_get_int64(v);
	if (p->speed < 0 || p->speed > 1 << 30)
		r = err_set(
			c->err, c->errlen, -1,
			"--bandwidth takes MiB/s, a number from 0 (no limit) up");
	p->speed *= 1024 * 1024;
	snprintf(p->name, sizeof(p->name), "%s", vm->name);
	if (!r)
		r = begin(vm, p, c);
	pthread_mutex_unlock(&vm->lock);
	if (r == 1) {
		waiter(p);
		return ok();
	}
	if (r) {
		backup_clear(p->spec);
		free(p->spec);
		free(p);
		return NULL;
	}
	return ok();
}

struct json_object *cmd_backup_dumpxml(struct json_object *args,
				       struct cmd_ctx *c)
{
	struct vmrec *vm = lock_vm(args, c);
	struct json_object *o = NULL;
	struct begun **b;

	if (!vm)
		return NULL;
	pthread_mutex_lock(&begun_lock);
	b = begun_find(vm->name);
	if (b && (*b)->xml) {
		o = json_object_new_object();
		json_object_object_add(o, "xml",
				       json_object_new_string((*b)->xml));
	} else {
		snprintf(
			c->err, c->errlen,
			"Requested operation is not valid: no domain backup job present");
	}
	pthread_mutex_unlock(&begun_lock);
	pthread_mutex_unlock(&vm->lock);
	return o;
}
