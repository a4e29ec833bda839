/* units: numbers with units as written in scenario files.
 *
 * Durations: a decimal number followed by ns, us, ms, s, m or h ("250us",
 * "1.5s", "2m"). A bare "0" is accepted as zero; any other number needs a
 * unit. Every duration is at most UNITS_TIME_MAX_NS. Rates: a number
 * followed by "/s", "/ms", "/us", "/ns", "/m" or "/h" ("2.55/s", "900/m");
 * like a duration, a rate needs its unit except a bare "0". A rate is at most
 * UNITS_RATE_MAX_PER_S. Plain numbers
 * use strtod in the C locale (the program never calls setlocale, so '.' is
 * always the decimal point). Each parser consumes the whole string (leading
 * and trailing blanks are allowed) and on error returns -1 with a short
 * English reason in *why (a static string) that the caller wraps into a
 * diagnostic with the location. */
#ifndef SDSIM_SIM_UNITS_H
#define SDSIM_SIM_UNITS_H

#include <stdbool.h>
#include <stdint.h>

#define UNITS_NS_PER_S 1000000000LL

/* The end of time: the longest duration a scenario may write and the value a
 * longer sample saturates to (INT64_MAX / 4, about 73 years). Four such
 * times add up without overflowing int64_t, so the clock (at most the
 * warm-up plus the duration, checked to be within this) plus a timeout plus a
 * sample plus an added delay never wraps. An event at or beyond it lies past
 * the end of every run and is never reached. */
#define UNITS_TIME_MAX_NS (INT64_MAX / 4)

/* The highest rate: a mean gap of 10 ns. The clock counts whole nanoseconds,
 * so a Poisson gap of mean g ns is rounded, which shortens its mean by about
 * 1 / (24 g^2): 0.04% at 10 ns, 4% at 1 ns, and at 0.1 ns almost every gap
 * rounds to zero (15 times the rate asked for). */
#define UNITS_RATE_MAX_PER_S 1e8

/* llround(x) for |x| < 2^63, inline: the integer part truncates exactly and
 * x minus it is exact, so halves round away from zero as llround does. The
 * per-arrival gap of a Poisson source is rounded here. */
static inline int64_t units_llround(double x)
{
    int64_t i = (int64_t)x;
    double f = x - (double)i;
    /* Flags, not branches: whether a gap rounds up is a coin toss, and a
     * branch on it is mispredicted half the time. */
    return i + (f >= 0.5) - (f <= -0.5);
}

/* ns as an int64_t, rounded to the nearest nanosecond and saturated to
 * [-UNITS_TIME_MAX_NS, UNITS_TIME_MAX_NS] (NaN gives the maximum): every
 * double that becomes a time goes through here. For x >= 0 below the
 * maximum this is exactly (int64_t)(x + 0.5). */
static inline int64_t units_ns_from_double(double ns)
{
    /* (double)UNITS_TIME_MAX_NS is 2^61 (the int64 rounds up), so the
     * comparisons happen in doubles and the result is clamped again. */
    const double lim = (double)UNITS_TIME_MAX_NS;
    if (!(ns < lim))
        return UNITS_TIME_MAX_NS; /* also NaN */
    if (ns <= -lim)
        return -UNITS_TIME_MAX_NS;
    int64_t r = ns >= 0.0 ? (int64_t)(ns + 0.5) : -(int64_t)(0.5 - ns);
    if (r > UNITS_TIME_MAX_NS)
        return UNITS_TIME_MAX_NS;
    return r < -UNITS_TIME_MAX_NS ? -UNITS_TIME_MAX_NS : r;
}

int units_parse_duration(const char *s, int64_t *out_ns, const char **why);
int units_parse_rate(const char *s, double *out_per_s, const char **why);
int units_parse_double(const char *s, double *out, const char **why);
/* A non-negative integer; "1e6" and "1_000_000" are not accepted. */
int units_parse_int(const char *s, long long *out, const char **why);
/* A size in bytes: a number and B, kB (or KB), MB, GB, TB (powers of 1000)
 * or KiB, MiB, GiB, TiB (powers of 1024): "64MB", "512KiB", "1.5kB". A bare
 * number is bytes. Rounded to the nearest byte; at most 2^62. */
int units_parse_bytes(const char *s, uint64_t *out_bytes, const char **why);
/* True if s (trimmed) ends in one of the byte units above. */
bool units_has_byte_unit(const char *s);
/* A fraction written as 0.2 or 20%. */
int units_parse_fraction(const char *s, double *out, const char **why);
int units_parse_bool(const char *s, bool *out, const char **why);

/* Duration in ns as seconds / milliseconds (the only conversions out). */
double units_ns_to_s(int64_t ns);
double units_ns_to_ms(int64_t ns);

#endif
