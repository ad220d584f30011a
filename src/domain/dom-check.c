// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * domain_check(): which parts of a definition wirt-vmm cannot provide.
 * The rule (docs: "libvirt XML that wirt cannot fully provide"): what the
 * guest's work depends on is refused with its element and line; what
 * libvirt adds by default and a headless server does without is a
 * one-line warning. Nothing is dropped from the document either way.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "domain/dom-int.h"

void dom_issue(struct dom_checker *c, bool fatal, xmlNodePtr n, const char *fmt,
	       ...)
{
	struct dom_issue *i;
	va_list ap;

	if (c->n++ >= c->max)
		return;
	i = &c->out[c->n - 1];
	i->fatal = fatal;
	i->line = dom_line(n);
	va_start(ap, fmt);
	vsnprintf(i->text, sizeof(i->text), fmt, ap);
	va_end(ap);
}

/* Device kinds decided by name alone: NULL text means supported. */
static const struct {
	const char *name;
	bool fatal;
	const char *text;
} device_rules[] = {
	{ "emulator", false, NULL },
	{ "disk", false, NULL },
	{ "interface", false, NULL },
	{ "serial", false, NULL },
	{ "console", false, NULL },
	{ "memballoon", false, NULL },
	{ "rng", false, NULL },
	{ "controller", false,
	  "controllers are wirt's own (PCI root, virtio); ignored" },
	{ "input", false,
	  "no keyboard, mouse or tablet on a headless VM; ignored" },
	{ "graphics", false, "no framebuffer yet; use the serial console" },
	{ "video", false, "no framebuffer yet; use the serial console" },
	{ "audio", false, "no sound; ignored" },
	{ "channel", false, "guest-agent channels come with vsock; ignored" },
	{ "redirdev", false, "no USB; ignored" },
	{ "redirfilter", false, "no USB; ignored" },
	{ "hub", false, "no USB; ignored" },
	{ "panic", false,
	  "no pvpanic device; a guest panic shows on the console" },
	{ "hostdev", true,
	  "host device assignment is not supported; remove it" },
	{ "filesystem", true,
	  "filesystem shares (virtiofs, 9p) are not supported; use a disk" },
	{ "sound", true, "sound devices are not supported; remove it" },
	{ "smartcard", true, "smartcards are not supported; remove it" },
	{ "parallel", true, "parallel ports are not supported; remove it" },
	{ "tpm", true, "TPM devices are not supported; remove it" },
	{ "shmem", true, "shared memory devices are not supported; remove it" },
	{ "memory", true,
	  "memory hotplug devices are not supported; size <memory> instead" },
	{ "iommu", true, "a virtual IOMMU is not supported; remove it" },
	{ "vsock", true, "virtio-vsock is not supported yet; remove it" },
	{ "lease", true, "lock manager leases are not supported; remove it" },
	{ "nvram", false, "no spapr NVRAM on x86; ignored" },
};

/* check_cdrom - a <disk device='cdrom'>: the SATA drive (first is true
 * for the domain's first CD-ROM) holding a raw image, or empty. */
static void check_cdrom(struct dom_checker *c, xmlNodePtr n,
			const struct dom_disk *k, bool first)
{
	if (!first)
		dom_issue(
			c, true, n,
			"a second <disk device='cdrom'>: wirt-vmm has one CD-ROM drive; change its medium with change-media instead");
	else if (k->bus != DOM_BUS_SATA)
		dom_issue(
			c, true, n,
			"<disk device='cdrom'> on bus '%s': the CD-ROM drive is on SATA; use <target dev='sda' bus='sata'/>",
			dom_prop(dom_child(n, "target"), "bus") ?: "(none)");
	else if (k->type != DOM_DISK_FILE && k->type != DOM_DISK_BLOCK)
		dom_issue(
			c, true, n,
			"<disk type='%s' device='cdrom'>: give the ISO image with type='file' (or a host drive with type='block')",
			dom_prop(n, "type"));
	else if (k->format != DOM_FMT_DEFAULT && k->format != DOM_FMT_RAW)
		dom_issue(
			c, true, n,
			"<disk device='cdrom'> with <driver type='%s'>: CD-ROM images are raw ISO 9660; use type='raw'",
			dom_prop(dom_child(n, "driver"), "type"));
}

static void check_disk(struct dom_checker *c, xmlNodePtr n,
		       const struct dom_disk *k)
{
	if (k->device != DOM_DEV_DISK)
		dom_issue(
			c, true, n,
			"<disk device='%s'>: use device='disk' (a virtio disk) or device='cdrom' (a SATA CD-ROM drive)",
			dom_prop(n, "device"));
	else if (k->type == DOM_DISK_OTHER)
		dom_issue(
			c, true, n,
			"<disk type='%s'>: only type='file', 'block' and 'volume' are supported",
			dom_prop(n, "type"));
	else if (k->type == DOM_DISK_VOLUME && (!k->pool || !k->volume))
		dom_issue(
			c, true, n,
			"<disk type='volume'> needs <source pool='POOL' volume='VOLUME'/>");
	else if (k->bus == DOM_BUS_OTHER || k->bus == DOM_BUS_SATA)
		dom_issue(
			c, true, n,
			"<target bus='%s'>: disks are on virtio or virtio-scsi; use bus='virtio' (the guest sees /dev/vdX) or bus='scsi' (/dev/sdX)",
			dom_prop(dom_child(n, "target"), "bus"));
	else if (k->format == DOM_FMT_OTHER)
		dom_issue(
			c, true, n,
			"<driver type='%s'>: images are raw or qcow2; convert it with wirt-img convert -O qcow2",
			dom_prop(dom_child(n, "driver"), "type"));
	else if (!k->source && k->type != DOM_DISK_VOLUME)
		dom_issue(c, true, n,
			  "<disk> has no <source %s='...'>; name the image",
			  k->type == DOM_DISK_BLOCK ? "dev" : "file");
	else if (k->cache == DOM_CACHE_WRITETHROUGH ||
		 k->cache == DOM_CACHE_DIRECTSYNC)
		dom_issue(
			c, true, n,
			"<driver cache='%s'>: use cache='none' or cache='writeback' (the guest's flushes are honoured with both)",
			dom_prop(dom_child(n, "driver"), "cache"));
	else if (k->cache == DOM_CACHE_UNSAFE)
		dom_issue(
			c, false, n,
			"<driver cache='unsafe'>: runs as cache='writeback' (flushes honoured)");
}

static void check_nic(struct dom_checker *c, xmlNodePtr n,
		      const struct dom_nic *k)
{
	if (k->type == DOM_NIC_OTHER)
		dom_issue(
			c, true, n,
			"<interface type='%s'>: only type='user', 'ethernet' (an existing tap), 'network' and 'bridge' are supported so far",
			dom_prop(n, "type") ? dom_prop(n, "type") : "");
	else if (k->model && strcmp(k->model, "virtio"))
		dom_issue(
			c, true, n,
			"<model type='%s'>: NICs are virtio only; use <model type='virtio'/>",
			k->model);
	else if (!k->model)
		dom_issue(
			c, false, n,
			"<interface> without <model>: libvirt would pick an emulated NIC; wirt gives a virtio NIC");
	else if ((k->type == DOM_NIC_NETWORK || k->type == DOM_NIC_BRIDGE) &&
		 (!k->source || !*k->source))
		dom_issue(c, true, n,
			  "<interface type='%s'> needs <source %s='NAME'/>",
			  dom_prop(n, "type"), dom_prop(n, "type"));
	else if (k->type == DOM_NIC_ETHERNET && !k->target)
		dom_issue(
			c, true, n,
			"<interface type='ethernet'> needs <target dev='TAP'/> naming an existing tap");
	else if ((k->in.average || k->out.average) &&
		 k->type != DOM_NIC_NETWORK && k->type != DOM_NIC_BRIDGE)
		dom_issue(
			c, true, n,
			"<bandwidth> on <interface type='%s'>: limits apply to the taps wirtd makes, type='network' and type='bridge' only; remove it",
			dom_prop(n, "type"));
}

static void check_chardev(struct dom_checker *c, xmlNodePtr n,
			  const struct dom_chardev *k)
{
	const char *ttype = dom_prop(dom_child(n, "target"), "type");

	if (k->type == DOM_CHR_OTHER)
		dom_issue(c, true, n, "<%s type='%s'>: use pty, file or unix",
			  k->console ? "console" : "serial",
			  dom_prop(n, "type"));
	else if (!k->console && k->port != 0)
		dom_issue(
			c, true, n,
			"<serial> port %d: wirt has one serial port (COM1, port 0)",
			k->port);
	else if (k->console && ttype && strcmp(ttype, "serial"))
		dom_issue(
			c, true, n,
			"<console> target type '%s': the console is the serial port; use <target type='serial'/>",
			ttype);
}

/* check_named - a device the rules table decides; false when unknown. */
static bool check_named(struct dom_checker *c, xmlNodePtr n)
{
	const char *name = (const char *)n->name;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(device_rules); i++) {
		if (strcmp(device_rules[i].name, name))
			continue;
		if (device_rules[i].text)
			dom_issue(c, device_rules[i].fatal, n, "<%s>: %s", name,
				  device_rules[i].text);
		return true;
	}
	return false;
}

static void check_devices(struct dom_checker *c, const struct domain *d)
{
	const struct dom_def *def = &d->def;
	xmlNodePtr n = dom_child(xmlDocGetRootElement(d->doc), "devices");
	unsigned int di = 0, ni = 0, ci = 0, cdroms = 0;
	const char *name, *model;

	for (n = n ? n->children : NULL; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		name = (const char *)n->name;
		model = dom_prop(n, "model");
		if (!strcmp(name, "disk") &&
		    def->disks[di].device == DOM_DEV_CDROM)
			check_cdrom(c, n, &def->disks[di++], !cdroms++);
		else if (!strcmp(name, "disk"))
			check_disk(c, n, &def->disks[di++]);
		else if (!strcmp(name, "interface"))
			check_nic(c, n, &def->nics[ni++]);
		else if (!strcmp(name, "serial") || !strcmp(name, "console"))
			check_chardev(c, n, &def->chardevs[ci++]);
		else if (!strcmp(name, "watchdog") &&
			 strcmp(dom_prop(n, "action") ?: "reset", "none"))
			dom_issue(
				c, true, n,
				"<watchdog>: no watchdog device; remove it or set action='none'");
		else if (!strcmp(name, "watchdog"))
			dom_issue(c, false, n,
				  "<watchdog action='none'>: ignored");
		else if ((!strcmp(name, "memballoon") &&
			  strcmp(model ?: "", "virtio") &&
			  strcmp(model ?: "", "none")) ||
			 (!strcmp(name, "rng") &&
			  strcmp(model ?: "", "virtio")))
			dom_issue(c, true, n,
				  "<%s model='%s'>: use model='virtio'", name,
				  model ?: "");
		else if (!strcmp(name, "controller") &&
			 !strcmp(dom_prop(n, "type") ?: "", "scsi") && model &&
			 strcmp(model, "virtio-scsi"))
			dom_issue(
				c, true, n,
				"<controller type='scsi' model='%s'>: wirt's SCSI controller is virtio-scsi; use model='virtio-scsi'",
				model);
		else if (!check_named(c, n))
			dom_issue(c, true, n, "<%s>: unknown device; remove it",
				  name);
	}
}

/* Top-level elements wirt reads, or that need no action. */
static const char *const top_known[] = {
	"name",	     "uuid",	 "title",	  "description",
	"metadata",  "memory",	 "currentMemory", "vcpu",
	"os",	     "features", "clock",	  "on_poweroff",
	"on_reboot", "on_crash", "devices",	  "cpu",
	"pm",	     "genid",	 "seclabel",	  "resource",
};

/*
 * check_efi - <os firmware='efi'> or <loader type='pflash'>: OVMF's code
 * (Debian's, or the <loader> image) read-only, its variable store in
 * <nvram> (wirtd's default when absent). Secure boot needs SMM: refused.
 */
static void check_efi(struct dom_checker *c, xmlNodePtr os, xmlNodePtr loader)
{
	xmlNodePtr fw = dom_child(os, "firmware"), f;

	if (!strcmp(dom_prop(loader, "secure") ?: "no", "yes"))
		dom_issue(
			c, true, loader,
			"<loader secure='yes'>: secure boot needs SMM, which wirt-vmm does not emulate; leave secure= out");
	else if (loader && !strcmp(dom_prop(loader, "readonly") ?: "yes", "no"))
		dom_issue(
			c, true, loader,
			"<loader readonly='no'>: OVMF's code is read-only flash; use readonly='yes' (variables live in <nvram>)");
	else if (loader && (!dom_text(loader) || !*dom_text(loader)) &&
		 strcmp(dom_prop(os, "firmware") ?: "", "efi"))
		dom_issue(
			c, true, loader,
			"<loader type='pflash'> is empty: give the path of an OVMF code image, or use <os firmware='efi'> for Debian's");
	for (f = dom_child(fw, "feature"); f; f = dom_next(f, "feature"))
		if (!strcmp(dom_prop(f, "name") ?: "", "secure-boot") &&
		    !strcmp(dom_prop(f, "enabled") ?: "", "yes"))
			dom_issue(
				c, true, f,
				"<feature name='secure-boot' enabled='yes'>: secure boot needs SMM, which wirt-vmm does not emulate; set enabled='no'");
}

/*
 * <os>: direct kernel boot (<kernel>), or firmware: BIOS (SeaBIOS, or the
 * ROM image a <loader> names) or UEFI (OVMF), and the boot order.
 */
static void check_os(struct dom_checker *c, const struct domain *d)
{
	xmlNodePtr root = xmlDocGetRootElement(d->doc);
	xmlNodePtr os = dom_child(root, "os"), loader = dom_child(os, "loader");
	const char *t = dom_text(dom_child(os, "type"));
	const char *ltype = dom_prop(loader, "type") ?: "rom";
	bool kernel = dom_child(os, "kernel") != NULL;

	if (t && strcmp(t, "hvm"))
		dom_issue(c, true, dom_child(os, "type"),
			  "<os><type>%s</type>: wirt runs hvm guests", t);
	if (kernel && (loader || dom_child(os, "nvram")))
		dom_issue(
			c, true, loader ?: dom_child(os, "nvram"),
			"<%s> with <kernel>: give either the kernel to boot directly or the firmware, not both",
			loader ? "loader" : "nvram");
	else if (d->def.boot == DOM_BOOT_EFI)
		check_efi(c, os, loader);
	else if (dom_child(os, "nvram"))
		dom_issue(
			c, true, dom_child(os, "nvram"),
			"<nvram> is the UEFI variable store: add firmware='efi' to <os>, or remove it");
	else if (loader && strcmp(ltype, "rom"))
		dom_issue(
			c, true, loader,
			"<loader type='%s'>: use type='rom' (a BIOS image) or type='pflash' (UEFI)",
			ltype);
	else if (loader && (!dom_text(loader) || !*dom_text(loader)))
		dom_issue(
			c, true, loader,
			"<loader> is empty: give the path of a BIOS image, or leave it out for SeaBIOS");
	dom_check_boot(c, d, os);
}

static void check_top(struct dom_checker *c, const struct domain *d)
{
	xmlNodePtr root = xmlDocGetRootElement(d->doc);
	xmlNodePtr n, clock = dom_child(root, "clock");
	const char *mode;
	size_t i;

	check_os(c, d);
	if (dom_child(clock, "timer"))
		dom_issue(
			c, false, dom_child(clock, "timer"),
			"<timer>: the platform's timers are fixed (kvmclock, PIT, RTC); ignored");
	if ((n = dom_child(root, "pm")))
		dom_issue(c, false, n,
			  "<pm>: no guest suspend to RAM or disk; ignored");
	n = dom_child(root, "cpu");
	mode = dom_prop(n, "mode");
	if (n && (dom_child(n, "model") ||
		  (mode && strcmp(mode, "host-passthrough"))))
		dom_issue(
			c, false, n,
			"<cpu>: the guest sees the host's CPU (as host-passthrough); the model is not applied");
	for (n = root->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		for (i = 0; i < ARRAY_SIZE(top_known); i++)
			if (!strcmp(top_known[i], (const char *)n->name))
				break;
		if (i == ARRAY_SIZE(top_known))
			dom_issue(c, false, n,
				  "<%s>: not applied by wirt; ignored",
				  (const char *)n->name);
	}
}

unsigned int domain_check(const struct domain *d, struct dom_issue *issues,
			  unsigned int max)
{
	struct dom_checker c = { issues, max, 0 };

	check_top(&c, d);
	check_devices(&c, d);
	return c.n;
}
