/* `sdsim list learn` and `sdsim list drills` (sim/lessons.c): the summary
 * of a scenario is its leading comment's first paragraph, without the
 * step or drill label, and every step of scenarios/learn/ is listed. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/lessons.h"

START_TEST(summary_is_the_first_paragraph_without_its_label)
{
    char *s = lessons_summary("# Step 3 of 14: variability and tails. Same load,\n"
                              "#   same mean work: why?  \n#\n# Question: more text\n[sim]\n");
    ck_assert_str_eq(s, "variability and tails. Same load, same mean work: why?");
    free(s);
    s = lessons_summary("# Drill: a news feed, fan-out on read against fan-out on write through a\n"
                        "# queue.\n\n[sim]\n");
    ck_assert_str_eq(s, "a news feed, fan-out on read against fan-out on write through a queue.");
    free(s);
    s = lessons_summary("# Step four: not a label\n[sim]\n"); /* no number: kept as written */
    ck_assert_str_eq(s, "Step four: not a label");
    free(s);
    s = lessons_summary("#no blank after the mark"); /* the end of the text ends it too */
    ck_assert_str_eq(s, "no blank after the mark");
    free(s);
    ck_assert_ptr_null(lessons_summary("[sim]\n# a comment that is not at the top\n"));
    ck_assert_ptr_null(lessons_summary("#\n# an empty first paragraph\n"));
}
END_TEST

/* The unit tests run from the top of the source tree (make check). */
START_TEST(every_step_is_listed_with_its_question)
{
    char *dir = lessons_dir("learn");
    ck_assert_ptr_nonnull(dir);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    size_t n = lessons_print(dir, 100, f);
    fclose(f);
    ck_assert_uint_eq(n, 14);
    ck_assert_ptr_nonnull(strstr(buf, "\n  02-saturation           why queues explode near "
                                      "saturation (M/M/1, M/M/c, Kingman).\n"));
    ck_assert_ptr_nonnull(strstr(buf, "  01-littles-law          utilisation and Little's law. "
                                      "How busy is a server, and how many requests\n"
                                      "                          are inside it at once?\n"));
    for (char *line = buf; *line;) {
        char *end = strchr(line, '\n');
        ck_assert_ptr_nonnull(end);
        ck_assert_int_le(end - line, 100);
        line = end + 1;
    }
    free(buf);
    free(dir);
    ck_assert_ptr_null(lessons_dir("no-such-topic"));
}
END_TEST

Suite *lessons_suite(void)
{
    Suite *s = suite_create("lessons");
    TCase *t = tcase_create("lessons");
    tcase_add_test(t, summary_is_the_first_paragraph_without_its_label);
    tcase_add_test(t, every_step_is_listed_with_its_question);
    suite_add_tcase(s, t);
    return s;
}
