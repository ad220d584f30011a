// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Saving a paused VM to a state file: configuration, KVM VM state
 * (irqchip, PIT, kvmclock), every vCPU, the UART, the platform devices,
 * device hooks, then guest memory with zero pages left as holes.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/tmpfile.h"
#include "common/util.h"
#include "vmm/kvm/vcpu.h"
#include "vmm/state/state-int.h"
#include "vmm/vm.h"

#define PAGE 4096UL
#define RAM_BATCH (1UL << 20)

_Static_assert(VM_MAX_HOOKS <= STATE_MAX_DEVICES &&
		       VMM_MAX_CPUS <= STATE_MAX_VCPUS,
	       "every device and vCPU of a VM fits the state file's bounds");

struct state_writer {
	uint8_t *buf;
	size_t len, cap;
};

struct out_sec {
	uint32_t type, instance;
	struct state_writer w;
};

struct saver {
	struct out_sec sec[STATE_MAX_SECTIONS];
	unsigned int n;
	unsigned int nquiesced; /* device hooks quiesced, to resume */
	char *err;
	size_t errlen;
};

int state_put(struct state_writer *w, const void *buf, size_t len)
{
	if (w->len + len > w->cap) {
		size_t cap = MAX(w->cap * 2, w->len + len + 256);
		uint8_t *p = realloc(w->buf, cap);

		if (!p)
			return -ENOMEM;
		w->buf = p;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, buf, len);
	w->len += len;
	return 0;
}

/* A new section of type/instance; returns its writer or NULL. */
static struct state_writer *new_sec(struct saver *s, uint32_t type,
				    uint32_t instance)
{
	struct out_sec *o;

	if (s->n == STATE_MAX_SECTIONS - 1) /* one slot left for RAM */
		return NULL;
	o = &s->sec[s->n++];
	o->type = type;
	o->instance = instance;
	return &o->w;
}

/* Record "fmt" (with arg and the errno text) as the reason; returns r. */
static int fail(struct saver *s, int r, const char *fmt, const char *arg)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(s->err, s->errlen, fmt, arg, strerror(r < 0 ? -r : r));
#pragma GCC diagnostic pop
	return r < 0 ? r : -r;
}

/*
 * Append "key=value\n"; values with a control character (a newline among
 * them) cannot be saved: a restore refuses them.
 */
static int put_kv(struct state_writer *w, const char *key, const char *val)
{
	const char *c;
	int r = 0;

	if (!val)
		return 0;
	for (c = val; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return -EINVAL;
	r |= state_put(w, key, strlen(key));
	r |= state_put(w, "=", 1);
	r |= state_put(w, val, strlen(val));
	r |= state_put(w, "\n", 1);
	return r ? -ENOMEM : 0;
}

static int save_config(struct saver *s, const struct vmm_config *cfg)
{
	struct state_writer *w = new_sec(s, SEC_CONFIG, 0);
	char num[32], dev[4200];
	unsigned int i;
	int r;

	if (!w)
		return -ENOSPC;
	r = put_kv(w, "kernel", cfg->kernel);
	r = r ?: put_kv(w, "firmware", cfg->firmware);
	r = r ?: put_kv(w, "nvram", cfg->nvram);
	r = r ?: put_kv(w, "initrd", cfg->initrd);
	r = r ?: put_kv(w, "cmdline", cfg->cmdline);
	snprintf(num, sizeof(num), "%u", cfg->cpus);
	r = r ?: put_kv(w, "cpus", num);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)cfg->memory);
	r = r ?: put_kv(w, "memory", num);
	r = r ?: put_kv(w, "no_reboot", cfg->no_reboot ? "1" : "0");
	for (i = 0; !r && i < cfg->nvdevs; i++) {
		if (cfg->vdevs[i].kind >= STATE_VDEV_KINDS)
			return -EINVAL;
		snprintf(dev, sizeof(dev), "%s:%s",
			 state_vdev_kinds[cfg->vdevs[i].kind],
			 cfg->vdevs[i].spec);
		r = put_kv(w, "vdev", dev);
	}
	if (!r && w->len > STATE_CONFIG_MAX)
		r = -E2BIG;
	return r;
}

static int save_vm(struct saver *s, struct vm *vm)
{
	struct state_writer *w = new_sec(s, SEC_VM, 0);
	struct state_vm v;
	unsigned int i;

	if (!w)
		return -ENOSPC;
	memset(&v, 0, sizeof(v));
	for (i = 0; i < 3; i++) {
		v.chip[i].chip_id = i;
		if (ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &v.chip[i]))
			return fail(s, -errno, "KVM_GET_IRQCHIP %s: %s", "");
	}
	if (ioctl(vm->vm_fd, KVM_GET_PIT2, &v.pit))
		return fail(s, -errno, "KVM_GET_PIT2%s: %s", "");
	if (vm->pause.clock_valid)
		v.clock = vm->pause.clock;
	else if (ioctl(vm->vm_fd, KVM_GET_CLOCK, &v.clock))
		return fail(s, -errno, "KVM_GET_CLOCK%s: %s", "");
	v.ged_events = atomic_load(&vm->ged_events);
	v.ncpus = vm->ncpus;
	return state_put(w, &v, sizeof(v));
}

/*
 * The MSRs KVM lists, minus those this vCPU refuses to read. Returns a
 * kvm_msrs with the values read (caller frees), or NULL.
 */
static struct kvm_msrs *read_msrs(struct vm *vm, int vcpu_fd)
{
	struct kvm_msr_list probe = { .nmsrs = 0 }, *list;
	struct kvm_msrs *m = NULL;
	uint32_t i, n;
	int got;

	if (ioctl(vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, &probe) && errno != E2BIG)
		return NULL;
	list = calloc(1, sizeof(*list) + probe.nmsrs * sizeof(uint32_t));
	if (!list)
		return NULL;
	list->nmsrs = probe.nmsrs;
	if (ioctl(vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, list))
		goto out;
	n = list->nmsrs;
	m = calloc(1, sizeof(*m) + n * sizeof(struct kvm_msr_entry));
	if (!m)
		goto out;
	for (i = 0; i < n; i++)
		m->entries[i].index = list->indices[i];
	/* KVM_GET_MSRS stops at the first MSR it refuses: drop it, retry */
	for (;;) {
		m->nmsrs = n;
		got = ioctl(vcpu_fd, KVM_GET_MSRS, m);
		if (got < 0) {
			free(m);
			m = NULL;
			break;
		}
		if ((uint32_t)got >= n)
			break;
		memmove(&m->entries[got], &m->entries[got + 1],
			(n - got - 1) * sizeof(m->entries[0]));
		n--;
	}
out:
	free(list);
	return m;
}

static int save_vcpu(struct saver *s, struct vm *vm, struct vcpu *v)
{
	struct state_writer *w = new_sec(s, SEC_VCPU, v->id);
	int xlen = state_xsave_size(vm);
	struct kvm_msrs *msrs = NULL;
	struct state_vcpu st;
	void *xsave = NULL;
	int r = -ENOMEM;

	if (!w)
		return -ENOSPC;
	memset(&st, 0, sizeof(st));
	xsave = calloc(1, xlen);
	if (!xsave)
		goto out;
	r = -errno;
	if (ioctl(v->fd, KVM_GET_REGS, &st.regs) ||
	    ioctl(v->fd, KVM_GET_SREGS, &st.sregs) ||
	    ioctl(v->fd, KVM_GET_LAPIC, &st.lapic) ||
	    ioctl(v->fd, KVM_GET_VCPU_EVENTS, &st.events) ||
	    ioctl(v->fd, KVM_GET_MP_STATE, &st.mp) ||
	    ioctl(v->fd, KVM_GET_XCRS, &st.xcrs) ||
	    ioctl(v->fd, xlen > 4096 ? KVM_GET_XSAVE2 : KVM_GET_XSAVE, xsave)) {
		r = fail(s, -errno, "vCPU state%s: %s", "");
		goto out;
	}
	msrs = read_msrs(vm, v->fd);
	if (!msrs) {
		r = fail(s, -EIO, "vCPU MSRs%s: %s", "");
		goto out;
	}
	if (xlen > (int)STATE_XSAVE_MAX || msrs->nmsrs > STATE_MSRS_MAX) {
		r = fail(s, -E2BIG, "vCPU state%s: %s", "");
		goto out;
	}
	st.xsave_len = xlen;
	st.nmsrs = msrs->nmsrs;
	r = state_put(w, &st, sizeof(st));
	r = r ?: state_put(w, xsave, xlen);
	r = r	  ?:
		    state_put(w, msrs->entries,
			      msrs->nmsrs * sizeof(msrs->entries[0]));
out:
	free(msrs);
	free(xsave);
	return r;
}

static int save_devices(struct saver *s, struct vm *vm)
{
	struct uart8250_regs ur;
	struct state_writer *w;
	unsigned int i;
	int r;

	w = new_sec(s, SEC_UART, 0);
	if (!w)
		return -ENOSPC;
	uart8250_get_regs(vm->uart, &ur);
	r = state_put(w, &ur, sizeof(ur));
	for (i = 0; !r && i < vm->nstate_hooks; i++) {
		const struct vm_state_hook *h = &vm->state_hooks[i];
		char name[STATE_DEV_NAME] = "";

		w = new_sec(s, SEC_DEVICE, i);
		if (!w)
			return -ENOSPC;
		strncpy(name, h->name ? h->name : "", sizeof(name) - 1);
		r = state_put(w, name, sizeof(name));
		r = r ?: h->save(vm, h->opaque, w);
		if (!r && w->len > STATE_DEVICE_MAX)
			r = -E2BIG;
		if (r)
			return fail(s, r, "device %s: %s", h->name);
	}
	return r;
}

/*
 * Quiesce every device before anything is read: their last interrupts
 * must be in the irqchip state and their last writes in RAM and on disk.
 * Returns 0 or -errno; s->nquiesced says which to resume.
 */
static int quiesce_devices(struct saver *s, struct vm *vm)
{
	for (; s->nquiesced < vm->nstate_hooks; s->nquiesced++) {
		const struct vm_state_hook *h = &vm->state_hooks[s->nquiesced];
		int r = h->quiesce ? h->quiesce(vm, h->opaque) : 0;

		if (r)
			return fail(s, r, "device %s: %s", h->name);
	}
	return 0;
}

/* Let the quiesced devices go on, last first. */
static void resume_devices(struct saver *s, struct vm *vm)
{
	while (s->nquiesced) {
		const struct vm_state_hook *h =
			&vm->state_hooks[--s->nquiesced];

		if (h->resume)
			h->resume(vm, h->opaque);
	}
}

static bool page_zero(const uint8_t *p)
{
	const uint64_t *q = (const uint64_t *)p;
	size_t i;

	for (i = 0; i < PAGE / 8; i += 4)
		if (q[i] | q[i + 1] | q[i + 2] | q[i + 3])
			return false;
	return true;
}

/*
 * Write guest RAM at off, skipping zero pages (holes of the pre-sized
 * file). Runs of non-zero pages go out in one write. Fills info.
 */
static int save_ram(struct saver *s, struct vm *vm, int fd, uint64_t off,
		    struct state_ram_info *info, volatile uint64_t *done,
		    volatile const bool *cancel)
{
	uint64_t size = vm->cfg->memory, p, run = 0, run_len = 0;
	uint32_t crc = 0;
	ssize_t n;

	info->size = size;
	for (p = 0; p <= size; p += PAGE) {
		bool data = p < size && !page_zero(vm->ram + p);

		if (data) {
			if (!run_len)
				run = p;
			run_len += PAGE;
			crc = state_crc(crc, vm->ram + p, PAGE);
			info->pages++;
		}
		if (run_len && (!data || run_len >= RAM_BATCH)) {
			n = pwrite_full(fd, vm->ram + run, run_len, off + run);
			if (n != (ssize_t)run_len)
				return fail(s, n < 0 ? n : -EIO,
					    "writing guest memory%s: %s", "");
			run_len = 0;
		}
		if (!(p & (RAM_BATCH - 1))) {
			*done = p;
			if (*cancel)
				return fail(s, -ECANCELED, "%s%s", "");
		}
	}
	*done = size;
	info->crc = crc;
	return 0;
}

/* Write the metadata sections and the header. */
static int write_meta(struct saver *s, int fd, uint64_t ram_off,
		      uint64_t ram_size)
{
	struct state_hdr *h = calloc(1, sizeof(*h));
	uint64_t off = STATE_HDR_SIZE;
	unsigned int i;
	int r = 0;

	if (!h)
		return -ENOMEM;
	memcpy(h->magic, STATE_MAGIC, 8);
	h->version = STATE_VERSION;
	for (i = 0; i < s->n && !r; i++) {
		struct out_sec *o = &s->sec[i];

		h->sec[i] = (struct state_sec_ent){
			o->type,
			o->instance,
			off,
			o->w.len,
			state_crc(0, o->w.buf, o->w.len),
			0
		};
		if (pwrite_full(fd, o->w.buf, o->w.len, off) !=
		    (ssize_t)o->w.len)
			r = fail(s, -EIO, "writing the state file%s: %s", "");
		off = ALIGN_UP(off + o->w.len, 8);
	}
	h->sec[i] =
		(struct state_sec_ent){ SEC_RAM, 0, ram_off, ram_size, 0, 0 };
	h->nsections = s->n + 1;
	h->file_size = ram_off + ram_size;
	h->hdr_crc = state_crc(0, h, STATE_HDR_SIZE);
	if (!r && pwrite_full(fd, h, STATE_HDR_SIZE, 0) != STATE_HDR_SIZE)
		r = fail(s, -EIO, "writing the state file header%s: %s", "");
	free(h);
	return r;
}

int vm_add_state_hook(struct vm *vm, const struct vm_state_hook *h)
{
	if (vm->nstate_hooks == VM_MAX_HOOKS || !h->save || !h->load)
		return -ENOSPC;
	vm->state_hooks[vm->nstate_hooks++] = *h;
	return 0;
}

bool state_check_devices(struct vm *vm, char *err, size_t errlen)
{
	unsigned int i, j;

	for (i = 0; i < vm->nhooks; i++) {
		const struct vm_hook *h = &vm->hooks[i];

		if (!h->kvm_attach && !h->reset)
			continue;
		for (j = 0; j < vm->nstate_hooks; j++)
			if (vm->state_hooks[j].opaque == h->opaque)
				break;
		if (j == vm->nstate_hooks) {
			snprintf(err, errlen,
				 "device '%s' does not support migration yet",
				 h->name ? h->name : "(unnamed)");
			return false;
		}
	}
	for (j = 0; j < vm->nstate_hooks; j++) {
		const struct vm_state_hook *sh = &vm->state_hooks[j];
		const char *b =
			sh->blocker ? sh->blocker(vm, sh->opaque) : NULL;

		if (b) {
			snprintf(err, errlen, "device '%s' cannot be saved: %s",
				 sh->name ? sh->name : "(unnamed)", b);
			return false;
		}
	}
	return true;
}

/* Where the RAM image starts: after the metadata, page aligned. */
static uint64_t ram_offset(const struct saver *s)
{
	uint64_t off = STATE_HDR_SIZE;
	unsigned int i;

	for (i = 0; i < s->n; i++)
		off = ALIGN_UP(off + s->sec[i].w.len, 8);
	return ALIGN_UP(off + sizeof(struct state_ram_info), 2UL << 20);
}

/*
 * Where to write path: "path.tmp" (malloc'd) for a regular file or a new
 * one, path itself for anything else (a FIFO, a device). NULL: no memory.
 * The temporary file is created anew (tmpfile_create), never through a
 * symbolic link.
 */
static char *tmp_name(const char *path)
{
	struct stat st;
	char *t;

	if (!stat(path, &st) && !S_ISREG(st.st_mode))
		return (char *)path;
	if (asprintf(&t, "%s.tmp", path) < 0)
		return NULL;
	return t;
}

/*
 * Build every metadata section in memory (configuration, VM, vCPUs,
 * devices) and an empty RAM info section, returned in *iw to be filled in
 * after the RAM is written. Returns 0 or -errno with s->why set.
 */
static int collect_sections(struct saver *s, struct vm *vm,
			    struct state_writer **iw)
{
	unsigned int i;
	int r;

	r = save_config(s, vm->cfg);
	if (r == -EINVAL)
		snprintf(
			s->err, s->errlen,
			"the configuration has a value with a control character (a newline or tab)");
	if (r == -E2BIG)
		snprintf(s->err, s->errlen,
			 "the configuration is larger than a state file holds");
	r = r ?: save_vm(s, vm);
	for (i = 0; !r && i < vm->ncpus; i++)
		r = save_vcpu(s, vm, &vm->vcpus[i]);
	r = r ?: save_devices(s, vm);
	if (r)
		return r;
	*iw = new_sec(s, SEC_RAM_INFO, 0);
	if (!*iw)
		return -ENOSPC;
	(*iw)->len = 0;
	return 0;
}

/*
 * Write the RAM, then the metadata, to fd (path names it in messages) and
 * make it durable. Returns 0 or -errno with s->why set.
 */
static int write_image(struct saver *s, struct vm *vm, int fd, const char *path,
		       struct state_writer *iw, volatile uint64_t *done,
		       volatile const bool *cancel)
{
	struct state_ram_info info = { 0 };
	uint64_t ram_off = ram_offset(s);
	int r;

	if (ftruncate(fd, ram_off + vm->cfg->memory))
		return fail(s, -errno, "cannot size '%s': %s", path);
	r = save_ram(s, vm, fd, ram_off, &info, done, cancel);
	r = r ?: state_put(iw, &info, sizeof(info));
	r = r ?: write_meta(s, fd, ram_off, vm->cfg->memory);
	if (!r && fsync(fd))
		r = fail(s, -errno, "cannot flush '%s': %s", path);
	return r;
}

int state_save(struct vm *vm, const char *path, volatile uint64_t *done,
	       volatile const bool *cancel, state_held_fn held, void *arg,
	       char *err, size_t errlen)
{
	struct saver *s = calloc(1, sizeof(*s));
	struct state_writer *iw = NULL;
	char *wpath = NULL;
	unsigned int i;
	int fd = -1, r;

	if (!s)
		return -ENOMEM;
	s->err = err;
	s->errlen = errlen;
	snprintf(err, errlen, "out of memory");
	r = quiesce_devices(s, vm);
	r = r ?: collect_sections(s, vm, &iw);
	if (r)
		goto out;
	/*
	 * A regular file is written under a temporary name and renamed at
	 * the end: a failed save leaves the old file, and a VM restored
	 * from path (its RAM lazily mapped from the file) can save to it.
	 */
	wpath = tmp_name(path);
	if (!wpath) {
		r = -ENOMEM;
		goto out;
	}
	fd = wpath != path ? tmpfile_create(wpath, 0600) :
			     open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0) {
		r = fail(s, wpath != path ? fd : -errno,
			 "cannot create '%s': %s", wpath);
		goto out;
	}
	r = write_image(s, vm, fd, path, iw, done, cancel);
	if (!r && held)
		r = held(vm, arg, err, errlen);
	if (!r && wpath != path) {
		/* the rename, then the directory synced so that it lasts */
		r = tmpfile_commit(wpath, path);
		if (r)
			r = fail(s, r, "cannot rename into place '%s': %s",
				 path);
	}
out:
	resume_devices(s, vm);
	if (fd >= 0)
		close(fd);
	if (r && fd >= 0 && wpath != path)
		unlink(wpath);
	if (wpath != path)
		free(wpath);
	for (i = 0; i < s->n; i++)
		free(s->sec[i].w.buf);
	free(s);
	return r;
}
