/* SPDX-License-Identifier: MIT */
/*
 * Built twice, as crti.o and crtn.o, to take the place of the C library's
 * two in the secure build (mk/crt.mk). Those open and close the legacy
 * _init and _fini functions, built without endbr64 on Debian, which the
 * dynamic linker would call indirectly. Nothing fastport links puts code in
 * .init or .fini (GCC and clang run constructors from .init_array), so these
 * objects define neither function: the executable and the library get no
 * DT_INIT or DT_FINI, and the C library skips what is absent. All they carry
 * is the CET note.
 */
#include "cet-note.h"
