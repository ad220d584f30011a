// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Restoring a saved VM (--incoming file:PATH): the saved configuration
 * becomes the VM's, guest memory is mapped from the file, and the KVM VM
 * and vCPU state is loaded before the vCPUs first run.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/util.h"
#include "vmm/kvm/vcpu.h"
#include "vmm/state/state-int.h"
#include "vmm/vm.h"

#define PAGE 4096UL

/* The saved configuration text; kept for the life of the process. */
static char *saved_cfg;

int state_xsave_size(struct vm *vm)
{
	int n = ioctl(vm->vm_fd >= 0 ? vm->vm_fd : vm->kvm_fd,
		      KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);

	return n > 4096 ? n : 4096;
}

/* Report a mismatch between an option and the saved configuration. */
static int mismatch(const char *path, const char *opt, const char *saved)
{
	wirt_err(
		"--incoming '%s': %s differs from the saved VM's (%s): leave it out or give the saved value",
		path, opt, saved);
	return -EINVAL;
}

/* Apply one saved "key=value" to cfg, checking what the user gave. */
static int merge_kv(struct vmm_config *cfg, const struct vmm_config *user,
		    char *key, char *val, unsigned int *nvdev)
{
	const char *path = cfg->incoming;
	uint64_t v;
	unsigned int k;

	if (!strcmp(key, "kernel")) {
		if (user->kernel && strcmp(user->kernel, val))
			return mismatch(path, "--kernel", val);
		cfg->kernel = val;
	} else if (!strcmp(key, "firmware")) {
		if (user->firmware && strcmp(user->firmware, val))
			return mismatch(path, "--firmware", val);
		cfg->firmware = val;
	} else if (!strcmp(key, "nvram")) {
		if (user->nvram && strcmp(user->nvram, val))
			return mismatch(path, "--nvram", val);
		cfg->nvram = val;
	} else if (!strcmp(key, "initrd")) {
		if (user->initrd && strcmp(user->initrd, val))
			return mismatch(path, "--initrd", val);
		cfg->initrd = val;
	} else if (!strcmp(key, "cmdline")) {
		if (strcmp(user->cmdline, "console=ttyS0") &&
		    strcmp(user->cmdline, val))
			return mismatch(path, "--cmdline", val);
		cfg->cmdline = val;
	} else if (!strcmp(key, "cpus")) {
		if (parse_uint(val, 1, VMM_MAX_CPUS, &v))
			return -EINVAL;
		if (user->cpus != 1 && user->cpus != v)
			return mismatch(path, "--cpus", val);
		cfg->cpus = v;
	} else if (!strcmp(key, "memory")) {
		if (parse_uint(val, 4096, UINT64_MAX, &v) || (v & 0xfff))
			return -EINVAL;
		if (user->memory != VMM_DEFAULT_MEMORY && user->memory != v)
			return mismatch(path, "--memory", val);
		cfg->memory = v;
	} else if (!strcmp(key, "no_reboot")) {
		cfg->no_reboot = user->no_reboot || !strcmp(val, "1");
	} else if (!strcmp(key, "vdev")) {
		char *spec = strchr(val, ':');

		if (!spec || *nvdev >= VMM_MAX_VDEVS)
			return -EINVAL;
		*spec++ = 0;
		for (k = 0; k < STATE_VDEV_KINDS; k++)
			if (!strcmp(val, state_vdev_kinds[k]))
				break;
		if (k == STATE_VDEV_KINDS)
			return -EINVAL;
		if (user->nvdevs &&
		    (*nvdev >= user->nvdevs ||
		     user->vdevs[*nvdev].kind != (enum vdev_kind)k ||
		     strcmp(user->vdevs[*nvdev].spec, spec)))
			return mismatch(path, "the device options", spec);
		cfg->vdevs[*nvdev] = (struct vdev_spec){ k, spec };
		if (k == VDEV_CONSOLE)
			cfg->virtio_console = true;
		(*nvdev)++;
	}
	return 0;
}

/*
 * Append " OPT" and, when val is not NULL, sep and val quoted for a POSIX
 * shell to f.
 */
static void put_opt(FILE *f, const char *opt, char sep, const char *val)
{
	fprintf(f, " %s", opt);
	if (!val)
		return;
	fprintf(f, "%c'", sep);
	for (; *val; val++)
		if (*val == '\'')
			fputs("'\\''", f);
		else
			fputc(*val, f);
	fputc('\'', f);
}

/* Append the option that gives device v again to f. */
static void put_vdev(FILE *f, const struct vdev_spec *v)
{
	switch (v->kind) {
	case VDEV_DISK:
		put_opt(f, "--disk", ' ', v->spec);
		break;
	case VDEV_NET:
		put_opt(f, "--net", ' ', v->spec);
		break;
	case VDEV_RNG:
		put_opt(f, "--rng", 0, NULL);
		break;
	case VDEV_CONSOLE:
		put_opt(f, "--console", ' ', "virtio");
		break;
	case VDEV_BALLOON:
		put_opt(f, "--balloon", '=', *v->spec ? v->spec : NULL);
		break;
	case VDEV_CDROM:
		put_opt(f, "--cdrom", ' ', v->spec);
		break;
	}
}

/*
 * Unless the user trusts the file (--trust-saved-config), the saved
 * configuration may not choose host files: the kernel and initrd read on
 * a reboot, the images behind --disk and the taps and ports behind --net
 * must be given again on the command line (then merge_kv checked that
 * they match). Returns 0, or -EPERM after printing one line that lists
 * the options to repeat.
 */
static int check_trust(const struct vmm_config *cfg,
		       const struct vmm_config *user)
{
	bool need_dev = false;
	char *list = NULL;
	size_t len = 0;
	unsigned int i;
	FILE *f;

	if (user->trust_saved_config)
		return 0;
	for (i = 0; !user->nvdevs && i < cfg->nvdevs; i++)
		if (cfg->vdevs[i].kind == VDEV_DISK ||
		    cfg->vdevs[i].kind == VDEV_NET ||
		    cfg->vdevs[i].kind == VDEV_CDROM)
			need_dev = true;
	if ((user->kernel || !cfg->kernel) && (user->initrd || !cfg->initrd) &&
	    (user->firmware || !cfg->firmware) &&
	    (user->nvram || !cfg->nvram) && !need_dev)
		return 0;
	f = open_memstream(&list, &len);
	if (!f) {
		wirt_err("--incoming '%s': out of memory", cfg->incoming);
		return -ENOMEM;
	}
	if (!user->kernel && cfg->kernel)
		put_opt(f, "--kernel", ' ', cfg->kernel);
	if (!user->initrd && cfg->initrd)
		put_opt(f, "--initrd", ' ', cfg->initrd);
	if (!user->firmware && cfg->firmware)
		put_opt(f, "--firmware", ' ', cfg->firmware);
	if (!user->nvram && cfg->nvram)
		put_opt(f, "--nvram", ' ', cfg->nvram);
	for (i = 0; need_dev && i < cfg->nvdevs; i++)
		put_vdev(f, &cfg->vdevs[i]);
	fclose(f);
	wirt_err(
		"--incoming '%s': the saved configuration names host files that only the command line may choose; give them again:%s (or add --trust-saved-config to use the file's own, for a state file you trust)",
		cfg->incoming, list ? list : " (out of memory)");
	free(list);
	return -EPERM;
}

/* Whether text has a control character (saved values are printable). */
static bool has_control(const char *text, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (((unsigned char)text[i] < 0x20 && text[i] != '\n') ||
		    text[i] == 0x7f)
			return true;
	return false;
}

/*
 * check_boot_kind - the saved VM booted a kernel or firmware: a --kernel
 * or --firmware of the other kind is a mismatch. 0 or -EINVAL, printed.
 */
static int check_boot_kind(const struct vmm_config *cfg,
			   const struct vmm_config *user)
{
	if (user->firmware && !cfg->firmware && cfg->kernel)
		return mismatch(cfg->incoming, "--firmware", "a --kernel boot");
	if (user->kernel && !cfg->kernel && cfg->firmware)
		return mismatch(cfg->incoming, "--kernel", cfg->firmware);
	return 0;
}

int state_merge_config(struct vmm_config *cfg)
{
	struct vmm_config user = *cfg;
	const struct state_blob *b;
	struct state_in *in;
	unsigned int nvdev = 0;
	bool booted;
	char *line, *next;
	size_t len;
	int r;

	r = state_in_read(cfg->incoming, &in);
	if (r)
		return r;
	b = state_find(in, SEC_CONFIG, 0);
	free(saved_cfg);
	saved_cfg = malloc(b->len + 1);
	if (!saved_cfg) {
		state_in_free(in);
		return -ENOMEM;
	}
	memcpy(saved_cfg, b->data, b->len);
	saved_cfg[b->len] = 0;
	len = b->len;
	state_in_free(in);
	if (has_control(saved_cfg, len)) {
		wirt_err(
			"--incoming '%s': the saved configuration is malformed (the file is corrupt)",
			cfg->incoming);
		return -EINVAL;
	}
	cfg->kernel = NULL;
	cfg->firmware = NULL;
	cfg->nvram = NULL;
	cfg->initrd = NULL;
	cfg->virtio_console = false;
	for (line = saved_cfg; *line; line = next) {
		char *eq, *nl = strchr(line, '\n');

		if (!nl)
			break;
		*nl = 0;
		next = nl + 1;
		eq = strchr(line, '=');
		if (!eq) {
			r = -EINVAL;
			break;
		}
		*eq = 0;
		r = merge_kv(cfg, &user, line, eq + 1, &nvdev);
		if (r)
			break;
	}
	booted = cfg->kernel || cfg->firmware;
	if (!r && (!booted || (user.nvdevs && user.nvdevs != nvdev)))
		r = !booted ? -EINVAL :
			      mismatch(cfg->incoming, "the device options",
				       "a different number of devices");
	if (r == -EINVAL && booted && user.nvdevs == nvdev)
		wirt_err(
			"--incoming '%s': the saved configuration is malformed (the file is corrupt)",
			cfg->incoming);
	cfg->nvdevs = nvdev;
	if (!r)
		r = check_boot_kind(cfg, &user);
	return r ? r : check_trust(cfg, &user);
}

/*
 * CRC32 of the non-zero pages of the RAM image, as the save computed it;
 * reads only the file's data extents (holes are zero pages).
 */
static int ram_crc(int fd, uint64_t off, uint64_t size, uint32_t *crc,
		   uint64_t *pages)
{
	const size_t chunk = 1UL << 20;
	uint8_t *buf = malloc(chunk);
	uint64_t pos = off, end = off + size;

	if (!buf)
		return -ENOMEM;
	*crc = 0;
	*pages = 0;
	while (pos < end) {
		off_t d = lseek(fd, pos, SEEK_DATA), h;
		uint64_t p;

		if (d < 0 || (uint64_t)d >= end)
			break;
		h = lseek(fd, d, SEEK_HOLE);
		if (h < 0 || (uint64_t)h > end)
			h = end;
		d = ALIGN_DOWN((uint64_t)d - off, PAGE) + off;
		for (pos = d; pos < (uint64_t)h; pos += chunk) {
			size_t n = MIN(chunk, (uint64_t)h - pos);

			n = ALIGN_UP(n, PAGE);
			if (pos + n > end)
				n = end - pos;
			if (pread_full(fd, buf, n, pos) != (ssize_t)n) {
				free(buf);
				return -EIO;
			}
			for (p = 0; p + PAGE <= n; p += PAGE) {
				const uint64_t *q = (const uint64_t *)(buf + p);
				size_t i;

				for (i = 0; i < PAGE / 8 && !q[i]; i++)
					;
				if (i == PAGE / 8)
					continue;
				*crc = state_crc(*crc, buf + p, PAGE);
				(*pages)++;
			}
		}
		pos = ALIGN_UP((uint64_t)h - off, PAGE) + off;
	}
	free(buf);
	return 0;
}

/*
 * Whether in holds exactly one vCPU section for each of 0..ncpus-1 (the
 * file check made instances unique).
 */
static bool vcpus_match(const struct state_in *in, unsigned int ncpus)
{
	unsigned int i, n = 0;

	for (i = 0; i < in->n; i++)
		if (in->sec[i].type == SEC_VCPU) {
			if (in->sec[i].instance >= ncpus)
				return false;
			n++;
		}
	return n == ncpus;
}

int state_open(struct vm *vm, const char *path, const char *label)
{
	const struct state_blob *b;
	struct state_ram_info info;
	struct state_in *in;
	uint64_t pages;
	uint32_t crc;
	void *p;
	int r;

	r = state_in_read(path, &in);
	if (r)
		return r;
	b = state_find(in, SEC_RAM_INFO, 0);
	r = -EINVAL;
	if (b->len != sizeof(info))
		goto bad;
	memcpy(&info, b->data, sizeof(info));
	if (info.size != vm->cfg->memory || in->ram.length != info.size ||
	    (in->ram.offset & (PAGE - 1)))
		goto bad;
	if (!vcpus_match(in, vm->ncpus)) {
		wirt_err(
			"%s: the saved vCPUs do not match the saved configuration's %u (the file is corrupt); refusing to restore from it",
			label, vm->ncpus);
		state_in_free(in);
		return -EINVAL;
	}
	r = ram_crc(in->fd, in->ram.offset, info.size, &crc, &pages);
	if (r)
		goto bad;
	if (crc != info.crc || pages != info.pages) {
		wirt_err(
			"%s: guest memory checksum mismatch (the file is corrupt); refusing to restore from it",
			label);
		state_in_free(in);
		return -EINVAL;
	}
	p = mmap(vm->ram, info.size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_FIXED | MAP_NORESERVE, in->fd,
		 in->ram.offset);
	if (p == MAP_FAILED) {
		r = -errno;
		wirt_err("%s: cannot map guest memory from it: %s", label,
			 strerror(errno));
		state_in_free(in);
		return r;
	}
	madvise(vm->ram, info.size, MADV_DONTDUMP);
	vm->incoming = in;
	snprintf(vm->incoming_label, sizeof(vm->incoming_label), "%s", label);
	return 0;
bad:
	wirt_err(
		"%s: the memory description does not match the saved configuration (the file is corrupt); refusing to restore from it",
		label);
	state_in_free(in);
	return r;
}

static int load_vm(struct vm *vm, const struct state_blob *b)
{
	struct state_vm v;
	struct kvm_clock_data clock;
	unsigned int i;

	if (b->len != sizeof(v))
		return -EINVAL;
	memcpy(&v, b->data, sizeof(v));
	if (v.ncpus != vm->ncpus)
		return -EINVAL;
	for (i = 0; i < 3; i++) {
		if (v.chip[i].chip_id != i)
			return -EINVAL;
		if (ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &v.chip[i]))
			return -errno;
	}
	if (ioctl(vm->vm_fd, KVM_SET_PIT2, &v.pit))
		return -errno;
	memset(&clock, 0, sizeof(clock));
	clock.clock = v.clock.clock;
	if (ioctl(vm->vm_fd, KVM_SET_CLOCK, &clock))
		return -errno;
	atomic_store(&vm->ged_events, v.ged_events & 1);
	return 0;
}

/* Set MSRs, skipping any this KVM refuses (KVM_SET_MSRS stops there). */
static int set_msrs(int fd, const struct kvm_msr_entry *e, uint32_t n)
{
	struct kvm_msrs *m = calloc(1, sizeof(*m) + n * sizeof(*e));
	uint32_t done = 0;
	int got;

	if (!m)
		return -ENOMEM;
	while (done < n) {
		m->nmsrs = n - done;
		memcpy(m->entries, e + done, (n - done) * sizeof(*e));
		got = ioctl(fd, KVM_SET_MSRS, m);
		if (got < 0) {
			free(m);
			return -errno;
		}
		done += got + ((uint32_t)got < n - done); /* skip a refused */
	}
	free(m);
	return 0;
}

static int load_vcpu(struct vm *vm, struct vcpu *v, const struct state_blob *b)
{
	struct state_vcpu st;
	const uint8_t *xsave, *msrs;
	int xlen = state_xsave_size(vm);
	void *x;
	int r;

	if (b->len < sizeof(st))
		return -EINVAL;
	memcpy(&st, b->data, sizeof(st));
	if (st.xsave_len < 4096 || st.xsave_len > (uint32_t)xlen ||
	    st.nmsrs > STATE_MSRS_MAX ||
	    b->len != sizeof(st) + st.xsave_len +
			      (uint64_t)st.nmsrs * sizeof(struct kvm_msr_entry))
		return -EINVAL;
	xsave = b->data + sizeof(st);
	msrs = xsave + st.xsave_len;
	x = calloc(1, xlen);
	if (!x)
		return -ENOMEM;
	memcpy(x, xsave, st.xsave_len);
	r = 0;
	if (ioctl(v->fd, KVM_SET_SREGS, &st.sregs) ||
	    ioctl(v->fd, KVM_SET_REGS, &st.regs) ||
	    ioctl(v->fd, KVM_SET_XSAVE, x) ||
	    ioctl(v->fd, KVM_SET_XCRS, &st.xcrs))
		r = -errno;
	free(x);
	if (!r) {
		struct kvm_msr_entry *e = malloc(st.nmsrs * sizeof(*e) + 1);

		if (!e)
			return -ENOMEM;
		memcpy(e, msrs, st.nmsrs * sizeof(*e));
		r = set_msrs(v->fd, e, st.nmsrs);
		free(e);
	}
	if (!r && (ioctl(v->fd, KVM_SET_LAPIC, &st.lapic) ||
		   ioctl(v->fd, KVM_SET_MP_STATE, &st.mp) ||
		   ioctl(v->fd, KVM_SET_VCPU_EVENTS, &st.events)))
		r = -errno;
	return r;
}

static int load_devices(struct vm *vm, struct state_in *in)
{
	const struct state_blob *b = state_find(in, SEC_UART, 0);
	struct uart8250_regs ur;
	unsigned int i;
	int r;

	if (!b || b->len != sizeof(ur))
		return -EINVAL;
	memcpy(&ur, b->data, sizeof(ur));
	uart8250_set_regs(vm->uart, &ur);
	if (state_find(in, SEC_DEVICE, vm->nstate_hooks))
		return -EINVAL; /* more saved devices than these */
	for (i = 0; i < vm->nstate_hooks; i++) {
		const struct vm_state_hook *h = &vm->state_hooks[i];

		b = state_find(in, SEC_DEVICE, i);
		if (!b || b->len < STATE_DEV_NAME ||
		    strncmp((const char *)b->data, h->name ? h->name : "",
			    STATE_DEV_NAME - 1)) {
			wirt_err("%s: no saved state for device %s",
				 vm->incoming_label, h->name);
			return -ENOENT;
		}
		r = h->load(vm, h->opaque, b->data + STATE_DEV_NAME,
			    b->len - STATE_DEV_NAME);
		if (r) {
			wirt_err("%s: device %s refused its saved state: %s",
				 vm->incoming_label, h->name, strerror(-r));
			return r;
		}
	}
	return 0;
}

int state_restore(struct vm *vm)
{
	struct state_in *in = vm->incoming;
	const struct state_blob *b;
	unsigned int i;
	int r;

	r = load_vm(vm, state_find(in, SEC_VM, 0));
	for (i = 0; !r && i < vm->ncpus; i++) {
		b = state_find(in, SEC_VCPU, i);
		r = b ? load_vcpu(vm, &vm->vcpus[i], b) : -EINVAL;
	}
	if (r) {
		wirt_err(
			"%s: loading the saved VM and vCPU state into KVM failed: %s",
			vm->incoming_label, strerror(-r));
		return r;
	}
	r = load_devices(vm, in);
	if (r == -EINVAL)
		wirt_err(
			"%s: the saved device state does not fit these devices",
			vm->incoming_label);
	state_close(vm);
	return r;
}

void state_close(struct vm *vm)
{
	state_in_free(vm->incoming);
	vm->incoming = NULL;
}

int state_check_file(struct vm *vm, const char *path, char *err, size_t errlen)
{
	const struct state_blob *ri, *vb, *b;
	struct state_ram_info info;
	struct state_vm v;
	struct state_in *in;
	unsigned int i;
	int r = state_in_read(path, &in);

	if (r) {
		snprintf(err, errlen,
			 "its state file '%s' is missing or damaged: %s", path,
			 strerror(-r));
		return r;
	}
	ri = state_find(in, SEC_RAM_INFO, 0);
	vb = state_find(in, SEC_VM, 0);
	r = -EINVAL;
	if (!ri || ri->len != sizeof(info) || !vb || vb->len != sizeof(v)) {
		snprintf(err, errlen, "its state file '%s' is damaged", path);
		goto out;
	}
	memcpy(&info, ri->data, sizeof(info));
	memcpy(&v, vb->data, sizeof(v));
	if (info.size != vm->cfg->memory || v.ncpus != vm->ncpus) {
		snprintf(
			err, errlen,
			"it was taken of a VM with %llu MiB and %u vCPUs, this one has %llu MiB and %u",
			(unsigned long long)(info.size >> 20), v.ncpus,
			(unsigned long long)(vm->cfg->memory >> 20), vm->ncpus);
		goto out;
	}
	for (i = 0; i < vm->nstate_hooks; i++) {
		const char *name = vm->state_hooks[i].name;

		b = state_find(in, SEC_DEVICE, i);
		if (!b || b->len < STATE_DEV_NAME ||
		    strncmp((const char *)b->data, name ? name : "",
			    STATE_DEV_NAME - 1)) {
			snprintf(
				err, errlen,
				"it was taken of a VM with other devices (no state for %s)",
				name);
			goto out;
		}
	}
	if (state_find(in, SEC_DEVICE, vm->nstate_hooks)) {
		snprintf(
			err, errlen,
			"it was taken of a VM with more devices than this one");
		goto out;
	}
	r = 0;
out:
	state_in_free(in);
	return r;
}
