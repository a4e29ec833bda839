/* bench_limit: speed and memory of every rate limiter, as checks per second,
 * with one scope (per=global) and with 10^5 keys (per=key, keys drawn
 * uniformly). The clock advances 10 us per check (100 000 checks/s offered
 * against limits of 50 000/s, so about half are refused). Each cell runs
 * for at least 0.3 s of wall-clock time after 2 x 10^6 untimed checks (so
 * every key's slot exists: making 10^5 sliding-log rings of 100 times, 80 MB,
 * costs about 0.5 s of page faults, once); clock_gettime is fine here: this
 * is a benchmark, not a test. Figures are for reading, not asserting.
 * Then the same limiters synced over 4 nodes (synced_row).
 * Build: see tests/bench.sh. Usage: bench_limit */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "models/admission/limit.h"
#include "sim/rng.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void row(const char *spec, uint64_t keys)
{
    struct diag *d = diag_new();
    struct limit l;
    if (limit_setup(&l, spec, (struct loc){"bench", 1, 1}, d) < 0) {
        fprintf(stderr, "%s\n", diag_message(d, 0));
        exit(1);
    }
    diag_free(d);
    uint64_t x = 12345, ops = 0;
    int64_t t_ns = 0;
    for (int k = 0; k < 2000000; k++) { /* warm up: every key seen, its slot made */
        t_ns += 10000;
        x = rng_mix64(x + 1);
        limit_check(&l, keys ? x % keys : 0, t_ns);
    }
    double t0 = now_s(), t;
    do {
        for (int k = 0; k < 10000; k++) {
            t_ns += 10000;
            x = rng_mix64(x + 1);
            limit_check(&l, keys ? x % keys : 0, t_ns);
        }
        ops += 10000;
        t = now_s() - t0;
    } while (t < 0.3);
    printf("%-58s %8.1f %8.1f %10zu %12zu\n", spec, (double)ops / t / 1e6, 1e9 * t / (double)ops,
           l.entries_max, limit_bytes(&l));
    limit_fini(&l);
}

/* A limit synced over 4 nodes (balancer `sync`, `limit_nodes = 4`): each
 * check is a node's check plus the global count's update, and every 1000
 * checks (10 ms of the clock) each node copies the global count. The sync
 * is timed apart: its cost is the number of scopes held, not requests. */
static void synced_row(const char *spec, uint64_t keys)
{
    enum { NODES = 4, EVERY = 1000 };
    struct diag *d = diag_new();
    struct limit g, n[NODES];
    int rc = limit_setup(&g, spec, (struct loc){"bench", 1, 1}, d);
    limit_widen(&g, NODES);
    limit_track_changes(&g);
    for (int i = 0; i < NODES; i++) {
        rc |= limit_setup(&n[i], spec, (struct loc){"bench", 1, 1}, d);
        limit_widen(&n[i], NODES);
    }
    if (rc < 0) {
        fprintf(stderr, "%s\n", diag_message(d, 0));
        exit(1);
    }
    diag_free(d);
    uint64_t x = 12345, ops = 0, syncs = 0;
    int64_t t_ns = 0;
    double t_sync = 0, t0 = now_s(), t;
    for (int warm = 1; warm >= 0; warm--) {
        if (!warm) {
            ops = syncs = 0;
            t_sync = 0;
            t0 = now_s();
        }
        do {
            for (int k = 0; k < EVERY; k++) {
                t_ns += 10000;
                x = rng_mix64(x + 1);
                uint64_t scope = keys ? x % keys : 0;
                if (limit_check(&n[x >> 62], scope, t_ns).admit)
                    limit_force(&g, scope, t_ns);
                else
                    limit_count_refusal(&g);
            }
            double s0 = now_s();
            for (int i = 0; i < NODES; i++)
                limit_sync_to(&g, &n[i], t_ns);
            limit_sync_done(&g);
            t_sync += now_s() - s0;
            ops += EVERY;
            syncs++;
            t = now_s() - t0;
        } while (warm ? ops < 2000000 : t < 0.3);
    }
    double t_chk = t - t_sync;
    printf("%-58s %8.1f %8.1f %10.1f %10.3f\n", spec, (double)ops / t_chk / 1e6,
           1e9 * t_chk / (double)ops, 1e6 * t_sync / (double)(syncs * NODES),
           (double)g.admitted / (double)(g.admitted + g.limited));
    limit_fini(&g);
    for (int i = 0; i < NODES; i++)
        limit_fini(&n[i]);
}

int main(void)
{
    static const char *const specs[] = {
        "token_bucket(rate=50000/s, burst=100%s)",
        "leaky_bucket(rate=50000/s, queue=0%s)",
        "fixed_window(limit=50000, window=1s%s)",
        "sliding_log(limit=50000, window=1s%s)",
        "sliding_window(limit=50000, window=1s%s)",
        "sliding_log(limit=100, window=1s%s)",
    };
    printf("%-58s %8s %8s %10s %12s\n", "limiter", "Mchk/s", "ns/chk", "entries", "bytes");
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        char s[128];
        snprintf(s, sizeof s, specs[i], "");
        row(s, 0);
    }
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        if (i == 3)
            continue; /* 10^5 logs of 50 000 slots: 40 GB */
        char s[128];
        snprintf(s, sizeof s, specs[i], ", per=key");
        row(s, 100000);
    }
    printf("\nsynced over 4 nodes every 10 ms: a check (node + global count), a node's copy\n");
    printf("%-58s %8s %8s %10s %10s\n", "limiter", "Mchk/s", "ns/chk", "us/copy", "admitted");
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        if (i == 1 || i == 3)
            continue; /* a leaky bucket cannot be synced; 4 x 50 000-slot logs: in row 6 */
        char s[128];
        snprintf(s, sizeof s, specs[i], "");
        synced_row(s, 0);
        snprintf(s, sizeof s, specs[i], ", per=key");
        synced_row(s, i == 5 ? 10000 : 100000);
    }
    return 0;
}
