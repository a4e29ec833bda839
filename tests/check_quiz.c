/* run --quiz (sim/quiz.c): one question per [predict] line and sweep point
 * it applies to; answers in the metric's unit or with a unit; a bad answer
 * is said so and asked again; an empty line skips; the end of the input
 * skips the rest; the table shows each answer. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/expect.h"
#include "sim/diag.h"
#include "sim/quiz.h"
#include "sim/scenario.h"
#include "testlib.h"

#define BASE                                                                                       \
    "[sim]\nduration = 10s\n"                                                                      \
    "[client c]\narrival = poisson(rate=1/s)\nto = s\n"                                            \
    "[service s]\nworkers = ${w = 1, 2}\nservice = exp(mean=100ms)\n"

/* Asks the [predict] lines of BASE + text with the answers in input; the
 * transcript and then the table (without values) into *out. */
static void quiz_on(const char *text, const char *input, char **out)
{
    struct diag *d = diag_new();
    char *src = malloc(strlen(BASE) + strlen(text) + 1);
    strcpy(src, BASE);
    strcat(src, text);
    struct scenario *sc = scenario_parse("t.ini", src, d);
    ck_assert_msg(sc != NULL, "%s", diag_count(d) ? diag_message(d, 0) : "");
    ck_assert_int_eq(scenario_find_sweeps(sc, d), 0);
    struct expect_set *es = expect_read(sc, d);
    ck_assert_msg(es != NULL, "%s", diag_count(d) ? diag_message(d, 0) : "");
    FILE *in = fmemopen((void *)input, strlen(input), "r");
    size_t len;
    FILE *o = open_memstream(out, &len);
    ck_assert(in && o);
    struct quiz *q = quiz_ask(es, sc, in, o);
    quiz_report(q, NULL, o);
    fclose(o);
    fclose(in);
    quiz_free(q);
    expect_set_free(es);
    scenario_free(sc);
    free(src);
    diag_free(d);
}

START_TEST(answers_are_read_in_the_metric_unit_and_a_bad_one_is_asked_again)
{
    char *out;
    quiz_on("[predict]\nlatency_mean_ms = 100ms when w = 1\ns.utilisation = 0.5\n"
            "bottleneck = s when w = 2\n",
            "0.2s\nabc\n50%\n\n", &out);
    ck_assert_msg(strstr(out, "quiz: 4 questions before the run"), "%s", out);
    ck_assert_msg(strstr(out, "quiz 1/4: latency_mean_ms [w=1], in ms? "), "%s", out);
    ck_assert_msg(strstr(out, "quiz 2/4: s.utilisation [w=1]"), "%s", out);
    ck_assert_msg(strstr(out, "quiz 3/4: s.utilisation [w=2]"), "%s", out);
    ck_assert_msg(strstr(out, "quiz: 'abc' is not a value of s.utilisation (ratio)"), "%s", out);
    ck_assert_msg(strstr(out, "quiz 4/4: which component limits the design [w=2]? (s) "), "%s",
                  out);
    ck_assert_msg(strstr(out, "quiz: end of input: question 4 skipped"), "%s", out);
    /* the table: 0.2s read as 200 ms, 50% as 0.5; the empty answer and the
     * one past the end of the input skipped */
    ck_assert_msg(strstr(out, "latency_mean_ms [w=1]  200 ms "), "%s", out);
    ck_assert_msg(strstr(out, "s.utilisation [w=1]    0.5 "), "%s", out);
    ck_assert_msg(strstr(out, "s.utilisation [w=2]    (skipped) "), "%s", out);
    ck_assert_msg(strstr(out, "bottleneck [w=2]       (skipped) "), "%s", out);
    ck_assert_msg(strstr(out, "quiz: 2 of 4 answered"), "%s", out);
    free(out);
}
END_TEST

START_TEST(a_bottleneck_answer_must_be_a_component)
{
    char *out;
    quiz_on("[predict]\nbottleneck = s when w = 1\n", "c\n  s  \n", &out);
    ck_assert_msg(strstr(out, "quiz: 'c' is not a component of this scenario (its components: s)"),
                  "%s", out);
    ck_assert_msg(strstr(out, "bottleneck [w=1]  s "), "%s", out);
    ck_assert_msg(strstr(out, "quiz: 1 of 1 answered"), "%s", out);
    free(out);
}
END_TEST

START_TEST(five_bad_answers_skip_the_question_and_no_input_skips_all)
{
    char *out;
    quiz_on("[predict]\nlatency_mean_ms = 1s\n", "x\nx\nx\nx\nx\n7\n", &out);
    ck_assert_msg(strstr(out, "quiz: question 1 skipped after 5 bad answers"), "%s", out);
    ck_assert_msg(strstr(out, "quiz 2/2: latency_mean_ms [w=2], in ms? 7"), "%s", out);
    free(out);
    quiz_on("[predict]\nlatency_mean_ms = 1s\n", "", &out);
    ck_assert_msg(strstr(out, "quiz: end of input: questions 1..2 skipped"), "%s", out);
    ck_assert_msg(strstr(out, "quiz: 0 of 2 answered"), "%s", out);
    free(out);
    quiz_on("[expect]\nlatency_mean_ms < 1s\n", "", &out);
    ck_assert_msg(strstr(out, "quiz: this scenario has no [predict] line to ask about"), "%s",
                  out);
    free(out);
}
END_TEST

Suite *quiz_suite(void)
{
    Suite *s = suite_create("quiz");
    TCase *tc = tcase_create("quiz");
    tcase_add_test(tc, answers_are_read_in_the_metric_unit_and_a_bad_one_is_asked_again);
    tcase_add_test(tc, a_bottleneck_answer_must_be_a_component);
    tcase_add_test(tc, five_bad_answers_skip_the_question_and_no_input_skips_all);
    suite_add_tcase(s, tc);
    return s;
}
