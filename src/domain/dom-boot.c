// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Boot order and the CD-ROM drive of a definition: <os><boot dev=...>,
 * per-device <boot order=...>, <disk device='cdrom'> and its medium. The
 * firmware boots device classes (wirt-vmm's --boot disk,cdrom); the
 * checks refuse what it cannot honour instead of booting something else.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "domain/dom-int.h"

#define BOOT_ORDER_MAX 65535

/* bootdev - the class <boot dev=NAME> names. */
static enum dom_bootdev bootdev(const char *name)
{
	if (!strcmp(name, "hd"))
		return DOM_BOOTDEV_HD;
	if (!strcmp(name, "cdrom"))
		return DOM_BOOTDEV_CDROM;
	return DOM_BOOTDEV_OTHER;
}

/* boot_order - <boot order='N'/> of device element n into *order (0 when
 * absent). Returns 0 or -EINVAL with err set. */
static int boot_order(struct domain *d, xmlNodePtr n, unsigned int *order,
		      char *err, size_t errlen)
{
	xmlNodePtr b = dom_child(n, "boot");
	const char *s = dom_prop(b, "order");
	char *end;
	unsigned long v;

	*order = 0;
	if (!b)
		return 0;
	v = s ? strtoul(s, &end, 10) : 0;
	if (!s || !*s || *end || *s == '-' || v == 0 || v > BOOT_ORDER_MAX)
		return dom_fail(
			d, b, -EINVAL, err, errlen,
			"<boot order='%s'>: give a number from 1 (booted first) to %d",
			s ?: "", BOOT_ORDER_MAX);
	*order = (unsigned int)v;
	return 0;
}

/* order_used - a disk or interface other than the one whose order field
 * is mine has order. */
static bool order_used(const struct dom_def *def, unsigned int order,
		       const unsigned int *mine)
{
	unsigned int i;

	for (i = 0; i < def->ndisks; i++)
		if (&def->disks[i].boot_order != mine &&
		    def->disks[i].boot_order == order)
			return true;
	for (i = 0; i < def->nnics; i++)
		if (&def->nics[i].boot_order != mine &&
		    def->nics[i].boot_order == order)
			return true;
	return false;
}

int dom_view_boot(struct domain *d, char *err, size_t errlen)
{
	xmlNodePtr root = d->doc->children, n;
	unsigned int di = 0, ni = 0, *order;
	const char *dev;
	int r = 0;

	for (n = dom_child(dom_child(root, "os"), "boot"); n;
	     n = dom_next(n, "boot")) {
		if (d->def.nboot_devs == DOMAIN_BOOTDEVS_MAX)
			return dom_fail(d, n, -E2BIG, err, errlen,
					"more than %d <boot dev=...> elements",
					DOMAIN_BOOTDEVS_MAX);
		if (!(dev = dom_prop(n, "dev")))
			return dom_fail(
				d, n, -EINVAL, err, errlen,
				"<boot> without dev=: give dev='hd' or dev='cdrom'");
		d->def.boot_devs[d->def.nboot_devs++] = bootdev(dev);
	}
	n = dom_child(root, "devices");
	for (n = n ? n->children : NULL; n && !r; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (!strcmp((const char *)n->name, "disk"))
			order = &d->def.disks[di++].boot_order;
		else if (!strcmp((const char *)n->name, "interface"))
			order = &d->def.nics[ni++].boot_order;
		else
			continue;
		r = boot_order(d, n, order, err, errlen);
		if (!r && *order && order_used(&d->def, *order, order))
			r = dom_fail(
				d, dom_child(n, "boot"), -EINVAL, err, errlen,
				"<boot order='%u'> is used by another device too; give each device its own number",
				*order);
	}
	return r;
}

int domain_cdrom(const struct dom_def *d, const char *target)
{
	unsigned int i;

	for (i = 0; i < d->ndisks; i++)
		if (d->disks[i].device == DOM_DEV_CDROM &&
		    (!target || !strcmp(d->disks[i].target, target) ||
		     (d->disks[i].source &&
		      !strcmp(d->disks[i].source, target))))
			return (int)i;
	return -1;
}

/* has_order - some disk or interface carries <boot order>. */
static bool has_order(const struct dom_def *def)
{
	unsigned int i;

	for (i = 0; i < def->ndisks; i++)
		if (def->disks[i].boot_order)
			return true;
	for (i = 0; i < def->nnics; i++)
		if (def->nics[i].boot_order)
			return true;
	return false;
}

/* check_dev_orders - per-device orders of the disks (the firmware boots
 * them as a class, in <devices> order) and of the interfaces (no PXE). */
static void check_dev_orders(struct dom_checker *c, const struct domain *d)
{
	const struct dom_def *def = &d->def;
	xmlNodePtr n = dom_child(d->doc->children, "devices");
	unsigned int di = 0, ni = 0, last = 0;
	const struct dom_disk *k;

	for (n = n ? n->children : NULL; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (!strcmp((const char *)n->name, "interface") &&
		    def->nics[ni++].boot_order)
			dom_issue(
				c, true, dom_child(n, "boot"),
				"<interface> with <boot order>: network (PXE) boot is not supported; remove its <boot>");
		if (strcmp((const char *)n->name, "disk"))
			continue;
		k = &def->disks[di++];
		if (k->device != DOM_DEV_DISK || !k->boot_order)
			continue;
		if (k->boot_order < last)
			dom_issue(
				c, true, dom_child(n, "boot"),
				"<boot order='%u'> of disk '%s' is before an earlier disk's: the firmware boots the disks in their <devices> order; list this disk first or renumber them",
				k->boot_order, k->target);
		last = k->boot_order;
	}
}

void dom_check_boot(struct dom_checker *c, const struct domain *d,
		    xmlNodePtr os)
{
	enum dom_bootdev kinds[DOMAIN_BOOTDEVS_MAX];
	const struct dom_def *def = &d->def;
	bool kernel = def->boot == DOM_BOOT_KERNEL;
	bool per_dev = has_order(def);
	unsigned int i = 0, before = c->n;
	xmlNodePtr n;

	if (def->nboot_devs && per_dev)
		dom_issue(
			c, true, dom_child(os, "boot"),
			"<os><boot dev=...> with <boot order=...> on devices: give only one of them (libvirt refuses both)");
	else if (kernel && per_dev)
		dom_issue(
			c, false, os,
			"<boot order>: ignored, the kernel is booted directly");
	else if (per_dev)
		check_dev_orders(c, d);
	for (n = dom_child(os, "boot"); n; n = dom_next(n, "boot"), i++) {
		enum dom_bootdev dev = def->boot_devs[i];

		if (kernel && dev != DOM_BOOTDEV_HD)
			dom_issue(
				c, false, n,
				"<boot dev='%s'>: ignored, the kernel is booted directly",
				dom_prop(n, "dev"));
		else if (!kernel && dev == DOM_BOOTDEV_OTHER)
			dom_issue(
				c, true, n,
				"<boot dev='%s'>: the firmware boots from disks (dev='hd') and the CD-ROM (dev='cdrom'); network and floppy boot are not supported",
				dom_prop(n, "dev"));
		else if (!kernel && dev == DOM_BOOTDEV_CDROM &&
			 domain_cdrom(def, NULL) < 0)
			dom_issue(
				c, true, n,
				"<boot dev='cdrom'>: the domain has no CD-ROM drive; add a <disk device='cdrom'> with <target dev='sda' bus='sata'/>, or remove this <boot>");
	}
	if (!kernel && c->n == before && (def->nboot_devs || per_dev) &&
	    !domain_boot_kinds(def, kinds))
		dom_issue(
			c, true, dom_child(os, "boot") ?: os,
			"the boot order names no disk or CD-ROM drive the domain has, so the firmware would find nothing to boot: add a <disk>, or <boot dev='cdrom'/> for the CD-ROM");
}

/* min_order - the lowest <boot order> of the disks of class dev; 0: none. */
static unsigned int min_order(const struct dom_def *d, enum dom_disk_device dev)
{
	unsigned int i, m = 0;

	for (i = 0; i < d->ndisks; i++)
		if (d->disks[i].device == dev && d->disks[i].boot_order &&
		    (!m || d->disks[i].boot_order < m))
			m = d->disks[i].boot_order;
	return m;
}

/* has_class - d has a disk (hd) or a CD-ROM drive (cdrom). */
static bool has_class(const struct dom_def *d, enum dom_bootdev dev)
{
	enum dom_disk_device want =
		dev == DOM_BOOTDEV_HD ? DOM_DEV_DISK : DOM_DEV_CDROM;
	unsigned int i;

	if (dev == DOM_BOOTDEV_OTHER)
		return false;
	for (i = 0; i < d->ndisks; i++)
		if (d->disks[i].device == want)
			return true;
	return false;
}

unsigned int domain_boot_kinds(const struct dom_def *d, enum dom_bootdev *out)
{
	unsigned int i, j, n = 0, hd, cd;

	for (i = 0; i < d->nboot_devs; i++) {
		for (j = 0; j < n && out[j] != d->boot_devs[i]; j++)
			;
		if (j == n && has_class(d, d->boot_devs[i]))
			out[n++] = d->boot_devs[i];
	}
	if (d->nboot_devs)
		return n;
	hd = min_order(d, DOM_DEV_DISK);
	cd = min_order(d, DOM_DEV_CDROM);
	if (hd && (!cd || hd < cd))
		out[n++] = DOM_BOOTDEV_HD;
	if (cd)
		out[n++] = DOM_BOOTDEV_CDROM;
	if (hd && cd && cd < hd)
		out[n++] = DOM_BOOTDEV_HD;
	return n;
}
