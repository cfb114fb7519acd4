/* SPDX-License-Identifier: MIT */
/*
 * The GNU property note that marks an x86-64 object compatible with Intel
 * CET: indirect branch tracking (every indirect branch target starts with
 * endbr64) and shadow stacks (calls and returns stay paired). The linker
 * marks its output only when every input object carries this note; the
 * compiler adds it to C objects under -fcf-protection, and the startup
 * objects of this directory carry it because their code meets both rules.
 */
#ifndef FP_CRT_CET_NOTE_H
#define FP_CRT_CET_NOTE_H

#define GNU_PROPERTY_X86_FEATURE_1_AND	0xc0000002
#define GNU_PROPERTY_X86_FEATURE_1_IBT	0x1
#define GNU_PROPERTY_X86_FEATURE_1_SHSTK	0x2

	.section .note.gnu.property, "a", @note
	.p2align 3
	.long	4			/* name size: "GNU\0" */
	.long	16			/* descriptor size: one property, padded */
	.long	5			/* NT_GNU_PROPERTY_TYPE_0 */
	.asciz	"GNU"
	.long	GNU_PROPERTY_X86_FEATURE_1_AND
	.long	4			/* property data size */
	.long	GNU_PROPERTY_X86_FEATURE_1_IBT | GNU_PROPERTY_X86_FEATURE_1_SHSTK
	.p2align 3

	/* No executable stack. */
	.section .note.GNU-stack, "", @progbits

#endif
