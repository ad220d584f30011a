// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The <devices> of the typed view: disks, interfaces, serial ports and
 * consoles, the balloon and the RNG. Values are read as libvirt spells
 * them; kinds wirt cannot run are kept as *_OTHER for domain_check().
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "domain/dom-int.h"

static int lookup(const char *s, const char *const *names, int n, int other,
		  int dflt)
{
	int i;

	if (!s)
		return dflt;
	for (i = 0; i < n; i++)
		if (names[i] && !strcmp(s, names[i]))
			return i;
	return other;
}

#define LOOKUP(s, names, other, dflt) \
	lookup((s), (names), (int)ARRAY_SIZE(names), (other), (dflt))

/* valid_mac - "xx:xx:xx:xx:xx:xx" in hex, unicast (bit 0 of byte 0 clear). */
static bool valid_mac(const char *s)
{
	unsigned int b[6];
	char tail;

	if (strlen(s) != 17 ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &tail) != 6)
		return false;
	return !(b[0] & 1);
}

static int view_disk(struct domain *d, xmlNodePtr n, char *err, size_t errlen)
{
	static const char *const types[] = {
		[DOM_DISK_FILE] = "file",
		[DOM_DISK_BLOCK] = "block",
		[DOM_DISK_VOLUME] = "volume",
	};
	static const char *const devs[] = {
		[DOM_DEV_DISK] = "disk", [DOM_DEV_CDROM] = "cdrom"
	};
	static const char *const fmts[] = {
		[DOM_FMT_RAW] = "raw", [DOM_FMT_QCOW2] = "qcow2"
	};
	static const char *const caches[] = {
		[DOM_CACHE_NONE] = "none",
		[DOM_CACHE_WRITEBACK] = "writeback",
		[DOM_CACHE_WRITETHROUGH] = "writethrough",
		[DOM_CACHE_DIRECTSYNC] = "directsync",
		[DOM_CACHE_UNSAFE] = "unsafe",
	};
	static const char *const buses[] = {
		[DOM_BUS_VIRTIO] = "virtio",
		[DOM_BUS_SATA] = "sata",
		[DOM_BUS_SCSI] = "scsi",
	};
	xmlNodePtr drv = dom_child(n, "driver"), src = dom_child(n, "source");
	xmlNodePtr tgt = dom_child(n, "target");
	struct dom_disk *k;

	if (d->def.ndisks == DOMAIN_DISKS_MAX)
		return dom_fail(d, n, -E2BIG, err, errlen, "more than %d disks",
				DOMAIN_DISKS_MAX);
	k = &d->def.disks[d->def.ndisks++];
	k->line = dom_line(n);
	k->type = LOOKUP(dom_prop(n, "type"), types, DOM_DISK_OTHER,
			 DOM_DISK_FILE);
	k->device = LOOKUP(dom_prop(n, "device"), devs, DOM_DEV_OTHER,
			   DOM_DEV_DISK);
	k->format = LOOKUP(dom_prop(drv, "type"), fmts, DOM_FMT_OTHER,
			   DOM_FMT_DEFAULT);
	k->cache = LOOKUP(dom_prop(drv, "cache"), caches, DOM_CACHE_DEFAULT,
			  DOM_CACHE_DEFAULT);
	if (dom_prop(drv, "cache") && k->cache == DOM_CACHE_DEFAULT &&
	    strcmp(dom_prop(drv, "cache"), "default"))
		return dom_fail(
			d, drv, -EINVAL, err, errlen,
			"<driver cache='%s'>: use none, writeback, writethrough, directsync or unsafe",
			dom_prop(drv, "cache"));
	k->bus = LOOKUP(dom_prop(tgt, "bus"), buses, DOM_BUS_OTHER,
			DOM_BUS_DEFAULT);
	k->source = k->type == DOM_DISK_BLOCK ? dom_prop(src, "dev") :
						dom_prop(src, "file");
	if (k->type == DOM_DISK_VOLUME) {
		k->source = NULL;
		k->pool = dom_prop(src, "pool");
		k->volume = dom_prop(src, "volume");
	}
	k->target = dom_prop(tgt, "dev");
	k->serial = dom_text(dom_child(n, "serial"));
	k->readonly =
		dom_child(n, "readonly") != NULL || k->device == DOM_DEV_CDROM;
	if (!k->target)
		return dom_fail(
			d, n, -EINVAL, err, errlen,
			"<disk> has no <target dev='...'>; add one, e.g. <target dev='vda' bus='virtio'/>");
	return 0;
}

/* Largest rate (KiB/s) and burst (KiB) of a <bandwidth>: 16 GiB/s, 1 GiB. */
#define DOM_BW_RATE_MAX (16ULL << 20)
#define DOM_BW_BURST_MAX (1ULL << 20)

/*
 * view_bw - <bandwidth><WHICH average= peak= burst=/> of interface n into
 * bw (all 0 when absent). average is required, peak at least average.
 * Returns 0 or -EINVAL with err set.
 */
static int view_bw(struct domain *d, xmlNodePtr n, const char *which,
		   struct dom_bw *bw, char *err, size_t errlen)
{
	xmlNodePtr e = dom_child(dom_child(n, "bandwidth"), which);
	const char *avg = dom_prop(e, "average"), *peak = dom_prop(e, "peak");
	const char *burst = dom_prop(e, "burst");

	if (!e)
		return 0;
	bw->line = dom_line(e);
	if (!avg || parse_uint(avg, 1, DOM_BW_RATE_MAX, &bw->average))
		return dom_fail(
			d, e, -EINVAL, err, errlen,
			"<%s average='%s'>: give the average rate in KiB/s, from 1 to %llu",
			which, avg ? avg : "", DOM_BW_RATE_MAX);
	if (peak && (parse_uint(peak, 1, DOM_BW_RATE_MAX, &bw->peak) ||
		     bw->peak < bw->average))
		return dom_fail(
			d, e, -EINVAL, err, errlen,
			"<%s peak='%s'>: give the peak rate in KiB/s, from the average (%s) to %llu",
			which, peak, avg, DOM_BW_RATE_MAX);
	if (burst && parse_uint(burst, 1, DOM_BW_BURST_MAX, &bw->burst))
		return dom_fail(
			d, e, -EINVAL, err, errlen,
			"<%s burst='%s'>: give the burst in KiB, from 1 to %llu",
			which, burst, DOM_BW_BURST_MAX);
	return 0;
}

static int view_nic(struct domain *d, xmlNodePtr n, char *err, size_t errlen)
{
	static const char *const types[] = {
		[DOM_NIC_USER] = "user",
		[DOM_NIC_ETHERNET] = "ethernet",
		[DOM_NIC_NETWORK] = "network",
		[DOM_NIC_BRIDGE] = "bridge",
	};
	xmlNodePtr mac = dom_child(n, "mac");
	struct dom_nic *k;

	if (d->def.nnics == DOMAIN_NICS_MAX)
		return dom_fail(d, n, -E2BIG, err, errlen,
				"more than %d interfaces", DOMAIN_NICS_MAX);
	k = &d->def.nics[d->def.nnics++];
	k->line = dom_line(n);
	k->type = LOOKUP(dom_prop(n, "type"), types, DOM_NIC_OTHER,
			 DOM_NIC_OTHER);
	k->model = dom_prop(dom_child(n, "model"), "type");
	k->target = dom_prop(dom_child(n, "target"), "dev");
	k->driver = dom_prop(dom_child(n, "driver"), "name");
	k->source = dom_prop(dom_child(n, "source"),
			     k->type == DOM_NIC_NETWORK ? "network" : "bridge");
	k->mac = dom_prop(mac, "address");
	if (mac && (!k->mac || !valid_mac(k->mac)))
		return dom_fail(
			d, mac, -EINVAL, err, errlen,
			"<mac address='%s'> is not a unicast MAC address like 52:54:00:12:34:56",
			k->mac ? k->mac : "");
	return view_bw(d, n, "inbound", &k->in, err, errlen) ?:
		       view_bw(d, n, "outbound", &k->out, err, errlen);
}

static int view_chardev(struct domain *d, xmlNodePtr n, bool console, char *err,
			size_t errlen)
{
	static const char *const types[] = { [DOM_CHR_PTY] = "pty",
					     [DOM_CHR_FILE] = "file",
					     [DOM_CHR_UNIX] = "unix" };
	const char *port = dom_prop(dom_child(n, "target"), "port");
	struct dom_chardev *k;
	uint64_t p = 0;

	if (d->def.nchardevs == DOMAIN_CHARDEVS_MAX)
		return dom_fail(d, n, -E2BIG, err, errlen,
				"more than %d serial ports and consoles",
				DOMAIN_CHARDEVS_MAX);
	if (port && parse_uint(port, 0, 255, &p))
		return dom_fail(
			d, n, -EINVAL, err, errlen,
			"<target port='%s'>: give a port number from 0 to 255",
			port);
	k = &d->def.chardevs[d->def.nchardevs++];
	k->console = console;
	k->line = dom_line(n);
	k->type =
		LOOKUP(dom_prop(n, "type"), types, DOM_CHR_OTHER, DOM_CHR_PTY);
	k->path = dom_prop(dom_child(n, "source"), "path");
	k->port = (int)p;
	if ((k->type == DOM_CHR_FILE || k->type == DOM_CHR_UNIX) && !k->path)
		return dom_fail(d, n, -EINVAL, err, errlen,
				"<%s type='%s'> needs <source path='...'/>",
				console ? "console" : "serial",
				dom_prop(n, "type"));
	return 0;
}

int dom_view_devices(struct domain *d, char *err, size_t errlen)
{
	xmlNodePtr devs = dom_child(d->doc->children, "devices"), n;
	const char *name;
	int r = 0;

	for (n = devs ? devs->children : NULL; n && !r; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		name = (const char *)n->name;
		if (!strcmp(name, "disk"))
			r = view_disk(d, n, err, errlen);
		else if (!strcmp(name, "interface"))
			r = view_nic(d, n, err, errlen);
		else if (!strcmp(name, "serial") || !strcmp(name, "console"))
			r = view_chardev(d, n, name[0] == 'c', err, errlen);
		else if (!strcmp(name, "memballoon"))
			d->def.balloon =
				!strcmp(dom_prop(n, "model") ?: "", "virtio");
		else if (!strcmp(name, "rng"))
			d->def.rng =
				!strcmp(dom_prop(n, "model") ?: "", "virtio");
	}
	return r;
}
