// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Watching a running VM: its process (a pidfd, since the VM is not
 * wirtd's child) and its QMP events, which update the state without
 * polling; destroying it; adopting it again after wirtd restarts.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/tmpfile.h"
#include "common/util.h"
#include "wirtd/vmmon.h"
#include "wirtd/wirtd.h"

struct watch {
	struct vmrec *vm;
	unsigned int gen;
	pid_t pid;
	int pidfd;
	struct qmpc *q;
};

/*
 * stat_field - field nr (1-based, as proc(5) counts) of /proc/PID/stat
 * into buf, and the state letter (field 3) into *state when not NULL.
 * Returns a pointer to the field in buf, or NULL when the process is gone.
 */
static const char *stat_field(pid_t pid, int nr, char *buf, size_t len,
			      char *state)
{
	char path[64], *p;
	ssize_t n;
	int fd, i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* the command name may hold spaces */
	if (!p || !p[1] || !p[2])
		return NULL;
	if (state)
		*state = p[2];
	for (i = 3, p += 2; *p && i < nr; p++)
		if (*p == ' ')
			i++;
	return p;
}

/* proc_starttime - field 22 of /proc/PID/stat, or 0 when gone. */
static unsigned long long proc_starttime(pid_t pid, char *state)
{
	char buf[1024];
	const char *p = stat_field(pid, 22, buf, sizeof(buf), state);
	unsigned long long v = 0;

	if (p)
		sscanf(p, "%llu", &v);
	return v;
}

uint64_t vm_cpu_time_ns(const struct vmrec *vm)
{
	char buf[1024];
	const char *p;
	unsigned long long ut = 0, st = 0;
	long hz = sysconf(_SC_CLK_TCK);

	if (vm->pid <= 0 || hz <= 0)
		return 0;
	p = stat_field(vm->pid, 14, buf, sizeof(buf), NULL);
	if (!p)
		return 0;
	sscanf(p, "%llu %llu", &ut, &st);
	return (ut + st) * (1000000000ULL / hz);
}

/* wait_exit - wait up to ms for the process behind pidfd to end. */
static bool wait_exit(int pidfd, int ms)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

/* vm_stopped - the VM's process has ended (vm->lock held): final state,
 * status file gone, a transient VM forgotten. */
static void vm_stopped(struct vmrec *vm)
{
	int reason = vm->saving	       ? R_SAVED :
		     vm->destroying    ? R_DESTROYED :
		     vm->crash_seen    ? R_CRASHED :
		     vm->shutdown_seen ? R_SHUTDOWN :
					 R_CRASHED;

	bool again = reason == R_SHUTDOWN &&
		     (vm->reboot_pending ||
		      domain_def(vm->def)->on_poweroff == DOM_LC_RESTART);
	char err[512];

	vm->state = VM_SHUTOFF;
	vm->reason = reason;
	vm->pid = 0;
	vm->id = -1;
	vm->run_gen++;
	vm->destroying = vm->shutdown_seen = vm->crash_seen = false;
	vm->saving = vm->reboot_pending = false;
	store_remove_status(vm);
	if (again && vm_start(vm, NULL, err, sizeof(err)))
		wirt_err("restarting '%s' after its shutdown: %s", vm->name,
			 err);
	else if (again)
		return;
	if (!vm->persistent)
		vmtab_remove(vm);
}

static void on_event(struct watch *w, struct json_object *ev)
{
	struct vmrec *vm = w->vm;
	struct json_object *name, *data, *reason;
	const char *e, *why = "";

	json_object_object_get_ex(ev, "event", &name);
	e = json_object_get_string(name);
	if (json_object_object_get_ex(ev, "data", &data) &&
	    json_object_object_get_ex(data, "reason", &reason))
		why = json_object_get_string(reason);
	pthread_mutex_lock(&vm->lock);
	if (vm->run_gen == w->gen) {
		if (!strcmp(e, "SHUTDOWN")) {
			vm->shutdown_seen = true;
			vm->crash_seen = !strcmp(why, "guest-panic");
		} else if (!strcmp(e, "STOP") && vm->state == VM_RUNNING) {
			vm->state = VM_PAUSED;
			vm->reason = R_USER;
			store_save_status(vm);
		} else if (!strcmp(e, "RESUME") && vm->state == VM_PAUSED) {
			vm->state = VM_RUNNING;
			vm->reason = R_UNPAUSED;
			store_save_status(vm);
		}
	}
	pthread_mutex_unlock(&vm->lock);
}

/* watcher - one thread per running VM: events until the socket closes,
 * then the end of the process. */
static void *watcher(void *arg)
{
	struct watch *w = arg;
	struct vmrec *vm = w->vm;
	struct json_object *ev;

	while (qmpc_read_event(w->q, &ev) == 0) {
		on_event(w, ev);
		json_object_put(ev);
	}
	wait_exit(w->pidfd, 30000);
	pthread_mutex_lock(&vm->lock);
	if (vm->run_gen == w->gen)
		vm_stopped(vm);
	pthread_mutex_unlock(&vm->lock);
	qmpc_close(w->q);
	close(w->pidfd);
	free(w);
	return NULL;
}

/* wait_socket - wait for the QMP socket of a starting VM while its process
 * lives. Returns 0 or -ESRCH (it ended) / -ETIMEDOUT. */
static int wait_socket(struct vmrec *vm, int pidfd)
{
	int i;

	for (i = 0; i < 3000; i++) {
		if (!access(vm->qmp, F_OK))
			return 0;
		if (wait_exit(pidfd, 10))
			return -ESRCH;
	}
	return -ETIMEDOUT;
}

int vmmon_adopt(struct vmrec *vm, pid_t pid, bool fresh, char *err,
		size_t errlen)
{
	struct watch *w = calloc(1, sizeof(*w));
	pthread_attr_t at;
	pthread_t t;
	int r;

	if (!w)
		return -ENOMEM;
	w->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (w->pidfd < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot watch process %d: %s", (int)pid,
			 strerror(errno));
		free(w);
		return r;
	}
	r = fresh ? wait_socket(vm, w->pidfd) : 0;
	if (r == -ESRCH)
		snprintf(err, errlen, "wirt-vmm of '%s' ended during start-up",
			 vm->name);
	else if (r)
		snprintf(err, errlen,
			 "wirt-vmm of '%s' did not open its control socket",
			 vm->name);
	if (!r) {
		w->q = qmpc_connect(vm->qmp, 5000, err, errlen);
		r = w->q ? 0 : -EIO;
	}
	if (r) {
		close(w->pidfd);
		free(w);
		return r;
	}
	vm->pid = pid;
	vm->starttime = proc_starttime(pid, NULL);
	vm->run_gen++;
	w->vm = vm;
	w->gen = vm->run_gen;
	w->pid = pid;
	if (fresh) {
		vm->id = W->next_id++;
		vm->state = VM_RUNNING;
		vm->reason = R_BOOTED;
		vm->destroying = vm->shutdown_seen = vm->crash_seen = false;
	}
	store_save_status(vm);
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	r = pthread_create(&t, &at, watcher, w);
	pthread_attr_destroy(&at);
	if (r) {
		qmpc_close(w->q);
		close(w->pidfd);
		free(w);
		return -r;
	}
	return 0;
}

int vm_qmp(struct vmrec *vm, const char *cmd, struct json_object *args,
	   struct json_object **ret, char *err, size_t errlen)
{
	struct qmpc *q = qmpc_connect(vm->qmp, 2000, err, errlen);
	int r;

	if (!q) {
		json_object_put(args);
		return -EIO;
	}
	r = qmpc_execute(q, cmd, args, ret, err, errlen);
	qmpc_close(q);
	return r;
}

int vm_destroy(struct vmrec *vm, char *err, size_t errlen)
{
	int pidfd;

	if (vm->state != VM_RUNNING && vm->state != VM_PAUSED) {
		snprintf(
			err, errlen,
			"Requested operation is not valid: domain is not running");
		return -EINVAL;
	}
	pidfd = (int)syscall(SYS_pidfd_open, vm->pid, 0);
	vm->destroying = true;
	if (pidfd >= 0) {
		/* as libvirt: SIGTERM, then SIGKILL after 10 s */
		syscall(SYS_pidfd_send_signal, pidfd, SIGTERM, NULL, 0);
		if (!wait_exit(pidfd, 10000)) {
			syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
			wait_exit(pidfd, 10000);
		}
		close(pidfd);
	}
	vm_stopped(vm);
	vm->reason = R_DESTROYED;
	return 0;
}

void vm_reconnect(struct vmrec *vm)
{
	struct json_object *st = NULL, *v;
	char err[256], state = 0;
	const char *s;

	if (vm->pid <= 0 || proc_starttime(vm->pid, &state) != vm->starttime ||
	    state == 'Z' || vmmon_adopt(vm, vm->pid, false, err, sizeof(err))) {
		vm->pid = 0;
		vm_stopped(vm);
		vm->reason = R_UNKNOWN;
		return;
	}
	if (vm_qmp(vm, "query-status", NULL, &st, err, sizeof(err)) == 0 &&
	    json_object_object_get_ex(st, "status", &v)) {
		s = json_object_get_string(v);
		if (!strcmp(s, "running")) {
			vm->state = VM_RUNNING;
		} else {
			vm->state = VM_PAUSED;
			if (vm->reason > R_USER)
				vm->reason = R_UNKNOWN;
		}
	}
	json_object_put(st);
	store_save_status(vm);
}

int managed_save_path(const struct vmrec *vm, char *buf, size_t len)
{
	char dir[PATH_MAX];

	if (path_of(dir, sizeof(dir), W->paths.lib, "save", ""))
		return -ENAMETOOLONG;
	mkdir(dir, 0711);
	return path_of(buf, len, dir, vm->name, ".save");
}

/* migrate_done - poll query-migrate until the save ended (10 min at most).
 * Returns 0 when it completed, else -EIO with err set. */
static int migrate_done(struct vmrec *vm, char *err, size_t errlen)
{
	struct timespec d = { 0, 20 * 1000 * 1000 };
	struct json_object *r, *st;
	const char *s;
	int i;

	for (i = 0; i < 30000; i++) {
		r = NULL;
		if (vm_qmp(vm, "query-migrate", NULL, &r, err, errlen))
			return -EIO;
		s = json_object_object_get_ex(r, "status", &st) ?
			    json_object_get_string(st) :
			    "";
		if (!strcmp(s, "completed")) {
			json_object_put(r);
			return 0;
		}
		if (!strcmp(s, "failed") || !strcmp(s, "cancelled")) {
			snprintf(err, errlen, "saving '%s' %s (see its log)",
				 vm->name, s);
			json_object_put(r);
			return -EIO;
		}
		json_object_put(r);
		nanosleep(&d, NULL);
	}
	snprintf(err, errlen, "saving '%s' did not end in 10 minutes",
		 vm->name);
	return -ETIMEDOUT;
}

/*
 * stage_dir - LIB/save/.NAME.stage for vm's wirt-vmm to write its state
 * file into: a sandboxed wirt-vmm runs as the unprivileged user wirt-vmm,
 * which may write nowhere else of wirtd's; the directory is given to that
 * user when wirtd runs as root and the user exists. Returns 0 or -errno.
 */
static int stage_dir(struct vmrec *vm, char *dir, size_t len)
{
	char base[PATH_MAX];
	struct passwd *pw;

	if (path_of(base, sizeof(base), W->paths.lib, "save", "") ||
	    snprintf(dir, len, "%s/.%s.stage", base, vm->name) >= (int)len)
		return -ENAMETOOLONG;
	mkdir(base, 0711); /* the VM user passes through to its stage only */
	chmod(base, 0711);
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	pw = geteuid() == 0 ? getpwnam(VMM_USER) : NULL;
	if (pw && chown(dir, pw->pw_uid, pw->pw_gid))
		return -errno;
	return 0;
}

/* copy_file - src to a new dst (for a rename across file systems). */
static int copy_file(const char *src, const char *dst)
{
	int in = open(src, O_RDONLY | O_CLOEXEC), out = -1, r = 0;
	ssize_t n;

	if (in >= 0)
		out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (in < 0 || out < 0)
		r = -errno;
	while (!r && (n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0)))
		if (n < 0)
			r = -errno;
	if (!r && fsync(out))
		r = -errno;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return r;
}

/* publish - the staged state file to path, owned by root, durable. */
static int publish(const char *staged, const char *path, char *err,
		   size_t errlen)
{
	int r = 0;

	if (chown(staged, 0, 0) && geteuid() == 0)
		r = -errno;
	if (!r && rename(staged, path)) {
		r = errno == EXDEV ? copy_file(staged, path) : -errno;
		unlink(staged);
	}
	if (!r)
		r = tmpfile_sync_dir(path);
	if (r)
		snprintf(err, errlen, "cannot move the saved state to '%s': %s",
			 path, strerror(-r));
	return r;
}

int vm_save(struct vmrec *vm, const char *path, char *err, size_t errlen)
{
	struct json_object *a = json_object_new_object();
	char uri[PATH_MAX + 32], dir[PATH_MAX], staged[PATH_MAX + 8];
	int pidfd, r;

	if (vm->state != VM_RUNNING && vm->state != VM_PAUSED) {
		json_object_put(a);
		snprintf(
			err, errlen,
			"Requested operation is not valid: domain is not running");
		return -EINVAL;
	}
	r = stage_dir(vm, dir, sizeof(dir));
	if (r) {
		json_object_put(a);
		snprintf(
			err, errlen,
			"cannot prepare a directory for the save of '%s' under '%s': %s",
			vm->name, W->paths.lib, strerror(-r));
		return r;
	}
	snprintf(staged, sizeof(staged), "%s/state", dir);
	snprintf(uri, sizeof(uri), "file:%s", staged);
	json_object_object_add(a, "uri", json_object_new_string(uri));
	r = vm_qmp(vm, "migrate", a, NULL, err, errlen);
	if (!r)
		r = migrate_done(vm, err, errlen);
	if (r) {
		vm_qmp(vm, "cont", NULL, NULL, err, errlen); /* it goes on */
		return r;
	}
	pidfd = (int)syscall(SYS_pidfd_open, vm->pid, 0);
	vm_qmp(vm, "quit", NULL, NULL, err, errlen);
	if (pidfd >= 0) {
		wait_exit(pidfd, 30000);
		close(pidfd);
	}
	vm->saving = true;
	vm_stopped(vm);
	return publish(staged, path, err, errlen);
}
