/* bench_evict: hit ratio and speed of every eviction policy on 10^7 requests
 * drawn i.i.d. from Zipf(1.0) over 10^6 keys, with a cache of 10^5 objects
 * (10%). Keys are generated into an array before timing: the rank comes from
 * a precomputed CDF table and a binary search, and is scrambled with the
 * bijective splitmix64 finaliser so popular keys are not 0..k. Wall-clock
 * timing is fine here: this is a benchmark, not a test.
 * Build: cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -I. tests/bench_evict.c
 *        models/evict*.c sim/rng.c sim/xalloc.c -lm -o bench_evict
 * Then the same trace in byte mode: each key's size uniform in [1 KiB, 8 KiB)
 * (a hash of the key), capacity 10% of all keys' bytes, max_objects =
 * capacity / 1 KiB; prints object and byte hit ratios.
 * Usage: bench_evict [requests [keys [capacity]]] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "models/evict/evict.h"
#include "models/evict/evict_map.h"
#include "sim/xalloc.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* n requests from Zipf(alpha = 1) over `keys` ranks, scrambled. */
static uint64_t *zipf_trace(size_t n, size_t keys, uint64_t seed)
{
    double *cdf = xmalloc(keys * sizeof *cdf);
    double sum = 0;
    for (size_t i = 0; i < keys; i++)
        sum += 1.0 / (double)(i + 1);
    double acc = 0;
    for (size_t i = 0; i < keys; i++)
        cdf[i] = (acc += 1.0 / (double)(i + 1) / sum);
    cdf[keys - 1] = 1.0;
    uint64_t *trace = xmalloc(n * sizeof *trace);
    uint64_t x = seed;
    for (size_t r = 0; r < n; r++) {
        x += 0x9e3779b97f4a7c15ULL;
        double u = (double)(evict_mix64(x) >> 11) * 0x1p-53;
        size_t lo = 0, hi = keys - 1; /* first rank with cdf > u */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (cdf[mid] > u)
                hi = mid;
            else
                lo = mid + 1;
        }
        trace[r] = evict_mix64(lo ^ 0x5bd1e995ULL);
    }
    free(cdf);
    return trace;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000;
    size_t keys = argc > 2 ? strtoull(argv[2], NULL, 10) : 1000000;
    size_t cap = argc > 3 ? strtoull(argv[3], NULL, 10) : 100000;
    uint64_t *trace = zipf_trace(n, keys, 1);
    printf("%zu Zipf(1.0) requests over %zu keys, capacity %zu objects\n", n, keys, cap);
    printf("%-8s %9s %9s\n", "policy", "hit_ratio", "Mreq/s");
    for (const struct policy_head *const *h = evict_family.table; *h; h++) {
        const struct evict_policy *p = evict_of(*h);
        void *s = p->create(cap, 1, NULL);
        size_t hits = 0;
        double t0 = now_s();
        for (size_t i = 0; i < n; i++)
            hits += p->access(s, trace[i]);
        double t1 = now_s();
        p->destroy(s);
        printf("%-8s %9.6f %9.1f\n", p->head.name, (double)hits / (double)n,
               (double)n / (t1 - t0) * 1e-6);
    }
    /* Byte mode. */
    uint64_t all_bytes = 0;
    for (size_t k = 0; k < keys; k++)
        all_bytes += 1024 + evict_mix64(evict_mix64(k ^ 0x5bd1e995ULL) ^ 0x5123ULL) % 7168;
    uint64_t cap_bytes = all_bytes / 10;
    printf("\nbyte mode: sizes uniform in [1 KiB, 8 KiB), capacity %llu bytes (10%%)\n",
           (unsigned long long)cap_bytes);
    printf("%-8s %9s %9s %9s\n", "policy", "hit_ratio", "byte_hit", "Mreq/s");
    uint32_t *sizes = xmalloc(n * sizeof *sizes);
    for (size_t i = 0; i < n; i++)
        sizes[i] = (uint32_t)(1024 + evict_mix64(trace[i] ^ 0x5123ULL) % 7168);
    for (const struct policy_head *const *h = evict_family.table; *h; h++) {
        const struct evict_policy *p = evict_of(*h);
        void *s = p->create_bytes(cap_bytes, (size_t)(cap_bytes / 1024), 1, NULL);
        size_t hits = 0;
        uint64_t req_bytes = 0, hit_bytes = 0;
        double t0 = now_s();
        for (size_t i = 0; i < n; i++) {
            bool hit = p->access_sized(s, trace[i], sizes[i]);
            hits += hit;
            req_bytes += sizes[i];
            hit_bytes += hit ? sizes[i] : 0;
        }
        double t1 = now_s();
        p->destroy(s);
        printf("%-8s %9.6f %9.6f %9.1f\n", p->head.name, (double)hits / (double)n,
               (double)hit_bytes / (double)req_bytes, (double)n / (t1 - t0) * 1e-6);
    }
    free(sizes);
    free(trace);
    return 0;
}
