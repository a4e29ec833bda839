/* Tests for sim/units: every parser, table-driven, good and bad spellings. */
#include "sim/units.h"

#include <check.h>
#include <math.h>
#include <string.h>

Suite *units_suite(void);

struct duration_case {
    const char *text;
    int64_t ns;
};

static const struct duration_case good_durations[] = {
    {"250us", 250000},
    {"1.5s", 1500000000},
    {"2m", 120000000000},
    {"1h", 3600000000000},
    {"100ns", 100},
    {"0", 0},
    {"0ms", 0},
    {"  10ms  ", 10000000},
    {"10 ms", 10000000},
    {"1.5ns", 2}, /* rounded to the nearest ns */
    {"1.4ns", 1},
    {"0.1s", 100000000},
    {"1e3us", 1000000},
    {".5ms", 500000},
    {"5\xc2\xb5s", 5000},
    {"2305843009s", 2305843009000000000}, /* just under UNITS_TIME_MAX_NS */
};

/* units_llround replaces llround on the arrival path: it must agree exactly,
 * halves included (away from zero), or every Poisson run's results change. */
START_TEST(llround_inline_matches_libm)
{
    static const double fixed[] = {0.0, -0.0, 0.5, -0.5, 1.5, -1.5, 2.5, 0.49999999999999994,
                                   -0.49999999999999994, 4503599627370495.5, 4503599627370497.0,
                                   9007199254740993.0, 1e18, -1e18, 8.9e18, 123456789.5};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        ck_assert_int_eq(units_llround(fixed[i]), llround(fixed[i]));
    uint64_t x = 88172645463325252ULL; /* xorshift64: doubles of every magnitude */
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double d = (double)(x >> 11) * 0x1.0p-53 * ldexp(1.0, (int)(x % 62)) * ((x & 1) ? -1 : 1);
        ck_assert_int_eq(units_llround(d), llround(d));
        double h = floor(d) + 0.5; /* an exact half, where the direction matters */
        if (fabs(h) < 9e18)
            ck_assert_int_eq(units_llround(h), llround(h));
    }
}
END_TEST

START_TEST(duration_parses_number_and_unit_to_nanoseconds)
{
    const struct duration_case *c = &good_durations[_i];
    int64_t ns = -1;
    const char *why = NULL;

    ck_assert_msg(units_parse_duration(c->text, &ns, &why) == 0, "'%s' rejected: %s", c->text,
                  why);
    ck_assert_msg(ns == c->ns, "'%s' -> %lld, want %lld", c->text, (long long)ns,
                  (long long)c->ns);
}
END_TEST

struct bad_case {
    const char *text;
    const char *why; /* a word the reason must contain */
};

static const struct bad_case bad_durations[] = {
    {"5", "missing unit"},
    {"5 parsecs", "unknown unit"},
    {"5sec", "unknown unit"},
    {"-1s", "negative"},
    {"-5", "negative"},
    {"2305843010s", "too large"}, /* over UNITS_TIME_MAX_NS: 73 years */
    {"9223372037s", "too large"},
    {"1e300h", "too large"},
    {"", "empty"},
    {"ms", "not a number"},
    {"inf", "not a number"},
    {"nan", "not a number"},
    {"0x10ms", "unknown unit"},
    {"1.2.3s", "unknown unit"},
};

START_TEST(duration_rejects_bad_text_with_a_reason)
{
    const struct bad_case *c = &bad_durations[_i];
    int64_t ns = 0;
    const char *why = NULL;

    ck_assert_msg(units_parse_duration(c->text, &ns, &why) == -1, "'%s' accepted", c->text);
    ck_assert_ptr_nonnull(why);
    ck_assert_msg(strstr(why, c->why) != NULL, "'%s': reason '%s' lacks '%s'", c->text, why,
                  c->why);
}
END_TEST

START_TEST(missing_unit_reason_lists_the_units)
{
    int64_t ns;
    const char *why = NULL;

    ck_assert_int_eq(units_parse_duration("5", &ns, &why), -1);
    ck_assert_str_eq(why, "missing unit (ns, us, ms, s, m or min, h)");
}
END_TEST

struct double_case {
    const char *text;
    double value;
};

static const struct double_case good_rates[] = {
    {"2.55/s", 2.55}, {"900/m", 15.0}, {"1/ms", 1000.0},  {"1e8/s", 1e8},
    {"7200/h", 2.0},  {"0", 0.0},      {" 5 / s ", 5.0},  {"2/us", 2e6},
    {"900/min", 15.0},
};

START_TEST(rate_parses_to_per_second)
{
    const struct double_case *c = &good_rates[_i];
    double v = -1.0;
    const char *why = NULL;

    ck_assert_msg(units_parse_rate(c->text, &v, &why) == 0, "'%s' rejected: %s", c->text, why);
    /* Relative 1e-12: one unit conversion, a few ulps of rounding. */
    ck_assert_double_eq_tol(v, c->value, 1e-12 * c->value + 1e-300);
}
END_TEST

static const struct bad_case bad_rates[] = {
    {"-1/s", "negative"}, {"5/fortnight", "unknown rate unit"}, {"5 per s", "bad rate"},
    {"/s", "not a number"}, {"", "empty"},
    {"3", "missing unit"}, /* a rate needs its unit, like a duration */
    {"1.1e8/s", "too high"},    /* mean gap under 10 ns: the clock would distort it */
    {"1e11/s", "too high"},     {"1/ns", "too high"}, {"1e300/h", "too high"},
};

START_TEST(rate_rejects_bad_text_with_a_reason)
{
    const struct bad_case *c = &bad_rates[_i];
    double v;
    const char *why = NULL;

    ck_assert_msg(units_parse_rate(c->text, &v, &why) == -1, "'%s' accepted", c->text);
    ck_assert_msg(strstr(why, c->why) != NULL, "'%s': reason '%s' lacks '%s'", c->text, why,
                  c->why);
}
END_TEST

static const struct double_case good_fractions[] = {
    {"0.2", 0.2}, {"20%", 0.2}, {"0", 0.0}, {"1", 1.0}, {"100%", 1.0}, {" 12.5 % ", 0.125},
};

START_TEST(fraction_accepts_decimal_or_percent)
{
    const struct double_case *c = &good_fractions[_i];
    double v = -1.0;
    const char *why = NULL;

    ck_assert_msg(units_parse_fraction(c->text, &v, &why) == 0, "'%s' rejected: %s", c->text,
                  why);
    ck_assert_double_eq_tol(v, c->value, 1e-15);
}
END_TEST

static const struct bad_case bad_fractions[] = {
    {"1.5", "between 0 and 1"}, {"-0.1", "between 0 and 1"}, {"101%", "between 0 and 1"},
    {"20 percent", "not a fraction"}, {"half", "not a number"},
};

START_TEST(fraction_rejects_values_outside_zero_one)
{
    const struct bad_case *c = &bad_fractions[_i];
    double v;
    const char *why = NULL;

    ck_assert_msg(units_parse_fraction(c->text, &v, &why) == -1, "'%s' accepted", c->text);
    ck_assert_msg(strstr(why, c->why) != NULL, "'%s': reason '%s' lacks '%s'", c->text, why,
                  c->why);
}
END_TEST

struct bool_case {
    const char *text;
    int value; /* 1, 0, or -1 for "rejected" */
};

static const struct bool_case bools[] = {
    {"true", 1}, {"yes", 1},  {"on", 1},  {"1", 1},     {"TRUE", 1}, {"false", 0},
    {"no", 0},   {"off", 0},  {"0", 0},   {" no ", 0},  {"2", -1},   {"y", -1},
    {"", -1},    {"truth", -1},
};

START_TEST(bool_accepts_the_usual_spellings_only)
{
    const struct bool_case *c = &bools[_i];
    bool v = false;
    const char *why = NULL;
    int rc = units_parse_bool(c->text, &v, &why);

    if (c->value < 0) {
        ck_assert_msg(rc == -1, "'%s' accepted", c->text);
        ck_assert_ptr_nonnull(strstr(why, "not a boolean"));
        return;
    }
    ck_assert_msg(rc == 0, "'%s' rejected", c->text);
    ck_assert_int_eq(v, c->value);
}
END_TEST

struct int_case {
    const char *text;
    long long value; /* -1 for "rejected" */
};

static const struct int_case ints[] = {
    {"0", 0},   {"42", 42}, {" 7 ", 7},     {"9223372036854775807", 9223372036854775807LL},
    {"1e6", -1}, {"1_000", -1}, {"-3", -1}, {"3.0", -1}, {"9223372036854775808", -1},
    {"", -1},
};

START_TEST(int_accepts_digits_only)
{
    const struct int_case *c = &ints[_i];
    long long v = -2;
    const char *why = NULL;
    int rc = units_parse_int(c->text, &v, &why);

    if (c->value < 0) {
        ck_assert_msg(rc == -1, "'%s' accepted as %lld", c->text, v);
        ck_assert_ptr_nonnull(why);
        return;
    }
    ck_assert_msg(rc == 0, "'%s' rejected: %s", c->text, why);
    ck_assert(v == c->value);
}
END_TEST

START_TEST(double_rejects_trailing_text_and_non_finite)
{
    double v = 0.0;
    const char *why = NULL;

    ck_assert_int_eq(units_parse_double(" -2.5e3 ", &v, &why), 0);
    ck_assert_double_eq(v, -2500.0);
    ck_assert_int_eq(units_parse_double("2.5ms", &v, &why), -1);
    ck_assert_int_eq(units_parse_double("inf", &v, &why), -1);
    ck_assert_int_eq(units_parse_double("1e999", &v, &why), -1);
    ck_assert_ptr_nonnull(strstr(why, "out of range"));
}
END_TEST

START_TEST(ns_convert_to_seconds_and_milliseconds)
{
    ck_assert_double_eq(units_ns_to_s(1500000000), 1.5);
    ck_assert_double_eq(units_ns_to_ms(250000), 0.25);
    ck_assert_double_eq(units_ns_to_s(0), 0.0);
}
END_TEST

#define NCASES(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Byte sizes: decimal and binary units, a bare number is bytes, rounding to
 * the nearest byte; the unit test is what tells a byte capacity from a count. */
/* A sample beyond the end of time saturates there; below it, a time is
 * rounded exactly as (int64_t)(x + 0.5) always did, so results keep. */
START_TEST(ns_from_double_rounds_and_saturates_at_the_end_of_time)
{
    ck_assert_int_eq(units_ns_from_double(0.0), 0);
    ck_assert_int_eq(units_ns_from_double(1.5), 2);
    ck_assert_int_eq(units_ns_from_double(1.49), 1);
    ck_assert_int_eq(units_ns_from_double(-1.5), -2);
    ck_assert_int_eq(units_ns_from_double(1e18), 1000000000000000000);
    ck_assert_int_eq(units_ns_from_double(2.305843009213693e18), 2305843009213692928);
    ck_assert_int_eq(units_ns_from_double(3e18), UNITS_TIME_MAX_NS);
    ck_assert_int_eq(units_ns_from_double(1e300), UNITS_TIME_MAX_NS);
    ck_assert_int_eq(units_ns_from_double((double)INFINITY), UNITS_TIME_MAX_NS);
    ck_assert_int_eq(units_ns_from_double((double)NAN), UNITS_TIME_MAX_NS);
    ck_assert_int_eq(units_ns_from_double(-1e300), -UNITS_TIME_MAX_NS);
    /* Four of the largest times add without overflow. */
    ck_assert(UNITS_TIME_MAX_NS <= INT64_MAX / 4);
}
END_TEST

START_TEST(bytes_parse_decimal_and_binary_units)
{
    const char *why = NULL;
    uint64_t b = 0;
    ck_assert_int_eq(units_parse_bytes("64MB", &b, &why), 0);
    ck_assert_uint_eq(b, 64000000);
    ck_assert_int_eq(units_parse_bytes(" 512KiB ", &b, &why), 0);
    ck_assert_uint_eq(b, 524288);
    ck_assert_int_eq(units_parse_bytes("1.5kB", &b, &why), 0);
    ck_assert_uint_eq(b, 1500);
    ck_assert_int_eq(units_parse_bytes("4KB", &b, &why), 0);
    ck_assert_uint_eq(b, 4000);
    ck_assert_int_eq(units_parse_bytes("2GiB", &b, &why), 0);
    ck_assert_uint_eq(b, 2147483648ULL);
    ck_assert_int_eq(units_parse_bytes("1TB", &b, &why), 0);
    ck_assert_uint_eq(b, 1000000000000ULL);
    ck_assert_int_eq(units_parse_bytes("100", &b, &why), 0);
    ck_assert_uint_eq(b, 100);
    ck_assert_int_eq(units_parse_bytes("2.6B", &b, &why), 0);
    ck_assert_uint_eq(b, 3);
    ck_assert(units_has_byte_unit("64MB"));
    ck_assert(units_has_byte_unit(" 10 KiB "));
    ck_assert(!units_has_byte_unit("1000"));
    ck_assert(!units_has_byte_unit("10ms"));
}
END_TEST

START_TEST(bytes_reject_bad_text_with_a_reason)
{
    const char *why = NULL;
    uint64_t b = 0;
    ck_assert_int_eq(units_parse_bytes("64mb", &b, &why), -1);
    ck_assert_str_eq(why, "unknown size unit (expected B, kB, MB, GB, TB, KiB, MiB, GiB, TiB)");
    ck_assert_int_eq(units_parse_bytes("-1KB", &b, &why), -1);
    ck_assert_str_eq(why, "negative size");
    ck_assert_int_eq(units_parse_bytes("", &b, &why), -1);
    ck_assert_str_eq(why, "empty size");
    ck_assert_int_eq(units_parse_bytes("MB", &b, &why), -1);
    ck_assert_str_eq(why, "not a number");
    ck_assert_int_eq(units_parse_bytes("9000000TB", &b, &why), -1);
    ck_assert_str_eq(why, "size too large (over 2^62 bytes)");
}
END_TEST

Suite *units_suite(void)
{
    Suite *s = suite_create("units");
    TCase *bytes = tcase_create("bytes");
    tcase_add_test(bytes, bytes_parse_decimal_and_binary_units);
    tcase_add_test(bytes, bytes_reject_bad_text_with_a_reason);
    suite_add_tcase(s, bytes);
    TCase *tc = tcase_create("durations");

    tcase_add_loop_test(tc, duration_parses_number_and_unit_to_nanoseconds, 0,
                        NCASES(good_durations));
    tcase_add_loop_test(tc, duration_rejects_bad_text_with_a_reason, 0, NCASES(bad_durations));
    tcase_add_test(tc, missing_unit_reason_lists_the_units);
    tcase_add_test(tc, ns_convert_to_seconds_and_milliseconds);
    suite_add_tcase(s, tc);

    tc = tcase_create("numbers");
    tcase_add_loop_test(tc, rate_parses_to_per_second, 0, NCASES(good_rates));
    tcase_add_loop_test(tc, rate_rejects_bad_text_with_a_reason, 0, NCASES(bad_rates));
    tcase_add_loop_test(tc, fraction_accepts_decimal_or_percent, 0, NCASES(good_fractions));
    tcase_add_loop_test(tc, fraction_rejects_values_outside_zero_one, 0, NCASES(bad_fractions));
    tcase_add_loop_test(tc, bool_accepts_the_usual_spellings_only, 0, NCASES(bools));
    tcase_add_loop_test(tc, int_accepts_digits_only, 0, NCASES(ints));
    tcase_add_test(tc, double_rejects_trailing_text_and_non_finite);
    tcase_add_test(tc, ns_from_double_rounds_and_saturates_at_the_end_of_time);
    tcase_add_test(tc, llround_inline_matches_libm);
    suite_add_tcase(s, tc);
    return s;
}
