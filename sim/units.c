/* units: parses the numbers with units written in scenario files.
 *
 * Every parser works on the text between the first and last non-blank
 * character. Numbers are checked by a small scanner before strtod sees them,
 * so "inf", "nan", hex floats and "1e" are rejected rather than half-read.
 * Durations go through a double and are rounded to the nearest nanosecond;
 * that is exact for every duration below 2^53 ns (about 104 days). */
#include "sim/units.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Longest number (digits, point, exponent) that we copy for strtod. */
#define NUM_MAX 63

/* One suffix and its size: nanoseconds per unit for durations. */
struct unit_def {
    const char *name;
    double ns;
};

/* "µs" is accepted as a spelling of "us". */
static const struct unit_def units_time[] = {
    {"ns", 1.0},    {"us", 1e3},    {"\xc2\xb5s", 1e3}, {"ms", 1e6},
    {"s", 1e9},     {"m", 60e9},    {"min", 60e9},      {"h", 3600e9},
    {NULL, 0.0},
};

#define UNITS_LIST "ns, us, ms, s, m or min, h"

/* Byte units: bytes per unit. */
static const struct unit_def units_bytes[] = {
    {"B", 1.0},     {"kB", 1e3},           {"KB", 1e3},           {"MB", 1e6},
    {"GB", 1e9},    {"TB", 1e12},          {"KiB", 1024.0},       {"MiB", 1048576.0},
    {"GiB", 1073741824.0}, {"TiB", 1099511627776.0}, {NULL, 0.0},
};

#define BYTE_UNITS_LIST "B, kB, MB, GB, TB, KiB, MiB, GiB, TiB"

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Narrows [*b, *e) to its non-blank part. */
static void trim(const char **b, const char **e)
{
    while (*b < *e && is_blank(**b))
        (*b)++;
    while (*e > *b && is_blank((*e)[-1]))
        (*e)--;
}

/* Length of the decimal number at the start of [b, e): an optional sign,
 * digits with at most one point (at least one digit), and an optional
 * exponent. 0 if there is none. */
static size_t scan_number(const char *b, const char *e)
{
    const char *p = b;
    size_t digits = 0;

    if (p < e && (*p == '+' || *p == '-'))
        p++;
    for (; p < e && is_digit(*p); p++)
        digits++;
    if (p < e && *p == '.')
        for (p++; p < e && is_digit(*p); p++)
            digits++;
    if (digits == 0)
        return 0;
    if (p < e && (*p == 'e' || *p == 'E')) {
        const char *q = p + 1;
        if (q < e && (*q == '+' || *q == '-'))
            q++;
        if (q < e && is_digit(*q)) {
            while (q < e && is_digit(*q))
                q++;
            p = q;
        }
    }
    return (size_t)(p - b);
}

/* Converts the n-character number at b (already scanned) with strtod. */
static int to_double(const char *b, size_t n, double *out, const char **why)
{
    char buf[NUM_MAX + 1];

    if (n > NUM_MAX) {
        *why = "number too long";
        return -1;
    }
    memcpy(buf, b, n);
    buf[n] = '\0';
    errno = 0;
    double v = strtod(buf, NULL);
    if (errno == ERANGE && fabs(v) > 1.0) {
        *why = "number out of range";
        return -1;
    }
    *out = v;
    return 0;
}

/* Parses the number at the start of the trimmed [*b, e) and advances *b past
 * it (and past blanks that follow it). */
static int lead_number(const char **b, const char *e, double *out, const char **why)
{
    size_t n = scan_number(*b, e);

    if (n == 0) {
        *why = "not a number";
        return -1;
    }
    if (to_double(*b, n, out, why) < 0)
        return -1;
    *b += n;
    while (*b < e && is_blank(**b))
        (*b)++;
    return 0;
}

/* Looks up the unit spelled exactly by [b, e) in table. NULL if unknown. */
static const struct unit_def *find_unit(const struct unit_def *table, const char *b,
                                        const char *e)
{
    size_t n = (size_t)(e - b);

    for (const struct unit_def *u = table; u->name; u++)
        if (strlen(u->name) == n && memcmp(u->name, b, n) == 0)
            return u;
    return NULL;
}

int units_parse_duration(const char *s, int64_t *out_ns, const char **why)
{
    const char *b = s, *e = s + strlen(s);
    double v;

    trim(&b, &e);
    if (b == e) {
        *why = "empty duration";
        return -1;
    }
    if (lead_number(&b, e, &v, why) < 0)
        return -1;
    if (v < 0.0) {
        *why = "negative duration";
        return -1;
    }
    if (b == e) {
        if (v == 0.0) {
            *out_ns = 0;
            return 0;
        }
        *why = "missing unit (" UNITS_LIST ")";
        return -1;
    }
    const struct unit_def *u = find_unit(units_time, b, e);
    if (!u) {
        *why = "unknown unit (expected " UNITS_LIST ")";
        return -1;
    }
    double ns = floor(v * u->ns + 0.5);
    if (!(ns <= (double)UNITS_TIME_MAX_NS)) {
        *why = "duration too large (over 73 years, the longest time sdsim represents)";
        return -1;
    }
    *out_ns = (int64_t)ns;
    return 0;
}

int units_parse_bytes(const char *s, uint64_t *out_bytes, const char **why)
{
    const char *b = s, *e = s + strlen(s);
    double v, per = 1.0;

    trim(&b, &e);
    if (b == e) {
        *why = "empty size";
        return -1;
    }
    if (lead_number(&b, e, &v, why) < 0)
        return -1;
    if (v < 0.0) {
        *why = "negative size";
        return -1;
    }
    if (b < e) {
        const struct unit_def *u = find_unit(units_bytes, b, e);
        if (!u) {
            *why = "unknown size unit (expected " BYTE_UNITS_LIST ")";
            return -1;
        }
        per = u->ns;
    }
    double x = floor(v * per + 0.5);
    if (!(x <= 4611686018427387904.0)) { /* 2^62 */
        *why = "size too large (over 2^62 bytes)";
        return -1;
    }
    *out_bytes = (uint64_t)x;
    return 0;
}

bool units_has_byte_unit(const char *s)
{
    const char *b = s, *e = s + strlen(s);

    trim(&b, &e);
    const char *u = e;
    while (u > b && ((u[-1] >= 'a' && u[-1] <= 'z') || (u[-1] >= 'A' && u[-1] <= 'Z')))
        u--;
    return u < e && find_unit(units_bytes, u, e) != NULL;
}

int units_parse_rate(const char *s, double *out_per_s, const char **why)
{
    const char *b = s, *e = s + strlen(s);
    double v, per_ns = 1e9;

    trim(&b, &e);
    if (b == e) {
        *why = "empty rate";
        return -1;
    }
    if (lead_number(&b, e, &v, why) < 0)
        return -1;
    if (b == e && v != 0.0) {
        *why = "missing unit: write a rate as 2.5/s, 900/min, 3/ms or 7200/h";
        return -1;
    }
    if (b < e) {
        if (*b != '/') {
            *why = "bad rate: write it as 2.5/s, 900/min, 3/ms or 7200/h";
            return -1;
        }
        for (b++; b < e && is_blank(*b);)
            b++;
        const struct unit_def *u = find_unit(units_time, b, e);
        if (!u) {
            *why = "unknown rate unit (expected /s, /ms, /us, /ns, /min (or /m) or /h)";
            return -1;
        }
        per_ns = u->ns;
    }
    if (v < 0.0) {
        *why = "negative rate";
        return -1;
    }
    *out_per_s = v * (1e9 / per_ns);
    if (!(*out_per_s <= UNITS_RATE_MAX_PER_S)) {
        *why = "rate too high (over 1e8/s: a mean gap under 10 ns, which the nanosecond clock "
               "cannot keep)";
        return -1;
    }
    return 0;
}

int units_parse_double(const char *s, double *out, const char **why)
{
    const char *b = s, *e = s + strlen(s);

    trim(&b, &e);
    if (b == e) {
        *why = "empty number";
        return -1;
    }
    if (lead_number(&b, e, out, why) < 0)
        return -1;
    if (b != e) {
        *why = "not a plain number (unexpected text after the number)";
        return -1;
    }
    return 0;
}

int units_parse_int(const char *s, long long *out, const char **why)
{
    const char *b = s, *e = s + strlen(s);
    long long v = 0;

    trim(&b, &e);
    if (b == e) {
        *why = "empty integer";
        return -1;
    }
    for (const char *p = b; p < e; p++) {
        if (!is_digit(*p)) {
            *why = "not a whole number (digits only)";
            return -1;
        }
        int digit = *p - '0';
        if (v > (LLONG_MAX - digit) / 10) {
            *why = "integer too large";
            return -1;
        }
        v = v * 10 + digit;
    }
    *out = v;
    return 0;
}

int units_parse_fraction(const char *s, double *out, const char **why)
{
    const char *b = s, *e = s + strlen(s);
    double v;

    trim(&b, &e);
    if (b == e) {
        *why = "empty fraction";
        return -1;
    }
    if (lead_number(&b, e, &v, why) < 0)
        return -1;
    if (b < e && *b == '%' && b + 1 == e) {
        v /= 100.0;
        b++;
    }
    if (b != e) {
        *why = "not a fraction (write 0.2 or 20%)";
        return -1;
    }
    if (v < 0.0 || v > 1.0) {
        *why = "fraction must be between 0 and 1 (0% and 100%)";
        return -1;
    }
    *out = v;
    return 0;
}

/* Spellings of true and false, pairwise. */
static const char *const bool_yes[] = {"true", "yes", "on", "1", NULL};
static const char *const bool_no[] = {"false", "no", "off", "0", NULL};

int units_parse_bool(const char *s, bool *out, const char **why)
{
    const char *b = s, *e = s + strlen(s);
    size_t n;

    trim(&b, &e);
    n = (size_t)(e - b);
    for (size_t i = 0; bool_yes[i]; i++) {
        if (strlen(bool_yes[i]) == n && strncasecmp(bool_yes[i], b, n) == 0) {
            *out = true;
            return 0;
        }
        if (strlen(bool_no[i]) == n && strncasecmp(bool_no[i], b, n) == 0) {
            *out = false;
            return 0;
        }
    }
    *why = "not a boolean (true/false, yes/no, on/off, 1/0)";
    return -1;
}

double units_ns_to_s(int64_t ns)
{
    return (double)ns / 1e9;
}

double units_ns_to_ms(int64_t ns)
{
    return (double)ns / 1e6;
}
