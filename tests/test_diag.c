/*
 * The library's notes about itself (src/util/diag.c): every note goes
 * through one sink, the speaker never hears itself, and a note raised
 * while one is delivered is dropped, whatever levels the handlers take.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <metalog.h>

#include "pipeline/pipeline_internal.h"
#include "util/diag.h"
#include "testhelp.h"

static char *dir;

static void setup(void)
{
    dir = th_tmpdir();
    /* Both files take every level, "metalog" records included. */
    char *cfg = th_config(dir, "log_level: DEBUG\nlog_to_console: false\nrotation_size_mb: 0\n"
                               "log_file: @D@/app.log\nerror_log_file: @D@/error.log\n");
    ck_assert_msg(metalog_init(cfg) == 0, "init: %s", metalog_last_error());
    free(cfg);
}

static void teardown(void)
{
    metalog_shutdown();
    th_tmpdir_remove(dir);
    dir = NULL;
}

/* The handler of the current pipeline whose name contains part. */
static const handler *handler_named(const char *part)
{
    const pipeline *p = pipeline_current_unlocked();
    for (size_t i = 0; i < p->nroutes; i++)
        if (strstr(p->routes[i].h->name, part) != NULL)
            return p->routes[i].h;
    ck_abort_msg("no handler named like %s", part);
    return NULL;
}

static size_t events_in(const char *file, const char *event)
{
    ck_assert_int_eq(metalog_flush(), 0);
    char *path = th_path(dir, file);
    size_t len;
    char *got = th_read(path, &len);
    ck_assert_ptr_nonnull(got);
    char quoted[128];
    snprintf(quoted, sizeof quoted, "\"event\":\"%s\"", event);
    size_t n = th_count(got, quoted);
    free(got);
    free(path);
    return n;
}

static void say(int level, const char *event, const void *from)
{
    metalog_field f = ml_str("why", "test");
    diag_report(&(diag_note){.level = level, .event = event, .fields = &f, .nfields = 1,
                             .from = from});
}

START_TEST(note_reaches_every_handler_that_takes_its_level)
{
    say(METALOG_ERROR, "note for all", NULL);
    ck_assert_uint_eq(events_in("app.log", "note for all"), 1);
    ck_assert_uint_eq(events_in("error.log", "note for all"), 1);
}
END_TEST

START_TEST(speaking_handler_never_gets_its_own_note)
{
    const handler *app = handler_named("app.log");
    say(METALOG_ERROR, "about app", app);
    ck_assert_uint_eq(events_in("app.log", "about app"), 0);
    ck_assert_uint_eq(events_in("error.log", "about app"), 1);
}
END_TEST

/* The webhook sender speaks for every webhook: a note from a kind of
 * handler skips every handler of that kind, here both files. */
START_TEST(note_from_a_handler_kind_skips_every_handler_of_it)
{
    const handler *app = handler_named("app.log");
    say(METALOG_CRITICAL, "about files", app->ops);
    ck_assert_uint_eq(events_in("app.log", "about files"), 0);
    ck_assert_uint_eq(events_in("error.log", "about files"), 0);
}
END_TEST

static int sink_calls;
static diag_sink_fn core_sink;

/* A sink whose delivery raises another note, as a handler that fails
 * while writing a note would. */
static void echoing_sink(const diag_note *note)
{
    sink_calls++;
    diag_report(note);
}

START_TEST(note_raised_while_delivering_one_is_dropped)
{
    sink_calls = 0;
    diag_sink_set(echoing_sink);
    say(METALOG_ERROR, "echo", NULL);
    diag_sink_set(core_sink);
    ck_assert_int_eq(sink_calls, 1);
}
END_TEST

/* Found by swapping in a probe: the core's sink is what the library set
 * before main. */
static const diag_note *seen;
static void probe_sink(const diag_note *note)
{
    seen = note;
}

START_TEST(core_sets_the_sink_before_main)
{
    ck_assert_ptr_nonnull(core_sink);
    diag_sink_set(probe_sink);
    say(METALOG_INFO, "probe", NULL);
    diag_sink_set(core_sink);
    ck_assert_ptr_nonnull(seen);
    say(METALOG_INFO, "after probe", NULL);
    ck_assert_uint_eq(events_in("app.log", "after probe"), 1);
}
END_TEST

int main(void)
{
    core_sink = diag_sink_get();
    Suite *s = suite_create("diag");
    TCase *tc = tcase_create("diag");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, note_reaches_every_handler_that_takes_its_level);
    tcase_add_test(tc, speaking_handler_never_gets_its_own_note);
    tcase_add_test(tc, note_from_a_handler_kind_skips_every_handler_of_it);
    tcase_add_test(tc, note_raised_while_delivering_one_is_dropped);
    tcase_add_test(tc, core_sets_the_sink_before_main);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
