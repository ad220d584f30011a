// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Disks given as <disk type='volume'><source pool='P' volume='V'/>: at
 * start, each becomes the volume's file with its format, or the start is
 * refused naming the pool and the volume.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wirtd/cmds.h"
#include "wirtd/pool.h"
#include "wirtd/wirtd.h"

/* resolve_one - disk k's volume: its path into buf, its format into k. */
static int resolve_one(struct dom_disk *k, char *buf, char *err, size_t errlen)
{
	struct cmd_ctx c = { err, errlen, "GenericError", -1, NULL };
	struct poolrec *p = pool_find(k->pool);
	struct volinfo v;

	if (!p || !p->active) {
		snprintf(
			err, errlen,
			p ? "disk '%s': storage pool '%s' is not active; start it with pool-start %s" :
			    "disk '%s': storage pool '%s' not found; define it with pool-define-as %s dir --target DIR",
			k->target, k->pool, k->pool);
		return -ENOENT;
	}
	if (vol_path(p, k->volume, buf, PATH_MAX, &c))
		return -EINVAL;
	if (!vol_exists(p, buf)) {
		snprintf(
			err, errlen,
			"disk '%s': volume '%s' not found in storage pool '%s'; create it with vol-create-as %s %s SIZE",
			k->target, k->volume, k->pool, k->pool, k->volume);
		return -ENOENT;
	}
	if (volblk_info(buf, p->def.type == POOL_LOGICAL ? "raw" : NULL, &v,
			err, errlen))
		return -EIO;
	/* a probed backing file might have been written by a guest into a
	 * raw volume: only an explicit <driver type> lets it be used */
	if (k->format == DOM_FMT_DEFAULT && v.backing[0]) {
		snprintf(
			err, errlen,
			"disk '%s': volume '%s' of pool '%s' is a %s image over backing file '%s'; say so with <driver name='qemu' type='%s'/> in the disk",
			k->target, k->volume, k->pool, v.format, v.backing,
			v.format);
		return -EPERM;
	}
	if (k->format == DOM_FMT_DEFAULT)
		k->format =
			strcmp(v.format, "qcow2") ? DOM_FMT_RAW : DOM_FMT_QCOW2;
	k->source = buf;
	return 0;
}

int pool_resolve_disks(const struct dom_def *def, struct pool_disks **out,
		       char *err, size_t errlen)
{
	struct pool_disks *pd;
	unsigned int i;
	int r = 0;

	*out = NULL;
	for (i = 0; i < def->ndisks; i++)
		if (def->disks[i].type == DOM_DISK_VOLUME)
			break;
	if (i == def->ndisks)
		return 0;
	pd = malloc(sizeof(*pd));
	if (!pd) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	pd->def = *def;
	pthread_mutex_lock(&pool_lock);
	for (i = 0; !r && i < def->ndisks; i++)
		if (def->disks[i].type == DOM_DISK_VOLUME)
			r = resolve_one(&pd->def.disks[i], pd->paths[i], err,
					errlen);
	pthread_mutex_unlock(&pool_lock);
	if (r)
		free(pd);
	else
		*out = pd;
	return r;
}

int pool_remove_volume(const struct dom_disk *k, char *path, size_t len)
{
	char err[512];
	struct cmd_ctx c = { err, sizeof(err), "GenericError", -1, NULL };
	struct poolrec *p;
	int r = -ENOENT;

	pthread_mutex_lock(&pool_lock);
	p = pool_find(k->pool);
	if (p && p->active && !vol_path(p, k->volume, path, len, &c) &&
	    vol_exists(p, path))
		r = p->def.type == POOL_LOGICAL ?
			    lvm_vol_delete(p, k->volume, &c) :
			    (unlink(path) ? -errno : 0);
	pthread_mutex_unlock(&pool_lock);
	return r;
}
