// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests: wirt-vmm's seccomp filters. Each case forks a child that
 * loads the process filter (and the vCPU filter on top for the vCPU
 * cases) with the real SIGSYS reporter, makes one call and exits 0; the
 * parent checks that allowed calls go through and forbidden ones kill
 * the child with SIGSYS after the line naming the call.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/util.h"
#include "vmm/sandbox/sandbox-int.h"

struct outcome {
	int status; /* from waitpid */
	char err[512]; /* the child's stderr */
};

/* Whether the process filter allows inet sockets (--net user). */
static bool inet = true;

/* Load the filters of the classes asked for; 0 or -errno. */
static int child_load(bool vcpu)
{
	struct sock_fprog prog;
	scmp_filter_ctx ctx;
	int r;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || sandbox_sigsys_install())
		return -1;
	r = sandbox_filter_new(SANDBOX_VCPU, 0, &ctx);
	if (r)
		return r;
	r = sandbox_filter_export(ctx, &prog);
	seccomp_release(ctx);
	if (r)
		return r;
	r = sandbox_filter_new(SANDBOX_PROCESS, inet ? SANDBOX_F_INET : 0,
			       &ctx);
	if (r)
		return r;
	r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (!r && vcpu &&
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
		r = -errno;
	return r;
}

/* Run op in a filtered child; its status and stderr in *o. */
static void run(bool vcpu, int (*op)(void), struct outcome *o)
{
	int p[2];
	ssize_t n;
	pid_t pid;

	memset(o, 0, sizeof(*o));
	assert_int_equal(pipe(p), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(p[1], STDERR_FILENO);
		close(p[0]);
		wirt_set_progname("wirt-vmm");
		prctl(PR_SET_NAME, "unit-child", 0, 0, 0);
		if (child_load(vcpu))
			_exit(99);
		_exit(op());
	}
	close(p[1]);
	n = read_full(p[0], o->err, sizeof(o->err) - 1);
	o->err[n > 0 ? n : 0] = 0;
	close(p[0]);
	assert_int_equal(waitpid(pid, &o->status, 0), pid);
}

static void expect_allowed(bool vcpu, int (*op)(void))
{
	struct outcome o;

	run(vcpu, op, &o);
	if (!WIFEXITED(o.status) || WEXITSTATUS(o.status))
		fail_msg("status 0x%x, stderr: %s", o.status, o.err);
}

/* The child died of SIGSYS after naming call in the reporter's line. */
static void expect_killed(bool vcpu, int (*op)(void), const char *call)
{
	char want[128];
	struct outcome o;

	run(vcpu, op, &o);
	snprintf(want, sizeof(want),
		 "wirt-vmm: sandbox: forbidden system call %s (nr ", call);
	if (!WIFSIGNALED(o.status) || WTERMSIG(o.status) != SIGSYS)
		fail_msg("%s: status 0x%x, stderr: %s", call, o.status, o.err);
	if (!strstr(o.err, want))
		fail_msg("%s: stderr: %s", call, o.err);
	assert_non_null(strstr(o.err, ") in thread unit-child (tid "));
	assert_non_null(
		strstr(o.err, "); rerun with --sandbox off to debug\n"));
}

static int op_getpid(void)
{
	return syscall(SYS_getpid) > 0 ? 0 : 1;
}

static int op_ptrace(void)
{
	syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0);
	return 0;
}

/* An allowed request on a bad fd fails with EBADF, not the filter. */
static int op_ioctl_kvm(void)
{
	return ioctl(-1, KVM_RUN, 0) < 0 && errno == EBADF ? 0 : 1;
}

static int op_ioctl_tiocsti(void)
{
	char c = 'x';

	ioctl(-1, TIOCSTI, &c);
	return 0;
}

static int op_mmap_rw(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED || munmap(p, 4096);
}

static int op_mmap_exec(void)
{
	mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1,
	     0);
	return 0;
}

static int op_mprotect_exec(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return 1;
	mprotect(p, 4096, PROT_READ | PROT_EXEC);
	return 0;
}

static int op_socket_inet(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	return fd < 0 || close(fd);
}

static int op_socket_unix(void)
{
	socket(AF_UNIX, SOCK_STREAM, 0);
	return 0;
}

static int op_socket_netlink(void)
{
	socket(AF_NETLINK, SOCK_RAW, 0);
	return 0;
}

static int op_fork(void)
{
	long r = syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0);

	if (r == 0)
		_exit(0);
	return 0;
}

static void *thread_fn(void *arg)
{
	return arg;
}

/* pthread_create: clone3 fails with ENOSYS, clone with thread flags. */
static int op_thread(void)
{
	static int token;
	pthread_t t;
	void *ret = NULL;

	if (pthread_create(&t, NULL, thread_fn, &token) ||
	    pthread_join(t, &ret))
		return 1;
	return ret == &token ? 0 : 2;
}

static int op_clone3(void)
{
	return syscall(SYS_clone3, NULL, 0) < 0 && errno == ENOSYS ? 0 : 1;
}

static int op_execve(void)
{
	char *argv[] = { "true", NULL };

	execve("/bin/true", argv, NULL);
	return 0;
}

static int op_setuid(void)
{
	syscall(SYS_setuid, 0);
	return 0;
}

static int op_open(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	return fd < 0 || close(fd);
}

static int op_write(void)
{
	return write(STDERR_FILENO, "", 0) < 0;
}

static void test_allowed(void **state)
{
	expect_allowed(false, op_getpid);
	expect_allowed(false, op_ioctl_kvm);
	expect_allowed(false, op_mmap_rw);
	expect_allowed(false, op_socket_inet);
	expect_allowed(false, op_thread);
	expect_allowed(false, op_clone3);
	expect_allowed(false, op_open);
}

static void test_forbidden(void **state)
{
	expect_killed(false, op_ptrace, "ptrace");
	expect_killed(false, op_execve, "execve");
	expect_killed(false, op_setuid, "setuid");
}

static void test_arguments(void **state)
{
	expect_killed(false, op_ioctl_tiocsti, "ioctl");
	expect_killed(false, op_mmap_exec, "mmap");
	expect_killed(false, op_mprotect_exec, "mprotect");
	expect_killed(false, op_socket_unix, "socket");
	expect_killed(false, op_socket_netlink, "socket");
	expect_killed(false, op_fork, "clone");
}

/* The vCPU filter on top: no files, sockets or threads. */
static void test_vcpu(void **state)
{
	expect_allowed(true, op_getpid);
	expect_allowed(true, op_write);
	expect_allowed(true, op_ioctl_kvm);
	expect_killed(true, op_open, "openat");
	expect_killed(true, op_socket_inet, "socket");
	expect_killed(true, op_clone3, "clone3");
	expect_killed(true, op_fork, "clone");
	expect_killed(true, op_ioctl_tiocsti, "ioctl");
}

/* Without user networking, no socket at all. */
static void test_no_inet(void **state)
{
	inet = false;
	expect_allowed(false, op_getpid);
	expect_killed(false, op_socket_inet, "socket");
	inet = true;
}

static void test_levels(void **state)
{
	enum sandbox_level l = SANDBOX_OFF;

	assert_int_equal(sandbox_parse_level("on", &l), 0);
	assert_int_equal(l, SANDBOX_ON);
	assert_int_equal(sandbox_parse_level("off", &l), 0);
	assert_int_equal(l, SANDBOX_OFF);
	assert_int_equal(sandbox_parse_level("", &l), -EINVAL);
	assert_int_equal(sandbox_parse_level("ON", &l), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allowed),
		cmocka_unit_test(test_forbidden),
		cmocka_unit_test(test_arguments),
		cmocka_unit_test(test_vcpu),
		cmocka_unit_test(test_no_inet),
		cmocka_unit_test(test_levels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
