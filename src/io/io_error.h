/* SPDX-License-Identifier: MIT */
/* The send and receive paths' one way of reporting a failed system call. */
#ifndef FP_IO_ERROR_H
#define FP_IO_ERROR_H

#include <stddef.h>

/*
 * Writes "what: <strerror(eno)>" into err (errlen bytes) and returns the
 * library's code for it: FP_EPERM for EPERM and EACCES (no CAP_NET_RAW),
 * FP_ESYS otherwise.
 */
int io_sys_error(int eno, char *err, size_t errlen, const char *what);

#endif
