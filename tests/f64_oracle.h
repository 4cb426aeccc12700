#ifndef METALOG_TEST_F64_ORACLE_H
#define METALOG_TEST_F64_ORACLE_H

#include <stddef.h>
#include <stdint.h>

/* The former ru_format_f64, printf-based: buf holds at least 32 bytes. */
size_t oracle_format_f64(char *buf, double v);

#endif
