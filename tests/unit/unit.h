/* SPDX-License-Identifier: MIT */
/* Common includes for the cmocka unit tests: one program per module. */
#ifndef FP_UNIT_H
#define FP_UNIT_H
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#endif
