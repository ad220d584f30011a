// SPDX-License-Identifier: GPL-2.0-or-later
/* wirt-vmm's sandbox: the user switch, no_new_privs and loading the filters. */
#include "vmm/sandbox/sandbox.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/util.h"
#include "vmm/sandbox/sandbox-int.h"

#define USERADD_HINT \
	"useradd --system --no-create-home --shell /usr/sbin/nologin"

static struct {
	enum sandbox_level level;
	bool early_done;
	bool switch_user;
	uid_t uid;
	gid_t gid;
	char user[64];
	bool active;
	bool need_inet;
	struct sock_fprog vcpu_prog;
} sb = { .level = SANDBOX_OFF };

int sandbox_parse_level(const char *s, enum sandbox_level *out)
{
	if (!strcmp(s, "on"))
		*out = SANDBOX_ON;
	else if (!strcmp(s, "off"))
		*out = SANDBOX_OFF;
	else
		return -EINVAL;
	return 0;
}

/* Look up the user to switch to; 0 or -errno with the fix in err. */
static int find_user(const char *name, char *err, size_t len)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(name);
	if (!pw && !strcmp(name, SANDBOX_DEFAULT_USER)) {
		snprintf(
			err, len,
			"sandbox: user '%s' does not exist: create it with '" USERADD_HINT
			" %s', or run as another unprivileged user with --user NAME (--sandbox off only to debug)",
			name, name);
		return -ENOENT;
	}
	if (!pw) {
		snprintf(
			err, len,
			"--user '%s': no such user (create it with '" USERADD_HINT
			" %s' or name an existing unprivileged user)",
			name, name);
		return -ENOENT;
	}
	if (pw->pw_uid == 0 || pw->pw_gid == 0) {
		snprintf(
			err, len,
			"--user '%s': has uid or gid 0; the sandbox needs an unprivileged user",
			name);
		return -EINVAL;
	}
	sb.uid = pw->pw_uid;
	sb.gid = pw->pw_gid;
	snprintf(sb.user, sizeof(sb.user), "%s", name);
	return 0;
}

/*
 * Empty the bounding and ambient capability sets and the inheritable
 * set of this thread (root keeps its effective capabilities until the
 * user switch). Returns 0 or -errno.
 */
static int drop_cap_sets(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	int cap;

	for (cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EINVAL)
			return -errno;
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (syscall(SYS_capget, &h, d))
		return -errno;
	d[0].inheritable = 0;
	d[1].inheritable = 0;
	if (syscall(SYS_capset, &h, d))
		return -errno;
	return 0;
}

int sandbox_early(const struct sandbox_opts *o, char *err, size_t len)
{
	const char *name = o->user ? o->user : SANDBOX_DEFAULT_USER;
	int r;

	sb.level = o->level;
	if (o->level == SANDBOX_OFF)
		return 0;
	if (geteuid() != 0 && o->user) {
		snprintf(
			err, len,
			"--user '%s': only root can switch users (wirt-vmm runs as uid %u here and stays so)",
			o->user, (unsigned int)geteuid());
		return -EPERM;
	}
	if (geteuid() == 0) {
		r = find_user(name, err, len);
		if (r)
			return r;
		r = drop_cap_sets();
		if (r) {
			snprintf(
				err, len,
				"sandbox: cannot empty the capability bounding set: %s",
				strerror(-r));
			return r;
		}
		sb.switch_user = true;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		r = -errno;
		snprintf(err, len, "sandbox: PR_SET_NO_NEW_PRIVS failed: %s",
			 strerror(errno));
		return r;
	}
	sb.early_done = true;
	return 0;
}

bool sandbox_target(uid_t *uid, gid_t *gid)
{
	*uid = sb.uid;
	*gid = sb.gid;
	return sb.switch_user;
}

/*
 * Switch every thread (glibc applies set*id to all of them) to the
 * target user and check that no capability and no way back is left.
 * Returns 0 or -errno with the reason in err.
 */
static int switch_user(char *err, size_t len)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	uid_t ru, eu, su;

	if (setgroups(0, NULL) || setresgid(sb.gid, sb.gid, sb.gid) ||
	    setresuid(sb.uid, sb.uid, sb.uid)) {
		int r = -errno;

		snprintf(err, len, "sandbox: cannot switch to user '%s': %s",
			 sb.user, strerror(errno));
		return r;
	}
	if (getresuid(&ru, &eu, &su) || ru != sb.uid || eu != sb.uid ||
	    su != sb.uid || setuid(0) == 0 || syscall(SYS_capget, &h, d) ||
	    d[0].effective || d[0].permitted || d[1].effective ||
	    d[1].permitted) {
		snprintf(
			err, len,
			"sandbox: after switching to user '%s' the process still has privileges",
			sb.user);
		return -EPERM;
	}
	return 0;
}

/* Load the process filter into every thread, keep the vCPU one. */
static int load_filters(char *err, size_t len)
{
	scmp_filter_ctx proc, vcpu;
	int r;

	r = sandbox_filter_new(SANDBOX_PROCESS,
			       sb.need_inet ? SANDBOX_F_INET : 0, &proc);
	if (r)
		goto fail;
	r = sandbox_filter_new(SANDBOX_VCPU, 0, &vcpu);
	if (r) {
		seccomp_release(proc);
		goto fail;
	}
	r = sandbox_filter_export(vcpu, &sb.vcpu_prog);
	seccomp_release(vcpu);
	if (!r)
		r = seccomp_attr_set(proc, SCMP_FLTATR_CTL_TSYNC, 1);
	if (!r)
		r = seccomp_load(proc);
	seccomp_release(proc);
	if (!r)
		return 0;
fail:
	snprintf(
		err, len,
		"sandbox: cannot load the seccomp filter: %s (the kernel needs seccomp filters, CONFIG_SECCOMP_FILTER; --sandbox off runs without)",
		strerror(r < 0 ? -r : r));
	return r < 0 ? r : -r;
}

/* Sanitizer builds: start the symbolizer now (it cannot start later). */
void __sanitizer_sandbox_on_notify(void *args) __attribute__((weak));

int sandbox_enter(char *err, size_t len)
{
	int r;

	if (sb.level == SANDBOX_OFF)
		return 0;
	if (!sb.early_done) {
		snprintf(err, len, "sandbox: internal error: not prepared");
		return -EINVAL;
	}
	if (sb.switch_user) {
		r = switch_user(err, len);
		if (r)
			return r;
	}
	r = sandbox_sigsys_install();
	if (r) {
		snprintf(err, len,
			 "sandbox: cannot install the SIGSYS handler: %s",
			 strerror(-r));
		return r;
	}
	if (__sanitizer_sandbox_on_notify)
		__sanitizer_sandbox_on_notify(NULL);
	r = load_filters(err, len);
	if (r)
		return r;
	sb.active = true;
	sandbox_selftest("main");
	return 0;
}

int sandbox_enter_vcpu(void)
{
	if (!sb.active)
		return 0;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &sb.vcpu_prog))
		return -errno;
	sandbox_selftest("vcpu");
	return 0;
}

void sandbox_need_inet(void)
{
	sb.need_inet = true;
}

const char *sandbox_access_hint(int err)
{
	static char hint[160];

	if (!sb.active || !sb.switch_user || (err != -EACCES && err != -EPERM))
		return "";
	snprintf(
		hint, sizeof(hint),
		" (wirt-vmm runs as user '%s' in its sandbox: give that user write access to the directory)",
		sb.user);
	return hint;
}

bool sandbox_active(void)
{
	return sb.active;
}

void sandbox_set_fatal_hook(void (*fn)(void))
{
	sandbox_fatal_hook = fn;
}

void sandbox_selftest(const char *thread_class)
{
	const char *want = getenv("WIRT_VMM_SANDBOX_SELFTEST");

	if (want && !strcmp(want, thread_class))
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
}

/*
 * LeakSanitizer's check at exit stops the threads with ptrace from a
 * cloned task, which the filter forbids: skip it once the sandbox is on
 * (runs with --sandbox off still check for leaks).
 */
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
	return sb.active;
}
