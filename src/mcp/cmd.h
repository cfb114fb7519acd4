/* SPDX-License-Identifier: MIT */
/* `fastport mcp` (src/mcp/cmd_mcp.c), for main.c's command table (built with MCP=1). */
#ifndef FP_MCP_CMD_H
#define FP_MCP_CMD_H

#include <stdio.h>

int cmd_mcp(int argc, char **argv);
void cmd_mcp_usage(FILE *f);

#endif
