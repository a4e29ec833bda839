/* limit: the scope table, counting and parameter readers shared by every
 * rate limiter (see limit.h). The slots live in one array in first-seen
 * order; an open-addressing map (linear probing, kept under half full)
 * finds a scope value's slot. Both grow by doubling, so a check costs O(1)
 * amortised plus the policy's own cost, and memory grows with the scope
 * values seen, never with the requests checked. Nothing depends on
 * addresses or hash order: slots are numbered in the order scopes appear. */
#include "models/admission/limit.h"

#include <stdlib.h>
#include <string.h>

#include "sim/rng.h"
#include "sim/sim.h"
#include "sim/units.h"
#include "sim/xalloc.h"

#define LIMIT_SALT 0x9e3779b97f4a7c15ULL

int limit_read_rate(const struct spec *sp, const struct param_spec *p, double *out,
                    struct diag *d)
{
    struct loc loc;
    const char *v = spec_value(sp, p, "rate", &loc);
    const char *why;
    if (units_parse_rate(v, out, &why) < 0)
        return diag_error(d, loc, "bad rate '%s': %s", v, why);
    if (!(*out > 0) || *out > 1e9)
        return diag_error(d, loc, "rate must be positive and at most 1e9/s, got '%s'", v);
    return 0;
}

int limit_read_count(const struct spec *sp, const struct param_spec *p, const char *key,
                     long long min, uint32_t *out, struct diag *d)
{
    struct loc loc;
    const char *v = spec_value(sp, p, key, &loc);
    long long x;
    const char *why;
    if (units_parse_int(v, &x, &why) < 0 || x < min || x > 1000000)
        return diag_error(d, loc, "bad %s '%s': a whole number from %lld to 1000000", key, v,
                          min);
    *out = (uint32_t)x;
    return 0;
}

int limit_read_window(const struct spec *sp, const struct param_spec *p, int64_t *out,
                      struct diag *d)
{
    struct loc loc;
    const char *v = spec_value(sp, p, "window", &loc);
    const char *why;
    if (units_parse_duration(v, out, &why) < 0)
        return diag_error(d, loc, "bad window '%s': %s", v, why);
    if (*out <= 0)
        return diag_error(d, loc, "window must be positive, got '%s'", v);
    return 0;
}

static int read_per(struct limit *l, const struct spec *sp, struct diag *d)
{
    static const char *const words[] = {"global", "client", "key", "user"};
    struct loc loc;
    const char *v = spec_value(sp, l->pol->head.params, "per", &loc);
    for (size_t k = 0; k < 4; k++)
        if (strcmp(v, words[k]) == 0) {
            l->per = (enum limit_scope)k;
            return 0;
        }
    const char *near = diag_closest(v, words, 4);
    if (near)
        return diag_error(d, loc, "bad per '%s' (did you mean '%s'? known: global, client, key, "
                          "user)", v, near);
    return diag_error(d, loc, "bad per '%s' (known: global, client, key, user)", v);
}

int limit_setup(struct limit *l, const char *text, struct loc loc, struct diag *d)
{
    memset(l, 0, sizeof *l);
    struct spec sp;
    const struct policy_head *h = policy_setup(&limit_family, text, loc, &sp, d);
    if (!h)
        return -1;
    l->pol = (const struct limit_policy *)h;
    int rc = read_per(l, &sp, d);
    if (l->pol->init(l, &sp, d) < 0)
        rc = -1;
    if (rc < 0)
        return -1;
    l->bin_ns = limit_span_ns(l) / LIMIT_BINS;
    if (l->bin_ns < 1)
        l->bin_ns = 1;
    l->map_cap = 16;
    l->map = xcalloc(l->map_cap, sizeof *l->map);
    l->slots_cap = 4;
    l->slots = xmalloc(l->slots_cap * l->slot_bytes);
    l->ids = xmalloc(l->slots_cap * sizeof *l->ids);
    return 0;
}

void limit_fini(struct limit *l)
{
    free(l->changed);
    free(l->changes);
    l->changed = NULL;
    l->changes = NULL;
    free(l->ids);
    free(l->map);
    free(l->slots);
    l->ids = NULL;
    l->map = NULL;
    l->slots = NULL;
}

uint64_t limit_scope_of(const struct limit *l, const struct request *r)
{
    uint64_t client = r->stack[0].c ? r->stack[0].c->id : 0;
    switch (l->per) {
    case LIMIT_CLIENT:
        return client;
    case LIMIT_KEY:
        return r->key;
    case LIMIT_USER:
        return client << 32 | r->user;
    case LIMIT_GLOBAL:
        break;
    }
    return 0;
}

static void map_put(uint32_t *map, size_t cap, uint64_t id, uint32_t v)
{
    size_t i = (size_t)(rng_mix64(id ^ LIMIT_SALT) & (cap - 1));
    while (map[i])
        i = (i + 1) & (cap - 1);
    map[i] = v;
}

static void grow(struct limit *l)
{
    if (l->nslots == l->slots_cap) {
        l->slots_cap *= 2;
        l->slots = xrealloc(l->slots, l->slots_cap * l->slot_bytes);
        l->ids = xrealloc(l->ids, l->slots_cap * sizeof *l->ids);
        if (l->track) {
            l->changed = xrealloc(l->changed, l->slots_cap);
            memset(l->changed + l->nslots, 0, l->slots_cap - l->nslots);
            l->changes = xrealloc(l->changes, l->slots_cap * sizeof *l->changes);
        }
    }
    if (2 * (l->nslots + 1) < l->map_cap)
        return;
    l->map_cap *= 2;
    free(l->map);
    l->map = xcalloc(l->map_cap, sizeof *l->map);
    for (size_t k = 0; k < l->nslots; k++)
        map_put(l->map, l->map_cap, l->ids[k], (uint32_t)(k + 1));
}

static size_t entries_of(const struct limit *l, const void *slot)
{
    return l->pol->entries ? l->pol->entries(l, slot) : l->pol->slot_entries;
}

/* The slot of scope value id, made at now_ns when new. */
static void *slot_of(struct limit *l, uint64_t id, int64_t now_ns)
{
    size_t i = (size_t)(rng_mix64(id ^ LIMIT_SALT) & (l->map_cap - 1));
    for (; l->map[i]; i = (i + 1) & (l->map_cap - 1))
        if (l->ids[l->map[i] - 1] == id)
            return l->slots + (size_t)(l->map[i] - 1) * l->slot_bytes;
    grow(l);
    size_t k = l->nslots++;
    l->ids[k] = id;
    map_put(l->map, l->map_cap, id, (uint32_t)(k + 1));
    void *slot = l->slots + k * l->slot_bytes;
    l->pol->slot_init(l, slot, now_ns);
    l->entries += entries_of(l, slot);
    return slot;
}

int64_t limit_span_ns(const struct limit *l)
{
    return l->window_ns > 0 ? l->window_ns : 1000000000;
}

/* One request let through at now_ns (non-decreasing). */
static void count_pass(struct limit *l, int64_t now_ns)
{
    int64_t b = now_ns / l->bin_ns;
    if (b - l->bin >= LIMIT_BINS) {
        memset(l->bins, 0, sizeof l->bins);
        l->span_passed = 0;
    } else {
        for (int64_t k = l->bin + 1; k <= b; k++) {
            l->span_passed -= l->bins[k % LIMIT_BINS];
            l->bins[k % LIMIT_BINS] = 0;
        }
    }
    if (b > l->bin)
        l->bin = b;
    l->bins[l->bin % LIMIT_BINS]++;
    if (++l->span_passed > l->peak_passed)
        l->peak_passed = l->span_passed;
    if (l->ts_ns > 0) {
        int64_t t = now_ns / l->ts_ns;
        if (t != l->ts_bin) {
            l->ts_prev = t == l->ts_bin + 1 ? l->ts_cur : 0;
            l->ts_cur = 0;
            l->ts_bin = t;
        }
        l->ts_cur++;
    }
}

struct limit_verdict limit_check(struct limit *l, uint64_t scope, int64_t now_ns)
{
    void *slot = slot_of(l, scope, now_ns);
    struct limit_verdict v = {false, 0, 0};
    long delta = l->pol->check(l, slot, now_ns, &v);
    l->entries = (size_t)((long)l->entries + delta);
    if (v.admit) {
        l->admitted++;
        if (v.delay_ns > 0) {
            l->delayed++;
            l->entries++; /* the request waits in the bucket's queue */
        } else {
            count_pass(l, now_ns);
        }
    } else {
        l->limited++;
    }
    if (l->entries > l->entries_max)
        l->entries_max = l->entries;
    return v;
}

void limit_release(struct limit *l, int64_t now_ns)
{
    l->entries--;
    count_pass(l, now_ns);
}

size_t limit_bytes(const struct limit *l)
{
    return l->nslots * (l->slot_bytes + sizeof *l->ids) + l->map_cap * sizeof *l->map;
}

void limit_reset_counts(struct limit *l)
{
    l->admitted = l->limited = l->delayed = 0;
    l->entries_max = l->entries;
    l->peak_passed = l->span_passed;
}

/* ---- distributed limiting ---------------------------------------------- */

void limit_force(struct limit *l, uint64_t scope, int64_t now_ns)
{
    unsigned char *slot = slot_of(l, scope, now_ns);
    l->entries = (size_t)((long)l->entries + l->pol->consume(l, slot, now_ns));
    if (l->entries > l->entries_max)
        l->entries_max = l->entries;
    l->admitted++;
    count_pass(l, now_ns);
    size_t k = (size_t)(slot - l->slots) / l->slot_bytes;
    if (l->track && !l->changed[k]) {
        l->changed[k] = 1;
        l->changes[l->nchanges++] = (uint32_t)k;
    }
}

void limit_count_refusal(struct limit *l)
{
    l->limited++;
}

void limit_count_unchecked(struct limit *l, int64_t now_ns)
{
    l->admitted++;
    count_pass(l, now_ns);
}

void limit_land(struct limit *l, uint64_t scope, int64_t now_ns)
{
    void *slot = slot_of(l, scope, now_ns);
    struct limit_verdict v = {false, 0, 0};
    l->entries = (size_t)((long)l->entries + l->pol->check(l, slot, now_ns, &v));
    if (l->entries > l->entries_max)
        l->entries_max = l->entries;
}

void limit_track_changes(struct limit *l)
{
    l->track = true;
    l->changed = xcalloc(l->slots_cap, 1);
    l->changes = xmalloc(l->slots_cap * sizeof *l->changes);
    l->nchanges = 0;
}

void limit_sync_to(const struct limit *g, struct limit *node, int64_t now_ns)
{
    for (size_t j = 0; j < g->nchanges; j++) {
        size_t k = g->changes[j];
        void *dst = slot_of(node, g->ids[k], now_ns);
        const void *src = g->slots + k * g->slot_bytes;
        node->entries -= entries_of(node, dst);
        memcpy(dst, src, g->slot_bytes);
        node->entries += entries_of(node, dst);
    }
}

void limit_sync_done(struct limit *g)
{
    for (size_t j = 0; j < g->nchanges; j++)
        g->changed[g->changes[j]] = 0;
    g->nchanges = 0;
}

void limit_widen(struct limit *l, uint32_t n)
{
    if (l->log_cap == 0 || n <= 1)
        return;
    size_t head = l->slot_bytes - (size_t)l->log_cap * sizeof(int64_t);
    l->log_cap *= n;
    l->slot_bytes = head + (size_t)l->log_cap * sizeof(int64_t);
    l->slots = xrealloc(l->slots, l->slots_cap * l->slot_bytes);
}

uint64_t limit_ts_passed(const struct limit *l, int64_t now_ns)
{
    if (l->ts_ns <= 0) /* not started yet: the columns are being named */
        return 0;
    int64_t t = now_ns / l->ts_ns; /* the sample ends interval t - 1 */
    if (l->ts_bin == t)
        return l->ts_prev;
    return l->ts_bin == t - 1 ? l->ts_cur : 0;
}

double limit_rate_per_s(const struct limit *l)
{
    if (l->window_ns > 0)
        return (double)l->limit * 1e9 / (double)l->window_ns;
    return l->rate_per_s;
}
