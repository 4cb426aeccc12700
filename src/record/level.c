#include "record/level.h"

#include <metalog.h>
#include <strings.h>

static const char *const level_names[] = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"};

int level_parse(const char *name)
{
    for (int i = 0; i < 5; i++)
        if (strcasecmp(name, level_names[i]) == 0)
            return (i + 1) * 10; /* METALOG_DEBUG = 10 ... METALOG_CRITICAL = 50 */
    return -1;
}

/* Returns "UNKNOWN" (never NULL) for a number that is not a level, so that
 * callers may print the result unchecked. */
const char *level_name(int level)
{
    if (level >= METALOG_DEBUG && level <= METALOG_CRITICAL && level % 10 == 0)
        return level_names[level / 10 - 1];
    return "UNKNOWN";
}
