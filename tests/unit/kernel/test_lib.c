/* kernel/lib: formatting and SHA-256 (FIPS 180-4 test vectors). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <bh_fmt.h>
#include <bh_sha256.h>

static void check_fmt(const char *expect, const char *fmt, ...)
{
    char buf[128];
    va_list ap;
    va_start(ap, fmt);
    size_t n = bh_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    assert_string_equal(buf, expect);
    assert_int_equal(n, strlen(expect));
}

static void test_fmt_conversions(void **state)
{
    (void)state;
    check_fmt("a=42 b=-7 c=ff d=FF", "a=%d b=%d c=%x d=%X", 42, -7, 255u, 255u);
    check_fmt("0x00000000deadbeef", "0x%016lx", 0xdeadbeeful);
    check_fmt("[  hi][hi  ]", "[%4s][%-4s]", "hi", "hi");
    check_fmt("-0042", "%05d", -42);
    check_fmt("18446744073709551615", "%lu", 18446744073709551615ul);
    check_fmt("-9223372036854775808", "%ld", (long)INT64_MIN);
    check_fmt("x%", "x%%");
    check_fmt("(null)", "%s", (const char *)NULL);
    check_fmt("%q", "%q");
    check_fmt("c", "%c", 'c');
    check_fmt("12345", "%zu", (size_t)12345);
}

static void test_fmt_truncation(void **state)
{
    (void)state;
    char buf[6];
    size_t n = bh_snprintf(buf, sizeof(buf), "hello world");
    assert_int_equal(n, 11);
    assert_string_equal(buf, "hello");
    n = bh_snprintf(buf, 0, "abc");
    assert_int_equal(n, 3);
}

static void hex(const uint8_t *d, char *out)
{
    for (int i = 0; i < 32; i++) {
        bh_snprintf(out + 2 * i, 3, "%02x", d[i]);
    }
}

static void test_sha256_vectors(void **state)
{
    (void)state;
    uint8_t d[32];
    char h[65];
    bh_sha256("", 0, d);
    hex(d, h);
    assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    bh_sha256("abc", 3, d);
    hex(d, h);
    assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    bh_sha256(m, strlen(m), d);
    hex(d, h);
    assert_string_equal(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* One million 'a', fed in uneven pieces to exercise buffering. */
    struct bh_sha256 s;
    bh_sha256_init(&s);
    static char a[1000];
    memset(a, 'a', sizeof(a));
    size_t left = 1000000;
    size_t piece = 1;
    while (left > 0) {
        size_t n = piece < left ? piece : left;
        n = n > sizeof(a) ? sizeof(a) : n;
        bh_sha256_update(&s, a, n);
        left -= n;
        piece = piece * 7 % 997 + 1;
    }
    bh_sha256_final(&s, d);
    hex(d, h);
    assert_string_equal(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fmt_conversions),
        cmocka_unit_test(test_fmt_truncation),
        cmocka_unit_test(test_sha256_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
