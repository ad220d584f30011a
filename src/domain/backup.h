/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libvirt domain backup XML (<domainbackup>), push mode only: which disks
 * to copy, into which files, full or incremental; parsed from and written
 * in libvirt's layout, so that `virt-xml-validate FILE domainbackup`
 * accepts what backup-dumpxml prints.
 */
#ifndef WIRT_DOMAIN_BACKUP_H
#define WIRT_DOMAIN_BACKUP_H

#include <stdbool.h>
#include <stddef.h>

#include "domain/domain.h"

#define BACKUP_DISK_NAME_MAX 31
#define BACKUP_INC_MAX 64

struct backup_disk {
	char name[BACKUP_DISK_NAME_MAX + 1]; /* the target, "vda" */
	bool skip; /* backup='no' */
	bool full; /* backupmode='full': no incremental for this disk */
	char *file; /* <target file>, absolute (malloc'd), or NULL */
};

struct backup_def {
	/* <incremental>: since the last backup (wirt has one checkpoint a
	 * disk, its last backup); the name is kept and shown, "" for none */
	char incremental[BACKUP_INC_MAX + 1];
	struct backup_disk disks[DOMAIN_DISKS_MAX];
	unsigned int ndisks;
};

/*
 * backup_parse - read a <domainbackup> document (len bytes) into *b (free
 * it with backup_clear). Returns 0, or -EINVAL with err naming the element
 * at fault (pull mode, block targets and other formats than qcow2 are
 * refused as unsupported), -ENOMEM.
 */
int backup_parse(const char *xml, size_t len, struct backup_def *b, char *err,
		 size_t errlen);

/* backup_format - b as libvirt writes it (every disk with its target file
 * and mode as given). A malloc'd string, or NULL when out of memory. */
char *backup_format(const struct backup_def *b);

/* backup_find - the entry of disk name in b, or NULL. */
struct backup_disk *backup_find(struct backup_def *b, const char *name);

/* backup_clear - free what b holds and zero it. */
void backup_clear(struct backup_def *b);

#endif
