/* SPDX-License-Identifier: GPL-2.0-or-later */
/* /dev/kvm: opening it, telling what kind of KVM the host has, capabilities. */
#ifndef WIRT_VMM_KVM_H
#define WIRT_VMM_KVM_H

#include <stdbool.h>

enum kvm_kind {
	KVM_KIND_HW, /* Intel VT-x or AMD-V */
	KVM_KIND_PVM, /* pagetable-based VM: only PVM guest kernels run fast */
};

/* Returns the kind of the host's KVM backend (/sys/module/kvm_pvm). */
enum kvm_kind kvm_host_kind(void);

/*
 * kvm_open - open /dev/kvm and check its API version and the capabilities
 * wirt-vmm relies on. Returns the fd, or -errno with *why set to a sentence
 * saying what is wrong and what to do.
 */
int kvm_open(const char **why);

/* Returns KVM_CHECK_EXTENSION's answer for cap on fd (0 when absent). */
int kvm_cap(int fd, long cap);

#endif
