/* SPDX-License-Identifier: MIT */
/* The send and receive paths' one way of reporting a failed system call. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "io_error.h"
#include "../core/common.h"

int io_sys_error(int eno, char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s: %s", what, strerror(eno));
	return eno == EPERM || eno == EACCES ? FP_EPERM : FP_ESYS;
}
