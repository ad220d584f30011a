// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The typed view of a domain document (struct dom_def): the values wirt
 * uses, each checked as it is read. Elements wirt does not use stay in the
 * document only; domain_check() says what they mean for a start.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "domain/dom-int.h"

#define VCPUS_MAX 255

/* lookup - index of s in names[n] (NULL entries skipped), or -1. */
static int lookup(const char *s, const char *const *names, int n)
{
	int i;

	for (i = 0; s && i < n; i++)
		if (names[i] && !strcmp(s, names[i]))
			return i;
	return -1;
}

static int check_name(struct domain *d, xmlNodePtr n, char *err, size_t errlen)
{
	const char *s = dom_text(n);
	size_t i, len;

	if (!n)
		return dom_fail(
			d, d->doc->children, -EINVAL, err, errlen,
			"<domain> has no <name>; add <name>NAME</name>");
	len = s ? strlen(s) : 0;
	if (!len || len > DOMAIN_NAME_MAX || !strcmp(s, ".") ||
	    !strcmp(s, ".."))
		return dom_fail(
			d, n, -EINVAL, err, errlen,
			"<name> must be 1 to %d characters, not '.' or '..'",
			DOMAIN_NAME_MAX);
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == '/' || s[i] == 0x7f)
			return dom_fail(
				d, n, -EINVAL, err, errlen,
				"<name> '%s' holds '/' or a control character; choose another name",
				s);
	d->def.name = s;
	return 0;
}

/* canonical_uuid - check a UUID (32 hex digits, dashes anywhere) and
 * write it to out as 8-4-4-4-12 lower-case hex. Returns 0 or -EINVAL. */
static int canonical_uuid(const char *in, char out[37])
{
	char hex[33];
	int n = 0;

	for (; *in; in++) {
		if (*in == '-')
			continue;
		if (!isxdigit((unsigned char)*in) || n == 32)
			return -EINVAL;
		hex[n++] = (char)tolower((unsigned char)*in);
	}
	if (n != 32)
		return -EINVAL;
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
		 hex + 16, hex + 20);
	return 0;
}

static int view_uuid(struct domain *d, char *err, size_t errlen)
{
	xmlNodePtr n = dom_child(d->doc->children, "uuid");
	const char *s = dom_text(n);
	char canon[37];

	d->def.uuid = NULL;
	if (!n)
		return 0;
	if (!s || canonical_uuid(s, canon))
		return dom_fail(
			d, n, -EINVAL, err, errlen,
			"<uuid> '%s' is not a UUID (like 4dea22b3-1d52-d8f3-2516-782e98ab3fa0)",
			s ? s : "");
	if (strcmp(s, canon) && dom_set_text(n, canon))
		return -ENOMEM;
	d->def.uuid = dom_text(n);
	return 0;
}

static int view_memory(struct domain *d, char *err, size_t errlen)
{
	xmlNodePtr root = d->doc->children;
	xmlNodePtr m = dom_child(root, "memory");
	xmlNodePtr c = dom_child(root, "currentMemory");
	uint64_t kib;

	if (!m)
		return dom_fail(
			d, root, -EINVAL, err, errlen,
			"<domain> has no <memory>; add <memory unit='MiB'>512</memory>");
	if (dom_memory_kib(m, &kib) || kib < 1024)
		return dom_fail(
			d, m, -EINVAL, err, errlen,
			"<memory> '%s' unit '%s': give a whole number of at least 1 MiB with unit b, KiB, MiB, GiB or TiB",
			dom_text(m) ? dom_text(m) : "",
			dom_prop(m, "unit") ? dom_prop(m, "unit") : "KiB");
	d->def.memory_kib = kib;
	d->def.current_memory_kib = 0;
	if (!c)
		return 0;
	if (dom_memory_kib(c, &kib) || kib > d->def.memory_kib || !kib)
		return dom_fail(
			d, c, -EINVAL, err, errlen,
			"<currentMemory> must be a size above 0 and at most <memory> (%llu KiB)",
			(unsigned long long)d->def.memory_kib);
	d->def.current_memory_kib = kib;
	return 0;
}

static int view_vcpu(struct domain *d, char *err, size_t errlen)
{
	xmlNodePtr n = dom_child(d->doc->children, "vcpu");
	uint64_t v = 1;

	if (n && (!dom_text(n) || parse_uint(dom_text(n), 1, VCPUS_MAX, &v)))
		return dom_fail(
			d, n, -EINVAL, err, errlen,
			"<vcpu> '%s': give a number of vCPUs from 1 to %d",
			dom_text(n) ? dom_text(n) : "", VCPUS_MAX);
	d->def.vcpus = (unsigned int)v;
	return 0;
}

static int view_lifecycle(struct domain *d, const char *elem,
			  enum dom_lifecycle dflt, enum dom_lifecycle *out,
			  char *err, size_t errlen)
{
	static const char *const names[] = {
		"destroy",	  "restart",	      "preserve",
		"rename-restart", "coredump-destroy", "coredump-restart",
	};
	xmlNodePtr n = dom_child(d->doc->children, elem);
	int i;

	*out = dflt;
	if (!n)
		return 0;
	i = lookup(dom_text(n), names, ARRAY_SIZE(names));
	if (i < 0)
		return dom_fail(
			d, n, -EINVAL, err, errlen,
			"<%s> '%s': use destroy, restart, preserve, rename-restart, coredump-destroy or coredump-restart",
			elem, dom_text(n) ? dom_text(n) : "");
	*out = (enum dom_lifecycle)i;
	return 0;
}

static int view_os(struct domain *d)
{
	xmlNodePtr os = dom_child(d->doc->children, "os");

	d->def.kernel = dom_text(dom_child(os, "kernel"));
	d->def.initrd = dom_text(dom_child(os, "initrd"));
	d->def.cmdline = dom_text(dom_child(os, "cmdline"));
	d->def.loader = dom_text(dom_child(os, "loader"));
	d->def.nvram = dom_text(dom_child(os, "nvram"));
	if (d->def.nvram && !*d->def.nvram)
		d->def.nvram = NULL;
	if (d->def.kernel)
		d->def.boot = DOM_BOOT_KERNEL;
	else if (!strcmp(dom_prop(os, "firmware") ?: "", "efi") ||
		 !strcmp(dom_prop(dom_child(os, "loader"), "type") ?: "",
			 "pflash"))
		d->def.boot = DOM_BOOT_EFI;
	else
		d->def.boot = DOM_BOOT_BIOS;
	return 0;
}

int dom_view(struct domain *d, char *err, size_t errlen)
{
	xmlNodePtr root = xmlDocGetRootElement(d->doc);
	static const char *const types[] = { "kvm", "qemu" };
	int r;

	if (!root || strcmp((const char *)root->name, "domain"))
		return dom_fail(
			d, root, -EINVAL, err, errlen,
			"the root element is <%s>, not <domain>: this is not a domain definition",
			root ? (const char *)root->name : "");
	if (lookup(dom_prop(root, "type"), types, ARRAY_SIZE(types)) < 0)
		return dom_fail(
			d, root, -EINVAL, err, errlen,
			"<domain type='%s'>: wirt runs KVM domains; use type='kvm'",
			dom_prop(root, "type") ? dom_prop(root, "type") : "");
	memset(&d->def, 0, sizeof(d->def));
	r = check_name(d, dom_child(root, "name"), err, errlen);
	if (!r)
		r = view_uuid(d, err, errlen);
	if (!r)
		r = view_memory(d, err, errlen);
	if (!r)
		r = view_vcpu(d, err, errlen);
	if (!r)
		r = view_lifecycle(d, "on_poweroff", DOM_LC_DESTROY,
				   &d->def.on_poweroff, err, errlen);
	if (!r)
		r = view_lifecycle(d, "on_reboot", DOM_LC_RESTART,
				   &d->def.on_reboot, err, errlen);
	if (!r)
		r = view_lifecycle(d, "on_crash", DOM_LC_DESTROY,
				   &d->def.on_crash, err, errlen);
	if (!r)
		r = view_os(d);
	if (!r)
		r = dom_view_devices(d, err, errlen);
	if (!r)
		r = dom_view_boot(d, err, errlen);
	return r;
}
