// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Starting a VM: refuse what wirt-vmm cannot run, build its command line,
 * spawn it detached (double fork, own session: it survives wirtd), with
 * its stderr appended to LOG/NAME.log, and wait for its QMP socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/util.h"
#include "wirtd/vmargs.h"
#include "wirtd/vmtaps.h"
#include "wirtd/vmmon.h"
#include "wirtd/pool.h"
#include "wirtd/wirtd.h"

extern char **environ;

/* refuse - the fatal issues of domain_check() as one error; warnings go
 * to the json array. Returns 0 or -EOPNOTSUPP. */
static int refuse(struct vmrec *vm, struct json_object *warnings, char *err,
		  size_t errlen)
{
	struct dom_issue is[32];
	unsigned int n = domain_check(vm->def, is, 32), i, fatal = 0;
	size_t off = 0;

	for (i = 0; i < n && i < 32; i++) {
		if (!is[i].fatal) {
			if (warnings)
				json_object_array_add(
					warnings,
					json_object_new_string(is[i].text));
			continue;
		}
		if (!fatal++)
			off = snprintf(err, errlen,
				       "cannot start '%s': line %d: %s",
				       vm->name, is[i].line, is[i].text);
		else if (off < errlen)
			off += snprintf(err + off, errlen - off,
					"; line %d: %s", is[i].line,
					is[i].text);
	}
	return fatal ? -EOPNOTSUPP : 0;
}

/* open_log - LOG/NAME.log for appending, with a header naming the start
 * and the command line. Returns the fd or -errno. */
static int open_log(struct vmrec *vm, const struct vmargs *a)
{
	char path[PATH_MAX], ts[64];
	struct timespec t;
	struct tm tm;
	FILE *f;
	int fd, i;

	if (path_of(path, sizeof(path), W->paths.log, vm->name, ".log"))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	clock_gettime(CLOCK_REALTIME, &t);
	gmtime_r(&t.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
	f = fdopen(dup(fd), "a");
	if (f) {
		fprintf(f, "%s.%03ld+0000: starting up\n", ts,
			t.tv_nsec / 1000000);
		for (i = 0; i < a->n; i++)
			fprintf(f, "%s%s", i ? " " : "", a->v[i]);
		fputc('\n', f);
		fclose(f);
	}
	return fd;
}

/* make_env - environ plus WIRT_LOG_TIMESTAMPS=1 (built before fork). */
static char **make_env(void)
{
	size_t n = 0, i, j = 0;
	char **e;

	while (environ[n])
		n++;
	e = calloc(n + 2, sizeof(*e));
	if (!e)
		return NULL;
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "WIRT_LOG_TIMESTAMPS=", 20))
			e[j++] = environ[i];
	e[j] = "WIRT_LOG_TIMESTAMPS=1";
	return e;
}

/* The descriptors handed to wirt-vmm: taps as 4, 5, ... in order. */
struct passfds {
	int fd[DOMAIN_NICS_MAX];
	int n;
};

/* grandchild - in the VM's process: stdio on /dev/null and the log, the
 * pipe as 3, the taps from 4 on, no other descriptors, exec wirt-vmm.
 * Async-signal-safe calls only. */
static void __attribute__((noreturn))
grandchild(const struct vmargs *a, char **env, int logfd, int pipefd,
	   const struct passfds *pf)
{
	int nul = open("/dev/null", O_RDWR), e, i, hi[DOMAIN_NICS_MAX];

	for (i = 0; i < pf->n; i++) /* out of the way of what follows */
		if ((hi[i] = fcntl(pf->fd[i], F_DUPFD, 1000)) < 0)
			_exit(127);
	if (nul < 0 || dup2(nul, 0) < 0 || dup2(logfd, 1) < 0 ||
	    dup2(logfd, 2) < 0)
		_exit(127);
	if (pipefd != 3 && (dup2(pipefd, 3) < 0))
		_exit(127);
	for (i = 0; i < pf->n; i++)
		if (dup2(hi[i], 4 + i) < 0)
			_exit(127);
	syscall(SYS_close_range, 4 + pf->n, ~0U, 0);
	fcntl(3, F_SETFD, FD_CLOEXEC);
	execve(a->v[0], a->v, env);
	e = errno;
	(void)!write(3, &e, sizeof(e));
	_exit(127);
}

/*
 * spawn - run the command line detached: fork, setsid, fork again, so that
 * the VM is nobody's child and outlives wirtd. Returns its pid, or -errno
 * (the exec's error when execve failed).
 */
static pid_t spawn(const struct vmargs *a, int logfd, const struct passfds *pf)
{
	char **env = make_env();
	int p[2], e = 0, st;
	pid_t pid, vmpid = -1;
	ssize_t n;

	if (!env || pipe2(p, O_CLOEXEC)) {
		free(env);
		return -errno ? -errno : -ENOMEM;
	}
	pid = fork();
	if (pid == 0) {
		setsid();
		vmpid = fork();
		if (vmpid == 0)
			grandchild(a, env, logfd, p[1], pf);
		(void)!write(p[1], &vmpid, sizeof(vmpid));
		_exit(vmpid < 0);
	}
	free(env);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return -errno;
	}
	waitpid(pid, &st, 0);
	n = read(p[0], &vmpid, sizeof(vmpid));
	if (n == sizeof(vmpid) && vmpid > 0 && read(p[0], &e, sizeof(e)) > 0)
		vmpid = -e;
	close(p[0]);
	return n == sizeof(vmpid) ? vmpid : -ECHILD;
}

/* log_tail - the last line of the VM's log into buf ("" when none). */
static void log_tail(struct vmrec *vm, char *buf, size_t len)
{
	char path[PATH_MAX], chunk[1024], *nl;
	ssize_t n = 0;
	int fd;

	buf[0] = '\0';
	if (path_of(path, sizeof(path), W->paths.log, vm->name, ".log"))
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	off_t end = lseek(fd, 0, SEEK_END);
	if (end > 0)
		n = pread(fd, chunk, sizeof(chunk) - 1,
			  end > (off_t)sizeof(chunk) - 1 ?
				  end - (off_t)sizeof(chunk) + 1 :
				  0);
	close(fd);
	if (n <= 0)
		return;
	chunk[n] = '\0';
	while (n && chunk[n - 1] == '\n')
		chunk[--n] = '\0';
	nl = strrchr(chunk, '\n');
	nl = nl ? nl + 1 : chunk;
	n = strlen(nl) < len - 1 ? (ssize_t)strlen(nl) : (ssize_t)len - 1;
	memcpy(buf, nl, n);
	buf[n] = '\0';
}

/* nvram_dir - for a UEFI domain, the directory of its variable store
 * (wirt-vmm creates the file from OVMF's template). 0 or -errno (err). */
static int nvram_dir(struct vmrec *vm, char *err, size_t errlen)
{
	const struct dom_def *d = domain_def(vm->def);
	char nv[PATH_MAX], *slash;
	int r;

	/* a given <nvram>'s directory is the user's; a path too long:
	 * vmargs_build says so */
	if (d->boot != DOM_BOOT_EFI || d->nvram ||
	    nvram_path(vm->name, d, nv, sizeof(nv)))
		return 0;
	slash = strrchr(nv, '/');
	if (!slash || slash == nv)
		return 0;
	*slash = '\0';
	r = mkdirs(nv, 0755);
	if (r)
		snprintf(err, errlen,
			 "cannot create '%s' for the UEFI variable store: %s",
			 nv, strerror(-r));
	return r;
}

static int prepare_paths(struct vmrec *vm, char *err, size_t errlen)
{
	if (path_of(vm->qmp, sizeof(vm->qmp), W->paths.run, vm->name, ".qmp") ||
	    path_of(vm->console, sizeof(vm->console), W->paths.run, vm->name,
		    ".console")) {
		snprintf(
			err, errlen,
			"the socket paths under '%s' are too long for a unix socket; use a shorter --root",
			W->paths.run);
		return -ENAMETOOLONG;
	}
	unlink(vm->qmp);
	unlink(vm->console);
	return nvram_dir(vm, err, errlen);
}

static int start_process(struct vmrec *vm, struct json_object *warnings,
			 char *err, size_t errlen);

int vm_start(struct vmrec *vm, struct json_object *warnings, char *err,
	     size_t errlen)
{
	char managed[PATH_MAX] = "";
	int r;

	if (vm->state == VM_RUNNING || vm->state == VM_PAUSED) {
		snprintf(
			err, errlen,
			"Requested operation is not valid: domain is already running");
		return -EBUSY;
	}
	/* a managed save is restored by the next start */
	if (!vm->incoming[0] &&
	    !managed_save_path(vm, managed, sizeof(managed)) &&
	    !access(managed, F_OK))
		snprintf(vm->incoming, sizeof(vm->incoming), "%s", managed);
	r = start_process(vm, warnings, err, errlen);
	if (!r && !strcmp(vm->incoming, managed))
		unlink(managed);
	vm->incoming[0] = '\0';
	vm->start_paused = false;
	return r;
}

/* start_process - vm_start() without the managed-save handling. */
static int start_process(struct vmrec *vm, struct json_object *warnings,
			 char *err, size_t errlen)
{
	const struct dom_def *d = domain_def(vm->def);
	int logfd, r, taps[DOMAIN_NICS_MAX], childfd[DOMAIN_NICS_MAX];
	struct pool_disks *pd = NULL;
	struct passfds pf = { .n = 0 };
	struct vmargs a;
	char tail[512];
	unsigned int i;
	pid_t pid;

	r = refuse(vm, warnings, err, errlen);
	if (!r)
		r = prepare_paths(vm, err, errlen);
	if (!r) /* <disk type='volume'>: the volumes' files */
		r = pool_resolve_disks(d, &pd, err, errlen);
	if (!r)
		r = vm_taps_open(vm, d, taps, err, errlen);
	if (r) {
		free(pd);
		return r;
	}
	for (i = 0; i < d->nnics; i++) {
		childfd[i] = taps[i] >= 0 ? 4 + pf.n : -1;
		if (taps[i] >= 0)
			pf.fd[pf.n++] = taps[i];
	}
	r = vmargs_build(&a, W->paths.vmm, vm->name, pd ? &pd->def : d, vm->qmp,
			 vm->console, vm->incoming[0] ? vm->incoming : NULL,
			 vm->start_paused, childfd, err, errlen);
	free(pd);
	if (r) {
		vm_taps_close(d, taps);
		return r;
	}
	logfd = open_log(vm, &a);
	if (logfd < 0) {
		vm_taps_close(d, taps);
		vmargs_free(&a);
		snprintf(err, errlen, "cannot open the log of '%s' in '%s': %s",
			 vm->name, W->paths.log, strerror(-logfd));
		return logfd;
	}
	pid = spawn(&a, logfd, &pf);
	vm_taps_close(d, taps);
	vmargs_free(&a);
	close(logfd);
	if (pid < 0) {
		snprintf(err, errlen, "cannot run '%s': %s", W->paths.vmm,
			 strerror(-pid));
		return pid;
	}
	r = vmmon_adopt(vm, pid, true, err, errlen);
	if (!r && vm->incoming[0]) {
		vm->reason = R_RESTORED;
		store_save_status(vm);
	}
	if (!r && vm->start_paused) {
		vm->state = VM_PAUSED;
		vm->reason = R_USER;
		store_save_status(vm);
	}
	if (r) {
		kill(pid, SIGKILL);
		log_tail(vm, tail, sizeof(tail));
		if (tail[0])
			snprintf(err, errlen, "wirt-vmm of '%s' failed: %s",
				 vm->name, tail);
		vm->state = VM_SHUTOFF;
		vm->reason = R_FAILED;
	}
	return r;
}
