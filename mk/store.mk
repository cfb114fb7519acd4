# SPDX-License-Identifier: MIT
# The results store (src/store): SQLite, libpq and jansson. It goes into the
# fastport program only, never into libfastport, whose scan core needs only
# libc. STORE=0 builds fastport without it (detected: 1 when the three
# libraries' headers are found).

STORE_PKGS := sqlite3 libpq jansson
STORE ?= $(shell pkg-config --exists $(STORE_PKGS) 2>/dev/null && echo 1 || echo 0)

ifeq ($(STORE),1)
STORE_CFLAGS := $(shell pkg-config --cflags $(STORE_PKGS))
STORE_LDLIBS := $(shell pkg-config --libs $(STORE_PKGS))
STORE_SRCS := $(sort $(wildcard src/store/*.c))
STORE_OBJS := $(STORE_SRCS:%.c=$(OBJ)/%.o)
$(STORE_OBJS): CFLAGS_ALL += $(STORE_CFLAGS)

# Linked into the program beside the CLI's objects (the $(BIN) recipe
# links $(CLI_OBJS)).
CLI_OBJS += $(STORE_OBJS)
$(BIN): $(STORE_OBJS)
$(BIN): EXE_LDFLAGS += $(STORE_LDLIBS)

# The test driver and the store's unit tests link the store's objects and
# the static library.
STORE_TOOL := $(BUILD)/tests/store_tool
$(STORE_TOOL): tests/store/store_tool.c $(STORE_OBJS) $(STATIC) $(FLAGS_FILE)
	@mkdir -p $(@D)
	$(call quiet,CC,$<)$(CC) $(CFLAGS_ALL) $(STORE_CFLAGS) -o $@ $< $(STORE_OBJS) $(STATIC) \
		$(LDFLAGS_ALL) $(EXE_LDFLAGS) $(STORE_LDLIBS)
$(BUILD)/tests/test_store_%: tests/unit/test_store_%.c $(STORE_OBJS) $(STATIC) tests/unit/unit.h $(FLAGS_FILE)
	@mkdir -p $(@D)
	$(call quiet,CC,$<)$(CC) $(CFLAGS_ALL) $(STORE_CFLAGS) -Itests/unit -o $@ $< $(STORE_OBJS) \
		$(STATIC) $(LDFLAGS_ALL) $(EXE_LDFLAGS) -lcmocka $(STORE_LDLIBS)
all: $(STORE_TOOL)
ifeq ($(CRT_CET),1)
$(STORE_TOOL): $(CRT_OBJS)
endif

.PHONY: store-test
# The store's integration tests (SQLite and a PostgreSQL server of their own).
store-test: $(STORE_TOOL)
	$(Q)tests/store/run $(BUILD)

build/fuzz/fuzz_store_event: src/store/event_parse.c
build/fuzz/fuzz_store_event: FUZZ_FLAGS += $(shell pkg-config --cflags jansson) \
	-Wl,--no-as-needed $(shell pkg-config --libs jansson)
else
UNIT_SRCS := $(filter-out tests/unit/test_store_%,$(UNIT_SRCS))
UNIT_BINS := $(filter-out $(BUILD)/tests/test_store_%,$(UNIT_BINS))
FUZZ_BINS := $(filter-out build/fuzz/fuzz_store_%,$(FUZZ_BINS))
endif
