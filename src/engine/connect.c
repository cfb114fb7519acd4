/* SPDX-License-Identifier: MIT */
/* The connect() scan method: not available yet. */
#include "scanner.h"

int engine_connect_scan(struct fp_scanner *s)
{
	return scanner_fail(s, FP_ENOTSUP, "connect scanning is not available in this version");
}
