# SPDX-License-Identifier: MIT
# `fastport mcp` (src/mcp): a Model Context Protocol server on stdio whose
# tools call a running `fastport serve`, on jansson and libcurl. Like serve
# it goes into the fastport program only, never into libfastport; STORE=0
# (the bare scanner) leaves it out too, MCP=0 alone as well.

MCP ?= $(STORE)
ifeq ($(MCP),1)
MCP_PKGS := libcurl jansson
MCP_CFLAGS := $(shell pkg-config --cflags $(MCP_PKGS) 2>/dev/null)
MCP_LDLIBS := $(shell pkg-config --libs $(MCP_PKGS) 2>/dev/null)
MCP_SRCS := $(sort $(wildcard src/mcp/*.c))
MCP_OBJS := $(MCP_SRCS:%.c=$(OBJ)/%.o)
$(MCP_OBJS): CFLAGS_ALL += $(MCP_CFLAGS)
# main.c's command table names mcp only when it is built.
$(OBJ)/src/cli/main.o: CFLAGS_ALL += -DFP_MCP=1

CLI_OBJS += $(MCP_OBJS)
$(BIN): $(MCP_OBJS)
$(BIN): EXE_LDFLAGS += $(MCP_LDLIBS)
endif

# The harness takes the protocol, the tools and the line splitter with a
# fake serve (no libcurl).
build/fuzz/fuzz_mcp: src/mcp/rpc.c src/mcp/tools.c src/mcp/ndjson.c src/mcp/mcp.h
build/fuzz/fuzz_mcp: FUZZ_FLAGS += $(shell pkg-config --cflags jansson 2>/dev/null) \
	-Wl,--no-as-needed $(shell pkg-config --libs jansson 2>/dev/null)
