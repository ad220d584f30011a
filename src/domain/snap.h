/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libvirt domain snapshot XML (<domainsnapshot>): the fields wirtd keeps
 * for a snapshot, parsed from and written in libvirt's layout, so that
 * `virt-xml-validate FILE domainsnapshot` accepts it.
 */
#ifndef WIRT_DOMAIN_SNAP_H
#define WIRT_DOMAIN_SNAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/domain.h"

#define SNAP_NAME_MAX 64
#define SNAP_DESC_MAX 4096
#define SNAP_DISK_NAME_MAX 31

/* The domain's state when the snapshot was taken (libvirt's names). */
enum snap_state { SNAP_RUNNING, SNAP_PAUSED, SNAP_SHUTOFF, SNAP_DISK_ONLY };

struct snap_disk {
	char name[SNAP_DISK_NAME_MAX + 1]; /* the target, "vda" */
	bool internal; /* snapshot='internal', else 'no' or external */
	char *file; /* snapshot='external': the new overlay (malloc'd) */
};

struct snap_def {
	char name[SNAP_NAME_MAX + 1];
	char *description; /* malloc'd, or NULL */
	enum snap_state state;
	char parent[SNAP_NAME_MAX + 1]; /* "" for a root */
	int64_t creation_time; /* seconds since the epoch */
	bool memory; /* <memory snapshot='internal'>, else 'no' */
	struct snap_disk disks[DOMAIN_DISKS_MAX];
	unsigned int ndisks;
	char *domain; /* the domain's XML then (malloc'd), or NULL */
};

/* snap_name_ok - name is 1..64 of [A-Za-z0-9._-], not starting with '.'
 * (it names files: the snapshot's XML and its state file). */
bool snap_name_ok(const char *name);

/* snap_state_name - "running", "paused", "shutoff", "disk-snapshot". */
const char *snap_state_name(enum snap_state s);

/*
 * snap_parse - read a <domainsnapshot> document (len bytes) into *s (free
 * it with snap_clear). Returns 0, or -EINVAL with err naming the element
 * at fault, -ENOMEM.
 */
int snap_parse(const char *xml, size_t len, struct snap_def *s, char *err,
	       size_t errlen);

/* snap_format - s as libvirt writes it. Returns a malloc'd string, or
 * NULL when out of memory. */
char *snap_format(const struct snap_def *s);

/* snap_clear - free what s holds and zero it. */
void snap_clear(struct snap_def *s);

#endif
