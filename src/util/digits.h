/*
 * Decimal digits, written without a division per digit: every number the
 * library writes (timestamps, integers, doubles) goes through these.
 */
#ifndef METALOG_DIGITS_H
#define METALOG_DIGITS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* "00" "01" .. "99": two digits per division halves the divisions. */
extern const char digits_pairs[201];

/* The number of decimal digits of v (1..20): the bit length gives it to
 * within one (1233/4096 is just below log10(2)), a table settles which. */
static inline size_t digits_count(uint64_t v)
{
    /* clang-format off */
    static const uint64_t pow10[20] = {
        1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u, 100000000u, 1000000000u,
        10000000000u, 100000000000u, 1000000000000u, 10000000000000u, 100000000000000u,
        1000000000000000u, 10000000000000000u, 100000000000000000u, 1000000000000000000u,
        10000000000000000000u};
    /* clang-format on */
    if (v < 10)
        return 1;
    unsigned bits = 64 - (unsigned)__builtin_clzll(v);
    size_t t = (bits * 1233) >> 12;
    return t + (v >= pow10[t]);
}

/* The two digits of v % 100 at p. */
static inline void digits_put2(char *p, unsigned v)
{
    memcpy(p, digits_pairs + 2 * (v % 100), 2);
}

/* The 8 digits of x < 10^8, one per byte, the first in the lowest byte
 * (the order they have in memory on a little-endian machine). Splits x in
 * two halves of 4 digits, then each half in 2, then each pair in 1, every
 * split done on all lanes of one 64-bit word at once: three levels of
 * multiplications instead of a chain of eight divisions. The quotients
 * are multiplications by 2^20/100 and 2^10/10 rounded up, exact for all
 * the lanes' values (below 10^4 and below 100), and no lane's product
 * reaches the next lane. */
static inline uint64_t digits_eight(uint32_t x)
{
    uint64_t w = (x / 10000) | ((uint64_t)(x % 10000) << 32);
    uint64_t q = ((w * 10486) >> 20) & 0x0000007F0000007Fu;
    w = q | ((w - q * 100) << 16);
    q = ((w * 103) >> 10) & 0x000F000F000F000Fu;
    return q | ((w - q * 10) << 8);
}

/* Writes the 8 bytes of digits_eight's w at p as text. */
static inline void digits_store8(char *p, uint64_t w)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
/* The n digits (1-8) of x < 10^8 at p, without leading zeros: digits_eight's
 * word shifted down past them. Writes 8 bytes, '0's after the n; returns
 * the end of the n. */
static inline char *digits_put_lead(char *p, uint32_t x, size_t n)
{
    digits_store8(p, digits_eight(x) >> (8 * (8 - n)));
    return p + n;
}

#endif
    w += 0x3030303030303030u; /* '0' in every byte */
    memcpy(p, &w, sizeof w);
}

/* The n digits (1-8) of x < 10^8 at p, without leading zeros: digits_eight's
 * word shifted down past them. Writes 8 bytes, '0's after the n; returns
 * the end of the n. */
static inline char *digits_put_lead(char *p, uint32_t x, size_t n)
{
    digits_store8(p, digits_eight(x) >> (8 * (8 - n)));
    return p + n;
}

#endif
