/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A 64 KiB "UEFI code image" for tests/kvm/72-uefi: a firmware volume
 * header (what wirt-vmm --firmware PATH recognizes UEFI code by), then
 * code that the vCPU runs from the reset vector. It enters flat 32-bit
 * protected mode and drives the 64 KiB variable store flash right below
 * the code (0xfffe0000) with CFI commands, as OVMF does:
 *   - the boot count at +0x100 (0xff = 0) is printed as
 *     "pflash: count=XX", then programmed with count + 1 (command 0x10);
 *   - OVMF's detection: 0x50 leaves read-array data, 0x70 reads 0x00;
 *   - status after the program (0x80), read back, "pflash: count now XX";
 *   - erase of block 1 (0x20, 0xd0): +0x1000 reads 0xff afterwards;
 *   - CFI query (0x98): "QRY" at 0x10;
 *   - a program on the read-only code flash: its status ("code status")
 *     and the byte, unchanged (with read-only KVM slots; left out when
 *     assembled with --defsym NO_CODE_WRITE=1);
 *   - odd new count: reset through port 0xcf9; even: the store is left
 *     in read-status mode while the guest waits ("pflash: waiting")
 *     until the CMOS clock has ticked 10 times, reading the status
 *     ("after wait XX", 80, not the array byte 5a: a saved and restored
 *     VM keeps the mode), then powers off (ACPI S5).
 * Linked at 0xffff0000: tests/kvm/72-uefi builds it.
 */
	.equ VARS, 0xfffe0000
	.equ CODE, 0xffff0000

	.code16
	.text
	.globl _start
_start:
	/* firmware volume header: zero GUID, length, signature */
	.fill 32, 1, 0
	.quad 0x10000
	.ascii "_FVH"
	.fill 20, 1, 0

entry16:
	cli
	cld
	lgdtl %cs:(gdtr - _start)
	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	ljmpl $0x08, $pm32

	.p2align 3
gdt:
	.quad 0
	.quad 0x00cf9b000000ffff /* 0x08: code, flat 32-bit */
	.quad 0x00cf93000000ffff /* 0x10: data, flat */
gdtr:
	.word gdtr - gdt - 1
	.long gdt

	.code32
/* putc: the byte in %al to COM1. Clobbers %edx. */
putc:
	movw $0x3f8, %dx
	outb %al, %dx
	ret

/* puts: the NUL-terminated string at %esi. Clobbers %eax, %edx, %esi. */
puts:
	lodsb
	testb %al, %al
	jz 1f
	call putc
	jmp puts
1:	ret

/* puthex: %al as two hex digits, then a newline. Clobbers %eax, %edx. */
puthex:
	pushl %eax
	shrb $4, %al
	call hexdigit
	popl %eax
	andb $0xf, %al
	call hexdigit
	movb $'\n', %al
	jmp putc
hexdigit:
	andb $0xf, %al
	addb $'0', %al
	cmpb $'9', %al
	jbe putc
	addb $('a' - '0' - 10), %al
	jmp putc

/* say: print string S then the hex byte in %al */
.macro say s
	pushl %eax
	movl $\s, %esi
	call puts
	popl %eax
	call puthex
.endm

pm32:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movl $0x7000, %esp

	/* the boot count */
	movb VARS + 0x100, %bl
	cmpb $0xff, %bl
	jne 1f
	xorb %bl, %bl
1:	movb %bl, %al
	say s_count

	/* OVMF's detection sequence */
	movb $0x50, VARS + 0x100
	movb VARS + 0x100, %al
	say s_after50
	movb $0x70, VARS + 0x100
	movb VARS + 0x100, %al
	say s_status
	movb $0xff, VARS + 0x100

	/* program count + 1 */
	incb %bl
	movb $0x10, VARS + 0x100
	movb %bl, VARS + 0x100
	movb VARS + 0x100, %al
	say s_pstatus
	movb $0xff, VARS + 0x100
	movb VARS + 0x100, %al
	say s_now

	/* erase block 1 */
	movb $0x20, VARS + 0x1000
	movb $0xd0, VARS + 0x1000
	movb VARS + 0x1000, %al
	say s_estatus
	movb $0xff, VARS + 0x1000
	movb VARS + 0x1234, %al
	say s_erased

	/* CFI query */
	movb $0x98, VARS + 0x55
	movb $'Q', %al
	cmpb VARS + 0x10, %al
	jne 2f
	movb $'R', %al
	cmpb VARS + 0x11, %al
	jne 2f
	movb $'Y', %al
	cmpb VARS + 0x12, %al
	jne 2f
	movb $0x01, %al
	jmp 3f
2:	xorb %al, %al
3:	movb $0xff, VARS + 0x55
	say s_qry

	/*
	 * the code flash refuses a program (PVM stops with an emulation
	 * failure at a write to a read-only slot of this one: 72-uefi
	 * assembles the image with NO_CODE_WRITE there)
	 */
.ifdef NO_CODE_WRITE
	jmp 5f
.endif
	movb $0x50, code_byte
	movb $0x10, code_byte
	movb $0x00, code_byte
	movb $0x70, code_byte
	movb code_byte, %al
	say s_cstatus
	movb $0xff, code_byte
	movb code_byte, %al
	say s_cbyte
5:

	testb $1, %bl
	jz wait
	movb $0x06, %al
	movw $0xcf9, %dx
	outb %al, %dx
	hlt

wait:
	movb $0x70, VARS + 0x200 /* read status, kept while waiting */
	xorb %al, %al
	movl $s_waiting, %esi
	call puts
	movl $10, %ecx
	call rtc_sec
	movb %al, %bh
4:	movb VARS + 0x200, %al /* a status read: an exit each time */
	call rtc_sec
	cmpb %al, %bh
	je 4b
	movb %al, %bh
	loop 4b
	movb VARS + 0x200, %al
	say s_after
	movb $0xff, VARS + 0x200
	movb VARS + 0x200, %al
	say s_array
	movb $0x34, %al /* S5 */
	movw $0x600, %dx
	outb %al, %dx
	hlt

/* rtc_sec: CMOS seconds in %al. Clobbers nothing else. */
rtc_sec:
	movb $0x00, %al
	outb %al, $0x70
	inb $0x71, %al
	ret

s_count:	.asciz "pflash: count="
s_after50:	.asciz "pflash: after clear status "
s_status:	.asciz "pflash: read status "
s_pstatus:	.asciz "pflash: program status "
s_now:		.asciz "pflash: count now "
s_estatus:	.asciz "pflash: erase status "
s_erased:	.asciz "pflash: erased "
s_qry:		.asciz "pflash: cfi query "
s_cstatus:	.asciz "pflash: code status "
s_cbyte:	.asciz "pflash: code byte "
s_waiting:	.asciz "pflash: waiting\n"
s_after:	.asciz "pflash: after wait "
s_array:	.asciz "pflash: array "

	/* a byte of the code flash away from the pages the vCPU runs */
	.org 0x8000
code_byte:	.byte 0xc3

	/* the reset vector, 16 bytes from the end */
	.org 0xfff0
	.code16
	jmp entry16
	.org 0x10000, 0x90
