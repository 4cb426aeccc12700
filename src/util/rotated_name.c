#include "util/rotated_name.h"

#include <stdlib.h>
#include <string.h>

static size_t digits_at(const char *s)
{
    size_t n = 0;
    while (s[n] >= '0' && s[n] <= '9')
        n++;
    return n;
}

static bool in_range(const char *s, size_t n, int lo, int hi)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v >= lo && v <= hi;
}

/* "YYYY-MM-DD", "YYYY-MM-DDTHH" or "YYYY-MM-DDTHHMM" at s, with real
 * months, days, hours and minutes; its length, 0 when there is none. */
static size_t label_at(const char *s)
{
    if (digits_at(s) != 4 || s[4] != '-' || digits_at(s + 5) != 2 || s[7] != '-' ||
        digits_at(s + 8) != 2 || !in_range(s + 5, 2, 1, 12) || !in_range(s + 8, 2, 1, 31))
        return 0;
    if (s[10] != 'T')
        return 10;
    size_t n = digits_at(s + 11);
    if (n == 2 && in_range(s + 11, 2, 0, 23))
        return 13;
    if (n == 4 && in_range(s + 11, 2, 0, 23) && in_range(s + 13, 2, 0, 59))
        return 15;
    return 0;
}

/* A positive decimal without leading zeros, at most 9 digits. */
static size_t index_at(const char *s, unsigned long *out)
{
    size_t n = digits_at(s);
    if (n == 0 || n > 9 || s[0] == '0')
        return 0;
    *out = strtoul(s, NULL, 10);
    return n;
}

bool rotated_name_parse(const char *base, const char *name, rotated_name *out)
{
    size_t blen = strlen(base);
    if (strncmp(name, base, blen) != 0 || name[blen] != '.')
        return false;
    const char *s = name + blen + 1;
    *out = (rotated_name){0};
    size_t n = label_at(s);
    if (n > 0) {
        out->labelled = true;
        memcpy(out->label, s, n);
        out->label[n] = '\0';
        s += n;
        if (s[0] == '.' && (n = index_at(s + 1, &out->index)) > 0)
            s += 1 + n;
    } else if ((n = index_at(s, &out->index)) > 0) {
        s += n;
    } else {
        return false;
    }
    if (strncmp(s, ".gz", 3) == 0) {
        out->gz = true;
        s += 3;
    }
    if (*s == '\0')
        return true;
    unsigned long pid = 0;
    if (out->gz && strncmp(s, ".tmp.", 5) == 0 && (n = index_at(s + 5, &pid)) > 0 &&
        s[5 + n] == '\0') {
        out->tmp_pid = (pid_t)pid;
        return true;
    }
    return false;
}
