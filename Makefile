# nexus - the only build/test harness.  GNU make, no Python.
#
#   make            build everything into build/ (binaries in build/bin/)
#   make run        conformance suites against the simulated target (fixed
#                   seed): summary, reports/conformance.md + .xml
#   make serve      start nexus-target with its embedded default, foreground
#   make test       every check CI runs: gcc + clang -Werror builds, unit
#                   tests under ASan/UBSan, the simulator (sim-test) and
#                   its ns-3 link (ns3-test), libiscsi interop against
#                   nexus, hostile clients (~1 min), nexus.ko in qemu
#                   (kernel-test, ~2.5 min)
#   make hostile    thousands of malicious connections at the ASan daemon
#                   while libiscsi does verified I/O (tests/hostile.sh)
#   make conform    conformance suites (nexus-conform, ASan) against the
#                   simulated target, or TARGET=iscsi://host[:port]/iqn/lun;
#                   reports in build/reports
#   make bench      nexus-target vs tgtd on loopback (IOPS, latency, CPU/IO,
#                   RSS), ratio lines, reports/bench.md (BENCH_QUICK=1: ~1 min)
#   make coverage   gcov build (build/cov): unit + conformance + fuzz corpus,
#                   lcov HTML in reports/coverage/; last line: core/ +
#                   transports/ line coverage
#   make reports    conformance vs nexus (sim), nexus-target, tgtd, then
#                   reports/index.html linking every report; reports-html
#                   re-renders only, reports-test checks it in Chromium
#   make sim-pgo    build/pgo/bin/nexus-sim with gcc profile feedback (~1 min)
#   make kernel     nexus.ko (build/kernel/) against the Debian kernel headers
#   make kernel-test nexus.ko in a qemu-booted Debian kernel, tested from the
#                   host with libiscsi (iscsi-inq, iscsi-test-cu subset)
#   make clean
#
# Variants live side by side: build/ (gcc -O3 with link-time optimisation;
# LTO=0 turns it off), build/asan (ASan+UBSan), build/clang (clang -Werror
# compile check).

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
OPT_CFLAGS := -O3
# The shipped binaries (build/: nexus-sim, nexus-target, ...) are linked
# with gcc's link-time optimisation: the per-command path crosses sim/,
# the transport and the core through small functions in different files
# (nexus-sim io: -O2 -> -O3 with LTO +10 %, docs/PERFORMANCE.md, "Third
# round"): nexus-sim and nexus-target only (see NO_LTO).  gcc only
# (clang's LTO needs the gold plugin or lld); LTO=0 builds without it.  The asan, clang, fuzz and coverage variants and the
# kernel module (Kbuild) do not use it.
CC_IS_GCC := $(shell $(CC) -v 2>&1 | grep -q '^gcc version' && echo yes)
LTO ?= $(if $(CC_IS_GCC),1,0)
LTO_FLAGS := $(if $(filter 1,$(LTO)),-flto=auto)
# Objects carry machine code too (fat), so the tools whose speed does not
# matter (nexus-conform, nexus-replay, nexus-perf, ...) link them without
# the LTO pass (NO_LTO): a touched core file relinks only nexus-sim and
# nexus-target through it.
LTO_CFLAGS := $(if $(LTO_FLAGS),$(LTO_FLAGS) -ffat-lto-objects)
NO_LTO := $(if $(LTO_FLAGS),-fno-lto)
# gcc on x86-64 turns a fixed-size memset of 96 bytes or more (the task
# and command slot clears of every SCSI command, the sim's segment and
# request set-up) into rep stosq, whose start-up costs more than the C
# library's vector memset: the call instead (nexus-sim io +3 %).
CC_X86_64 := $(filter x86_64%,$(shell $(CC) -dumpmachine 2>/dev/null))
ARCH_CFLAGS := $(if $(and $(CC_IS_GCC),$(CC_X86_64)),-mmemset-strategy=libcall:-1:noalign)
# Archives of LTO objects need the plugin's symbol table (gcc-ar).
AR_B := $(if $(LTO_FLAGS),$(or $(shell command -v gcc-ar 2>/dev/null),ar),ar)
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

# ---- sources ---------------------------------------------------------------
# Portable objects (core, transports, initiator): one library, three worlds.
LIB_SRC := $(filter-out %_test.c,$(wildcard core/*.c core/backstore/*.c \
             transports/iscsi/*.c transports/iser/*.c transports/srp/*.c \
             initiator/*.c))
PLAT_SRC := $(filter-out %_test.c,$(wildcard platform/user/*.c))
TARGET_SRC := $(filter-out %_test.c,$(wildcard tools/nexus-target/*.c))
TEST_SRC := $(wildcard core/*_test.c core/backstore/*_test.c \
              transports/iscsi/*_test.c transports/iser/*_test.c \
              transports/srp/*_test.c \
              platform/user/*_test.c \
              initiator/*_test.c tools/ini-tcp/*_test.c \
              tools/nexus-target/*_test.c)
TARGET_LIB_SRC := $(filter-out tools/nexus-target/main.c,$(TARGET_SRC))
# Conformance framework + suites (conformance/) and nexus-conform.  Not
# *_test.c: they are suites run by nexus-conform, not unit tests.
# The initiator over real sockets (tools/ini-tcp/: URLs, poll(2)) is
# user-space only, so not in libnexus.a: the tools that reach a live
# target (nexus-conform's tcp backend, nexus-replay --target) link it.
INI_USER_SRC := $(filter-out %_test.c,$(wildcard tools/ini-tcp/*.c))
CONF_SRC := $(filter-out %_test.c,$(wildcard conformance/lib/*.c \
              conformance/sam5/*.c conformance/spc4/*.c conformance/sbc3/*.c \
              conformance/iscsi/*.c)) $(INI_USER_SRC)
CONFORM_SRC := $(wildcard tools/nexus-conform/*.c)
# The simulator (sim/): its platform replaces platform/user (same symbols),
# so sim programs link libnx_sim.a and never libnx_user.a.
SIM_SRC := $(filter-out %_test.c %_main.c sim/link/ns3_none.c,$(wildcard sim/*.c sim/link/*.c))
SIM_TEST_SRC := $(wildcard sim/*_test.c sim/link/*_test.c sim/scenarios/*_test.c)
# nexus-sim: the tool and its scenarios (sim/scenarios/, one file each).
# Sim programs link libnexus.a and libnx_sim.a as a group: the glue in
# libnx_sim.a calls the transport and the initiator, which call the
# platform back.
SIMTOOL_SRC := $(filter-out %_test.c,$(wildcard tools/nexus-sim/*.c sim/scenarios/*.c))
SIM_LIBS = -Wl,--start-group $(1)/lib/libnexus.a $(1)/lib/libnx_sim.a -Wl,--end-group -lpcap \
           $(if $(filter $(FZ),$(1)),,$(NS3_LIBS))
# The trace engine (traces/: pcap reading, TCP reassembly, iSCSI decoding)
# and nexus-replay, which replays captures against a simulated nexus (or a
# live target over tools/ini-tcp/): tool code (libc + libpcap), linked
# like the other sim programs.
TRACE_SRC := $(filter-out %_test.c,$(wildcard traces/*.c))
TRACE_TEST_SRC := $(wildcard traces/*_test.c)
REPLAY_SRC := $(wildcard tools/nexus-replay/*.c) $(INI_USER_SRC)
# nexus-hostile (issue 12): tool code, libc + libiscsi.
HOSTILE_SRC := $(wildcard tools/nexus-hostile/*.c)

# $(call objs,VARIANT_DIR,SOURCES)
objs = $(patsubst %.c,$(1)/obj/%.o,$(2))

# ---- ns-3 (optional): the ns3 link's shim -----------------------------------
# sim/link/ns3_shim.cc is C++ against Debian's libns3-dev (ns-3.37),
# found with pkg-config; without ns-3, sim/link/ns3_none.c stands in and
# --link ns3 says how to get it.  The shim gets our warnings (g++ and
# clang++ -Werror), ns-3's headers do not: they come in as system headers
# (-isystem, or /usr/include, already one).  libnx_sim.a depends on a
# stamp naming the choice, so installing or removing ns-3 rebuilds it.
# The fuzz variant always takes the stub (fuzz_sim never picks a link).
NS3_PC := ns3-core ns3-network ns3-point-to-point ns3-csma
HAVE_NS3 := $(shell pkg-config --exists $(NS3_PC) 2>/dev/null && echo yes)
NS3_NONE := sim/link/ns3_none.c
CXX ?= g++
ifeq ($(origin CXX),default)
CXX := g++
endif
ifeq ($(HAVE_NS3),yes)
NS3_INCDIR := $(shell pkg-config --variable=includedir ns3-core)
NS3_CXXFLAGS := -std=c++17 -g -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
                -I. -MMD -MP $(if $(filter /usr/include,$(NS3_INCDIR)),,-isystem $(NS3_INCDIR))
# Named directly: the .pc files' Libs drag ns3-stats' absolute paths to
# libgsl.so/libsqlite3.so, which exist only with their -dev packages.
NS3_LIBS := -L$(shell pkg-config --variable=libdir ns3-core) $(addprefix -l,$(NS3_PC)) -lstdc++
NS3_SRC := sim/link/ns3_shim.cc
else
NS3_SRC := $(NS3_NONE)
endif
# $(call ns3_objs,VARIANT_DIR): the shim or the stub, and the stamp.
ns3_objs = $(patsubst %.cc,$(1)/obj/%.o,$(patsubst %.c,$(1)/obj/%.o,$(NS3_SRC))) \
           $(1)/ns3-$(or $(HAVE_NS3),no).stamp
%/ns3-$(or $(HAVE_NS3),no).stamp:
	@mkdir -p $(dir $@)
	$(Q)rm -f $(dir $@)ns3-*.stamp && touch $@

# ---- variant: default (gcc -O3, LTO) ----------------------------------------
B := build
# Objects depend on a stamp of the flags that shape their code, so
# switching compiler, -O level or LTO rebuilds them (a build/ from before
# the LTO default would otherwise keep its -O2 objects).
B_FLAGS := $(CC) $(OPT_CFLAGS) $(ARCH_CFLAGS) $(LTO_CFLAGS)
$(B)/cflags.stamp: FORCE
	@mkdir -p $(dir $@)
	$(Q)echo '$(B_FLAGS)' | cmp -s - $@ || echo '$(B_FLAGS)' >$@
.PHONY: FORCE

$(B)/obj/%.o: %.c $(B)/cflags.stamp
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(BASE_CFLAGS) $(OPT_CFLAGS) $(ARCH_CFLAGS) $(LTO_CFLAGS) -c $< -o $@

$(B)/obj/%.o: %.cc $(B)/cflags.stamp
	@mkdir -p $(dir $@)
	@echo "  CXX     $@"
	$(Q)$(CXX) $(NS3_CXXFLAGS) $(OPT_CFLAGS) -c $< -o $@

$(B)/lib/libnexus.a: $(call objs,$(B),$(LIB_SRC))
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)rm -f $@ && $(AR_B) rcs $@ $^

$(B)/lib/libnx_user.a: $(call objs,$(B),$(PLAT_SRC))
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)rm -f $@ && $(AR_B) rcs $@ $^

$(B)/bin/nexus-target: $(call objs,$(B),$(TARGET_SRC)) $(B)/lib/libnexus.a $(B)/lib/libnx_user.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(OPT_CFLAGS) $(ARCH_CFLAGS) $(LTO_FLAGS) -o $@ $(call objs,$(B),$(TARGET_SRC)) $(B)/lib/libnexus.a $(B)/lib/libnx_user.a -lpthread

$(B)/lib/libnx_conform.a: $(call objs,$(B),$(CONF_SRC))
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)rm -f $@ && $(AR_B) rcs $@ $^

# nexus-conform runs on the simulator's platform (its default backend is
# the simulated target), so it links libnx_sim.a and never libnx_user.a.
$(B)/bin/nexus-conform: $(call objs,$(B),$(CONFORM_SRC)) $(B)/lib/libnx_conform.a $(B)/lib/libnexus.a $(B)/lib/libnx_sim.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(NO_LTO) -o $@ $(call objs,$(B),$(CONFORM_SRC)) $(B)/lib/libnx_conform.a $(call SIM_LIBS,$(B)) -lcmocka

$(B)/lib/libnx_sim.a: $(call objs,$(B),$(SIM_SRC)) $(call ns3_objs,$(B))
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)rm -f $@ && $(AR_B) rcs $@ $(filter %.o,$^)

$(B)/bin/nexus-sim: $(call objs,$(B),$(SIMTOOL_SRC)) $(B)/lib/libnexus.a $(B)/lib/libnx_sim.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(OPT_CFLAGS) $(ARCH_CFLAGS) $(LTO_FLAGS) -o $@ $(call objs,$(B),$(SIMTOOL_SRC)) $(call SIM_LIBS,$(B))

$(B)/bin/nexus-replay: $(call objs,$(B),$(REPLAY_SRC) $(TRACE_SRC)) $(B)/lib/libnexus.a $(B)/lib/libnx_sim.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(NO_LTO) -o $@ $(call objs,$(B),$(REPLAY_SRC) $(TRACE_SRC)) $(call SIM_LIBS,$(B))

# ---- sim-pgo: nexus-sim with gcc profile feedback (opt-in) ------------------
# make sim-pgo builds build/pgo/bin/nexus-sim twice in the same place:
# instrumented, trained on io and mixed runs (seed 2: not the benchmarks'
# seed 1), then again with -fprofile-use (gcc's profile ids follow the
# object paths, so the two builds must share them).  io +7.5 % CPU
# cmds/s over the LTO build (docs/PERFORMANCE.md, "Third round").  Not
# the default: ~2x the build time of nexus-sim, and every change re-trains.
PGO_B := build/pgo
PGO_DATA := $(CURDIR)/$(PGO_B)/data
.PHONY: sim-pgo
sim-pgo:
	$(Q)rm -rf $(PGO_B)
	$(Q)$(MAKE) --no-print-directory B=$(PGO_B) LTO=0 \
	  OPT_CFLAGS="-O3 -fprofile-generate -fprofile-dir=$(PGO_DATA) -fprofile-update=single" \
	  $(PGO_B)/bin/nexus-sim
	@echo "  TRAIN   $(PGO_B)/bin/nexus-sim"
	$(Q)$(PGO_B)/bin/nexus-sim --scenario io --seed 2 --duration 1s >/dev/null
	$(Q)$(PGO_B)/bin/nexus-sim --scenario mixed --seed 2 >/dev/null
	$(Q)rm -rf $(PGO_B)/obj $(PGO_B)/lib $(PGO_B)/bin $(PGO_B)/cflags.stamp
	$(Q)$(MAKE) --no-print-directory B=$(PGO_B) \
	  OPT_CFLAGS="-O3 -fprofile-use -fprofile-dir=$(PGO_DATA) -fprofile-partial-training -Wno-missing-profile" \
	  $(PGO_B)/bin/nexus-sim

# ---- variant: asan (ASan + UBSan, used by make test) ------------------------
A := build/asan
$(A)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(BASE_CFLAGS) -O1 $(SAN_FLAGS) -c $< -o $@

$(A)/obj/%.o: %.cc
	@mkdir -p $(dir $@)
	@echo "  CXX     $@"
	$(Q)$(CXX) $(NS3_CXXFLAGS) -O1 $(SAN_FLAGS) -c $< -o $@

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

$(A)/bin/nexus-conform: $(call objs,$(A),$(CONFORM_SRC)) $(A)/lib/libnx_conform.a $(A)/lib/libnexus.a $(A)/lib/libnx_sim.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $(call objs,$(A),$(CONFORM_SRC)) $(A)/lib/libnx_conform.a $(call SIM_LIBS,$(A)) -lcmocka

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

$(A)/lib/libnx_sim.a: $(call objs,$(A),$(SIM_SRC)) $(call ns3_objs,$(A))
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $(filter %.o,$^)

# Simulator unit tests link the sim platform (and the portable library for
# tests that run the target inside the simulator).
$(A)/test/sim/%: $(A)/obj/sim/%_test.o $(A)/lib/libnexus.a $(A)/lib/libnx_sim.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $< $(call SIM_LIBS,$(A)) -lcmocka

$(A)/bin/nexus-sim: $(call objs,$(A),$(SIMTOOL_SRC)) $(A)/lib/libnexus.a $(A)/lib/libnx_sim.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $(call objs,$(A),$(SIMTOOL_SRC)) $(call SIM_LIBS,$(A))

$(A)/bin/nexus-replay: $(call objs,$(A),$(REPLAY_SRC) $(TRACE_SRC)) $(A)/lib/libnexus.a $(A)/lib/libnx_sim.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $(call objs,$(A),$(REPLAY_SRC) $(TRACE_SRC)) $(call SIM_LIBS,$(A))

# Trace engine unit tests (traces/*_test.c) link the engine's objects.
$(A)/test/traces/%: $(A)/obj/traces/%_test.o $(call objs,$(A),$(TRACE_SRC)) $(A)/lib/libnexus.a $(A)/lib/libnx_sim.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $< $(call objs,$(A),$(TRACE_SRC)) $(call SIM_LIBS,$(A)) -lcmocka

UNIT_TESTS := $(patsubst %_test.c,$(A)/test/%,$(TEST_SRC))
UNIT_TESTS += $(patsubst %_test.c,$(A)/test/%,$(SIM_TEST_SRC))
UNIT_TESTS += $(patsubst %_test.c,$(A)/test/%,$(TRACE_TEST_SRC))

# ---- variant: clang (compile-only -Werror check) ----------------------------
C := build/clang
$(C)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CLANG   $@"
	$(Q)clang $(BASE_CFLAGS) $(OPT_CFLAGS) -c $< -o $@

$(C)/obj/%.o: %.cc
	@mkdir -p $(dir $@)
	@echo "  CLANG++ $@"
	$(Q)clang++ $(NS3_CXXFLAGS) $(OPT_CFLAGS) -c $< -o $@

# ---- variant: fuzz (libFuzzer + ASan/UBSan, clang) ---------------------------
# Targets are listed once, in fuzz/targets.txt (name, max input length,
# what it covers).  build/fuzz/bin/<t> is the libFuzzer binary; the same
# source linked with fuzz/replay_main.c by $(CC) into build/fuzz/replay/<t>
# replays corpora and regressions without libFuzzer (tests/fuzz.sh).
FZ := build/fuzz
FUZZ_TARGETS := $(shell awk '!/^[ \t]*(\#|$$)/ {print $$1}' fuzz/targets.txt 2>/dev/null)
# Column 3 "sim": the target runs on the simulator's platform (virtual
# clock, timers, the simulated RDMA fabric) instead of platform/user.
FUZZ_SIMPLAT := $(shell awk '!/^[ \t]*(\#|$$)/ && $$3 == "sim" {print $$1}' fuzz/targets.txt 2>/dev/null)
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 8
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS := $(BASE_CFLAGS) -O1 -gline-tables-only $(FUZZ_SAN) -fsanitize=fuzzer-no-link
FUZZ_COMMON := fuzz/fuzz_common.c fuzz/fuzz_plat_user.c
FUZZ_SIMPLAT_COMMON := fuzz/fuzz_common.c fuzz/fuzz_plat_sim.c

$(FZ)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $@"
	$(Q)clang $(FUZZ_CFLAGS) -c $< -o $@

$(FZ)/lib/libnexus.a: $(call objs,$(FZ),$(LIB_SRC))
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(FZ)/lib/libnx_user.a: $(call objs,$(FZ),$(PLAT_SRC))
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(FZ)/bin/%: $(FZ)/obj/fuzz/%.o $(call objs,$(FZ),$(FUZZ_COMMON)) $(FZ)/lib/libnexus.a $(FZ)/lib/libnx_user.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)clang $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ -lpthread

# Replay runners: the fuzz sources built by $(CC) against the ASan libraries.
$(FZ)/replay/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(BASE_CFLAGS) -O1 $(SAN_FLAGS) -c $< -o $@

$(FZ)/replay/%: $(FZ)/replay/obj/fuzz/%.o $(FZ)/replay/obj/fuzz/replay_main.o $(patsubst %.c,$(FZ)/replay/obj/%.o,$(FUZZ_COMMON)) $(A)/lib/libnexus.a $(A)/lib/libnx_user.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $^ -lpthread

# Targets on the simulator's platform (column 3 "sim" of fuzz/targets.txt:
# fuzz_alua, fuzz_chap, fuzz_iser): fuzz_plat_sim.c instead of
# fuzz_plat_user.c, libnx_sim.a (with the real sim/rng.c) instead of
# libnx_user.a.
$(addprefix $(FZ)/bin/,$(FUZZ_SIMPLAT)): $(FZ)/bin/%: $(FZ)/obj/fuzz/%.o $(call objs,$(FZ),$(FUZZ_SIMPLAT_COMMON)) $(FZ)/lib/libnexus.a $(FZ)/lib/libnx_sim.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)clang $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< $(call objs,$(FZ),$(FUZZ_SIMPLAT_COMMON)) $(call SIM_LIBS,$(FZ))

$(addprefix $(FZ)/replay/,$(FUZZ_SIMPLAT)): $(FZ)/replay/%: $(FZ)/replay/obj/fuzz/%.o $(FZ)/replay/obj/fuzz/replay_main.o $(patsubst %.c,$(FZ)/replay/obj/%.o,$(FUZZ_SIMPLAT_COMMON)) $(A)/lib/libnexus.a $(A)/lib/libnx_sim.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $< $(FZ)/replay/obj/fuzz/replay_main.o $(patsubst %.c,$(FZ)/replay/obj/%.o,$(FUZZ_SIMPLAT_COMMON)) $(call SIM_LIBS,$(A))

# fuzz_pcap attacks nexus-replay's capture reader: it also links the trace
# engine (traces/), the report's explain.c and libpcap.
FUZZ_PCAP_SRC := $(TRACE_SRC) tools/nexus-replay/explain.c
$(FZ)/bin/fuzz_pcap: $(FZ)/obj/fuzz/fuzz_pcap.o $(call objs,$(FZ),$(FUZZ_COMMON) $(FUZZ_PCAP_SRC)) $(FZ)/lib/libnexus.a $(FZ)/lib/libnx_user.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)clang $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ -lpcap -lpthread

$(FZ)/replay/fuzz_pcap: $(FZ)/replay/obj/fuzz/fuzz_pcap.o $(FZ)/replay/obj/fuzz/replay_main.o $(patsubst %.c,$(FZ)/replay/obj/%.o,$(FUZZ_COMMON)) $(patsubst %.c,$(FZ)/replay/obj/%.o,$(FUZZ_PCAP_SRC)) $(A)/lib/libnexus.a $(A)/lib/libnx_user.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $^ -lpcap -lpthread

# fuzz_url attacks the iSCSI URL parser of tools/ini-tcp (user space
# only, so not in libnexus.a).
FUZZ_URL_SRC := tools/ini-tcp/url.c
$(FZ)/bin/fuzz_url: $(FZ)/obj/fuzz/fuzz_url.o $(call objs,$(FZ),$(FUZZ_COMMON) $(FUZZ_URL_SRC)) $(FZ)/lib/libnexus.a $(FZ)/lib/libnx_user.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)clang $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ -lpthread

$(FZ)/replay/fuzz_url: $(FZ)/replay/obj/fuzz/fuzz_url.o $(FZ)/replay/obj/fuzz/replay_main.o $(patsubst %.c,$(FZ)/replay/obj/%.o,$(FUZZ_COMMON) $(FUZZ_URL_SRC)) $(A)/lib/libnexus.a $(A)/lib/libnx_user.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $^ -lpthread

# fuzz_sim, the simulation fuzzer, runs the simulator: it links the sim
# platform (libnx_sim.a and libnexus.a as a group, libpcap), never
# libnx_user.a nor fuzz_common.c, plus the scenario engine and
# fuzz/fuzz_sim_rng.c, whose nx_rng_* (decisions from the fuzz input)
# come before the archive, so libnx_sim.a's rng.o is never pulled in.
FUZZ_SIM_SRC := fuzz/fuzz_sim.c fuzz/fuzz_sim_rng.c $(filter-out %_test.c,$(wildcard sim/scenarios/*.c))

$(FZ)/lib/libnx_sim.a: $(call objs,$(FZ),$(SIM_SRC) $(NS3_NONE))
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(FZ)/bin/fuzz_sim: $(call objs,$(FZ),$(FUZZ_SIM_SRC)) $(FZ)/lib/libnexus.a $(FZ)/lib/libnx_sim.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)clang $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $(call objs,$(FZ),$(FUZZ_SIM_SRC)) $(call SIM_LIBS,$(FZ))

$(FZ)/replay/fuzz_sim: $(patsubst %.c,$(FZ)/replay/obj/%.o,$(FUZZ_SIM_SRC)) $(FZ)/replay/obj/fuzz/replay_main.o $(A)/lib/libnexus.a $(A)/lib/libnx_sim.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $(patsubst %.c,$(FZ)/replay/obj/%.o,$(FUZZ_SIM_SRC)) $(FZ)/replay/obj/fuzz/replay_main.o $(call SIM_LIBS,$(A))

# The seed corpus generator (fuzz/gen_corpus.c and its parts
# fuzz/gen_corpus_*.c): drives the initiator library against the target
# in-process and writes fuzz/corpus/.
GEN_CORPUS_SRC := $(wildcard fuzz/gen_corpus*.c)
$(FZ)/replay/gen_corpus: $(patsubst %.c,$(FZ)/replay/obj/%.o,$(GEN_CORPUS_SRC)) $(patsubst %.c,$(FZ)/replay/obj/%.o,$(FUZZ_COMMON)) $(A)/lib/libnexus.a $(A)/lib/libnx_user.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $^ -lpthread

FUZZ_BINS := $(addprefix $(FZ)/bin/,$(FUZZ_TARGETS))
FUZZ_REPLAYS := $(addprefix $(FZ)/replay/,$(FUZZ_TARGETS))

# make fuzz: every target for FUZZ_SECONDS (default 60) with its corpus and
# dictionary; make fuzz-smoke: FUZZ_SMOKE_SECONDS each, then every
# fuzz/regressions and fuzz/corpus file through the gcc replay runners.
# One summary line per target; any crash fails.  make fuzz-corpus
# regenerates fuzz/corpus and fuzz/dict (fuzz/gen_corpus.c).
.PHONY: fuzz fuzz-smoke fuzz-replay fuzz-corpus fuzz-coverage fuzz-coverage-run
fuzz: $(FUZZ_BINS)
	tests/fuzz.sh fuzz $(FZ) $(FUZZ_SECONDS)

fuzz-smoke: $(FUZZ_BINS) $(FUZZ_REPLAYS)
	tests/fuzz.sh smoke $(FZ) $(FUZZ_SMOKE_SECONDS)

fuzz-replay: $(FUZZ_REPLAYS)
	tests/fuzz.sh replay $(FZ)

# fuzz_sim's seeds are simulator runs: FUZZ_SIM_SEEDS runs driven by the
# fallback PRNG (salted by FZ_SIM_SEED), each recorded as the decision
# bytes that replay it (fuzz/fuzz_sim.c).
FUZZ_SIM_SEEDS ?= 24
fuzz-corpus: $(FZ)/replay/gen_corpus $(FZ)/replay/fuzz_sim
	$(FZ)/replay/gen_corpus fuzz
	@mkdir -p fuzz/corpus/fuzz_sim
	$(Q)for s in $$(seq 1 $(FUZZ_SIM_SEEDS)); do \
	  FZ_SIM_SEED=$$s FZ_SIM_RECORD=fuzz/corpus/fuzz_sim/run-$$s \
	    $(FZ)/replay/fuzz_sim /dev/null >/dev/null || exit 1; done
	@echo "fuzz-corpus: $(FUZZ_SIM_SEEDS) recorded simulator runs in fuzz/corpus/fuzz_sim"

# make fuzz-coverage: each target's regressions and corpus (plus what
# fuzzing grew in $(FZ)/work/<t>, FUZZ_COV_WORK) replayed through a clang
# source-based coverage build of its replay runner (the asan variant's
# rules re-run by a sub-make with A=$(FCOV), FZ=$(FCOV)/fuzz and
# -fprofile-instr-generate -fcoverage-mapping in place of the
# sanitizers); llvm-profdata-14 / llvm-cov-14 write an HTML report and a
# text table per target to $(FUZZ_COV_REPORT)/ and one summary line per
# target (tests/fuzz-coverage.sh).
FCOV ?= build/fuzz-cov
FUZZ_COV_REPORT ?= reports/fuzz-coverage
FUZZ_COV_WORK ?= $(FZ)/work
fuzz-coverage:
	$(Q)$(MAKE) --no-print-directory A=$(FCOV) FZ=$(FCOV)/fuzz CC=clang CXX=clang++ \
	  SAN_FLAGS='-fprofile-instr-generate -fcoverage-mapping -O0' \
	  FUZZ_COV_WORK=$(FUZZ_COV_WORK) fuzz-coverage-run

fuzz-coverage-run: $(FUZZ_REPLAYS)
	$(Q)tests/fuzz-coverage.sh $(FZ) $(FUZZ_COV_REPORT) $(FUZZ_COV_WORK)

# ---- variant: cov (gcov; make coverage) --------------------------------------
# The asan variant's rules re-run by a sub-make with A=$(CV), FZ=$(CV)/fuzz
# and gcc --coverage -O0 in place of the sanitizers (one set of rules, so
# the coverage build cannot drift from the tested one).  tests/coverage.sh
# resets the counters, runs the unit tests, nexus-conform (sim and
# loopback backends) and the fuzz corpus replay, then lcov/genhtml into
# $(COV_REPORT)/; the last line printed is lcov's line summary for core/
# and transports/ together.  coverage-run is the sub-make's half.
CV := build/cov
COV_REPORT ?= reports/coverage
.PHONY: coverage coverage-run
coverage:
	$(Q)$(MAKE) --no-print-directory A=$(CV) FZ=$(CV)/fuzz CC=gcc \
	  SAN_FLAGS='--coverage -O0' coverage-run

coverage-run: $(UNIT_TESTS) $(A)/bin/nexus-conform $(FUZZ_REPLAYS)
	$(Q)tests/coverage.sh $(A) $(COV_REPORT) $(UNIT_TESTS)

# ---- top-level goals ---------------------------------------------------------
.PHONY: all run serve test clean deps check-clang unit interop conform sim-test bench \
        replay-demo replay-test rdma-test
all: $(B)/bin/nexus-target $(B)/bin/nexus-conform $(B)/bin/nexus-sim $(B)/bin/nexus-replay \
     $(B)/bin/nexus-cdb

# Issue 4: the conformance suites against nexus on a simulated host
# (nexus-conform's default backend) with a fixed seed, so every run is
# the same run; one line per test, the summary last, the matrix and the
# JUnit report in reports/.  RUN_SEED=N, CONFORM_ARGS="--link random";
# TARGET=iscsi://host[:port]/iqn/lun runs them against a real target.
RUN_SEED ?= 1
run: deps all
	@mkdir -p reports
	$(B)/bin/nexus-conform --seed $(RUN_SEED) $(if $(TARGET),--target $(TARGET)) \
	  --matrix reports/conformance.md --junit reports/conformance.xml $(CONFORM_ARGS)

# The daemon prints a one-line banner saying how to connect; Ctrl-C stops
# it.  Extra flags: make serve ARGS="--lun 2=null:1G".
serve: deps all
	./$(B)/bin/nexus-target $(ARGS)

check-clang: $(call objs,$(C),$(LIB_SRC) $(PLAT_SRC) $(TARGET_SRC) $(TEST_SRC) \
             $(CONF_SRC) $(CONFORM_SRC) tools/nexus-perf/nexus-perf.c tools/nexus-cdb/nexus-cdb.c \
             $(HOSTILE_SRC) \
             $(SIM_SRC) $(SIM_TEST_SRC) $(SIMTOOL_SRC) $(NS3_NONE) \
             $(TRACE_SRC) $(TRACE_TEST_SRC) $(REPLAY_SRC)) \
             $(if $(HAVE_NS3),$(C)/obj/sim/link/ns3_shim.o)

# One line per test program (failed tests listed under it with CMocka's
# messages), totals last; JUnit XML per program in
# $(JUNIT_DIR)/unit-<path>.xml (tests/unit.sh).
JUNIT_DIR ?= build/reports/junit
unit: $(UNIT_TESTS)
	@tests/unit.sh $(A)/test $(JUNIT_DIR) $(UNIT_TESTS)

# Conformance suites (ASan build) against the simulated target, or a real
# target: make conform TARGET=iscsi://host[:port]/iqn/lun.  Reports in
# build/reports/.
CONFORM_REPORTS ?= build/reports
conform: $(A)/bin/nexus-conform
	@mkdir -p $(CONFORM_REPORTS)
	$(A)/bin/nexus-conform --junit $(CONFORM_REPORTS)/conformance.xml \
	  --matrix $(CONFORM_REPORTS)/conformance.md $(if $(TARGET),--target $(TARGET)) $(CONFORM_ARGS)

# libiscsi against the ASan/UBSan daemon; logs and the iscsi-test-cu
# report land in build/reports/.
interop: all $(A)/bin/nexus-target
	tests/interop.sh $(A)/bin/nexus-target

# Simulator runs: determinism (same seed => byte-identical pcap), seeds
# differ, tshark dissects iSCSI without malformed/error entries, and the
# sim-cmds-per-wall-sec figures (make bench reuses tests/sim.sh --bench),
# then a sweep of 300 seeds of the `faults` scenario (tests/sweep.sh).
sim-test: $(B)/bin/nexus-sim $(A)/bin/nexus-sim
	tests/sim.sh $(B)/bin/nexus-sim $(A)/bin/nexus-sim
	tests/sweep.sh $(B)/bin/nexus-sim

# Issue 11: the ns3 link (sim/link/ns3.c + ns3_shim.cc, ns-3.37 from
# libns3-dev, installed here if missing): mixed --seed 1 --link ns3 twice
# (byte-identical pcaps), tshark on the capture, mixed over a lossy
# jumbo-MTU link and a CSMA segment, every conformance suite over ns-3
# (0 failed, the ideal link's verdicts), ASan (tests/ns3.sh; ~20 s).
.PHONY: ns3-test ns3-test-run
ns3-test:
	@$(MAKE) --no-print-directory deps DEB_PKGS="pkgconf libns3-dev"
	@$(MAKE) --no-print-directory ns3-test-run

ns3-test-run: $(B)/bin/nexus-sim $(B)/bin/nexus-conform $(A)/bin/nexus-sim
	tests/ns3.sh $(B)/bin/nexus-sim $(B)/bin/nexus-conform $(A)/bin/nexus-sim

# Issue 8: the simulator over iSER and SRP (nexus-sim --transport
# iser|srp): the RoCEv2 captures are deterministic and tshark (default
# settings) dissects them with no malformed/error entry (CM, InfiniBand,
# iSER and iSCSI; SRP's login in the CM REQ and its IUs as SEND payload);
# the RDMA faults (QP error mid-transfer, disconnect during an RDMA READ)
# keep the workload's invariants; sweeps of `faults` over iSER (50 seeds)
# and SRP (40).
rdma-test: $(B)/bin/nexus-sim $(A)/bin/nexus-sim
	tests/rdma.sh $(B)/bin/nexus-sim $(A)/bin/nexus-sim

# Issue 7: nexus-replay.  replay-demo replays the tgt sample (libiscsi's
# iscsi-test-cu against tgtd) and prints its diff; replay-test (ASan):
# the nexus samples replay with 0 diffs, the tgt samples differ as
# traces/samples/*.expect says (R2T sequences included), a fresh
# nexus-sim capture replays clean, truncated / garbage / empty files exit
# 2, and the same against a live ASan nexus-target on port 0 (--target;
# dead targets exit 2), plus tgtd when installed (tests/replay.sh).
REPLAY_DEMO ?= traces/samples/tgt-iscsi-test-cu.pcapng
replay-demo: $(B)/bin/nexus-replay
	-$(B)/bin/nexus-replay $(REPLAY_DEMO)

replay-test: $(A)/bin/nexus-replay $(A)/bin/nexus-sim $(A)/bin/nexus-target
	tests/replay.sh $(A)/bin/nexus-replay $(A)/bin/nexus-sim $(A)/bin/nexus-target

# nexus-target (-O2) vs tgtd on loopback, same backing, alternating runs
# of nexus-perf (tools/nexus-perf, libiscsi); ~10 min, BENCH_QUICK=1 ~1 min,
# BENCH_SECONDS=N per run, BENCH_ONLY=mem only the memory section (RSS with
# 1,000 idle / 64 busy sessions).  Table, ratio lines, reports/bench.md + plot.
$(B)/bin/nexus-perf: $(B)/obj/tools/nexus-perf/nexus-perf.o
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(NO_LTO) -o $@ $< -liscsi

# nexus-cdb (tools/nexus-cdb, libiscsi): one CDB to an iSCSI LU, like
# sg_raw; the kernel self-test's APTPL check uses it.
$(B)/bin/nexus-cdb: $(B)/obj/tools/nexus-cdb/nexus-cdb.o
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(NO_LTO) -o $@ $< -liscsi

# Issue 12: hostile clients.  nexus-hostile (tools/nexus-hostile, libc +
# libiscsi for the well-behaved verifier) drives thousands of malicious
# connections at the ASan nexus-target for HOSTILE_SECONDS (default 40)
# while a libiscsi initiator does verified I/O; tests/hostile.sh checks
# no error or mismatch, the RSS bound, a clean SIGTERM exit and no
# sanitizer report, and prints one summary line.
$(B)/bin/nexus-hostile: $(call objs,$(B),$(HOSTILE_SRC))
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(NO_LTO) -o $@ $^ -liscsi

.PHONY: hostile
hostile: $(B)/bin/nexus-hostile $(A)/bin/nexus-target
	tests/hostile.sh $(A)/bin/nexus-target $(B)/bin/nexus-hostile

bench: deps all $(B)/bin/nexus-perf sim-pgo
	tests/bench.sh $(B)/bin/nexus-target $(B)/bin/nexus-perf $(B)/bin/nexus-sim $(PGO_B)/bin/nexus-sim

# reports/index.html: one static page (inline CSS, no script, file://)
# from plain files, bash/awk/sed only.  make reports runs nexus-conform
# against nexus simulated in-process, nexus-target and tgtd over loopback
# TCP (reports/conformance/<id>.{md,xml,log}; ~40 s), then renders the
# page: that matrix per spec document and clause, the coverage report
# (make coverage), reports/bench.md (make bench), the latest fuzz logs
# (make fuzz), iscsi-test-cu (make interop) and unit JUnit (make unit).
# make reports-html only re-renders.  make reports-test renders it in
# headless Chromium (screenshot reports/index.png, no console errors);
# chromium (~300 MB) is installed by that target alone, and make test
# runs it (~5 s) only where chromium is already installed.
REPORTS_DIR ?= reports
REPORTS_ENV = BUILD_REPORTS=build/reports FZ_DIR=$(FZ)
.PHONY: reports reports-html reports-test
reports: deps all
	$(REPORTS_ENV) tests/reports.sh collect $(B)/bin/nexus-conform $(B)/bin/nexus-target $(REPORTS_DIR)
	$(REPORTS_ENV) tests/reports.sh html $(REPORTS_DIR)

reports-html:
	$(REPORTS_ENV) tests/reports.sh html $(REPORTS_DIR)

reports-test: reports-html
	@$(MAKE) --no-print-directory deps DEB_PKGS=chromium
	tests/reports-test.sh $(REPORTS_DIR)/index.html

test: deps
	$(MAKE) all check-clang
	$(MAKE) unit
	$(MAKE) sim-test
	$(MAKE) ns3-test
	$(MAKE) rdma-test
	$(MAKE) replay-test
	$(MAKE) interop
	$(MAKE) hostile
	$(MAKE) conform
	$(MAKE) fuzz-smoke
	$(MAKE) kernel-test
	@if command -v chromium >/dev/null; then $(MAKE) reports-test; else \
	  echo "test: reports-test skipped: chromium not installed (make reports-test installs it)"; fi

# Debian packages every check needs; installed only when missing.
DEB_PKGS := gcc make clang libclang-rt-14-dev libcmocka-dev libpcap-dev \
            libiscsi-bin tgt lcov tshark sg3-utils \
            libiscsi-dev iperf3 gnuplot-nox pkgconf libns3-dev
deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "deps: installing$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; \
	fi

# ---- kernel module (kernel/, platform/kernel/) --------------------------------
# nexus.ko: core/, transports/iscsi/, platform/kernel/ and kernel/ built by
# Kbuild against the Debian headers (not the running kernel's), objects in
# build/kernel/.  kernel-sparse: sparse (C=2) over every file, any warning
# fails.  kernel-test: boots the matching Debian kernel in qemu (TCG) with
# the module in a busybox initramfs, runs iscsi-inq and an iscsi-test-cu
# subset from the host, unloads, and compares with nexus-target
# (kernel/selftest.sh; ~1-2 min; logs in build/reports/kernel-*).
KERNEL_OUT := $(CURDIR)/build/kernel
KERNEL_REPORTS := $(CURDIR)/build/reports
KERNEL_DEB_PKGS := linux-headers-amd64 linux-image-amd64 qemu-system-x86 \
                   busybox-static cpio kmod sparse libiscsi-bin
.PHONY: kernel kernel-deps kernel-sparse kernel-test
kernel-deps:
	@$(MAKE) --no-print-directory deps DEB_PKGS="$(KERNEL_DEB_PKGS)"

kernel: kernel-deps
	$(Q)$(MAKE) --no-print-directory -C kernel OUT=$(KERNEL_OUT)

kernel-sparse: kernel
	@mkdir -p $(KERNEL_REPORTS)
	$(Q)$(MAKE) --no-print-directory -C kernel OUT=$(KERNEL_OUT) C=2 \
	  >$(KERNEL_REPORTS)/kernel-sparse.log 2>&1 || { cat $(KERNEL_REPORTS)/kernel-sparse.log; exit 1; }
	@if grep -E 'warning:|error:' $(KERNEL_REPORTS)/kernel-sparse.log; then \
	  echo "kernel-sparse: FAILED ($(KERNEL_REPORTS)/kernel-sparse.log)"; exit 1; fi
	@echo "kernel-sparse: clean"

kernel-test: kernel-sparse $(B)/bin/nexus-target $(B)/bin/nexus-cdb
	KERNEL_REPORTS=$(KERNEL_REPORTS) kernel/selftest.sh $(KERNEL_OUT)/nexus.ko $(B)/bin/nexus-target \
	  $(B)/bin/nexus-cdb

clean:
	rm -rf build

-include $(shell find $(B) $(A) $(C) $(FZ) -name '*.d' 2>/dev/null)

# Test objects are intermediates; keep them so relinking is incremental.
.SECONDARY:
