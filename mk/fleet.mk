# SPDX-License-Identifier: MIT
# The fleet on NATS JetStream (src/fleet: `fastport agent`, `submit`,
# `results`, `agents`), on the NATS C client (libnats) and jansson. Like
# serve it goes into the fastport program only, never into libfastport;
# it reads tasks with serve's reader and checks scope with serve's
# (src/serve/task.c, scope.c), so it comes with serve: SERVE=0 or STORE=0
# leave it out too (FLEET=0 alone as well; the cross builds do).

# serve.mk, read after this file, sets SERVE ?= $(STORE).
FLEET ?= $(if $(SERVE),$(SERVE),$(STORE))
# main.c's command table depends on FLEET, which its flags file does not
# record (-DFP_FLEET is its own): a stamp rebuilds it when FLEET changes.
FLEET_STAMP := $(BUILD)/gen/fleet
$(FLEET_STAMP): FORCE
	@mkdir -p $(@D)
	@echo '$(FLEET)' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
$(OBJ)/src/cli/main.o: $(FLEET_STAMP)
ifeq ($(FLEET),1)
ifeq ($(if $(SERVE),$(SERVE),$(STORE)),0)
$(error FLEET=1 needs serve (SERVE=1, STORE=1))
endif
FLEET_CFLAGS := $(shell pkg-config --cflags libnats jansson 2>/dev/null) -DFP_FLEET=1
FLEET_LDLIBS := $(shell pkg-config --libs libnats jansson 2>/dev/null)
FLEET_SRCS := $(sort $(wildcard src/fleet/*.c))
FLEET_OBJS := $(FLEET_SRCS:%.c=$(OBJ)/%.o)
$(FLEET_OBJS): CFLAGS_ALL += $(FLEET_CFLAGS)
# main.c's command table names the fleet's commands only when it is built.
$(OBJ)/src/cli/main.o: CFLAGS_ALL += -DFP_FLEET=1 $(FLEET_CFLAGS)

CLI_OBJS += $(FLEET_OBJS)
$(BIN): $(FLEET_OBJS)
$(BIN): EXE_LDFLAGS += $(FLEET_LDLIBS)

.PHONY: fleet-test fleet-bench
# The fleet against real nats-server processes and the lab (tests/fleet/run),
# and its figures for docs/SCALING.md (tests/fleet/bench).
fleet-test: all
	$(Q)tests/fleet/run $(BUILD)
fleet-bench: all
	$(Q)tests/fleet/bench $(BUILD)
endif

# The harness of the shard task reader (built by `make fuzz` whatever FLEET).
build/fuzz/fuzz_fleet_task: src/fleet/common.c src/fleet/fleet.h src/serve/task.c src/serve/task.h
build/fuzz/fuzz_fleet_task: FUZZ_FLAGS += $(shell pkg-config --cflags libnats jansson 2>/dev/null) \
	-Wl,--no-as-needed $(shell pkg-config --libs libnats jansson 2>/dev/null)
