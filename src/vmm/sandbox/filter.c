// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The seccomp filters of wirt-vmm, built with libseccomp. The process
 * filter is the union of what every thread needs after set-up: memory,
 * threads, files (snapshots, migrate file:, loadvm's layers), eventfds,
 * epoll, io_uring, sockets of the inet families (libslirp), the KVM, tap,
 * vhost-net, block-device and terminal ioctls. The vCPU filter is
 * stacked on top of it in vCPU threads: no files opened or removed, no
 * sockets, no threads.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <linux/if_tun.h>
#include <linux/fs.h>
#include <linux/vhost.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "common/util.h"
#include "vmm/sandbox/sandbox-int.h"

/* Calls allowed with any argument in every thread. */
static const int process_calls[] = {
	/* memory (mmap and mprotect: below, never PROT_EXEC) */
	SCMP_SYS(brk),
	SCMP_SYS(munmap),
	SCMP_SYS(mremap),
	SCMP_SYS(madvise),
	/* threads, synchronisation, signals */
	SCMP_SYS(futex),
	SCMP_SYS(set_robust_list),
	SCMP_SYS(rseq),
	SCMP_SYS(exit),
	SCMP_SYS(exit_group),
	SCMP_SYS(gettid),
	SCMP_SYS(getpid),
	SCMP_SYS(sched_yield),
	SCMP_SYS(sched_getaffinity),
	SCMP_SYS(rt_sigaction),
	SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigreturn),
	SCMP_SYS(sigaltstack),
	SCMP_SYS(signalfd4),
	SCMP_SYS(restart_syscall),
	/* time */
	SCMP_SYS(clock_gettime),
	SCMP_SYS(clock_getres),
	SCMP_SYS(clock_nanosleep),
	SCMP_SYS(nanosleep),
	SCMP_SYS(gettimeofday),
	/* I/O on open descriptors */
	SCMP_SYS(read),
	SCMP_SYS(write),
	SCMP_SYS(readv),
	SCMP_SYS(writev),
	SCMP_SYS(pread64),
	SCMP_SYS(pwrite64),
	SCMP_SYS(preadv),
	SCMP_SYS(pwritev),
	SCMP_SYS(preadv2),
	SCMP_SYS(pwritev2),
	SCMP_SYS(lseek),
	SCMP_SYS(close),
	SCMP_SYS(fsync),
	SCMP_SYS(fdatasync),
	SCMP_SYS(fallocate),
	SCMP_SYS(ftruncate),
	SCMP_SYS(fstat),
	SCMP_SYS(newfstatat),
	SCMP_SYS(statx),
	SCMP_SYS(fcntl),
	SCMP_SYS(flock),
	SCMP_SYS(dup),
	SCMP_SYS(dup3),
	/* files by name: snapshots, migrate file:, loadvm's layers */
	SCMP_SYS(openat),
	SCMP_SYS(unlink),
	SCMP_SYS(unlinkat),
	SCMP_SYS(rename),
	SCMP_SYS(renameat),
	SCMP_SYS(renameat2),
	SCMP_SYS(mkdir),
	SCMP_SYS(mkdirat),
	SCMP_SYS(access),
	SCMP_SYS(faccessat),
	SCMP_SYS(faccessat2),
	SCMP_SYS(readlink),
	SCMP_SYS(readlinkat),
	SCMP_SYS(getcwd),
	SCMP_SYS(getdents64),
	/* event loops */
	SCMP_SYS(poll),
	SCMP_SYS(ppoll),
	SCMP_SYS(epoll_wait),
	SCMP_SYS(epoll_pwait),
	SCMP_SYS(epoll_ctl),
	SCMP_SYS(epoll_create1),
	SCMP_SYS(eventfd2),
	SCMP_SYS(timerfd_create),
	SCMP_SYS(timerfd_settime),
	SCMP_SYS(timerfd_gettime),
	SCMP_SYS(io_uring_setup),
	SCMP_SYS(io_uring_enter),
	SCMP_SYS(io_uring_register),
	/* sockets already made, and libslirp's (socket(): below) */
	SCMP_SYS(accept),
	SCMP_SYS(accept4),
	SCMP_SYS(bind),
	SCMP_SYS(listen),
	SCMP_SYS(connect),
	SCMP_SYS(getsockname),
	SCMP_SYS(getpeername),
	SCMP_SYS(setsockopt),
	SCMP_SYS(getsockopt),
	SCMP_SYS(sendto),
	SCMP_SYS(recvfrom),
	SCMP_SYS(sendmsg),
	SCMP_SYS(recvmsg),
	SCMP_SYS(shutdown),
	/* virtio-rng; qsort's memory probe */
	SCMP_SYS(getrandom),
	SCMP_SYS(sysinfo),
};

/* Calls a vCPU thread makes: guest exits and the devices they reach. */
static const int vcpu_calls[] = {
	SCMP_SYS(ioctl), /* narrowed by the process filter */
	SCMP_SYS(mmap),
	SCMP_SYS(mprotect), /* no PROT_EXEC: idem */
	SCMP_SYS(brk),
	SCMP_SYS(munmap),
	SCMP_SYS(mremap),
	SCMP_SYS(madvise),
	SCMP_SYS(futex),
	SCMP_SYS(exit),
	SCMP_SYS(exit_group),
	SCMP_SYS(gettid),
	SCMP_SYS(getpid),
	SCMP_SYS(tgkill),
	SCMP_SYS(sched_yield),
	SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigreturn),
	SCMP_SYS(sigaltstack),
	SCMP_SYS(restart_syscall),
	SCMP_SYS(clock_gettime),
	SCMP_SYS(clock_nanosleep),
	SCMP_SYS(nanosleep),
	SCMP_SYS(gettimeofday),
	SCMP_SYS(read),
	SCMP_SYS(write),
	SCMP_SYS(readv),
	SCMP_SYS(writev),
	SCMP_SYS(pread64),
	SCMP_SYS(pwrite64),
	SCMP_SYS(sendto),
	SCMP_SYS(sendmsg),
	SCMP_SYS(close),
	SCMP_SYS(poll),
	SCMP_SYS(ppoll),
	SCMP_SYS(epoll_ctl),
	SCMP_SYS(io_uring_enter),
	SCMP_SYS(fsync),
	SCMP_SYS(fdatasync),
	SCMP_SYS(getrandom),
	SCMP_SYS(prctl),
};

/* ioctl requests: KVM, tap, vhost-net, block devices, the terminal. */
static const unsigned long ioctls[] = {
	KVM_GET_API_VERSION,
	KVM_CHECK_EXTENSION,
	KVM_GET_VCPU_MMAP_SIZE,
	KVM_GET_SUPPORTED_CPUID,
	KVM_GET_MSR_INDEX_LIST,
	KVM_CREATE_VM,
	KVM_SET_TSS_ADDR,
	KVM_SET_IDENTITY_MAP_ADDR,
	KVM_CREATE_IRQCHIP,
	KVM_CREATE_PIT2,
	KVM_SET_USER_MEMORY_REGION,
	KVM_CREATE_VCPU,
	KVM_IRQ_LINE,
	KVM_IRQFD,
	KVM_IOEVENTFD,
	KVM_SET_GSI_ROUTING,
	KVM_GET_IRQCHIP,
	KVM_SET_IRQCHIP,
	KVM_GET_PIT2,
	KVM_SET_PIT2,
	KVM_GET_CLOCK,
	KVM_SET_CLOCK,
	KVM_RUN,
	KVM_GET_REGS,
	KVM_SET_REGS,
	KVM_GET_SREGS,
	KVM_SET_SREGS,
	KVM_GET_MSRS,
	KVM_SET_MSRS,
	KVM_SET_CPUID2,
	KVM_SET_FPU,
	KVM_GET_LAPIC,
	KVM_SET_LAPIC,
	KVM_GET_VCPU_EVENTS,
	KVM_SET_VCPU_EVENTS,
	KVM_GET_MP_STATE,
	KVM_SET_MP_STATE,
	KVM_GET_XCRS,
	KVM_SET_XCRS,
	KVM_GET_XSAVE,
	KVM_GET_XSAVE2,
	KVM_SET_XSAVE,
	TUNGETFEATURES,
	TUNSETIFF,
	TUNSETOFFLOAD,
	TUNSETVNETHDRSZ,
	VHOST_GET_FEATURES,
	VHOST_SET_FEATURES,
	VHOST_SET_OWNER,
	VHOST_SET_MEM_TABLE,
	VHOST_SET_VRING_NUM,
	VHOST_SET_VRING_ADDR,
	VHOST_SET_VRING_BASE,
	VHOST_GET_VRING_BASE,
	VHOST_SET_VRING_KICK,
	VHOST_SET_VRING_CALL,
	VHOST_NET_SET_BACKEND,
	BLKGETSIZE64,
	BLKSSZGET,
	BLKDISCARD,
	TCGETS,
	TCSETS,
	TCSETSW,
	TCSETSF,
	TIOCGWINSZ,
	TIOCGPGRP,
	FIONREAD,
	FIONBIO,
};

/* What clone() must and must not have: a thread, in no new namespace. */
#define CLONE_THREAD_FLAGS                                                  \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | \
	 CLONE_SYSVSEM)
#define CLONE_NEVER                                                    \
	(CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | \
	 CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_PTRACE |  \
	 CLONE_UNTRACED | CLONE_VFORK | CLONE_PARENT | CLONE_PIDFD)

/* Allow each call of list with any argument. Returns 0 or -errno. */
static int allow_all(scmp_filter_ctx ctx, const int *list, size_t n)
{
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, list[i], 0);
		if (r)
			return r;
	}
	return 0;
}

/*
 * The process filter's calls with argument checks: ioctl requests,
 * mmap/mprotect without PROT_EXEC, thread-only clone, inet sockets
 * (with SANDBOX_F_INET),
 * prctl names, seccomp (a thread may only add filters), tgkill and
 * prlimit64 on this process only. Returns 0 or -errno.
 */
static int allow_checked(scmp_filter_ctx ctx, unsigned int flags)
{
	static const int families[] = { AF_INET, AF_INET6 };
	static const int prctls[] = { PR_SET_NAME, PR_GET_NAME };
	const scmp_datum_t thread = CLONE_THREAD_FLAGS;
	size_t i;
	int r = 0;

	for (i = 0; !r && i < ARRAY_SIZE(ioctls); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				     SCMP_A1_32(SCMP_CMP_EQ, ioctls[i]));
	for (i = 0; !r && (flags & SANDBOX_F_INET) && i < ARRAY_SIZE(families);
	     i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
				     SCMP_A0_32(SCMP_CMP_EQ, families[i]));
	for (i = 0; !r && i < ARRAY_SIZE(prctls); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
				     SCMP_A0_32(SCMP_CMP_EQ, prctls[i]));
	if (!r)
		r = seccomp_rule_add(
			ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
			SCMP_A2_32(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (!r)
		r = seccomp_rule_add(
			ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
			SCMP_A2_32(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
				     SCMP_A0_64(SCMP_CMP_MASKED_EQ,
						thread | CLONE_NEVER, thread));
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
				     SCMP_SYS(clone3), 0);
	if (!r)
		r = seccomp_rule_add(
			ctx, SCMP_ACT_ALLOW, SCMP_SYS(seccomp), 2,
			SCMP_A0_32(SCMP_CMP_EQ, SECCOMP_SET_MODE_FILTER),
			SCMP_A1_32(SCMP_CMP_EQ, 0));
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
				     SCMP_A0_32(SCMP_CMP_EQ, getpid()));
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64),
				     2, SCMP_A0_32(SCMP_CMP_EQ, 0),
				     SCMP_A2_64(SCMP_CMP_EQ, 0));
	return r;
}

int sandbox_filter_new(enum sandbox_class cls, unsigned int flags,
		       scmp_filter_ctx *out)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	int r;

	if (!ctx)
		return -ENOMEM;
	/* a binary tree of system calls: KVM_RUN passes fewer tests */
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (cls == SANDBOX_PROCESS) {
		r = allow_all(ctx, process_calls, ARRAY_SIZE(process_calls));
		if (!r)
			r = allow_checked(ctx, flags);
	} else {
		r = allow_all(ctx, vcpu_calls, ARRAY_SIZE(vcpu_calls));
	}
	if (r) {
		seccomp_release(ctx);
		return r;
	}
	*out = ctx;
	return 0;
}

int sandbox_filter_export(scmp_filter_ctx ctx, struct sock_fprog *prog)
{
	int fd = memfd_create("wirt-seccomp", MFD_CLOEXEC);
	off_t len;
	int r;

	if (fd < 0)
		return -errno;
	r = seccomp_export_bpf(ctx, fd);
	len = r ? -1 : lseek(fd, 0, SEEK_END);
	if (len <= 0 || len % sizeof(struct sock_filter) ||
	    len / sizeof(struct sock_filter) > BPF_MAXINSNS) {
		close(fd);
		return r ? r : -EINVAL;
	}
	prog->filter = malloc(len);
	prog->len = len / sizeof(struct sock_filter);
	if (!prog->filter) {
		close(fd);
		return -ENOMEM;
	}
	if (pread_full(fd, prog->filter, len, 0) != len) {
		free(prog->filter);
		prog->filter = NULL;
		close(fd);
		return -EIO;
	}
	close(fd);
	return 0;
}
