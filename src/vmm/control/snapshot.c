// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Snapshots of a running VM, through QEMU's human monitor commands as
 * QMP carries them (human-monitor-command): savevm, loadvm, delvm and
 * info snapshots, which is how libvirt takes internal snapshots.
 *
 * A snapshot is the VM's memory and device state (a wirt-vmm state file,
 * the format of migrate to file:) plus a snapshot of the same name of
 * every writable disk, taken while the devices are quiesced, so memory
 * and disks are from one instant: an internal snapshot in a qcow2 image,
 * an external qcow2 overlay for a raw image (disk-layer.h). The state
 * file lives beside the first writable qcow2 disk, else the first
 * writable raw disk: IMAGE.snapshots/TAG.state.
 *
 * loadvm checks the snapshot against this VM and prepares the raw disks'
 * new overlays, then has the main thread stop the vCPUs, reset the
 * devices, revert every disk and restore the state, the way --incoming
 * does at start. As with QEMU's HMP, a failed
 * command answers with "Error: ..." text, not a QMP error.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/tmpfile.h"
#include "common/util.h"
#include "vmm/control/control.h"
#include "vmm/control/ctl.h"
#include "vmm/vm-disks.h"
#include "vmm/disk/disk-snap.h"
#include "vmm/sandbox/sandbox.h"
#include "vmm/state/state.h"
#include "vmm/vm.h"

#define TAG_MAX 64
#define MAX_LISTED 256

struct snap_ctx {
	const char *tag;
	unsigned int done; /* disks snapshotted so far */
	bool ok; /* every disk has its snapshot */
};

/* The HMP answer: text, "Error: " first when why is set. */
static struct json_object *text(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static struct json_object *text(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return json_object_new_string(buf);
}

/* A tag is a file name too: 1-64 of [A-Za-z0-9._-], no leading dot. */
static bool tag_ok(const char *t)
{
	size_t i, n = strlen(t);

	if (!n || n > TAG_MAX || t[0] == '.')
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)t[i]) && !strchr("._-", t[i]))
			return false;
	return true;
}

/*
 * The disk beside which the state files live: the first writable qcow2
 * disk, else the first writable raw disk; NULL when there is none.
 */
static const struct vm_disk *home_disk(const struct vm *vm)
{
	const struct vm_disk *raw = NULL;
	unsigned int i;

	for (i = 0; i < vm_disks_count(vm); i++) {
		const struct vm_disk *d = vm_disk_get(vm, i);

		if (d->disk->readonly)
			continue;
		if (d->disk->raw_base) {
			if (!raw)
				raw = d;
		} else if (d->disk->blk && d->disk->format == BLK_FMT_QCOW2) {
			return d;
		}
	}
	return raw;
}

/* Where tag's state file is (suffix "" or ".tmp"); -ENOENT: no home. */
static int state_path(const struct vm *vm, const char *tag, const char *sfx,
		      char *out, size_t len)
{
	const struct vm_disk *h = home_disk(vm);
	int n;

	if (!h)
		return -ENOENT;
	n = snprintf(out, len, "%s.snapshots/%s.state%s", h->disk->opts.path,
		     tag, sfx);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Why the VM's disks cannot take a snapshot, or NULL. */
static const char *disks_unsupported(const struct vm *vm, char *err, size_t len)
{
	unsigned int i;

	for (i = 0; i < vm_disks_count(vm); i++) {
		const struct vm_disk *d = vm_disk_get(vm, i);
		const char *u = disk_snapshot_unsupported(d->disk);

		if (u) {
			snprintf(err, len,
				 "disk '%s' cannot take a snapshot: %s",
				 d->name, u);
			return err;
		}
	}
	if (!home_disk(vm)) {
		snprintf(
			err, len,
			"the VM has no writable disk to keep the snapshot with (add a qcow2 or raw --disk)");
		return err;
	}
	return NULL;
}

/* Claim the save machinery (no migration meanwhile); false if busy. */
static bool claim(struct vm_control *c)
{
	bool ok;

	pthread_mutex_lock(&c->mig_lock);
	ok = !c->migrating;
	if (ok) {
		c->migrating = true;
		c->mig_cancel = false;
	}
	pthread_mutex_unlock(&c->mig_lock);
	return ok;
}

static void release(struct vm_control *c)
{
	pthread_mutex_lock(&c->mig_lock);
	c->migrating = false;
	pthread_mutex_unlock(&c->mig_lock);
}

/* Drop tag from the first n disks (undoing a failed savevm). */
static void unsnap_disks(struct vm *vm, const char *tag, unsigned int n)
{
	char ignore[256];

	while (n--)
		disk_snapshot_delete(vm_disk_get(vm, n)->disk, tag, ignore,
				     sizeof(ignore));
}

/* state_save's held step: snapshot every disk; undo all on a failure. */
static int snap_disks(struct vm *vm, void *arg, char *err, size_t len)
{
	struct snap_ctx *x = arg;
	int r = 0;

	for (x->done = 0; !r && x->done < vm_disks_count(vm); x->done++)
		r = disk_snapshot_create(vm_disk_get(vm, x->done)->disk, x->tag,
					 err, len);
	if (r)
		unsnap_disks(vm, x->tag, x->done);
	x->ok = !r;
	return r;
}

int snapshot_save(struct vm *vm, const char *tag, char *err, size_t errlen)
{
	struct vm_control *c = ctl_of(vm);
	struct snap_ctx x = { tag, 0, false };
	char path[PATH_MAX], dir[PATH_MAX];
	volatile uint64_t done = 0;
	bool paused_here;
	int r;

	if (disks_unsupported(vm, err, errlen))
		return -ENOTSUP;
	if (!state_check_devices(vm, err, errlen))
		return -ENOTSUP;
	if (state_path(vm, tag, "", path, sizeof(path))) {
		snprintf(err, errlen, "the snapshot's file name is too long");
		return -ENAMETOOLONG;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = 0;
	if (!mkdir(dir, 0700)) {
		tmpfile_sync_dir(dir); /* its entry in the disk's directory */
	} else if (errno != EEXIST) {
		r = -errno;
		snprintf(err, errlen, "cannot create '%s': %s%s", dir,
			 strerror(errno), sandbox_access_hint(r));
		return r;
	}
	if (!claim(c)) {
		snprintf(err, errlen, "a migration or snapshot is in progress");
		return -EBUSY;
	}
	paused_here = vm_pause(vm);
	if (paused_here)
		control_event(vm, "STOP", NULL);
	/* the file is renamed into place after the disks' snapshots */
	r = state_save(vm, path, &done, &c->mig_cancel, snap_disks, &x, err,
		       errlen);
	if (r && x.ok) /* the state file could not be put in place */
		unsnap_disks(vm, tag, vm_disks_count(vm));
	if (paused_here && vm_resume(vm))
		control_event(vm, "RESUME", NULL);
	release(c);
	return r;
}

/* Remove the overlays prepared for a revert that does not come. */
static void unprepare_disks(struct vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm_disks_count(vm); i++)
		disk_snapshot_unprepare(vm_disk_get(vm, i)->disk);
}

/*
 * vm.c's revert step for loadvm (no vCPU, devices reset): every disk
 * back to the snapshot, then the state file mapped for the restore.
 */
static int revert(struct vm *vm)
{
	struct vm_control *c = ctl_of(vm);
	char msg[PATH_MAX + 512], path[PATH_MAX],
		label[sizeof(c->snap_tag) + 16];
	unsigned int i;
	int r = 0;

	for (i = 0; !r && i < vm_disks_count(vm); i++)
		r = disk_snapshot_apply(vm_disk_get(vm, i)->disk, c->snap_tag,
					msg, sizeof(msg));
	if (r) {
		unprepare_disks(vm); /* overlays of the disks not reached */
		wirt_err("loadvm '%s': reverting a disk failed: %s",
			 c->snap_tag, msg);
		return r;
	}
	state_path(vm, c->snap_tag, "", path, sizeof(path));
	snprintf(label, sizeof(label), "loadvm '%s'", c->snap_tag);
	return state_open(vm, path, label);
}

int snapshot_load(struct vm *vm, const char *tag, char *err, size_t errlen)
{
	struct vm_control *c = ctl_of(vm);
	char path[PATH_MAX];
	unsigned int i;
	int r, i_wait;

	if (disks_unsupported(vm, err, errlen))
		return -ENOTSUP;
	for (i = 0; i < vm_disks_count(vm); i++) {
		const struct vm_disk *d = vm_disk_get(vm, i);

		if (!d->disk->readonly && !disk_snapshot_has(d->disk, tag)) {
			snprintf(err, errlen,
				 "Snapshot '%s' does not exist in disk '%s'",
				 tag, d->name);
			return -ENOENT;
		}
	}
	if (state_path(vm, tag, "", path, sizeof(path)))
		return -ENAMETOOLONG;
	r = state_check_file(vm, path, err, errlen);
	if (r)
		return r;
	if (!claim(c)) {
		snprintf(err, errlen, "a migration or snapshot is in progress");
		return -EBUSY;
	}
	/* what can fail (new overlays) fails here, with the VM running */
	for (i = 0; !r && i < vm_disks_count(vm); i++)
		r = disk_snapshot_prepare(vm_disk_get(vm, i)->disk, tag, err,
					  errlen);
	if (r) {
		unprepare_disks(vm);
		release(c);
		return r;
	}
	snprintf(c->snap_tag, sizeof(c->snap_tag), "%s", tag);
	__atomic_store_n(&vm->revert_result, 1, __ATOMIC_SEQ_CST);
	vm->revert = revert;
	vm_request_stop(vm, VM_REVERT);
	if (__atomic_load_n(&vm->request, __ATOMIC_ACQUIRE) != VM_REVERT) {
		unprepare_disks(vm);
		release(c);
		snprintf(err, errlen, "the VM is shutting down");
		return -ESHUTDOWN;
	}
	/* the main thread reverts and restores; wait for its verdict */
	for (i_wait = 0; i_wait < 60000; i_wait++) {
		r = __atomic_load_n(&vm->revert_result, __ATOMIC_SEQ_CST);
		if (r != 1)
			break;
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	}
	release(c);
	if (r == 1) {
		snprintf(err, errlen, "the revert did not finish");
		return -ETIMEDOUT;
	}
	if (r)
		snprintf(err, errlen, "the revert failed (%s); the VM stops",
			 strerror(-r));
	return r;
}

int snapshot_delete(struct vm *vm, const char *tag, char *err, size_t errlen)
{
	char path[PATH_MAX];
	bool found = false;
	unsigned int i;
	int r;

	for (i = 0; i < vm_disks_count(vm); i++) {
		struct disk *d = vm_disk_get(vm, i)->disk;

		if (!disk_snapshot_has(d, tag))
			continue;
		found = true;
		r = disk_snapshot_delete(d, tag, err, errlen);
		if (r)
			return r;
	}
	if (!state_path(vm, tag, "", path, sizeof(path)) && !unlink(path))
		found = true;
	if (!found) {
		snprintf(err, errlen, "Snapshot '%s' not found", tag);
		return -ENOENT;
	}
	return 0;
}

bool snapshot_tag_ok(const char *tag)
{
	return tag_ok(tag);
}

/* Whether every writable disk has tag. */
static bool on_all_disks(const struct vm *vm, const char *tag)
{
	unsigned int i;

	for (i = 0; i < vm_disks_count(vm); i++) {
		const struct disk *d = vm_disk_get(vm, i)->disk;

		if (!d->readonly && !disk_snapshot_has(d, tag))
			return false;
	}
	return true;
}

/* "info snapshots" in QEMU's layout; VM SIZE is the state file's size. */
static struct json_object *info_snapshots(struct vm *vm)
{
	static struct disk_snap_info s[MAX_LISTED];
	const struct vm_disk *h = home_disk(vm);
	struct json_object *o;
	char *buf, path[PATH_MAX], date[32];
	size_t cap = 256 + MAX_LISTED * 128, len;
	int n, i;

	if (!h)
		return text("There is no snapshot available.\r\n");
	n = disk_snapshot_list(h->disk, s, MAX_LISTED);
	buf = malloc(cap);
	if (!buf)
		return text("Error: out of memory\r\n");
	len = snprintf(
		buf, cap,
		"List of snapshots present on all disks:\r\n"
		"ID        TAG                     VM SIZE                DATE     VM CLOCK\r\n");
	for (i = 0; i < n; i++) {
		struct stat st;
		time_t t = s[i].date_sec;
		struct tm tm;
		double mib;

		if (!on_all_disks(vm, s[i].name) ||
		    state_path(vm, s[i].name, "", path, sizeof(path)) ||
		    stat(path, &st))
			continue;
		localtime_r(&t, &tm);
		strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
		mib = st.st_blocks * 512.0 / (1 << 20);
		len += snprintf(
			buf + len, cap - len,
			"--        %-23s %8.3g MiB %19s 00:00:00.000\r\n",
			s[i].name, mib, date);
		if (len >= cap)
			break;
	}
	o = json_object_new_string(buf);
	free(buf);
	return o;
}

int cmd_hmp(void *opaque, struct json_object *args, struct json_object **ret,
	    struct qmp_error *err)
{
	struct vm *vm = opaque;
	struct json_object *a;
	char line[256], cmd[32] = "", arg[128] = "", extra[8] = "";
	int n;

	json_object_object_get_ex(args, "command-line", &a);
	snprintf(line, sizeof(line), "%s", json_object_get_string(a));
	n = sscanf(line, "%31s %127s %7s", cmd, arg, extra);
	if (n >= 1 && !strcmp(cmd, "info") && !strcmp(arg, "snapshots") &&
	    n == 2) {
		*ret = info_snapshots(vm);
		return 0;
	}
	if (n == 1 && !strcmp(cmd, "savevm")) {
		/* no name: one from the date, as QEMU makes it */
		time_t t = time(NULL);
		struct tm tm;

		localtime_r(&t, &tm);
		strftime(arg, sizeof(arg), "vm-%Y%m%d%H%M%S", &tm);
		n = 2;
	}
	if (n == 2 && (!strcmp(cmd, "savevm") || !strcmp(cmd, "loadvm") ||
		       !strcmp(cmd, "delvm"))) {
		if (!tag_ok(arg)) {
			*ret = text(
				"Error: snapshot name '%s' is not allowed: use 1 to %d letters, digits, '.', '_' or '-', not starting with '.'\r\n",
				arg, TAG_MAX);
			return 0;
		}
		char msg[PATH_MAX + 512];
		int r = cmd[0] == 's' ?
				snapshot_save(vm, arg, msg, sizeof(msg)) :
			cmd[0] == 'l' ?
				snapshot_load(vm, arg, msg, sizeof(msg)) :
				snapshot_delete(vm, arg, msg, sizeof(msg));

		*ret = r ? text("Error: %s\r\n", msg) : text("%s", "");
		return 0;
	}
	if (!strcmp(cmd, "savevm") || !strcmp(cmd, "loadvm") ||
	    !strcmp(cmd, "delvm") || !strcmp(cmd, "info"))
		*ret = text(
			"Error: usage: savevm [TAG] | loadvm TAG | delvm TAG | info snapshots\r\n");
	else
		*ret = text("unknown command: '%s'\r\n", cmd);
	return 0;
}
