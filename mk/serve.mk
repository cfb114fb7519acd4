# SPDX-License-Identifier: MIT
# `fastport serve` (src/serve): the tasking and telemetry API, on
# libmicrohttpd and jansson. Like the store it goes into the fastport
# program only, never into libfastport; it uses the store, so STORE=0
# leaves it out too (SERVE=0 alone as well).

SERVE ?= $(STORE)
ifeq ($(SERVE),1)
SERVE_PKGS := libmicrohttpd jansson
SERVE_CFLAGS := $(shell pkg-config --cflags $(SERVE_PKGS) 2>/dev/null) -DFP_SERVE=1
SERVE_LDLIBS := $(shell pkg-config --libs $(SERVE_PKGS) 2>/dev/null)
SERVE_SRCS := $(sort $(wildcard src/serve/*.c))
SERVE_OBJS := $(SERVE_SRCS:%.c=$(OBJ)/%.o)
$(SERVE_OBJS): CFLAGS_ALL += $(SERVE_CFLAGS)
# serve --nats (fleet/collect.h) when the fleet is built (mk/fleet.mk).
ifeq ($(FLEET),1)
$(SERVE_OBJS): CFLAGS_ALL += -DFP_FLEET=1
endif
$(SERVE_OBJS): $(FLEET_STAMP)
# main.c's command table names serve only when it is built.
$(OBJ)/src/cli/main.o: CFLAGS_ALL += -DFP_SERVE=1

CLI_OBJS += $(SERVE_OBJS)
$(BIN): $(SERVE_OBJS)
$(BIN): EXE_LDFLAGS += $(SERVE_LDLIBS)

build/fuzz/fuzz_serve_task: src/serve/task.c src/serve/task.h
build/fuzz/fuzz_privsep: src/serve/privsep_proto.c src/serve/privsep_proto.h
build/fuzz/fuzz_serve_task: FUZZ_FLAGS += $(shell pkg-config --cflags jansson 2>/dev/null) \
	-Wl,--no-as-needed $(shell pkg-config --libs jansson 2>/dev/null)
endif
