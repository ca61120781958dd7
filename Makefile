# nexus - the only build/test harness.  GNU make, no Python.
#
#   make            build everything into build/ (binaries in build/bin/)
#   make run        start nexus-target with its embedded default, foreground
#   make test       every check CI runs: gcc + clang -Werror builds, unit
#                   tests under ASan/UBSan, libiscsi interop against nexus
#   make conform    conformance suites (nexus-conform) against nexus, or
#                   TARGET=iscsi://host[:port]/iqn/lun; reports in build/reports
#   make clean
#
# Variants live side by side: build/ (gcc -O2), build/asan (ASan+UBSan),
# build/clang (clang -Werror compile check).

SHELL := /bin/bash
# V=1 shows every command line.
Q := $(if $(V),,@)
.DEFAULT_GOAL := all

CC ?= gcc
ifeq ($(origin CC),default)
CC := gcc
endif

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wno-unused-parameter -Wvla -Wformat=2
BASE_CFLAGS := -std=gnu11 -g $(WARN) -I. -D_GNU_SOURCE -MMD -MP
OPT_CFLAGS := -O2
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

# ---- sources ---------------------------------------------------------------
# Portable objects (core, transports, initiator): one library, three worlds.
LIB_SRC := $(filter-out %_test.c,$(wildcard core/*.c core/backstore/*.c \
             transports/iscsi/*.c initiator/*.c))
PLAT_SRC := $(filter-out %_test.c,$(wildcard platform/user/*.c))
TARGET_SRC := $(filter-out %_test.c,$(wildcard tools/nexus-target/*.c))
TEST_SRC := $(wildcard core/*_test.c core/backstore/*_test.c \
              transports/iscsi/*_test.c platform/user/*_test.c \
              initiator/*_test.c tools/nexus-target/*_test.c)
TARGET_LIB_SRC := $(filter-out tools/nexus-target/main.c,$(TARGET_SRC))
# Conformance framework + suites (conformance/) and nexus-conform.  Not
# *_test.c: they are suites run by nexus-conform, not unit tests.
CONF_SRC := $(filter-out %_test.c,$(wildcard conformance/lib/*.c \
              conformance/sam5/*.c conformance/spc4/*.c conformance/sbc3/*.c \
              conformance/iscsi/*.c))
CONFORM_SRC := $(wildcard tools/nexus-conform/*.c)
# The simulator (sim/): its platform replaces platform/user (same symbols),
# so sim programs link libnx_sim.a and never libnx_user.a.
SIM_SRC := $(filter-out %_test.c %_main.c,$(wildcard sim/*.c sim/link/*.c))
SIM_TEST_SRC := $(wildcard sim/*_test.c sim/link/*_test.c)

# $(call objs,VARIANT_DIR,SOURCES)
objs = $(patsubst %.c,$(1)/obj/%.o,$(2))

# ---- variant: default (gcc -O2) ---------------------------------------------
B := build
$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(BASE_CFLAGS) $(OPT_CFLAGS) -c $< -o $@

$(B)/lib/libnexus.a: $(call objs,$(B),$(LIB_SRC))
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/lib/libnx_user.a: $(call objs,$(B),$(PLAT_SRC))
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/bin/nexus-target: $(call objs,$(B),$(TARGET_SRC)) $(B)/lib/libnexus.a $(B)/lib/libnx_user.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) -o $@ $(call objs,$(B),$(TARGET_SRC)) $(B)/lib/libnexus.a $(B)/lib/libnx_user.a -lpthread

$(B)/lib/libnx_conform.a: $(call objs,$(B),$(CONF_SRC))
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/bin/nexus-conform: $(call objs,$(B),$(CONFORM_SRC)) $(B)/lib/libnx_conform.a $(B)/lib/libnexus.a $(B)/lib/libnx_user.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) -o $@ $(call objs,$(B),$(CONFORM_SRC)) $(B)/lib/libnx_conform.a $(B)/lib/libnexus.a $(B)/lib/libnx_user.a -lcmocka -lpthread

# ---- variant: asan (ASan + UBSan, used by make test) ------------------------
A := build/asan
$(A)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(BASE_CFLAGS) -O1 $(SAN_FLAGS) -c $< -o $@

$(A)/lib/libnexus.a: $(call objs,$(A),$(LIB_SRC))
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(A)/lib/libnx_user.a: $(call objs,$(A),$(PLAT_SRC))
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(A)/bin/nexus-target: $(call objs,$(A),$(TARGET_SRC)) $(A)/lib/libnexus.a $(A)/lib/libnx_user.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $(call objs,$(A),$(TARGET_SRC)) $(A)/lib/libnexus.a $(A)/lib/libnx_user.a -lpthread

$(A)/lib/libnx_conform.a: $(call objs,$(A),$(CONF_SRC))
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(A)/bin/nexus-conform: $(call objs,$(A),$(CONFORM_SRC)) $(A)/lib/libnx_conform.a $(A)/lib/libnexus.a $(A)/lib/libnx_user.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $(call objs,$(A),$(CONFORM_SRC)) $(A)/lib/libnx_conform.a $(A)/lib/libnexus.a $(A)/lib/libnx_user.a -lcmocka -lpthread

# Unit tests: every *_test.c is a CMocka program linked against the libraries.
# Tests of tools/nexus-target also link its objects except main.c (only
# those: daemon.o would drag the whole transport into tests that stub it).
$(A)/test/tools/nexus-target/%: $(A)/obj/tools/nexus-target/%_test.o $(call objs,$(A),$(TARGET_LIB_SRC)) $(A)/lib/libnexus.a $(A)/lib/libnx_user.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $< $(call objs,$(A),$(TARGET_LIB_SRC)) $(A)/lib/libnexus.a $(A)/lib/libnx_user.a -lcmocka -lpthread

$(A)/test/%: $(A)/obj/%_test.o $(A)/lib/libnexus.a $(A)/lib/libnx_user.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $< $(A)/lib/libnexus.a $(A)/lib/libnx_user.a -lcmocka -lpthread

$(A)/lib/libnx_sim.a: $(call objs,$(A),$(SIM_SRC))
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

# Simulator unit tests link the sim platform (and the portable library for
# tests that run the target inside the simulator).
$(A)/test/sim/%: $(A)/obj/sim/%_test.o $(A)/lib/libnexus.a $(A)/lib/libnx_sim.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $< $(A)/lib/libnexus.a $(A)/lib/libnx_sim.a -lpcap -lcmocka

UNIT_TESTS := $(patsubst %_test.c,$(A)/test/%,$(TEST_SRC))
UNIT_TESTS += $(patsubst %_test.c,$(A)/test/%,$(SIM_TEST_SRC))

# ---- variant: clang (compile-only -Werror check) ----------------------------
C := build/clang
$(C)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CLANG   $@"
	$(Q)clang $(BASE_CFLAGS) $(OPT_CFLAGS) -c $< -o $@

# ---- top-level goals ---------------------------------------------------------
.PHONY: all run test clean deps check-clang unit interop conform
all: $(B)/bin/nexus-target $(B)/bin/nexus-conform

# The daemon prints a one-line banner saying how to connect; Ctrl-C stops
# it.  Extra flags: make run ARGS="--lun 2=null:1G".
run: deps all
	./$(B)/bin/nexus-target $(ARGS)

check-clang: $(call objs,$(C),$(LIB_SRC) $(PLAT_SRC) $(TARGET_SRC) $(TEST_SRC) \
             $(CONF_SRC) $(CONFORM_SRC) \
             $(SIM_SRC) $(SIM_TEST_SRC))

unit: $(UNIT_TESTS)
	@fail=0; for t in $(UNIT_TESTS); do \
	  echo "== $$t"; $$t || fail=1; \
	done; exit $$fail

# Conformance suites (ASan build) against nexus in-process (the simulated
# target once sim/ lands), or a real target: make conform
# TARGET=iscsi://host[:port]/iqn/lun.  Reports in build/reports/.
CONFORM_REPORTS ?= build/reports
conform: $(A)/bin/nexus-conform
	@mkdir -p $(CONFORM_REPORTS)
	$(A)/bin/nexus-conform --junit $(CONFORM_REPORTS)/conformance.xml \
	  --matrix $(CONFORM_REPORTS)/conformance.md $(if $(TARGET),--target $(TARGET)) $(CONFORM_ARGS)

# libiscsi against the ASan/UBSan daemon; logs and the iscsi-test-cu
# report land in build/reports/.
interop: all $(A)/bin/nexus-target
	tests/interop.sh $(A)/bin/nexus-target

test: deps
	$(MAKE) all check-clang
	$(MAKE) unit
	$(MAKE) interop
	$(MAKE) conform

# Debian packages every check needs; installed only when missing.
DEB_PKGS := gcc make clang libclang-rt-14-dev libcmocka-dev libpcap-dev \
            libiscsi-bin tgt lcov tshark sg3-utils
deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "deps: installing$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; \
	fi

clean:
	rm -rf build

-include $(shell find $(B) $(A) $(C) -name '*.d' 2>/dev/null)

# Test objects are intermediates; keep them so relinking is incremental.
.SECONDARY:
