// SPDX-License-Identifier: GPL-2.0-or-later
/* Opening /dev/kvm with clear diagnostics. */
#include "vmm/kvm/kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/util.h"

enum kvm_kind kvm_host_kind(void)
{
	return access("/sys/module/kvm_pvm", F_OK) == 0 ? KVM_KIND_PVM :
							  KVM_KIND_HW;
}

int kvm_cap(int fd, long cap)
{
	int r = ioctl(fd, KVM_CHECK_EXTENSION, cap);

	return r < 0 ? 0 : r;
}

int kvm_open(const char **why)
{
	static const struct {
		long cap;
		const char *name;
	} need[] = {
		{ KVM_CAP_IRQCHIP, "in-kernel irqchip" },
		{ KVM_CAP_PIT2, "in-kernel PIT" },
		{ KVM_CAP_USER_MEMORY, "user memory" },
		{ KVM_CAP_SET_TSS_ADDR, "TSS address" },
		{ KVM_CAP_EXT_CPUID, "CPUID" },
		{ KVM_CAP_IMMEDIATE_EXIT, "immediate exit" },
	};
	unsigned int i;
	int fd, e;

	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		if (e == ENOENT)
			*why = "/dev/kvm does not exist: this host has no KVM (enable VT-x/AMD-V in the firmware and load kvm-intel or kvm-amd; on a host without it use tools/testbed)";
		else if (e == EACCES || e == EPERM)
			*why = "/dev/kvm: permission denied (add your user to the 'kvm' group or run as root)";
		else if (e == ENODEV || e == ENXIO)
			*why = "/dev/kvm: no KVM device behind it (load kvm-intel or kvm-amd)";
		else
			*why = "/dev/kvm could not be opened";
		return -e;
	}
	if (ioctl(fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		*why = "/dev/kvm speaks an unknown KVM API version";
		close(fd);
		return -ENOTSUP;
	}
	for (i = 0; i < ARRAY_SIZE(need); i++) {
		if (!kvm_cap(fd, need[i].cap)) {
			*why = need[i].name;
			close(fd);
			return -ENOTSUP;
		}
	}
	return fd;
}
