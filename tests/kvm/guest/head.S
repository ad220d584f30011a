/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Boot header and entry of the KVM-tier test guests. The setup header
 * follows the Linux x86 boot protocol 2.15 so wirt-vmm loads these images
 * exactly like a kernel; the 64-bit entry at load address + 0x200 sets a
 * stack and calls guest_main(boot_params).
 */
	.section .setup, "a"
	.fill 0x1f1, 1, 0
	.byte 1			/* 0x1f1 setup_sects */
	.word 0			/* 0x1f2 root_flags */
	.long 0			/* 0x1f4 syssize */
	.word 0, 0, 0		/* 0x1f8 ram_size, vid_mode, root_dev */
	.word 0xaa55		/* 0x1fe boot_flag */
	.byte 0xeb, 0x6a	/* 0x200 jump: header runs to 0x26c */
	.ascii "HdrS"		/* 0x202 */
	.word 0x020f		/* 0x206 version */
	.long 0			/* 0x208 realmode_swtch */
	.word 0, 0		/* 0x20c start_sys_seg, kernel_version */
	.byte 0			/* 0x210 type_of_loader */
	.byte 1			/* 0x211 loadflags: LOADED_HIGH */
	.word 0			/* 0x212 setup_move_size */
	.long 0x100000		/* 0x214 code32_start */
	.long 0, 0		/* 0x218 ramdisk_image, ramdisk_size */
	.long 0			/* 0x220 bootsect_kludge */
	.word 0			/* 0x224 heap_end_ptr */
	.byte 0, 0		/* 0x226 ext_loader_ver, ext_loader_type */
	.long 0			/* 0x228 cmd_line_ptr */
	.long 0x7fffffff	/* 0x22c initrd_addr_max */
	.long 0x200000		/* 0x230 kernel_alignment */
	.byte 0			/* 0x234 relocatable_kernel */
	.byte 0			/* 0x235 min_alignment */
	.word 1			/* 0x236 xloadflags: XLF_KERNEL_64 */
	.long 2047		/* 0x238 cmdline_size */
	.long 0			/* 0x23c hardware_subarch */
	.quad 0			/* 0x240 hardware_subarch_data */
	.long 0, 0		/* 0x248 payload_offset, payload_length */
	.quad 0			/* 0x250 setup_data */
	.quad 0x100000		/* 0x258 pref_address */
	.long _init_size	/* 0x260 init_size */
	.long 0			/* 0x264 handover_offset */
	.long 0			/* 0x268 kernel_info_offset */
	.fill 0x400 - 0x26c, 1, 0

	.section .text.head, "ax"
	.code32
startup_32:			/* 32-bit entry: not supported, stop */
	cli
1:	hlt
	jmp 1b
	.org 0x200
	.code64
	.globl entry64
entry64:
	cli
	lea stack_top(%rip), %rsp
	mov %rsi, %rdi
	call guest_main
2:	cli
	hlt
	jmp 2b

/* Real-mode AP start-up code, copied to 0x8000 (SIPI vector 8) by the BSP.
 * Each AP counts itself at 0x5100 and sets the bit of its initial APIC id
 * (CPUID.1:EBX[31:24]) in the bitmap at 0x5110, then halts for good. */
	.globl ap_tramp, ap_tramp_end
	.code16
ap_tramp:
	cli
	xor %ax, %ax
	mov %ax, %ds
	mov $1, %eax
	cpuid
	shr $24, %ebx
	lock btsl %ebx, 0x5110
	lock incl 0x5100
3:	hlt
	jmp 3b
ap_tramp_end:
	.code64

	.section .bss
	.balign 16
	.skip 16384
stack_top:
