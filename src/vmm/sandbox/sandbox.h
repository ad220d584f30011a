/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * wirt-vmm's sandbox. Once the VM is set up (/dev/kvm, images, taps and
 * sockets open), the process drops root for an unprivileged user and
 * every thread runs under a seccomp filter that allows only the system
 * calls (and ioctl requests, socket families, memory protections, clone
 * flags) wirt-vmm needs from then on; vCPU threads add a narrower one.
 * A forbidden call kills the process after one line naming the call.
 *
 * Order of use, from main(): sandbox_early() before any thread exists,
 * sandbox_enter() after set-up; vCPU threads call sandbox_enter_vcpu().
 */
#ifndef WIRT_VMM_SANDBOX_SANDBOX_H
#define WIRT_VMM_SANDBOX_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SANDBOX_DEFAULT_USER "wirt-vmm"

/* The --sandbox levels. */
enum sandbox_level {
	SANDBOX_ON = 0, /* default: drop root, seccomp filters */
	SANDBOX_OFF, /* --sandbox off: nothing (for debugging) */
};

struct sandbox_opts {
	enum sandbox_level level;
	const char *user; /* --user NAME, NULL for SANDBOX_DEFAULT_USER */
};

/* The thread classes with a filter of their own. */
enum sandbox_class {
	SANDBOX_PROCESS, /* every thread: the union of what they need */
	SANDBOX_VCPU, /* added in vCPU threads: no files, sockets, threads */
};

/*
 * sandbox_parse_level - "on" or "off" into *out. Returns 0 or -EINVAL.
 */
int sandbox_parse_level(const char *s, enum sandbox_level *out);

/*
 * sandbox_early - before any thread exists: look up the user to run as
 * (when root), empty the capability bounding set and set no_new_privs,
 * so that every thread created later inherits both. Does nothing with
 * SANDBOX_OFF. Returns 0, or -errno with one line for the user in err.
 */
int sandbox_early(const struct sandbox_opts *o, char *err, size_t len);

/*
 * sandbox_target - the uid and gid the process will run as after
 * sandbox_enter(). Returns true when sandbox_early() chose to switch to
 * them (started as root, sandbox on).
 */
bool sandbox_target(uid_t *uid, gid_t *gid);

/*
 * sandbox_enter - after set-up: switch every thread to the target user
 * (supplementary groups, gid, uid), check that no capability is left,
 * then load the process filter into every thread (TSYNC) and install the
 * SIGSYS reporter. Does nothing with SANDBOX_OFF. Returns 0, or -errno
 * with one line for the user in err.
 */
int sandbox_enter(char *err, size_t len);

/*
 * sandbox_enter_vcpu - in a vCPU thread, before its first KVM_RUN: add
 * the vCPU filter to this thread. Returns 0 (also when the sandbox is
 * off) or -errno.
 */
int sandbox_enter_vcpu(void);

/*
 * sandbox_need_inet - before sandbox_enter(): the VM has a backend that
 * makes inet sockets at run time (libslirp); without it the process
 * filter allows no socket() at all.
 */
void sandbox_need_inet(void);

/*
 * sandbox_access_hint - for an error err (-errno) creating or opening a
 * file at run time: a parenthesised hint naming the sandbox's user when
 * it may be the cause (EACCES or EPERM after a user switch), else "".
 */
const char *sandbox_access_hint(int err);

/* sandbox_active - whether sandbox_enter() has loaded the filters. */
bool sandbox_active(void);

/*
 * sandbox_set_fatal_hook - fn runs (async-signal-safe) in the SIGSYS
 * handler before the process dies, e.g. to restore the terminal.
 */
void sandbox_set_fatal_hook(void (*fn)(void));

/*
 * sandbox_selftest - the test hook: when the environment variable
 * WIRT_VMM_SANDBOX_SELFTEST names this thread class ("main" or "vcpu"),
 * make one forbidden call (ptrace(PTRACE_TRACEME)) so the tests can see
 * the filter kill the process. Whoever sets the environment starts the
 * process and could equally pass --sandbox off: it gives nothing away,
 * and a guest cannot reach it.
 */
void sandbox_selftest(const char *thread_class);

#endif
