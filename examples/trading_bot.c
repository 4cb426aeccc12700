/*
 * A small trading bot that shows metalog the way an application uses it:
 * one metalog_init, bound loggers for each strategy, the "trade" logger for
 * fills (routed to their own file), thread context for the session, a
 * secret the configuration redacts, an exception with its stack trace and
 * a CRITICAL alert.
 *
 *   ./examples/trading_bot [config/metalog.yaml] [seconds]
 *
 * With a duration it keeps trading until the time is up, so that an operator
 * can edit the configuration and send SIGHUP while it runs.
 */
#include <metalog.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static metalog_logger *trades;

static int broker_submit(metalog_logger *log, long order_id, double price)
{
    /* The broker rejects every seventh order, so the demo shows errors. */
    if (order_id % 7 == 0) {
        metalog_exception(log, "broker rejected order", ml_int("order_id", order_id),
                          ml_int("code", 503), ml_str("reason", "market closed"));
        return -1;
    }
    metalog_info(trades, "filled", ml_int("order_id", order_id), ml_int("qty", 100),
                 ml_f64("price", price));
    return 0;
}

static void run_strategy(metalog_logger *expert, const char *name, long first_order,
                         int orders)
{
    metalog_logger *log = metalog_bind(expert, ml_str("expert_name", name),
                                       ml_str("symbol", "EURUSD"));
    for (int i = 0; i < orders; i++) {
        long order_id = first_order + i;
        double price = 1.0842 + 0.0001 * i;
        metalog_debug(log, "signal computed", ml_f64("score", 0.5 + 0.01 * i));
        metalog_info(log, "order placed", ml_int("order_id", order_id),
                     ml_f64("price", price), ml_bool("hedged", i % 2 == 0));
        if (broker_submit(log, order_id, price) != 0)
            metalog_warning(log, "order will be retried", ml_int("order_id", order_id));
    }
    metalog_logger_free(log);
}

int main(int argc, char **argv)
{
    const char *config = argc > 1 ? argv[1] : "config/metalog.yaml";
    int seconds = argc > 2 ? atoi(argv[2]) : 0;

    /* metalog never creates directories (a typo in a path should fail, not
     * scatter logs); the bot owns its layout and makes its log folder. */
    mkdir("logs", 0750);
    if (metalog_init(config) != 0)
        fprintf(stderr, "metalog: %s\n(logging to the console with the built-in default)\n",
                metalog_last_error());

    metalog_logger *expert = metalog_get("expert");
    trades = metalog_get("trade");
    metalog_context_bind(ml_str("session", "a1b2"), ml_int("pid", (int64_t)getpid()));

    metalog_info(NULL, "trading bot started", ml_str("config", config));
    /* Secrets end up in records; config/metalog.yaml's redact processor
     * replaces this one before any handler sees it. */
    metalog_info(NULL, "broker connected", ml_str("account", "DEMO-1042"),
                 ml_str("api_token", "tok-7f3a9c21e5"));
    time_t end = time(NULL) + seconds;
    long order_id = 40;
    do {
        run_strategy(expert, "scalper", order_id, 4);
        run_strategy(expert, "swing", order_id + 4, 3);
        order_id += 7;
        if (seconds > 0)
            sleep(1);
    } while (time(NULL) < end);

    metalog_logger *risk = metalog_bind(expert, ml_str("expert_name", "risk"));
    metalog_critical(risk, "margin call", ml_f64("equity", 12.5), ml_f64("margin_level", 0.42));
    metalog_logger_free(risk);
    metalog_info(NULL, "trading bot stopped");

    metalog_stats stats;
    metalog_get_stats(&stats);
    fprintf(stderr, "metalog: %llu records, %llu write errors\n",
            (unsigned long long)stats.records, (unsigned long long)stats.write_errors);
    metalog_shutdown();
    return 0;
}
