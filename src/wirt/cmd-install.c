// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virt-install's and virt-clone's jobs: `wirt install` writes the domain
 * XML from options, creates disk images when asked (in wirtd's images
 * directory), defines and starts the VM; `wirt clone` asks wirtd for a
 * copy of a domain with new identity and disks.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/util.h"
#include "wirt/wirt.h"

bool opt_kv(const char *spec, const char *key, char *out, size_t len)
{
	size_t kl = strlen(key), n;
	const char *p = spec;

	while (p && *p) {
		if (!strncmp(p, key, kl) && p[kl] == '=') {
			p += kl + 1;
			n = strcspn(p, ",");
			snprintf(out, len, "%.*s", (int)n, p);
			return true;
		}
		p = strchr(p, ',');
		p = p ? p + 1 : NULL;
	}
	return false;
}

int install_disk_bus(struct ctx *c, const char *spec, bool *scsi)
{
	char bus[16] = "virtio";

	opt_kv(spec, "bus", bus, sizeof(bus));
	*scsi = !strcmp(bus, "scsi");
	if (*scsi || !strcmp(bus, "virtio"))
		return 0;
	return err_set(
		c->err, sizeof(c->err), -EINVAL,
		"--disk '%s': bus '%s' is not one wirt has; use bus=virtio or bus=scsi (virtio-scsi)",
		spec, bus);
}

void install_target(FILE *x, bool scsi, int idx)
{
	if (scsi)
		fprintf(x, "      <target dev='sd%c' bus='scsi'/>\n",
			'b' + idx);
	else
		fprintf(x, "      <target dev='vd%c' bus='virtio'/>\n",
			'a' + idx);
}

/* Whether any --disk of the install is on virtio-scsi. */
static bool any_scsi(const struct ctx *c)
{
	char bus[16];
	int i;

	for (i = 0; i < c->cl.nflags; i++)
		if (!strcmp(c->cl.flags[i], "disk") &&
		    opt_kv(c->cl.vals[i], "bus", bus, sizeof(bus)) &&
		    !strcmp(bus, "scsi"))
			return true;
	return false;
}

/* install_disk - one --disk: an existing path, or size=GiB to create. */
static int install_disk(struct ctx *c, FILE *x, const char *spec, int idx)
{
	char path[4096], fmt[16] = "", size[32], ro[8] = "";
	struct json_object *a, *r;
	uint64_t gib;
	bool scsi;

	if (install_disk_bus(c, spec, &scsi))
		return -EINVAL;
	if (opt_kv(spec, "pool", path, sizeof(path)) ||
	    opt_kv(spec, "vol", path, sizeof(path)))
		return install_vol_disk(c, x, spec, idx);
	if (!opt_kv(spec, "path", path, sizeof(path))) {
		if (!opt_kv(spec, "size", size, sizeof(size)) ||
		    parse_uint(size, 1, 65536, &gib)) {
			snprintf(c->err, sizeof(c->err),
				 "--disk '%s': give path=FILE or size=GiB",
				 spec);
			return -EINVAL;
		}
		if (!opt_kv(spec, "format", fmt, sizeof(fmt)))
			strcpy(fmt, "qcow2");
		a = json_object_new_object();
		snprintf(path, sizeof(path), "%s%s%.0d.%s", c->cl.pos[0],
			 idx ? "-" : "", idx, fmt);
		json_object_object_add(a, "name", json_object_new_string(path));
		json_object_object_add(a, "size",
				       json_object_new_int64(gib << 30));
		json_object_object_add(a, "format",
				       json_object_new_string(fmt));
		r = call(c, "vol_create", a, NULL);
		if (!r)
			return -EIO;
		printf("Allocating '%s'\n", path);
		snprintf(path, sizeof(path), "%s", str(r, "path"));
		json_object_put(r);
	} else if (!opt_kv(spec, "format", fmt, sizeof(fmt))) {
		strcpy(fmt, "raw");
	}
	opt_kv(spec, "readonly", ro, sizeof(ro));
	fprintf(x,
		"    <disk type='file' device='disk'>\n      <driver name='qemu' type='");
	fput_xml(x, fmt, true);
	fprintf(x, "'/>\n      <source file='");
	fput_xml(x, path, true);
	fprintf(x, "'/>\n");
	install_target(x, scsi, idx);
	fprintf(x, "%s    </disk>\n",
		!strcmp(ro, "on") ? "      <readonly/>\n" : "");
	return 0;
}

static int install_net(struct ctx *c, FILE *x, const char *spec)
{
	char tap[64];

	if (!strcmp(spec, "none"))
		return 0;
	if (!strcmp(spec, "user")) {
		fprintf(x,
			"    <interface type='user'>\n      <model type='virtio'/>\n    </interface>\n");
		return 0;
	}
	if (opt_kv(spec, "tap", tap, sizeof(tap))) {
		fprintf(x,
			"    <interface type='ethernet'>\n      <target dev='");
		fput_xml(x, tap, true);
		fprintf(x,
			"'/>\n      <model type='virtio'/>\n    </interface>\n");
		return 0;
	}
	snprintf(
		c->err, sizeof(c->err),
		"--network '%s': use user, tap=IFNAME or none (virtual networks come later)",
		spec);
	return -EINVAL;
}

/* install_cdrom - --cdrom ISO: the SATA CD-ROM drive holding the image
 * (its absolute path). 0 or -errno with c->err set. */
static int install_cdrom(struct ctx *c, FILE *x, const char *iso)
{
	char *abs = realpath(iso, NULL);

	if (!abs)
		return err_set(
			c->err, sizeof(c->err), -errno,
			"--cdrom '%s': %s: give the path of an ISO image", iso,
			strerror(errno));
	fprintf(x,
		"    <disk type='file' device='cdrom'>\n      <driver name='qemu' type='raw'/>\n      <source file='");
	fput_xml(x, abs, true);
	fprintf(x,
		"'/>\n      <target dev='sda' bus='sata'/>\n      <readonly/>\n    </disk>\n");
	free(abs);
	return 0;
}

/* Operating systems --os-variant knows: libosinfo's short and long ids
 * (virt-install records the long one) and the memory it defaults to. */
static const struct os_variant {
	const char *name, *id;
	unsigned int mib;
} os_variants[] = {
	{ "debian10", "http://debian.org/debian/10", 1024 },
	{ "debian11", "http://debian.org/debian/11", 1024 },
	{ "debian12", "http://debian.org/debian/12", 1024 },
	{ "debian13", "http://debian.org/debian/13", 2048 },
	{ "ubuntu20.04", "http://ubuntu.com/ubuntu/20.04", 2048 },
	{ "ubuntu22.04", "http://ubuntu.com/ubuntu/22.04", 2048 },
	{ "ubuntu24.04", "http://ubuntu.com/ubuntu/24.04", 2048 },
	{ "fedora40", "http://fedoraproject.org/fedora/40", 2048 },
	{ "centos-stream9", "http://centos.org/centos-stream/9", 2048 },
	{ "rocky9", "http://rockylinux.org/rocky/9", 2048 },
	{ "almalinux9", "http://almalinux.org/almalinux/9", 2048 },
	{ "alpinelinux3.19", "http://alpinelinux.org/alpinelinux/3.19", 512 },
	{ "generic", NULL, 1024 },
	{ "linux2022", "http://libosinfo.org/linux/2022", 1024 },
};

/* os_variant - the entry --os-variant names (debian12, or its id), NULL
 * when it is not given; -1 in *bad (c->err set) when it is unknown. */
static const struct os_variant *os_variant(struct ctx *c, int *bad)
{
	const char *v = value(c, "os-variant");
	size_t i, n = 0;

	*bad = 0;
	if (!v)
		return NULL;
	for (i = 0; i < ARRAY_SIZE(os_variants); i++)
		if (!strcmp(v, os_variants[i].name) ||
		    (os_variants[i].id && !strcmp(v, os_variants[i].id)))
			return &os_variants[i];
	n = snprintf(c->err, sizeof(c->err),
		     "--os-variant '%s': unknown; give one of", v);
	for (i = 0; i < ARRAY_SIZE(os_variants) && n < sizeof(c->err); i++)
		n += snprintf(c->err + n, sizeof(c->err) - n, " %s",
			      os_variants[i].name);
	*bad = -1;
	return NULL;
}

/* install_kernel - <kernel>, <initrd>, <cmdline> for direct boot. */
static void install_kernel(struct ctx *c, FILE *x, const char *kernel)
{
	const char *v;

	fprintf(x, "    <kernel>");
	fput_xml(x, kernel, true);
	fprintf(x, "</kernel>\n");
	if ((v = value(c, "initrd"))) {
		fprintf(x, "    <initrd>");
		fput_xml(x, v, true);
		fprintf(x, "</initrd>\n");
	}
	fprintf(x, "    <cmdline>");
	fput_xml(x, (v = value(c, "cmdline")) ? v : "console=ttyS0", true);
	fprintf(x, "</cmdline>\n");
}

/* install_xml - the definition from install's options, into *xml. */
static int install_xml(struct ctx *c, char **xml)
{
	const char *kernel = value(c, "kernel"), *cdrom = value(c, "cdrom"), *v;
	const char *boot = value(c, "boot");
	bool efi = boot && !strcmp(boot, "uefi");
	uint64_t mem = 1024, cpus = 1;
	size_t len = 0;
	FILE *x = open_memstream(xml, &len);
	int i, d = 0, r = 0;
	const struct os_variant *os = os_variant(c, &r);

	if (os)
		mem = os->mib;
	if (!r && (v = value(c, "memory")) && parse_uint(v, 16, 1 << 22, &mem))
		r = -EINVAL;
	if ((v = value(c, "vcpus")) && parse_uint(v, 1, 255, &cpus))
		r = -EINVAL;
	if (r && !c->err[0])
		snprintf(c->err, sizeof(c->err),
			 "--memory takes MiB (16 or more), --vcpus 1 to 255");
	if (!r && !kernel && !cdrom && !flag(c, "import")) {
		snprintf(
			c->err, sizeof(c->err),
			"give --cdrom ISO to install from a CD image, --import to boot the first --disk through the BIOS, or --kernel PATH (with --initrd and --cmdline) to boot a kernel directly");
		r = -EINVAL;
	}
	if (!r && boot && strcmp(boot, "uefi") && strcmp(boot, "bios")) {
		snprintf(
			c->err, sizeof(c->err),
			"--boot '%s': give uefi (OVMF, a per-VM variable store) or bios (SeaBIOS, the default)",
			boot);
		r = -EINVAL;
	}
	if (!r && efi && kernel) {
		snprintf(
			c->err, sizeof(c->err),
			"--boot uefi boots through the firmware: leave out --kernel");
		r = -EINVAL;
	}
	if (!r && cdrom && flag(c, "import")) {
		snprintf(
			c->err, sizeof(c->err),
			"--cdrom installs from a CD image, --import boots an installed disk: give one of them");
		r = -EINVAL;
	}
	fprintf(x, "<domain type='kvm'>\n  <name>");
	fput_xml(x, c->cl.pos[0], true);
	fprintf(x, "</name>\n");
	if (os && os->id)
		fprintf(x,
			"  <metadata>\n    <libosinfo:libosinfo xmlns:libosinfo='http://libosinfo.org/xmlns/libvirt/domain/1.0'>\n      <libosinfo:os id='%s'/>\n    </libosinfo:libosinfo>\n  </metadata>\n",
			os->id);
	fprintf(x,
		"  <memory unit='MiB'>%llu</memory>\n  <vcpu>%llu</vcpu>\n  <os%s>\n    <type arch='x86_64'>hvm</type>\n",
		(unsigned long long)mem, (unsigned long long)cpus,
		efi ? " firmware='efi'" : "");
	if (kernel)
		install_kernel(c, x, kernel);
	else /* a new disk is not bootable: the CD boots until it is */
		fprintf(x, "    <boot dev='hd'/>\n%s",
			cdrom ? "    <boot dev='cdrom'/>\n" : "");
	fprintf(x, "  </os>\n  <devices>\n");
	for (i = 0; !r && i < c->cl.nflags; i++) {
		if (!strcmp(c->cl.flags[i], "disk"))
			r = install_disk(c, x, c->cl.vals[i], d++);
		else if (!strcmp(c->cl.flags[i], "network"))
			r = install_net(c, x, c->cl.vals[i]);
	}
	if (!r && (v = value(c, "cloud-init")))
		r = install_seed(c, x, v, d++);
	if (!r && cdrom)
		r = install_cdrom(c, x, cdrom);
	if (!r && any_scsi(c))
		fprintf(x,
			"    <controller type='scsi' index='0' model='virtio-scsi'/>\n");
	fprintf(x,
		"    <serial type='pty'/>\n    <memballoon model='virtio'/>\n    <rng model='virtio'>\n      <backend model='random'>/dev/urandom</backend>\n    </rng>\n  </devices>\n</domain>\n");
	fclose(x);
	return r;
}

int do_install(struct ctx *c)
{
	struct json_object *a, *r;
	char *xml = NULL;

	if (c->cl.npos == 0 && value(c, "name"))
		c->cl.pos[c->cl.npos++] = value(c, "name");
	if (!c->cl.npos) {
		snprintf(c->err, sizeof(c->err), "--name is required");
		return fail(c);
	}
	printf("Starting install...\n");
	if (install_xml(c, &xml)) {
		free(xml);
		return c->err[0] ? fail(c) : 1;
	}
	a = json_object_new_object();
	json_object_object_add(a, "xml", json_object_new_string(xml));
	json_object_object_add(a, "origin",
			       json_object_new_string("wirt install"));
	free(xml);
	if (!(r = call(c, "define", a, NULL)))
		return 1;
	json_object_put(r);
	printf("Creating domain...\n");
	if (!(r = call(c, "start", dom_args(c), NULL)))
		return 1;
	json_object_put(r);
	printf("Domain creation completed.\n");
	if (flag(c, "noautoconsole")) {
		printf("You can restart your domain by running:\n  wirt start %s\n\n",
		       c->cl.pos[0]);
		return 0;
	}
	return do_console_named(c);
}

int do_clone(struct ctx *c)
{
	struct json_object *a = json_object_new_object(), *r, *f, *files;
	int i;

	if (!value(c, "original") || !value(c, "name")) {
		json_object_put(a);
		snprintf(c->err, sizeof(c->err),
			 "--original NAME and --name NEW are required");
		return fail(c);
	}
	files = json_object_new_array();
	for (i = 0; i < c->cl.nflags; i++)
		if (!strcmp(c->cl.flags[i], "file"))
			json_object_array_add(
				files, json_object_new_string(c->cl.vals[i]));
	json_object_object_add(a, "domain",
			       json_object_new_string(value(c, "original")));
	json_object_object_add(a, "name",
			       json_object_new_string(value(c, "name")));
	json_object_object_add(a, "files", files);
	json_object_object_add(a, "auto_clone",
			       json_object_new_boolean(flag(c, "auto-clone")));
	json_object_object_add(a, "thin",
			       json_object_new_boolean(flag(c, "thin")));
	json_object_object_add(a, "force",
			       json_object_new_boolean(flag(c, "force")));
	r = call(c, "clone", a, NULL);
	if (!r)
		return 1;
	json_object_object_get_ex(r, "files", &f);
	for (i = 0; f && i < (int)json_object_array_length(f); i++)
		printf("Allocating '%s'\n",
		       json_object_get_string(json_object_array_get_idx(f, i)));
	printf("\nClone '%s' created successfully.\n", str(r, "name"));
	json_object_put(r);
	return 0;
}
