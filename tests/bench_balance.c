/* bench_balance: speed of every balance policy, as pick + on_start + on_done
 * operations per second, at n = 10, 1000 and 4096 replicas. Each operation
 * advances the clock by 1 us, picks a replica for a request with a random key,
 * starts it, and ends the oldest request once 2n are in flight (FIFO), with
 * its time in flight as the latency, so load-aware policies see non-trivial
 * counts. Every policy in the registry is measured, plus the stale variants.
 * Each cell runs for at least 0.3 s of wall-clock time; clock_gettime is
 * fine here: this is a benchmark, not a test. Figures are for reading, not
 * asserting (shared machines are noisy).
 * Build (after `make`, which compiles the library objects):
 *   cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -I. tests/bench_balance.c \
 *      $(find obj/sim obj/models obj/output -name '*.o' ! -name main.o) -lm -lpthread \
 *      -o obj/bench_balance
 * Usage: bench_balance */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "models/balance/balance.h"
#include "sim/sim.h"
#include "sim/xalloc.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct flight {
    uint32_t replica;
    int64_t start_ns;
};

/* Runs ops operations on b; *sink absorbs the picks so nothing is optimised out. */
static void run(struct balance *b, struct flight *ring, size_t cap, size_t ops, uint64_t *x,
                uint64_t *sink)
{
    const struct balance_policy *p = b->pol;
    size_t head = 0, len = 0;
    struct request rq;
    memset(&rq, 0, sizeof rq);
    for (size_t k = 0; k < ops; k++) {
        b->now_ns += 1000;
        *x += 0x9e3779b97f4a7c15ULL;
        rq.key = *x;
        uint32_t i = balance_pick(b, &rq);
        *sink += i;
        if (p->on_start)
            p->on_start(b, i);
        if (len == cap) {
            struct flight f = ring[head];
            head = (head + 1) % cap;
            len--;
            if (p->on_done)
                p->on_done(b, f.replica, b->now_ns - f.start_ns);
        }
        ring[(head + len++) % cap] = (struct flight){i, b->now_ns};
    }
}

/* Operations per second of spec at n replicas. */
static double measure(const char *spec, uint32_t n, uint64_t *sink)
{
    struct rng rng;
    rng_seed(&rng, 1);
    struct diag *d = diag_new();
    struct balance b;
    struct loc loc = {"bench", 1, 1};
    if (balance_setup(&b, spec, loc, n, &rng, d) < 0) {
        fprintf(stderr, "%s\n", diag_message(d, 0));
        exit(1);
    }
    diag_free(d);
    size_t cap = 2 * (size_t)n;
    struct flight *ring = xcalloc(cap, sizeof *ring);
    uint64_t x = 12345;
    run(&b, ring, cap, 10 * cap, &x, sink); /* warm up: fill the window */
    size_t ops = 0, batch = 10000;
    double t0 = now_s(), t;
    do {
        run(&b, ring, cap, batch, &x, sink);
        ops += batch;
        t = now_s() - t0;
    } while (t < 0.3);
    free(ring);
    balance_fini(&b);
    return (double)ops / t;
}

static void row(const char *spec, uint64_t *sink)
{
    double a = measure(spec, 10, sink), c = measure(spec, 1000, sink),
           e = measure(spec, 4096, sink);
    printf("%-38s %10.2f %8.1f %10.2f %8.1f %10.2f %8.1f\n", spec, a / 1e6, 1e9 / a, c / 1e6,
           1e9 / c, e / 1e6, 1e9 / e);
}

int main(void)
{
    static const char *const extra[] = {
        "least_connections(refresh=1ms)",
        "power_of_two(refresh=1ms)",
        "power_of_two(d=3)",
        "consistent_hash(vnodes=3)",
        "consistent_hash(vnodes=256)",
        "power_of_two_replace(d=3)",
    };
    uint64_t sink = 0;
    printf("pick + on_start + on_done, window of 2n requests in flight\n");
    printf("%-38s %19s %19s %19s\n", "", "n = 10", "n = 1000", "n = 4096");
    printf("%-38s %10s %8s %10s %8s %10s %8s\n", "policy", "Mops/s", "ns/op", "Mops/s", "ns/op",
           "Mops/s", "ns/op");
    for (const struct policy_head *const *p = balance_family.table; *p; p++)
        row((*p)->name, &sink);
    for (size_t k = 0; k < sizeof extra / sizeof extra[0]; k++)
        row(extra[k], &sink);
    fprintf(stderr, "(checksum %llu)\n", (unsigned long long)sink);
    return 0;
}
