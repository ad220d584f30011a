/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A boot sector for the firmware suite (tests/kvm/70-firmware): counts its
 * boots in CMOS byte 0x40 (NVRAM survives resets) and prints
 * "wirt-mbr: boot N" on COM1; boot 1 resets through port 0xcf9, boot 2
 * through the i8042, boot 3 by a triple fault when the byte before the
 * boot signature (offset 509) is 1, and the next boot powers off by ACPI
 * (SLP_TYP 5 | SLP_EN to port 0x600). Each boot also looks for the ACPI
 * RSDP in the BIOS area (0xe0000-0xfffff), where an OS searches for it,
 * and prints "wirt-mbr: rsdp found" or "wirt-mbr: rsdp missing".
 * Build: as --32 -o mbr.o fw-mbr.S && ld -m elf_i386 -Ttext 0x7c00
 *        --oformat binary -o mbr.bin mbr.o
 */
	.code16
	.text
	.globl _start
_start:
	cli
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %ss
	movw $0x7c00, %sp
	cld
	movb $0x40, %al		/* CMOS NVRAM byte 0x40: boots so far */
	outb %al, $0x70
	inb $0x71, %al
	incb %al
	outb %al, $0x71
	movb %al, %bl
	movw $msg, %si
	call puts
	movb %bl, %al
	addb $'0', %al
	call putc
	movw $crlf, %si
	call puts
	call find_rsdp
	call puts
	cmpb $1, %bl
	je reset_cf9
	cmpb $2, %bl
	je reset_kbd
	cmpb $3, %bl
	jne poweroff
	cmpb $1, triple_too
	je triple
poweroff:
	movb $0x34, %al		/* S5 */
	movw $0x600, %dx
	outb %al, %dx
1:	hlt
	jmp 1b
reset_cf9:
	movb $0x06, %al
	movw $0xcf9, %dx
	outb %al, %dx
	jmp 1b
reset_kbd:
	movb $0xfe, %al
	outb %al, $0x64
	jmp 1b
triple:
	lidt idt0		/* empty IDT: the exception cannot be delivered */
	int3
	jmp 1b

/* si = the message saying whether "RSD PTR " is on a 16-byte boundary */
find_rsdp:
	movw $0xe000, %ax
4:	movw %ax, %es
	xorw %di, %di
5:	cmpl $0x20445352, %es:(%di)	/* "RSD " */
	jne 6f
	cmpl $0x20525450, %es:4(%di)	/* "PTR " */
	je 7f
6:	addw $16, %di
	jnz 5b
	addw $0x1000, %ax
	jnz 4b
	movw $missing, %si
	ret
7:	movw $found, %si
	ret

puts:	lodsb
	testb %al, %al
	jz 2f
	call putc
	jmp puts
2:	ret

putc:	movw $0x3fd, %dx	/* wait for the transmitter */
	movb %al, %ah
3:	inb %dx, %al
	testb $0x20, %al
	jz 3b
	movw $0x3f8, %dx
	movb %ah, %al
	outb %al, %dx
	ret

idt0:	.word 0
	.long 0
msg:	.asciz "wirt-mbr: boot "
crlf:	.asciz "\r\n"
found:	.asciz "wirt-mbr: rsdp found\r\n"
missing: .asciz "wirt-mbr: rsdp missing\r\n"
	.org 509
triple_too:
	.byte 0
	.byte 0x55, 0xaa
