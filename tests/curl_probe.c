/*
 * Whether libcurl is in this process after metalog_init, for
 * tests/test_curl_load.sh.
 *
 *   curl_probe CONFIG [NEXT]
 *
 * Starts CONFIG (exit 1 with metalog_last_error() on stderr when
 * metalog_init refuses it), logs "before" at INFO; with NEXT, renames NEXT
 * over CONFIG, reloads and prints "reload: ok" or "reload: failed" (the
 * error on stderr), then logs "after". Prints "libcurl: mapped" or
 * "libcurl: not mapped" from /proc/self/maps, shuts down and exits 0.
 */
#include <metalog.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool libcurl_mapped(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[4096];
    bool found = false;
    while (f != NULL && fgets(line, sizeof(line), f) != NULL)
        found |= strstr(line, "/libcurl") != NULL;
    if (f != NULL)
        fclose(f);
    return found;
}

int main(int argc, char **argv)
{
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: curl_probe CONFIG [NEXT]\n");
        return 2;
    }
    if (metalog_init(argv[1]) != 0) {
        fprintf(stderr, "%s\n", metalog_last_error());
        return 1;
    }
    metalog_logger *log = metalog_get("probe");
    metalog_info(log, "before");
    if (argc == 3) {
        if (rename(argv[2], argv[1]) != 0) {
            perror("rename");
            return 2;
        }
        int rc = metalog_reload();
        printf("reload: %s\n", rc == 0 ? "ok" : "failed");
        if (rc != 0)
            fprintf(stderr, "%s\n", metalog_last_error());
        metalog_info(log, "after");
    }
    printf("libcurl: %s\n", libcurl_mapped() ? "mapped" : "not mapped");
    fflush(stdout);
    metalog_shutdown();
    return 0;
}
