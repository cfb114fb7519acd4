# SPDX-License-Identifier: MIT
# The results store (src/store): SQLite, libpq and jansson. It goes into the
# fastport program only, never into libfastport, whose scan core needs only
# libc. It is part of every build (tools/install-deps lists the three -dev
# packages in the demo list); STORE=0 leaves it out, for a bare scanner.

STORE_PKGS := sqlite3 libpq jansson
ifeq ($(STORE),1)
STORE_CFLAGS := $(shell pkg-config --cflags $(STORE_PKGS) 2>/dev/null)
STORE_LDLIBS := $(shell pkg-config --libs $(STORE_PKGS) 2>/dev/null)
STORE_SRCS := $(sort $(wildcard src/store/*.c))
STORE_OBJS := $(STORE_SRCS:%.c=$(OBJ)/%.o)
$(STORE_OBJS): CFLAGS_ALL += $(STORE_CFLAGS)

# The CLI's --store (src/cli/scan_store.c and the FP_STORE parts of
# cmd_scan.c and main.c) is compiled in only with the store.
$(CLI_SRCS:%.c=$(OBJ)/%.o): CFLAGS_ALL += -DFP_STORE=1 $(STORE_CFLAGS)

# Linked into the program beside the CLI's objects (the $(BIN) recipe
# links $(CLI_OBJS)).
CLI_OBJS += $(STORE_OBJS)
$(BIN): $(STORE_OBJS)
$(BIN): EXE_LDFLAGS += $(STORE_LDLIBS)

# The test driver and the store's unit tests link the store's objects and
# the static library.
STORE_TOOL := $(BUILD)/tests/store_tool
$(STORE_TOOL): tests/store/store_tool.c $(STORE_OBJS) $(INTERNAL_A) $(FLAGS_FILE)
	@mkdir -p $(@D)
	$(call quiet,CC,$<)$(CC) $(CFLAGS_ALL) $(STORE_CFLAGS) -o $@ $< $(STORE_OBJS) $(INTERNAL_A) \
		$(LDFLAGS_ALL) $(EXE_LDFLAGS) $(STORE_LDLIBS)
$(BUILD)/tests/test_store_%: tests/unit/test_store_%.c $(STORE_OBJS) $(INTERNAL_A) tests/unit/unit.h $(FLAGS_FILE)
	@mkdir -p $(@D)
	$(call quiet,CC,$<)$(CC) $(CFLAGS_ALL) $(STORE_CFLAGS) -Itests/unit -o $@ $< $(STORE_OBJS) \
		$(INTERNAL_A) $(LDFLAGS_ALL) $(EXE_LDFLAGS) -lcmocka $(STORE_LDLIBS)
# Not in profile-guided builds: the training never runs the test driver, so
# it has no profile (which those builds treat as an error).
ifeq ($(PGO),)
all: $(STORE_TOOL)
endif
ifeq ($(CRT_CET),1)
$(STORE_TOOL): $(CRT_OBJS)
endif

.PHONY: store-test
# The store's integration tests (SQLite and a PostgreSQL server of their own).
store-test: $(STORE_TOOL)
	$(Q)tests/store/run $(BUILD)

build/fuzz/fuzz_store_side: src/store/diff.c src/store/diff.h
build/fuzz/fuzz_store_event build/fuzz/fuzz_store_fast: src/store/event_parse.c \
	src/store/event_fast.c src/store/event_fields.h
build/fuzz/fuzz_store_event build/fuzz/fuzz_store_fast build/fuzz/fuzz_store_side: FUZZ_FLAGS += $(shell pkg-config --cflags jansson 2>/dev/null) \
	-Wl,--no-as-needed $(shell pkg-config --libs jansson 2>/dev/null)
endif
