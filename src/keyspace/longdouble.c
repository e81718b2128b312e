/* INCRBYFLOAT and HINCRBYFLOAT in C's long double, as Redis computes them: Rust has no long
 * double, and an f64 gives other digits (2^63-1 + 0 prints as 9223372036854775807 here, as in
 * Redis, but as 9223372036854780000 through f64) and another range (1e400 is a valid value). */

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Redis's MAX_LONG_DOUBLE_CHARS: longer inputs are not floats, and every finite long double
 * printed with %.17Lf fits. */
#define LD_CHARS (5 * 1024)

/* Redis's string2ld: strtold over the whole text (an embedded NUL ends the number early, so
 * the text is not one), no leading space, no NaN, no overflow or underflow to zero. 1: valid,
 * stored in *out. */
static int parse_ld(const char *s, size_t len, long double *out) {
    char buf[LD_CHARS];
    char *end;
    long double v;

    if (len == 0 || len >= sizeof(buf)) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    v = strtold(buf, &end);
    if (isspace((unsigned char)buf[0]) || end[0] != '\0' || (size_t)(end - buf) != len ||
        (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || fpclassify(v) == FP_ZERO)) ||
        isnan(v))
        return 0;
    *out = v;
    return 1;
}

/* 0: not a float; 1: a finite float; 2: an infinite one. */
int ringdis_ld_check(const char *s, size_t len) {
    long double v;
    if (!parse_ld(s, len, &v)) return 0;
    return isinf(v) ? 2 : 1;
}

/* cur (absent when has_cur is 0: zero) plus incr, printed as Redis's ld2string in its human
 * mode ("%.17Lf" without trailing zeros, "-0" as "0") into out (LD_CHARS bytes at least).
 * Returns the length, or -1 (cur is not a float), -2 (incr is not a float), -3 (the sum is
 * NaN or infinite). */
int ringdis_ld_add(const char *cur, size_t cur_len, int has_cur, const char *incr,
                   size_t incr_len, char *out, size_t out_len) {
    long double a = 0, b;
    int n;

    if (has_cur && !parse_ld(cur, cur_len, &a)) return -1;
    if (!parse_ld(incr, incr_len, &b)) return -2;
    a += b;
    if (isnan(a) || isinf(a)) return -3;
    n = snprintf(out, out_len, "%.17Lf", a);
    if (n < 0 || (size_t)n + 1 > out_len) return -3;
    if (strchr(out, '.') != NULL) {
        while (out[n - 1] == '0') n--;
        if (out[n - 1] == '.') n--;
    }
    if (n == 2 && out[0] == '-' && out[1] == '0') {
        out[0] = '0';
        n = 1;
    }
    return n;
}
