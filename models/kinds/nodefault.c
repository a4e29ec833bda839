/* nodefault: one node's fault state, and which fault actions each kind
 * supports (see models/kinds/nodefault.h). */
#include "models/kinds/nodefault.h"

#include <stdio.h>
#include <string.h>

/* Which actions each kind with nodes supports. A kind not listed has no
 * nodes to fail (clients, balancers, the fault schedule itself), and
 * models/kinds/fault.c refuses any fault on it. Partition needs nodes that talk
 * to each other (replication): a service replica, a store or a cache node
 * has no peers to be cut off from. */
#define NODEFAULT_NODE_ACTIONS                                                            \
    (NODEFAULT_BIT(FAULT_CRASH) | NODEFAULT_BIT(FAULT_SLOW) | NODEFAULT_BIT(FAULT_ERRORS) | \
     NODEFAULT_BIT(FAULT_LATENCY))

static const struct {
    const char *kind;
    unsigned actions;
} supported[] = {
    {"service", NODEFAULT_NODE_ACTIONS},
    {"cache", NODEFAULT_NODE_ACTIONS},
    {"store", NODEFAULT_NODE_ACTIONS},
    {"replicaset", NODEFAULT_NODE_ACTIONS | NODEFAULT_PARTITION},
    {"multileader", NODEFAULT_NODE_ACTIONS | NODEFAULT_PARTITION},
    {"consumers", NODEFAULT_BIT(FAULT_CRASH) | NODEFAULT_BIT(FAULT_SLOW)},
    {"queue", NODEFAULT_BIT(FAULT_CRASH)}, /* the broker, or one partition's leader */
};
#define NSUPPORTED (sizeof supported / sizeof supported[0])

/* Names by bit: enum fault_action's order, then partition. */
static const char *const action_names[] = {"crash", "slow", "errors", "latency", "partition"};
#define NACTION_NAMES (sizeof action_names / sizeof action_names[0])

void nodefault_init(struct nodefault *nf)
{
    *nf = (struct nodefault){.up = true, .slow = 1.0, .error_ratio = 0.0, .add_ns = 0};
}

enum nodefault_change nodefault_apply(struct nodefault *nf, enum fault_action a, double value,
                                      bool start)
{
    switch (a) {
    case FAULT_CRASH:
        if (start == !nf->up)
            return NODEFAULT_SAME;
        nf->up = !start;
        return start ? NODEFAULT_CRASHED : NODEFAULT_RECOVERED;
    case FAULT_SLOW:
        nf->slow = start ? value : 1.0;
        break;
    case FAULT_ERRORS:
        nf->error_ratio = start ? value : 0.0;
        break;
    case FAULT_LATENCY:
        nf->add_ns = start ? (int64_t)value : 0;
        break;
    }
    return NODEFAULT_SAME;
}

unsigned nodefault_supported(const char *kind)
{
    for (size_t i = 0; i < NSUPPORTED; i++)
        if (strcmp(supported[i].kind, kind) == 0)
            return supported[i].actions;
    return 0;
}

/* Appends ", text" (or "text" first) to buf of size, keeping it terminated. */
static void append(char *buf, size_t size, const char *text)
{
    size_t len = strlen(buf);
    if (len < size)
        snprintf(buf + len, size - len, "%s%s", len ? ", " : "", text);
}

void nodefault_action_names(unsigned mask, char *buf, size_t size)
{
    if (size == 0)
        return;
    buf[0] = '\0';
    for (size_t i = 0; i < NACTION_NAMES; i++)
        if (mask & (1u << i))
            append(buf, size, action_names[i]);
}

void nodefault_kind_names(char *buf, size_t size)
{
    if (size == 0)
        return;
    buf[0] = '\0';
    for (size_t i = 0; i < NSUPPORTED; i++)
        append(buf, size, supported[i].kind);
}
