# SPDX-License-Identifier: MIT
# Least privilege and hardening: the CLI's sandbox libraries, the sandbox
# unit test, and `make MODE=secure verify-hardening`.

# The sandbox test links the CLI's sandbox.o, which the library lacks, and
# its libraries (CLI_LDLIBS, in the Makefile).
SANDBOX_OBJ := $(OBJ)/src/cli/sandbox.o
$(BUILD)/tests/test_sandbox: tests/unit/test_sandbox.c $(SANDBOX_OBJ) tests/unit/unit.h $(FLAGS_FILE)
	@mkdir -p $(@D)
	$(call quiet,CC,$<)$(CC) $(CFLAGS_ALL) -Itests/unit -o $@ $< $(SANDBOX_OBJ) \
		$(LDFLAGS_ALL) $(EXE_LDFLAGS) -lcmocka $(CLI_LDLIBS)

.PHONY: verify-hardening
# Fails unless the secure build's executable and shared library carry every
# protection of the secure mode (hardening-check, checksec, readelf).
verify-hardening: $(BIN) $(SO) $(FLAGS_FILE)
ifneq ($(MODE),secure)
	$(error verify-hardening checks the secure build: make MODE=secure verify-hardening)
endif
	$(Q)CC='$(CC)' CRT_CET='$(CRT_CET)' mk/verify-hardening.sh $(BIN) $(SO) $(OBJ) $(FLAGS_FILE)
