/* shed: load-shedding policies of a service queue (see shed.h). */
#include "models/resilience/shed.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "models/pspec.h"

static const struct param_spec no_params[] = {{NULL, NULL, NULL, NULL}};
static const struct param_spec length_params[] = {
    {"max", "int", "100", "a request that finds this many waiting is rejected"},
    {NULL, NULL, NULL, NULL},
};
static const struct param_spec deadline_params[] = {
    {"wait", "duration", "100ms", "a request that waited longer is dropped when its turn comes"},
    {NULL, NULL, NULL, NULL},
};
static const struct param_spec lifo_params[] = {
    {"above", "int", "0", "serve newest first while more than this many wait (0: always LIFO)"},
    {NULL, NULL, NULL, NULL},
};
static const struct param_spec codel_params[] = {
    {"target", "duration", "5ms", "acceptable standing queue delay"},
    {"interval", "duration", "100ms", "how long the delay may stay above target (about an RTT)"},
    {NULL, NULL, NULL, NULL},
};

static int length_init(struct shed *s, const struct spec *sp, struct diag *d)
{
    return pspec_int(sp, length_params, "max", 0, 1000000000, &s->max, d);
}

static bool length_admit(const struct shed *s, size_t waiting)
{
    return (long long)waiting < s->max;
}

static int deadline_init(struct shed *s, const struct spec *sp, struct diag *d)
{
    return pspec_duration(sp, deadline_params, "wait", &s->wait_ns, d);
}

static bool deadline_drop(struct shed *s, int64_t now_ns, int64_t sojourn_ns, size_t left,
                          bool first)
{
    (void)now_ns, (void)left, (void)first;
    return sojourn_ns > s->wait_ns;
}

static int lifo_init(struct shed *s, const struct spec *sp, struct diag *d)
{
    return pspec_int(sp, lifo_params, "above", 0, 1000000000, &s->max, d);
}

static bool lifo_lifo(const struct shed *s, size_t waiting)
{
    return (long long)waiting > s->max;
}

static int codel_init(struct shed *s, const struct spec *sp, struct diag *d)
{
    int rc = pspec_duration(sp, codel_params, "target", &s->target_ns, d);
    rc |= pspec_duration(sp, codel_params, "interval", &s->interval_ns, d);
    if (rc == 0 && s->interval_ns <= 0)
        rc = diag_error(d, sp->loc, "interval must be positive");
    return rc ? -1 : 0;
}

static int64_t control_law(const struct shed *s, int64_t t)
{
    return t + (int64_t)((double)s->interval_ns / sqrt((double)s->count));
}

/* The paper's dodeque(): is the sojourn time persistently above target? */
static bool ok_to_drop(struct shed *s, int64_t now_ns, int64_t sojourn_ns, size_t left)
{
    if (sojourn_ns < s->target_ns || left == 0) {
        s->first_above_ns = 0;
        return false;
    }
    if (s->first_above_ns == 0) {
        s->first_above_ns = now_ns + s->interval_ns;
        return false;
    }
    return now_ns >= s->first_above_ns;
}

/* The dequeue() of RFC 8289 (the paper's, with its fix for the entry
 * condition), one take at a time: `first` is its first
 * dodeque(); later takes are the ones inside its drop loop. */
static bool codel_drop(struct shed *s, int64_t now_ns, int64_t sojourn_ns, size_t left,
                       bool first)
{
    bool ok = ok_to_drop(s, now_ns, sojourn_ns, left);
    if (!first && s->just_entered) { /* the take after entering: kept */
        s->just_entered = false;
        return false;
    }
    if (s->dropping) {
        if (!ok) {
            s->dropping = false;
            return false;
        }
        if (!first)
            s->drop_next_ns = control_law(s, s->drop_next_ns);
        if (now_ns >= s->drop_next_ns) {
            s->count++;
            return true;
        }
        return false;
    }
    if (first && ok) { /* enter the dropping state (RFC 8289's count reuse) */
        uint32_t delta = s->count - s->lastcount;
        s->dropping = true;
        s->just_entered = true;
        s->count = delta > 1 && now_ns - s->drop_next_ns < 16 * s->interval_ns ? delta : 1;
        s->drop_next_ns = control_law(s, now_ns);
        s->lastcount = s->count;
        return true;
    }
    return false;
}

const struct shed_policy shed_none = {
    .head.name = "none",
    .head.summary = "FIFO, no shedding beyond the queue's capacity",
    .head.params = no_params,
};

const struct shed_policy shed_length = {
    .head.name = "length",
    .head.summary = "reject on arrival when the queue is already this long",
    .head.params = length_params,
    .init = length_init,
    .admit = length_admit,
};

const struct shed_policy shed_deadline = {
    .head.name = "deadline",
    .head.summary = "drop at dequeue what waited longer than a deadline",
    .head.params = deadline_params,
    .init = deadline_init,
    .drop = deadline_drop,
};

const struct shed_policy shed_lifo = {
    .head.name = "lifo",
    .head.summary = "serve the newest request first while the queue is long (adaptive LIFO, "
               "Maurer 2015 \"Fail at Scale\")",
    .head.params = lifo_params,
    .init = lifo_init,
    .lifo = lifo_lifo,
};

const struct shed_policy shed_codel = {
    .head.name = "codel",
    .head.summary = "CoDel: drop at dequeue once queue delay stays above target for an interval "
               "(Nichols & Jacobson 2012)",
    .head.params = codel_params,
    .init = codel_init,
    .drop = codel_drop,
};

int shed_setup(struct shed *s, const char *text, struct loc loc, struct diag *d)
{
    memset(s, 0, sizeof *s);
    struct spec sp;
    const struct policy_head *h = policy_setup(&shed_family, text, loc, &sp, d);
    if (!h)
        return -1;
    s->pol = (const struct shed_policy *)h;
    return s->pol->init ? s->pol->init(s, &sp, d) : 0;
}
