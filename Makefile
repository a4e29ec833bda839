# sdsim build. `make` builds ./sdsim; see README.md for the other targets.
# Tests are discovered: every tests/check_<name>.c defines Suite *<name>_suite(void).

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
VERSION := 0.1.0

WARN = -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wdouble-promotion \
       -Wstrict-prototypes -Wmissing-prototypes -Wwrite-strings -Wundef \
       -Wformat=2 -Wvla
CPPFLAGS += -I. -D_POSIX_C_SOURCE=200809L -DSDSIM_VERSION='"$(VERSION)"' -MMD -MP
CFLAGS   ?= -g -O2
CFLAGS   += -std=c11 $(WARN)
LDLIBS   += -lm -lpthread
SAN = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -DSDSIM_CHECKS

LIB_SRC  := $(sort $(filter-out sim/main.c,$(wildcard sim/*.c models/*.c models/*/*.c output/*.c)))
TEST_SRC := $(sort $(wildcard tests/check_*.c)) tests/testlib.c

OBJ      := $(LIB_SRC:%.c=obj/%.o)
SAN_OBJ  := $(LIB_SRC:%.c=obj-san/%.o)
TOBJ     := $(TEST_SRC:%.c=obj/%.o)
SAN_TOBJ := $(TEST_SRC:%.c=obj-san/%.o)

.PHONY: all run check check-all validate coverage bench install uninstall clean deps fuzz fuzz-seeds
all: sdsim

# Builds sdsim and runs the example scenario (installs gnuplot for the plots
# first when it is missing and can be installed; see tests/deps.sh).
run: sdsim
	@sh tests/deps.sh --plots-only
	./sdsim run scenarios/hello.ini
	@echo "The CSV files and plots of this run are in results/hello/ (see README.md)."

sdsim: obj/sim/main.o $(OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The git commit, when built from a clone, goes into manifest.txt; the stamp
# changes only when the commit does, so report.o is rebuilt only then.
GIT_COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null)
obj/commit.stamp: FORCE
	@mkdir -p obj; echo '$(GIT_COMMIT)' | cmp -s - $@ 2>/dev/null || echo '$(GIT_COMMIT)' > $@
obj/output/report.o obj-san/output/report.o: obj/commit.stamp
obj/output/report.o obj-san/output/report.o: CPPFLAGS += -DSDSIM_COMMIT='"$(GIT_COMMIT)"'
.PHONY: FORCE

obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

obj-san/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN) -c -o $@ $<

-include $(OBJ:.o=.d) $(SAN_OBJ:.o=.d) $(TOBJ:.o=.d) $(SAN_TOBJ:.o=.d) obj/sim/main.d \
  obj-san/sim/main.d

# --- tests -----------------------------------------------------------------
# Check is found with pkg-config; tests/deps.sh installs both when missing.
CHECK_CFLAGS = $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   = $(shell pkg-config --libs check 2>/dev/null)

obj/tests/suites.h: $(TEST_SRC)
	@mkdir -p $(dir $@)
	@for f in $(filter tests/check_%,$(TEST_SRC)); do n=$${f#tests/check_}; n=$${n%.c}; \
	  [ "$$n" = main ] || echo "SUITE($${n})"; done > $@

obj/tests/%.o: tests/%.c | obj/tests/suites.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Iobj/tests $(CHECK_CFLAGS) $(CFLAGS) -Wno-missing-prototypes -c -o $@ $<

obj-san/tests/%.o: tests/%.c | obj/tests/suites.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Iobj/tests $(CHECK_CFLAGS) $(CFLAGS) $(SAN) -Wno-missing-prototypes -c -o $@ $<

obj/tests/check_main.o obj-san/tests/check_main.o: obj/tests/suites.h

tests/unit: obj/tests/check_main.o $(filter-out obj/tests/check_main.o,$(TOBJ)) $(OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(CHECK_LIBS) $(LDLIBS)

tests/unit-san: obj-san/tests/check_main.o $(filter-out obj-san/tests/check_main.o,$(SAN_TOBJ)) $(SAN_OBJ)
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(CHECK_LIBS) $(LDLIBS)

deps:
	@sh tests/deps.sh

sdsim-san: obj-san/sim/main.o $(SAN_OBJ)
	$(CC) $(CFLAGS) $(SAN) $(LDFLAGS) -o $@ $^ $(LDLIBS)

tests/validate: tests/validate.c $(OBJ)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Wno-missing-prototypes -o $@ $^ $(LDLIBS)

# The checker of trace.json ([sim] trace), libc only: tests/e2e.sh runs it.
tests/trace_check: tests/trace_check.c
	$(CC) $(CPPFLAGS) $(CFLAGS) -Wno-missing-prototypes -o $@ $<

# make check: installs Check and pkg-config when missing (tests/deps.sh), then
# runs the unit tests, the end-to-end tests on the real binary, every step of the
# learning path (tests/learn.sh), the interview drills (tests/drills.sh), the fast
# validation subset, and the unit and end-to-end tests again built with
# AddressSanitizer and UndefinedBehaviorSanitizer.
check:
	@sh tests/deps.sh
	@$(MAKE) --no-print-directory check-all

check-all: sdsim tests/unit sdsim-san tests/unit-san tests/validate tests/trace_check
	@echo "== layers: sim/ includes neither models/ nor output/, models/ does not include output/"
	sh tests/layers.sh --selftest
	sh tests/layers.sh
	@echo "== unit tests"
	CK_FORK=no ./tests/unit
	@echo "== end-to-end tests"
	sh tests/e2e.sh ./sdsim
	@echo "== the learning path: every step of scenarios/learn/ self-checks, every exercise's answer holds"
	sh tests/learn.sh ./sdsim
	@echo "== the interview drills: every drill of scenarios/drills/ self-checks, its capacity search gives the stated answer, run --quiz"
	sh tests/drills.sh ./sdsim
	@echo "== results folder: foreign files, signals, concurrent runs, injected failures"
	sh tests/e2e_files.sh ./sdsim
	@echo "== the shipped scenarios' claims: each with [expect] at its own settings, every expectation passes"
	sh tests/claims.sh ./sdsim
	@echo "== make install into a temporary folder: scenarios, data files, man page, completion"
	MAKE='$(MAKE)' sh tests/install.sh
	@echo "== validation against queueing theory (fast subset; make validate runs all)"
	./tests/validate --fast -j 2
	@echo "== unit tests under AddressSanitizer + UndefinedBehaviorSanitizer"
	CK_FORK=no ./tests/unit-san
	@echo "== end-to-end tests under AddressSanitizer + UndefinedBehaviorSanitizer"
	SDSIM_E2E_QUICK=1 sh tests/e2e.sh ./sdsim-san
	SDSIM_E2E_QUICK=1 sh tests/e2e_files.sh ./sdsim-san
	@echo "== fuzz corpus through sdsim and sdsim-san, and a short fuzzing pass"
	sh tests/fuzz/check.sh ./sdsim ./sdsim-san
	@echo "make check: all passed"

validate: sdsim tests/validate
	./tests/validate -j 2

# make coverage: how often the 95% intervals of summary.csv hold the truth
# (M/M/1 at rho 0.8, 1000 seeds x 5 replications; a few minutes).
coverage: sdsim
	sh tests/coverage.sh ./sdsim 1000 2

# make bench: speed and memory figures (printed, never asserted).
bench: sdsim
	sh tests/bench.sh

# --- fuzzing ----------------------------------------------------------------
# make fuzz: coverage-guided fuzzing (libFuzzer, clang) of the scenario parser
# and of `validate` on a whole scenario, under ASan + UBSan. Runs FUZZ_TIME
# seconds on FUZZ_JOBS processes; new inputs go to obj-fuzz/corpus, crashes to
# obj-fuzz/crashes/ (see README.md, "Fuzzing"). The seeds are scenarios/*.ini,
# tests/bad/*.ini and the committed finds in tests/fuzz/corpus/.
FUZZ_CC   ?= clang
FUZZ_TIME ?= 60
FUZZ_JOBS ?= 1
FUZZ_SAN   = -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all \
             -fno-omit-frame-pointer
FUZZ_OBJ  := $(LIB_SRC:%.c=obj-fuzz/%.o)
FUZZ_ARGS  = -dict=tests/fuzz/scenario.dict -max_len=4096 -timeout=60 -rss_limit_mb=2048 \
             -artifact_prefix=obj-fuzz/crashes/ -print_final_stats=1

obj-fuzz/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) -g -O1 -std=c11 $(WARN) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c -o $@ $<

obj-fuzz/fuzz_scenario: obj-fuzz/tests/fuzz/fuzz_scenario.o $(FUZZ_OBJ)
	$(FUZZ_CC) -g $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

-include $(FUZZ_OBJ:.o=.d) obj-fuzz/tests/fuzz/fuzz_scenario.d

# The dictionary follows `sdsim list`: regenerated when the binary changes.
tests/fuzz/scenario.dict: sdsim tests/fuzz/mkdict.sh
	sh tests/fuzz/mkdict.sh ./sdsim > $@.tmp && mv $@.tmp $@

fuzz-seeds:
	@mkdir -p obj-fuzz/seeds obj-fuzz/corpus obj-fuzz/crashes
	@for f in scenarios/*.ini tests/bad/*.ini tests/fuzz/corpus/*; do \
	  cp "$$f" "obj-fuzz/seeds/$$(echo "$$f" | tr / _)"; done

fuzz: obj-fuzz/fuzz_scenario tests/fuzz/scenario.dict fuzz-seeds
	./obj-fuzz/fuzz_scenario $(FUZZ_ARGS) -max_total_time=$(FUZZ_TIME) -fork=$(FUZZ_JOBS) \
	  -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 obj-fuzz/corpus obj-fuzz/seeds
	@echo "fuzz: corpus in obj-fuzz/corpus/; crashes, timeouts and OOMs found so far:"
	@ls obj-fuzz/crashes/

# make install: the binary, the scenarios with the data files they name
# (`file=PATH` in a scenario, relative to it: traces, empirical
# distributions), the man page (PREFIX and VERSION filled in) and the bash
# completion. tests/install.sh checks the result.
MANDIR      ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SCENDIR      = $(PREFIX)/share/sdsim/scenarios

install: sdsim
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(SCENDIR) $(DESTDIR)$(MANDIR)/man1 \
	  $(DESTDIR)$(BASHCOMPDIR)
	install -m 755 sdsim $(DESTDIR)$(PREFIX)/bin/sdsim
	install -m 644 scenarios/*.ini $(DESTDIR)$(SCENDIR)/
	install -d $(DESTDIR)$(SCENDIR)/learn
	install -m 644 scenarios/learn/*.ini $(DESTDIR)$(SCENDIR)/learn/
	install -d $(DESTDIR)$(SCENDIR)/drills
	install -m 644 scenarios/drills/*.ini $(DESTDIR)$(SCENDIR)/drills/
	@set -e; for f in $$(sed 's/[#;].*//' scenarios/*.ini | grep -o 'file *= *[^,) ]*' | \
	    sed 's/^file *= *//' | grep -v '^/' | sort -u); do \
	  echo "install -m 644 scenarios/$$f $(DESTDIR)$(SCENDIR)/$$f"; \
	  install -d "$(DESTDIR)$(SCENDIR)/$$(dirname "$$f")"; \
	  install -m 644 "scenarios/$$f" "$(DESTDIR)$(SCENDIR)/$$f"; done
	sed -e 's|/usr/local|$(PREFIX)|g' -e 's|"sdsim [0-9.]*"|"sdsim $(VERSION)"|' docs/sdsim.1 \
	  > $(DESTDIR)$(MANDIR)/man1/sdsim.1.tmp
	chmod 644 $(DESTDIR)$(MANDIR)/man1/sdsim.1.tmp
	mv $(DESTDIR)$(MANDIR)/man1/sdsim.1.tmp $(DESTDIR)$(MANDIR)/man1/sdsim.1
	install -m 644 docs/sdsim.bash $(DESTDIR)$(BASHCOMPDIR)/sdsim

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/sdsim $(DESTDIR)$(MANDIR)/man1/sdsim.1 \
	  $(DESTDIR)$(BASHCOMPDIR)/sdsim
	rm -rf $(DESTDIR)$(PREFIX)/share/sdsim

clean:
	rm -rf obj obj-san obj-fuzz sdsim sdsim-san tests/unit tests/unit-san tests/validate tests/trace_check results \
	  $(patsubst %.c,%,$(wildcard tests/bench_*.c))
