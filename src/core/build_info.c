/* SPDX-License-Identifier: MIT */
/* Build identity: the GNU build ID read from our own ELF notes, and the
 * mode, version, revision, compiler and CPU target fixed at build time. */
#include <link.h>
#include <elf.h>
#include <string.h>
#include <pthread.h>

#include "common.h"
#include "build_config.h"

static char build_id_hex[2 * 64 + 1];
static pthread_once_t build_id_once = PTHREAD_ONCE_INIT;

/* Finds the NT_GNU_BUILD_ID note of the object whose loaded segments hold
 * this function, so the answer is the library's when it is a shared object
 * and the program's when it is linked in statically. */
static int find_note(struct dl_phdr_info *info, size_t size, void *data)
{
	uintptr_t self = (uintptr_t)data;
	int mine = 0;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && self >= start && self < start + ph->p_memsz)
			mine = 1;
	}
	if (!mine)
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const uint8_t *p, *end;

		if (ph->p_type != PT_NOTE)
			continue;
		p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
		end = p + ph->p_memsz;
		while ((size_t)(end - p) >= sizeof(ElfW(Nhdr))) {
			ElfW(Nhdr) nh;
			size_t name_sz, desc_sz;

			memcpy(&nh, p, sizeof(nh));
			name_sz = (nh.n_namesz + 3) & ~(size_t)3;
			desc_sz = (nh.n_descsz + 3) & ~(size_t)3;
			if ((size_t)(end - p) < sizeof(nh) + name_sz + desc_sz)
				break;
			if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
			    memcmp(p + sizeof(nh), "GNU", 4) == 0 && nh.n_descsz <= 64) {
				const uint8_t *d = p + sizeof(nh) + name_sz;
				static const char hex[] = "0123456789abcdef";

				for (size_t k = 0; k < nh.n_descsz; k++) {
					build_id_hex[2 * k] = hex[d[k] >> 4];
					build_id_hex[2 * k + 1] = hex[d[k] & 15];
				}
				build_id_hex[2 * nh.n_descsz] = '\0';
				return 1;
			}
			p += sizeof(nh) + name_sz + desc_sz;
		}
	}
	return 1;
}

static void build_id_init(void)
{
	strcpy(build_id_hex, "unknown");
	dl_iterate_phdr(find_note, (void *)(uintptr_t)&find_note);
}

const char *fp_build_id(void)
{
	pthread_once(&build_id_once, build_id_init);
	return build_id_hex;
}

const char *fp_build_mode(void) { return FP_BUILD_MODE; }
const char *fp_version(void) { return FP_BUILD_VERSION; }
const char *fp_source_rev(void) { return FP_BUILD_REV; }
const char *fp_compiler(void) { return FP_BUILD_COMPILER; }
const char *fp_cpu_target(void) { return FP_BUILD_CPU; }

const char *fp_strerror(int err)
{
	switch (err) {
	case FP_OK:
		return "success";
#define FP__ERR_CASE(name, val, msg) case FP_E##name: return msg;
	FP_ERRNO_MAP(FP__ERR_CASE)
#undef FP__ERR_CASE
	}
	return "unknown error";
}
