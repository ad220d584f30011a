// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The SIGSYS reporter: a call the filters forbid traps here, and the
 * handler writes one line naming the call, its number and the thread,
 * then lets the process die of SIGSYS. Everything it uses is
 * async-signal-safe and allowed by every filter: the names are resolved
 * ahead, into a static table.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/util.h"
#include "vmm/sandbox/sandbox-int.h"

#define MAX_NR 512
#define NAME_LEN 24

static char names[MAX_NR][NAME_LEN];

void (*sandbox_fatal_hook)(void);

/* Append s to buf at *pos (bounded by len). */
static void put_str(char *buf, size_t len, size_t *pos, const char *s)
{
	while (*s && *pos < len)
		buf[(*pos)++] = *s++;
}

/* Append v in decimal. */
static void put_uint(char *buf, size_t len, size_t *pos, unsigned long v)
{
	char d[24];
	int n = 0;

	do {
		d[n++] = '0' + v % 10;
		v /= 10;
	} while (v);
	while (n && *pos < len)
		buf[(*pos)++] = d[--n];
}

/*
 * The handler: one line on stderr, the fatal hook, then SIGSYS again,
 * which (SA_RESETHAND) now has its default action and ends the process
 * as soon as the handler returns.
 */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	int nr = si->si_syscall;
	char line[256], thread[17] = "?";
	size_t pos = 0;

	(void)uc;
	prctl(PR_GET_NAME, thread, 0, 0, 0);
	thread[16] = 0;
	put_str(line, sizeof(line), &pos, wirt_progname());
	put_str(line, sizeof(line), &pos, ": sandbox: forbidden system call ");
	put_str(line, sizeof(line), &pos,
		nr >= 0 && nr < MAX_NR && names[nr][0] ? names[nr] : "?");
	put_str(line, sizeof(line), &pos, " (nr ");
	put_uint(line, sizeof(line), &pos, (unsigned int)nr);
	put_str(line, sizeof(line), &pos, ") in thread ");
	put_str(line, sizeof(line), &pos, thread);
	put_str(line, sizeof(line), &pos, " (tid ");
	put_uint(line, sizeof(line), &pos, syscall(SYS_gettid));
	put_str(line, sizeof(line), &pos,
		"); rerun with --sandbox off to debug\n");
	(void)!write(STDERR_FILENO, line, pos);
	if (sandbox_fatal_hook)
		sandbox_fatal_hook();
	syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), sig);
}

int sandbox_sigsys_install(void)
{
	struct sigaction sa;
	sigset_t set;
	int nr;

	for (nr = 0; nr < MAX_NR; nr++) {
		char *s =
			seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);

		if (s) {
			strncpy(names[nr], s, NAME_LEN - 1);
			free(s);
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
	if (sigaction(SIGSYS, &sa, NULL))
		return -errno;
	sigemptyset(&set);
	sigaddset(&set, SIGSYS);
	return -pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}
