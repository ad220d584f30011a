// SPDX-License-Identifier: GPL-2.0-or-later
/* vCPU creation, boot register state and the KVM_RUN loop. */
#include "vmm/kvm/vcpu.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/util.h"
#include "vmm/boot/boot.h"
#include "vmm/kvm/cpuid.h"
#include "vmm/sandbox/sandbox.h"
#include "vmm/vm.h"

#define MSR_IA32_TSC 0x10
#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SYSCALL_MASK 0xc0000084
#define MSR_KERNEL_GS_BASE 0xc0000102

#define CR0_PE 0x1ULL
#define CR0_ET 0x10ULL
#define CR0_NE 0x20ULL
#define CR0_PG 0x80000000ULL
#define CR4_PAE 0x20ULL
#define EFER_LME 0x100ULL
#define EFER_LMA 0x400ULL

#define APIC_LVT0 0x350
#define APIC_LVT1 0x360
#define APIC_MODE_NMI 0x4
#define APIC_MODE_EXTINT 0x7

static int set_cpuid(struct vcpu *v)
{
	struct kvm_cpuid2 *src = v->vm->cpuid, *c;
	size_t sz = sizeof(*c) + src->nent * sizeof(c->entries[0]);
	int r;

	c = malloc(sz);
	if (!c)
		return -ENOMEM;
	memcpy(c, src, sz);
	cpuid_adjust(c->entries, c->nent, v->id, v->vm->ncpus);
	r = ioctl(v->fd, KVM_SET_CPUID2, c) ? -errno : 0;
	free(c);
	return r;
}

static int set_msrs(struct vcpu *v)
{
	static const uint32_t idx[] = {
		MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP,
		MSR_IA32_SYSENTER_EIP, MSR_STAR,
		MSR_CSTAR, MSR_KERNEL_GS_BASE,
		MSR_SYSCALL_MASK, MSR_LSTAR,
		MSR_IA32_TSC, MSR_IA32_MISC_ENABLE,
		MSR_MTRR_DEF_TYPE,
	};
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[ARRAY_SIZE(idx)];
	} m;
	unsigned int i;

	memset(&m, 0, sizeof(m));
	for (i = 0; i < ARRAY_SIZE(idx); i++)
		m.e[i].index = idx[i];
	m.e[9].data = 1; /* fast strings */
	m.e[10].data = (1u << 11) | 6; /* MTRRs on, default write-back */
	m.hdr.nmsrs = ARRAY_SIZE(idx);
	if (ioctl(v->fd, KVM_SET_MSRS, &m) != (int)ARRAY_SIZE(idx))
		return -EIO;
	return 0;
}

static int set_fpu_lapic(struct vcpu *v)
{
	struct kvm_fpu fpu = { .fcw = 0x37f, .mxcsr = 0x1f80 };
	struct kvm_lapic_state la;
	uint32_t *lvt0, *lvt1;

	if (ioctl(v->fd, KVM_SET_FPU, &fpu))
		return -errno;
	if (ioctl(v->fd, KVM_GET_LAPIC, &la))
		return -errno;
	lvt0 = (uint32_t *)(la.regs + APIC_LVT0);
	lvt1 = (uint32_t *)(la.regs + APIC_LVT1);
	*lvt0 = (*lvt0 & ~0x700u) | (APIC_MODE_EXTINT << 8);
	*lvt1 = (*lvt1 & ~0x700u) | (APIC_MODE_NMI << 8);
	return ioctl(v->fd, KVM_SET_LAPIC, &la) ? -errno : 0;
}

static void flat_seg(struct kvm_segment *s, uint16_t sel, uint8_t type,
		     int code)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xffffffff;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->g = 1;
	s->l = code;
	s->db = !code;
}

/* Long mode with the boot GDT and identity page tables, entry at rip. */
static int set_boot_state(struct vcpu *v, uint64_t entry)
{
	struct kvm_sregs sr;
	struct kvm_regs regs;

	if (ioctl(v->fd, KVM_GET_SREGS, &sr))
		return -errno;
	flat_seg(&sr.cs, BOOT_CS, 0xb, 1);
	flat_seg(&sr.ds, BOOT_DS, 0x3, 0);
	sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
	memset(&sr.tr, 0, sizeof(sr.tr));
	sr.tr.selector = 0x20;
	sr.tr.limit = 0x67;
	sr.tr.type = 0xb;
	sr.tr.present = 1;
	sr.gdt.base = GDT_ADDR;
	sr.gdt.limit = 6 * 8 - 1;
	sr.idt.base = 0;
	sr.idt.limit = 0;
	sr.cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG;
	sr.cr3 = PML4_ADDR;
	sr.cr4 = CR4_PAE;
	sr.efer = EFER_LME | EFER_LMA;
	if (ioctl(v->fd, KVM_SET_SREGS, &sr))
		return -errno;

	memset(&regs, 0, sizeof(regs));
	regs.rflags = 2;
	regs.rip = entry;
	regs.rsi = ZERO_PAGE_ADDR;
	return ioctl(v->fd, KVM_SET_REGS, &regs) ? -errno : 0;
}

int vcpu_create(struct vcpu *v, struct vm *vm, unsigned int id,
		uint64_t entry)
{
	int r;

	memset(v, 0, sizeof(*v));
	v->vm = vm;
	v->id = id;
	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (v->fd < 0)
		return -errno;
	v->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->fd, 0);
	if (v->run == MAP_FAILED) {
		r = -errno;
		v->run = NULL;
		return r;
	}
	r = set_cpuid(v);
	if (!r)
		r = set_msrs(v);
	if (!r)
		r = set_fpu_lapic(v);
	/* firmware starts from KVM's reset state: f000:fff0, real mode */
	if (!r && id == 0 && !vm->fw)
		r = set_boot_state(v, entry);
	return r;
}

static void dump_seg(const char *n, const struct kvm_segment *s)
{
	fprintf(stderr, "%-3s sel=%04x base=%016llx limit=%08x type=%x p=%d dpl=%d l=%d db=%d\n",
		n, s->selector, (unsigned long long)s->base, s->limit, s->type,
		s->present, s->dpl, s->l, s->db);
}

void vcpu_dump(struct vcpu *v)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(v->fd, KVM_GET_REGS, &r) || ioctl(v->fd, KVM_GET_SREGS, &s)) {
		fprintf(stderr, "vCPU %u: registers unavailable\n", v->id);
		return;
	}
	fprintf(stderr,
		"vCPU %u registers:\n"
		"rip=%016llx rsp=%016llx rflags=%016llx\n"
		"rax=%016llx rbx=%016llx rcx=%016llx rdx=%016llx\n"
		"rsi=%016llx rdi=%016llx rbp=%016llx\n"
		"r8 =%016llx r9 =%016llx r10=%016llx r11=%016llx\n"
		"r12=%016llx r13=%016llx r14=%016llx r15=%016llx\n"
		"cr0=%016llx cr2=%016llx cr3=%016llx cr4=%016llx efer=%016llx\n",
		v->id, r.rip, r.rsp, r.rflags, r.rax, r.rbx, r.rcx, r.rdx,
		r.rsi, r.rdi, r.rbp, r.r8, r.r9, r.r10, r.r11, r.r12, r.r13,
		r.r14, r.r15, s.cr0, s.cr2, s.cr3, s.cr4, s.efer);
	dump_seg("cs", &s.cs);
	dump_seg("ss", &s.ss);
	dump_seg("ds", &s.ds);
	dump_seg("tr", &s.tr);
	fprintf(stderr, "gdt=%016llx/%04x idt=%016llx/%04x\n",
		(unsigned long long)s.gdt.base, s.gdt.limit,
		(unsigned long long)s.idt.base, s.idt.limit);
}

static void handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool wr = run->io.direction == KVM_EXIT_IO_OUT;
	unsigned int i, size = run->io.size;

	/* KVM places the data inside the shared page; trust but verify. */
	if (size > 8 || run->io.data_offset + (uint64_t)size * run->io.count >
				(uint64_t)v->vm->run_size)
		return;
	for (i = 0; i < run->io.count; i++, data += size)
		bus_access(&v->vm->pio, run->io.port, data, size, wr);
}

static void handle_mmio(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	if (run->mmio.len > 8)
		return;
	bus_access(&v->vm->mmio, run->mmio.phys_addr, run->mmio.data,
		   run->mmio.len, run->mmio.is_write);
}

/* Handle one exit; returns false when this vCPU must stop. */
static bool handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	struct vm *vm = v->vm;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		atomic_fetch_add(&vm->io_exits, 1);
		handle_io(v);
		return true;
	case KVM_EXIT_MMIO:
		atomic_fetch_add(&vm->io_exits, 1);
		handle_mmio(v);
		return true;
	case KVM_EXIT_INTR:
		return true;
	case KVM_EXIT_SHUTDOWN:
		/* A triple fault: Linux uses it as its last way to reset. */
		if (atomic_load(&vm->io_exits) == 0) {
			wirt_err("vCPU %u: triple fault before the guest did any I/O (guest crashed)",
				 v->id);
			vcpu_dump(v);
			vm_request_stop(vm, VM_CRASH);
			return false;
		}
		wirt_info("vCPU %u: triple fault, resetting the guest", v->id);
		vm_request_stop(vm, VM_RESET);
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		vm_request_stop(vm, run->system_event.type ==
						    KVM_SYSTEM_EVENT_RESET ?
					    VM_RESET :
					    VM_POWEROFF);
		return false;
	case KVM_EXIT_HLT:
		wirt_err("vCPU %u: halted with interrupts off (guest hung)",
			 v->id);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		wirt_err("vCPU %u: KVM could not enter the guest (hardware reason 0x%llx)",
			 v->id,
			 (unsigned long long)
				 run->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		wirt_err("vCPU %u: KVM internal error, suberror %u", v->id,
			 run->internal.suberror);
		break;
	default:
		wirt_err("vCPU %u: unexpected KVM exit reason %u", v->id,
			 run->exit_reason);
		break;
	}
	vcpu_dump(v);
	vm_request_stop(vm, VM_CRASH);
	return false;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;
	sigset_t set;
	char name[16];
	int r;

	snprintf(name, sizeof(name), "vcpu%u", v->id);
	pthread_setname_np(pthread_self(), name);
	__atomic_store_n(&v->tid, gettid(), __ATOMIC_RELAXED);
	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	r = sandbox_enter_vcpu();
	if (r) {
		wirt_err("vCPU %u: cannot load its seccomp filter: %s", v->id,
			 strerror(-r));
		vm_request_stop(vm, VM_CRASH);
		return NULL;
	}

	for (;;) {
		if (__atomic_load_n(&vm->request, __ATOMIC_ACQUIRE) !=
		    VM_RUNNING)
			break;
		vm_vcpu_park(v);
		if (__atomic_load_n(&vm->request, __ATOMIC_ACQUIRE) !=
		    VM_RUNNING)
			break;
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				v->run->immediate_exit = 0;
				continue;
			}
			wirt_err("vCPU %u: KVM_RUN failed: %s", v->id,
				 strerror(errno));
			vm_request_stop(vm, VM_CRASH);
			break;
		}
		if (!handle_exit(v))
			break;
	}
	return NULL;
}

int vcpu_start(struct vcpu *v)
{
	int r = -thread_start(&v->thread, vcpu_thread, v);

	if (r)
		return -r;
	v->started = 1;
	return 0;
}

void vcpu_kick(struct vcpu *v)
{
	if (!v->run)
		return;
	v->run->immediate_exit = 1;
	if (v->started)
		pthread_kill(v->thread, VCPU_KICK_SIGNAL);
}

void vcpu_join(struct vcpu *v)
{
	if (v->started)
		pthread_join(v->thread, NULL);
	v->started = 0;
}

void vcpu_release(struct vcpu *v)
{
	vcpu_join(v);
	if (v->run)
		munmap(v->run, v->vm->run_size);
	v->run = NULL;
	if (v->fd >= 0)
		close(v->fd);
	v->fd = -1;
}
