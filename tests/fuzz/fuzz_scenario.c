/* fuzz_scenario: libFuzzer harness for the scenario parser and for what
 * `sdsim validate FILE` does with a whole scenario (sim/main.c's load()):
 * parse, find and check the sweeps, then validate every sweep point ([sim]
 * keys and the whole model, and the cost budget, as runner_validate_budget
 * does). The diagnostics
 * are formatted and printed to /dev/null so the caret printer is fuzzed too.
 *
 * Two differences from the binary, both to keep each input fast:
 *  - an input with a NUL byte is skipped: scenario_load() rejects it before
 *    parsing (the committed corpus runs through the real `sdsim validate`
 *    in make check, which covers that path);
 *  - only the first FUZZ_MAX_POINTS sweep points are validated when a sweep
 *    makes more (their count and product are still checked in full).
 * It never runs a simulation, so faults that need sampling or the clock
 * (huge samples, time overflow, rates too high) are out of its reach.
 * Built by `make fuzz` with -fsanitize=fuzzer,address,undefined. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/model.h"
#include "sim/diag.h"
#include "sim/runner.h"
#include "sim/scenario.h"
#include "sim/sim.h"

#define FUZZ_MAX_INPUT 65536
#define FUZZ_MAX_POINTS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void validate_points(const struct scenario *sc, struct diag *d)
{
    size_t np = scenario_npoints(sc);
    if (np <= FUZZ_MAX_POINTS) {
        struct runner_estimate est;
        runner_validate_budget(sc, false, &est, d);
        return;
    }
    for (size_t i = 0; i < FUZZ_MAX_POINTS; i++) {
        struct sc_point *pt = scenario_point(sc, i * (np / FUZZ_MAX_POINTS));
        struct sim_config cfg;
        runner_config(pt, &cfg, d);
        struct sim sim;
        sim_init(&sim, 1, 0, 1);
        model_build(&sim, pt, d);
        sim_fini(&sim);
        scenario_point_free(pt);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT || memchr(data, 0, size))
        return 0;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    struct diag *d = diag_new();
    struct scenario *sc = scenario_parse("fuzz.ini", text, d);
    if (sc && scenario_find_sweeps(sc, d) == 0) {
        validate_points(sc, d);
        if (diag_count(d) == 0) { /* what `validate` prints on success */
            long long repeat;
            uint64_t seed;
            (void)runner_nruns(sc, NULL, &seed, &repeat);
        }
    }
    FILE *null = fopen("/dev/null", "w");
    if (null) {
        for (size_t i = 0; i < diag_count(d); i++)
            (void)diag_message(d, i);
        diag_print(d, null);
        fclose(null);
    }
    scenario_free(sc);
    diag_free(d);
    free(text);
    return 0;
}
