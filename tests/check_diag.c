/* Tests for sim/diag: what a mistaken file can make sdsim print is bounded,
 * and what it echoes is safe to show on a terminal. */
#include "sim/diag.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Suite *diag_suite(void);

static struct diag *d;

static void setup(void)
{
    d = diag_new();
}

static void teardown(void)
{
    diag_free(d);
}

static struct loc at_line(int line)
{
    return (struct loc){"f.ini", line, 1};
}

/* Everything diag_print writes, as a malloc'd string. */
static char *printed(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    diag_print(d, f);
    ck_assert_int_eq(fclose(f), 0);
    return buf;
}

static size_t count_lines_with(const char *text, const char *word)
{
    size_t n = 0;
    for (const char *p = strstr(text, word); p; p = strstr(p + 1, word))
        n++;
    return n;
}

START_TEST(prints_twenty_errors_then_counts_the_rest)
{
    for (int i = 1; i <= 3913; i++)
        diag_error(d, at_line(i), "mistake number %d", i);
    ck_assert_uint_eq(diag_count(d), 3913);
    char *out = printed();
    ck_assert_uint_eq(count_lines_with(out, ": error: "), 20);
    ck_assert_ptr_nonnull(strstr(out, "f.ini:20:1: error: mistake number 20\n"));
    ck_assert_ptr_null(strstr(out, "mistake number 21\n"));
    ck_assert_ptr_nonnull(strstr(out, "... and 3893 more errors\n"));
    ck_assert_uint_lt(strlen(out), 2000);
    free(out);
}
END_TEST

START_TEST(errors_beyond_what_is_kept_are_still_counted)
{
    for (int i = 1; i <= 20000; i++)
        diag_error(d, at_line(i), "mistake number %d", i);
    ck_assert_uint_eq(diag_count(d), 20000);
    char *out = printed();
    ck_assert_ptr_nonnull(strstr(out, "... and 19980 more errors\n"));
    free(out);
}
END_TEST

START_TEST(a_long_quoted_value_is_cut_to_sixty_characters)
{
    char value[200];
    memset(value, 'x', sizeof value - 1);
    value[sizeof value - 1] = '\0';
    diag_error(d, at_line(1), "bad name '%s' here", value);
    const char *m = diag_message(d, 0);
    char want[128];
    snprintf(want, sizeof want, "'%.57s...' here", value);
    ck_assert_msg(strstr(m, want) != NULL, "%s", m);
    /* A short one, and an apostrophe in prose, are left alone. */
    diag_error(d, at_line(2), "can't use 'abc' here");
    ck_assert_str_eq(diag_message(d, 1), "f.ini:2:1: error: can't use 'abc' here");
}
END_TEST

START_TEST(control_bytes_and_broken_utf8_are_escaped)
{
    diag_error(d, at_line(1), "bad key 'a\x01" "b\xff" "c\xc3\xa9'");
    ck_assert_str_eq(diag_message(d, 0), "f.ini:1:1: error: bad key 'a\\x01b\\xffc\xc3\xa9'");
}
END_TEST

START_TEST(a_long_source_line_is_shown_around_the_caret)
{
    char text[4096];
    memset(text, 'y', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    text[2000] = '\x02';
    diag_add_source(d, "f.ini", text);
    diag_error(d, (struct loc){"f.ini", 1, 2001}, "here");
    char *out = printed();
    const char *line = strchr(out, '\n') + 1;
    const char *caret = strchr(line, '\n') + 1;
    ck_assert_uint_lt((size_t)(caret - line), 120);
    ck_assert_ptr_nonnull(strstr(line, "...yyy"));
    /* The caret sits under the escaped byte. */
    size_t col = (size_t)(strstr(line, "\\x02") - line);
    ck_assert_uint_eq((size_t)(strchr(caret, '^') - caret), col);
    free(out);
}
END_TEST

START_TEST(only_missing_inputs_make_a_noinput_failure)
{
    ck_assert(!diag_only_noinput(d));
    diag_noinput(d, at_line(1), "cannot open '%s'", "a.csv");
    ck_assert(diag_only_noinput(d));
    diag_noinput(d, at_line(1), "cannot open '%s'", "a.csv"); /* a repeat (sweeps) */
    ck_assert(diag_only_noinput(d));
    diag_error(d, at_line(2), "a mistake");
    ck_assert(!diag_only_noinput(d));
}
END_TEST

Suite *diag_suite(void)
{
    Suite *s = suite_create("diag");
    TCase *tc = tcase_create("limits");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, prints_twenty_errors_then_counts_the_rest);
    tcase_add_test(tc, errors_beyond_what_is_kept_are_still_counted);
    tcase_add_test(tc, a_long_quoted_value_is_cut_to_sixty_characters);
    tcase_add_test(tc, control_bytes_and_broken_utf8_are_escaped);
    tcase_add_test(tc, a_long_source_line_is_shown_around_the_caret);
    tcase_add_test(tc, only_missing_inputs_make_a_noinput_failure);
    suite_add_tcase(s, tc);
    return s;
}
