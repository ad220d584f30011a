// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Changes a clone makes to a definition: another name, no UUID and no MAC
 * addresses (domain_normalize() generates new ones), other disk images;
 * and the medium of the CD-ROM drive (change-media).
 */
#include <errno.h>
#include <string.h>

#include "domain/dom-int.h"

int domain_set_name(struct domain *d, const char *name, char *err,
		    size_t errlen)
{
	xmlNodePtr n = dom_child(xmlDocGetRootElement(d->doc), "name");

	if (!n || dom_set_text(n, name))
		return -ENOMEM;
	return dom_view(d, err, errlen);
}

/* drop - unlink and free every child of n named name. */
static void drop(xmlNodePtr n, const char *name)
{
	xmlNodePtr c, next;

	for (c = dom_child(n, name); c; c = next) {
		next = dom_next(c, name);
		xmlUnlinkNode(c);
		xmlFreeNode(c);
	}
}

int domain_new_identity(struct domain *d, char *err, size_t errlen)
{
	xmlNodePtr root = xmlDocGetRootElement(d->doc);
	xmlNodePtr devs = dom_child(root, "devices"), n;

	drop(root, "uuid");
	for (n = dom_child(devs, "interface"); n; n = dom_next(n, "interface"))
		drop(n, "mac");
	return domain_normalize(d, err, errlen);
}

int domain_set_disk(struct domain *d, unsigned int i, const char *path,
		    const char *fmt, char *err, size_t errlen)
{
	xmlNodePtr devs = dom_child(xmlDocGetRootElement(d->doc), "devices");
	xmlNodePtr n = dom_child(devs, "disk"), src, drv;

	while (n && i--)
		n = dom_next(n, "disk");
	if (!n)
		return -ENOENT;
	src = dom_child(n, "source");
	if (!src && !(src = xmlNewChild(n, NULL, BAD_CAST "source", NULL)))
		return -ENOMEM;
	xmlUnsetProp(src, BAD_CAST "dev");
	if (!xmlSetProp(n, BAD_CAST "type", BAD_CAST "file") ||
	    !xmlSetProp(src, BAD_CAST "file", BAD_CAST path))
		return -ENOMEM;
	drv = dom_child(n, "driver");
	if (fmt && !drv) {
		drv = xmlNewDocNode(n->doc, NULL, BAD_CAST "driver", NULL);
		if (!drv ||
		    !xmlSetProp(drv, BAD_CAST "name", BAD_CAST "qemu") ||
		    !(n->children ? xmlAddPrevSibling(n->children, drv) :
				    xmlAddChild(n, drv)))
			return -ENOMEM;
	}
	if (fmt && !xmlSetProp(drv, BAD_CAST "type", BAD_CAST fmt))
		return -ENOMEM;
	return dom_view(d, err, errlen);
}

/* nth_disk - the i-th <disk> element of d, or NULL. */
static xmlNodePtr nth_disk(struct domain *d, unsigned int i)
{
	xmlNodePtr n = dom_child(
		dom_child(xmlDocGetRootElement(d->doc), "devices"), "disk");

	while (n && i--)
		n = dom_next(n, "disk");
	return n;
}

int domain_set_media(struct domain *d, const char *target, const char *path,
		     char *err, size_t errlen)
{
	int i = domain_cdrom(&d->def, target);
	xmlNodePtr n = i < 0 ? NULL : nth_disk(d, (unsigned int)i), src, tgt;

	if (!n)
		return -ENOENT;
	src = dom_child(n, "source");
	if (!path) {
		drop(n, "source");
		return dom_view(d, err, errlen);
	}
	if (!src) {
		src = xmlNewDocNode(n->doc, NULL, BAD_CAST "source", NULL);
		tgt = dom_child(n, "target");
		if (!src ||
		    !(tgt ? xmlAddPrevSibling(tgt, src) : xmlAddChild(n, src)))
			return -ENOMEM;
	}
	xmlUnsetProp(src, BAD_CAST "dev");
	if (!xmlSetProp(n, BAD_CAST "type", BAD_CAST "file") ||
	    !xmlSetProp(src, BAD_CAST "file", BAD_CAST path))
		return -ENOMEM;
	return dom_view(d, err, errlen);
}
