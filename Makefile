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
SAN = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

LIB_SRC  := $(sort $(filter-out sim/main.c,$(wildcard sim/*.c models/*.c output/*.c)))
TEST_SRC := $(sort $(wildcard tests/check_*.c))

OBJ      := $(LIB_SRC:%.c=obj/%.o)
SAN_OBJ  := $(LIB_SRC:%.c=obj-san/%.o)
TOBJ     := $(TEST_SRC:%.c=obj/%.o)
SAN_TOBJ := $(TEST_SRC:%.c=obj-san/%.o)

.PHONY: all run check unit e2e validate bench install uninstall clean deps
all: sdsim

sdsim: obj/sim/main.o $(OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

obj-san/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN) -c -o $@ $<

-include $(OBJ:.o=.d) $(SAN_OBJ:.o=.d) $(TOBJ:.o=.d) obj/sim/main.d

# --- tests -----------------------------------------------------------------
# Check is found with pkg-config; tests/deps.sh installs both when missing.
CHECK_CFLAGS = $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   = $(shell pkg-config --libs check 2>/dev/null)

obj/tests/suites.h: $(TEST_SRC)
	@mkdir -p $(dir $@)
	@for f in $(TEST_SRC); do n=$${f#tests/check_}; n=$${n%.c}; \
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

clean:
	rm -rf obj obj-san sdsim sdsim-san tests/unit tests/unit-san tests/bench_* results
