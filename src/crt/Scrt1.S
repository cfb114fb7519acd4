/* SPDX-License-Identifier: MIT */
/*
 * Program entry for the secure build's position-independent executables on
 * x86-64 with glibc 2.34 or later (mk/crt.mk): it takes the place of the C
 * library's Scrt1.o, which Debian builds without CET, so that the linker can
 * mark the executable IBT and SHSTK compatible. It does what the System V
 * x86-64 ABI asks of an entry point and hands over to __libc_start_main.
 *
 * The dynamic linker reaches _start by an indirect jump, hence endbr64.
 * At entry: %rsp points at argc, then argv[], envp[] and the auxiliary
 * vector; %rdx holds the function the dynamic linker wants run at exit.
 */
#include "cet-note.h"

	.text
	.globl	_start
	.type	_start, @function
_start:
	.cfi_startproc
	.cfi_undefined rip		/* outermost frame: unwinding stops here */
	endbr64
	xorl	%ebp, %ebp		/* no caller frame */
	movq	%rdx, %r9		/* rtld_fini (6th argument) */
	popq	%rsi			/* argc (2nd) */
	movq	%rsp, %rdx		/* argv (3rd) */
	andq	$-16, %rsp		/* ABI stack alignment */
	pushq	%rax			/* padding: keeps the alignment */
	pushq	%rsp			/* stack_end (7th, on the stack) */
	xorl	%r8d, %r8d		/* fini (5th): unused since glibc 2.34 */
	xorl	%ecx, %ecx		/* init (4th): unused since glibc 2.34 */
	movq	main@GOTPCREL(%rip), %rdi	/* main (1st) */
	call	*__libc_start_main@GOTPCREL(%rip)
	hlt				/* __libc_start_main never returns */
	.cfi_endproc
	.size	_start, . - _start

	/* Tells the C library this program uses the current stdio ABI. */
	.section .rodata
	.globl	_IO_stdin_used
	.type	_IO_stdin_used, @object
	.p2align 2
_IO_stdin_used:
	.long	0x20001
	.size	_IO_stdin_used, 4

	/* The start of the data segment, as the C library's entry defines it. */
	.data
	.globl	__data_start
	.weak	data_start
	.type	__data_start, @object
__data_start:
data_start:
	.long	0
	.size	__data_start, 4

	/* The ABI tag: a Linux program for kernels from 3.2.0 on. */
	.section .note.ABI-tag, "a", @note
	.p2align 2
	.long	4			/* name size */
	.long	16			/* descriptor size */
	.long	1			/* NT_GNU_ABI_TAG */
	.asciz	"GNU"
	.long	0, 3, 2, 0		/* Linux 3.2.0 */
