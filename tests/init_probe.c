/*
 * What metalog_init says of a configuration file, for tests/test_agree.sh,
 * which holds it against metalog-check's verdict.
 *
 *   init_probe CONFIG
 *
 * Exits 0 when metalog_init(CONFIG) succeeds (after metalog_shutdown, so
 * every file it opened is closed), 1 with metalog_last_error() on stderr
 * when it fails, 2 on usage errors. Logs nothing itself.
 */
#include <metalog.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: init_probe CONFIG\n");
        return 2;
    }
    if (metalog_init(argv[1]) != 0) {
        fprintf(stderr, "%s\n", metalog_last_error());
        return 1;
    }
    metalog_shutdown();
    return 0;
}
