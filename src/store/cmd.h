/* SPDX-License-Identifier: MIT */
/*
 * The store's commands: fastport scans, diff and export. Each takes the
 * arguments after the program name (argv[0] is the command's name),
 * prints its result on standard output and errors on standard error as
 * "fastport: ...", and returns the exit status: 0 done, 1 runtime failure
 * (store unreachable, unknown scan, write error), 2 usage error (unknown
 * option, bad --store URL, bad --format).
 */
#ifndef FP_STORE_CMD_H
#define FP_STORE_CMD_H

#include <stdio.h>

int cmd_scans(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_export(int argc, char **argv);

/* Each command's help after its usage line (fastport help COMMAND). */
void cmd_scans_help(FILE *f);
void cmd_diff_help(FILE *f);
void cmd_export_help(FILE *f);

#endif
