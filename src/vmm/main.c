// SPDX-License-Identifier: GPL-2.0-or-later
/* wirt-vmm: boot a Linux guest on KVM. Only this file decides to exit. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "common/util.h"
#include "vmm/control/control.h"
#include "vmm/devices/console.h"
#include "vmm/kvm/kvm.h"
#include "vmm/kvm/vcpu.h"
#include "vmm/sandbox/sandbox.h"
#include "vmm/state/state.h"
#include "vmm/vdevs.h"
#include "vmm/vm-disks.h"
#include "vmm/vm.h"
#include "vmm/vmm.h"

#define EXIT_HOST 2

static void on_kick(int sig)
{
	(void)sig;
}

/* Put the terminal back, then die of the same signal (core dump intact). */
static void on_fatal(int sig)
{
	console_restore_terminal();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void restore_at_exit(void)
{
	console_restore_terminal();
}

/*
 * Block the termination signals (the main thread reads them from a
 * signalfd) and the vCPU kick signal in every thread but the vCPUs; make
 * sure fatal signals restore the terminal.
 */
static void setup_signals(void)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
	struct sigaction sa;
	sigset_t set;
	unsigned int i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_kick;
	sigaction(VCPU_KICK_SIGNAL, &sa, NULL);
	sa.sa_handler = on_fatal;
	sa.sa_flags = SA_RESETHAND;
	for (i = 0; i < ARRAY_SIZE(fatal); i++)
		sigaction(fatal[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	atexit(restore_at_exit);
}

static void pvm_notice(void)
{
	wirt_warn(
		"this host's KVM is PVM (/sys/module/kvm_pvm): only PVM-enabled guest kernels run at full speed; an ordinary kernel such as Debian's is instruction-emulated about 1000x slower and will not boot in useful time. Boot it inside the nested testbed instead: tools/testbed -- wirt-vmm ...");
}

/*
 * After set-up: give the disks' snapshot directories to the sandbox's
 * user, then drop to it and load the filters. Returns 0 or -errno
 * (printed).
 */
static int enter_sandbox(struct vm *vm)
{
	char err[512];
	unsigned int i;
	uid_t uid;
	gid_t gid;
	int r = 0;

	if (vm->cfg->sandbox.level == SANDBOX_OFF)
		return 0;
	for (i = 0; i < vm->cfg->nvdevs; i++)
		if (vm->cfg->vdevs[i].kind == VDEV_NET &&
		    !strncmp(vm->cfg->vdevs[i].spec, "user", 4))
			sandbox_need_inet(); /* libslirp connects for the guest */
	if (sandbox_target(&uid, &gid))
		r = vm_disks_grant(vm, uid, gid, err, sizeof(err));
	if (!r)
		r = sandbox_enter(err, sizeof(err));
	if (r)
		wirt_err("%s", err);
	return r;
}

int main(int argc, char **argv)
{
	char err[512];
	struct vmm_config cfg;
	struct vm vm;
	const char *why = "";
	int kvm_fd, r;

	wirt_set_progname("wirt-vmm");
	r = vmm_parse_args(argc, argv, &cfg);
	if (r == OPTS_EXIT_OK)
		return 0;
	if (r != OPTS_RUN)
		return EXIT_HOST;
	if (cfg.incoming && state_merge_config(&cfg))
		return EXIT_HOST;

	if (vm_prepare(&vm, &cfg)) {
		vm_destroy(&vm);
		return EXIT_HOST;
	}
	/*
	 * Before any thread exists, so every thread inherits the mask, the
	 * emptied capability bounding set and no_new_privs.
	 */
	if (sandbox_early(&cfg.sandbox, err, sizeof(err))) {
		wirt_err("%s", err);
		vm_destroy(&vm);
		return EXIT_HOST;
	}
	prctl(PR_SET_NAME, cfg.name);
	setup_signals();
	sandbox_set_fatal_hook(console_restore_terminal);
	if (vm_setup(&vm) || vdevs_create(&vm) || control_init(&vm)) {
		vm_destroy(&vm);
		return EXIT_HOST;
	}
	if (kvm_host_kind() == KVM_KIND_PVM)
		pvm_notice();
	kvm_fd = kvm_open(&why);
	if (kvm_fd < 0) {
		if (kvm_fd == -ENOTSUP)
			wirt_err(
				"/dev/kvm lacks a capability wirt-vmm needs: %s",
				why);
		else
			wirt_err("%s", why);
		vm_destroy(&vm);
		return EXIT_HOST;
	}
	r = vm_init(&vm, kvm_fd);
	if (!r)
		r = enter_sandbox(&vm);
	if (r) {
		vm_destroy(&vm);
		close(kvm_fd);
		return EXIT_HOST;
	}
	r = vm_run(&vm);
	vm_destroy(&vm);
	close(kvm_fd);
	return r;
}
