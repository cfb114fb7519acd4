/* SPDX-License-Identifier: MIT */
/*
 * The probe database built into the library: data/service-probes.db as
 * read-only bytes (svc__db_start .. svc__db_end), through the assembler's
 * .incbin with a path relative to the source tree's top, where make runs
 * (no absolute path enters the object). The Makefile makes this object
 * depend on the file. A NUL follows the text; it is not part of it.
 */
#include "db.h"

__asm__(".pushsection .rodata.svc_db,\"a\",@progbits\n"
	".globl svc__db_start\n"
	".hidden svc__db_start\n"
	".type svc__db_start, @object\n"
	"svc__db_start:\n"
	".incbin \"data/service-probes.db\"\n"
	".globl svc__db_end\n"
	".hidden svc__db_end\n"
	".type svc__db_end, @object\n"
	"svc__db_end:\n"
	".byte 0\n"
	".popsection\n");
