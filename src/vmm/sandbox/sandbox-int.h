/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The sandbox's parts: filter construction and the SIGSYS reporter. */
#ifndef WIRT_VMM_SANDBOX_SANDBOX_INT_H
#define WIRT_VMM_SANDBOX_SANDBOX_INT_H

#include <linux/filter.h>
#include <seccomp.h>

#include "vmm/sandbox/sandbox.h"

#define SANDBOX_F_INET 0x1 /* socket(AF_INET or AF_INET6) allowed */

/*
 * sandbox_filter_new - a libseccomp filter for thread class cls with
 * SANDBOX_F_* flags: the calls it allows, everything else traps
 * (SIGSYS); clone3 fails with ENOSYS so that glibc falls back to clone,
 * whose flags are checked. Returns 0 with *out (release with
 * seccomp_release), or -errno.
 */
int sandbox_filter_new(enum sandbox_class cls, unsigned int flags,
		       scmp_filter_ctx *out);

/*
 * sandbox_filter_export - compile ctx to a classic BPF program in *prog
 * (prog->filter malloc'ed), to be loaded later with seccomp(2) by a
 * thread that cannot run libseccomp any more. Returns 0 or -errno.
 */
int sandbox_filter_export(scmp_filter_ctx ctx, struct sock_fprog *prog);

/*
 * sandbox_sigsys_install - learn the name of every system call (so the
 * handler needs no allocation) and install the SIGSYS handler that
 * reports a forbidden call and kills the process. Returns 0 or -errno.
 */
int sandbox_sigsys_install(void);

/* The fatal hook run by the SIGSYS handler (sandbox_set_fatal_hook). */
extern void (*sandbox_fatal_hook)(void);

#endif
