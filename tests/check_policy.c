/* Tests of the one policy mechanism (sim/policy.[ch]) and the family
 * registry: every family is listed once, every policy documented, and an
 * unknown name is one error listing the whole family with the nearest. */
#include "sim/policy.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "models/arrival/arrival.h"
#include "models/kind.h"
#include "sim/diag.h"

static struct diag *diag;

static void setup(void)
{
    diag = diag_new();
}

static void teardown(void)
{
    diag_free(diag);
    diag = NULL;
}

static struct loc test_loc(void)
{
    return (struct loc){"scenario.ini", 4, 11};
}

static const struct policy_family *family(const char *name)
{
    for (const struct policy_family *const *f = family_all(); *f; f++)
        if (strcmp((*f)->name, name) == 0)
            return *f;
    return NULL;
}

START_TEST(unknown_name_lists_every_arrival_process)
{
    struct spec sp;
    ck_assert_ptr_null(policy_setup(&arrival_family, "burst(rate=1/s)", test_loc(), &sp, diag));
    ck_assert_uint_eq(diag_count(diag), 1);
    ck_assert_str_eq(diag_message(diag, 0),
                     "scenario.ini:4:11: error: unknown arrival process 'burst' (known: poisson, "
                     "constant, ramp, step, spike, diurnal, mmpp, trace)");
}
END_TEST

START_TEST(near_name_is_suggested_with_the_whole_list)
{
    struct spec sp;
    ck_assert_ptr_null(policy_setup(&arrival_family, "  poison(rate=1/s)", test_loc(), &sp, diag));
    ck_assert_uint_eq(diag_count(diag), 1);
    /* the name's own column, after the leading blanks */
    ck_assert_str_eq(diag_message(diag, 0),
                     "scenario.ini:4:13: error: unknown arrival process 'poison' (did you mean "
                     "'poisson'? known: poisson, constant, ramp, step, spike, diurnal, mmpp, "
                     "trace)");
}
END_TEST

START_TEST(known_name_returns_its_head_and_checks_parameters)
{
    struct spec sp;
    const struct policy_head *h =
        policy_setup(&arrival_family, "constant(rate=5/s)", test_loc(), &sp, diag);
    ck_assert_ptr_eq(h, &arrival_constant.head);
    ck_assert_ptr_eq((const struct arrival_policy *)h, &arrival_constant);
    ck_assert_uint_eq(diag_count(diag), 0);
    ck_assert_str_eq(sp.name, "constant");
    /* a parameter the head's table does not have is refused at its column */
    ck_assert_ptr_null(policy_setup(&arrival_family, "poisson(rat=5/s)", test_loc(), &sp, diag));
    ck_assert_uint_ge(diag_count(diag), 1);
    ck_assert_msg(strstr(diag_message(diag, 0), "'rat'") &&
                      strstr(diag_message(diag, 0), "arrival process 'poisson'"),
                  "%s", diag_message(diag, 0));
    /* a required parameter that is missing */
    struct diag *d2 = diag_new();
    ck_assert_ptr_null(policy_setup(&arrival_family, "poisson", test_loc(), &sp, d2));
    ck_assert_uint_eq(diag_count(d2), 1);
    ck_assert_msg(strstr(diag_message(d2, 0), "rate") != NULL, "%s", diag_message(d2, 0));
    diag_free(d2);
}
END_TEST

START_TEST(find_is_exact)
{
    ck_assert_ptr_eq(policy_find(arrival_family.table, "trace"), &arrival_trace.head);
    ck_assert_ptr_null(policy_find(arrival_family.table, "Trace"));
    ck_assert_ptr_null(policy_find(arrival_family.table, "trac"));
    ck_assert_ptr_null(policy_find(arrival_family.table, ""));
}
END_TEST

/* Every family of the brief is registered, once, under a name that no kind
 * uses (so `sdsim list NAME` means one thing), with documented policies
 * whose names are unique within the family. */
START_TEST(every_family_is_registered_and_documented)
{
    static const char *const want[] = {
        "dist",     "arrival", "keys",     "balance",  "eviction",  "strategy",
        "sharding", "breaker", "bulkhead", "shed",     "backoff",   "action",
        "link_action", "autoscale", "health", "outlier", "limit", "auth", "rbac",
    };
    size_t nfam = 0;
    for (const struct policy_family *const *f = family_all(); *f; f++, nfam++) {
        ck_assert_ptr_nonnull((*f)->noun);
        ck_assert_ptr_nonnull((*f)->summary);
        ck_assert_ptr_null(kind_find((*f)->name));
        for (const struct policy_family *const *g = family_all(); g != f; g++)
            ck_assert_str_ne((*g)->name, (*f)->name);
        ck_assert_uint_ge(policy_count(*f), 1);
        for (const struct policy_head *const *h = (*f)->table; *h; h++) {
            ck_assert_msg((*h)->summary && strlen((*h)->summary) > 5, "%s.%s: no summary",
                          (*f)->name, (*h)->name);
            ck_assert_ptr_nonnull((*h)->params);
            for (const struct param_spec *p = (*h)->params; p->name; p++)
                ck_assert_msg(p->type && p->help, "%s.%s.%s undocumented", (*f)->name,
                              (*h)->name, p->name);
            for (const struct policy_head *const *k = (*f)->table; k != h; k++)
                ck_assert_str_ne((*k)->name, (*h)->name);
            ck_assert_ptr_eq(policy_find((*f)->table, (*h)->name), *h);
        }
    }
    ck_assert_uint_eq(nfam, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        ck_assert_msg(family(want[i]) != NULL, "family '%s' is not registered", want[i]);
}
END_TEST

/* Each family's unknown-name message names every one of its policies. */
START_TEST(every_family_lists_all_its_names)
{
    for (const struct policy_family *const *f = family_all(); *f; f++) {
        struct diag *d = diag_new();
        struct spec sp;
        ck_assert_ptr_null(policy_setup(*f, "qqqqqqqqqq", test_loc(), &sp, d));
        ck_assert_uint_eq(diag_count(d), 1);
        const char *m = diag_message(d, 0);
        char want[160];
        snprintf(want, sizeof want, "unknown %s 'qqqqqqqqqq' (known: ", (*f)->noun);
        ck_assert_msg(strstr(m, want) != NULL, "%s", m);
        for (const struct policy_head *const *h = (*f)->table; *h; h++) {
            char word[80];
            snprintf(word, sizeof word, " %s%s", (*h)->name, h[1] ? "," : ")");
            ck_assert_msg(strstr(m, word) != NULL, "%s lacks '%s'", m, (*h)->name);
        }
        diag_free(d);
    }
}
END_TEST

Suite *policy_suite(void)
{
    Suite *s = suite_create("policy");
    TCase *tc = tcase_create("lookup");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, unknown_name_lists_every_arrival_process);
    tcase_add_test(tc, near_name_is_suggested_with_the_whole_list);
    tcase_add_test(tc, known_name_returns_its_head_and_checks_parameters);
    tcase_add_test(tc, find_is_exact);
    suite_add_tcase(s, tc);
    tc = tcase_create("registry");
    tcase_add_test(tc, every_family_is_registered_and_documented);
    tcase_add_test(tc, every_family_lists_all_its_names);
    suite_add_tcase(s, tc);
    return s;
}
