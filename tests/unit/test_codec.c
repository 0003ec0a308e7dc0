/* codec: base64 in every mode its callers use (Go's strict decoder with Go's error offsets,
 * kube's lenient one, Sprig's b64dec), URL and raw forms, caps, hostile input; hex. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/codec.h"
#include "eddy/mem.h"

/* Decode with flags: the result ("" when empty), or NULL; *bad gets the offset. */
static char *dec(const char *s, int flags, size_t *bad)
{
	buf b;
	buf_init(&b, 1 << 20);
	size_t at = (size_t)-1;
	if (b64_decode_buf(&b, s, strlen(s), flags, &at) < 0) {
		buf_release(&b);
		if (bad)
			*bad = at;
		return NULL;
	}
	return buf_detach(&b, NULL);
}

static void expect(const char *in, int flags, const char *want)
{
	char *got = dec(in, flags, NULL);
	if (!got)
		fail_msg("\"%s\" (flags %#x) refused, want \"%s\"", in, flags, want);
	assert_string_equal(got, want);
	free(got);
}

static void refuse(const char *in, int flags, size_t at)
{
	size_t bad = 0;
	char *got = dec(in, flags, &bad);
	if (got)
		fail_msg("\"%s\" (flags %#x) accepted as \"%s\"", in, flags, got);
	assert_int_equal(bad, at);
}

static void encode_std_url_raw(void **state)
{
	(void)state;
	static const struct { const char *in, *std, *url_raw; } c[] = {
		{"", "", ""},
		{"f", "Zg==", "Zg"},
		{"fo", "Zm8=", "Zm8"},
		{"foo", "Zm9v", "Zm9v"},
		{"foob", "Zm9vYg==", "Zm9vYg"},
		{"fooba", "Zm9vYmE=", "Zm9vYmE"},
		{"foobar", "Zm9vYmFy", "Zm9vYmFy"},
		{"\xfb\xff\xbf", "+/+/", "-_-_"},
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		size_t n = strlen(c[i].in);
		char *s = b64_encode(c[i].in, n, B64_STD);
		assert_string_equal(s, c[i].std);
		assert_int_equal(strlen(s), b64_encoded_len(n, B64_STD));
		free(s);
		s = b64_encode(c[i].in, n, B64_URL | B64_RAW);
		assert_string_equal(s, c[i].url_raw);
		assert_int_equal(strlen(s), b64_encoded_len(n, B64_RAW));
		free(s);
	}
	/* the cap: nothing is appended when the encoding does not fit */
	buf b;
	buf_init(&b, 6);
	assert_int_equal(b64_encode_buf(&b, "foo", 3, B64_STD), 0);
	assert_int_equal(b64_encode_buf(&b, "foo", 3, B64_STD), -1);
	assert_string_equal(buf_str(&b), "Zm9v");
	buf_release(&b);
}

static void decode_go_strict(void **state)
{
	(void)state;
	expect("", B64_STD, "");
	expect("Zm9vYmFy", B64_STD, "foobar");
	expect("Zm9vYg==", B64_STD, "foob");
	expect("Zm9vYmE=", B64_STD, "fooba");
	expect("Zm9v\r\nYg=\n=", B64_SKIP_NL, "foob");
	/* Go's CorruptInputError offsets */
	refuse("Zm9vYg", B64_STD, 4);      /* missing padding */
	refuse("Zm9vY", B64_STD, 4);
	refuse("Zm9vYg=", B64_STD, 7);     /* not enough padding */
	refuse("Zm9vYg=x", B64_STD, 6);    /* incorrect padding */
	refuse("Zm9v=", B64_STD, 4);       /* padding at the start of a quantum */
	refuse("Z===", B64_STD, 1);
	refuse("Zm9vYmE=Zg==", B64_STD, 8); /* trailing garbage */
	refuse("Zm9v\nYg==", B64_STD, 4);  /* newlines only with B64_SKIP_NL */
	refuse("Zm$v", B64_STD, 2);
	refuse("Zm9v-_", B64_STD, 4);      /* URL alphabet refused by the standard one */
	refuse("Zm9v+/", B64_URL, 4);
	buf nul;
	buf_init(&nul, 64);
	size_t at = 0;
	assert_int_equal(b64_decode_buf(&nul, "Zm\0v", 4, B64_STD, &at), -1);
	assert_int_equal(at, 2);
	buf_release(&nul);
	/* raw and optional padding */
	expect("Zm9vYg", B64_RAW, "foob");
	refuse("Zm9vYg==", B64_RAW, 6);
	refuse("Zm9vY", B64_RAW, 4);
	expect("Zm9vYg", B64_PAD_OPTIONAL, "foob");
	expect("Zm9vYg==", B64_PAD_OPTIONAL, "foob");
	expect("-_-_", B64_URL, "\xfb\xff\xbf");
	expect("-_+/", B64_ANY_ALPHABET, "\xfb\xff\xbf");
}

static void decode_lenient_as_kube(void **state)
{
	(void)state;
	expect("aGVsbG8=", B64_LENIENT, "hello");
	expect("aGVs\nbG8", B64_LENIENT, "hello");
	expect(" aGVs\tbG8 = \r\n", B64_LENIENT, "hello");
	expect("aGVs-_-_", B64_LENIENT, "hel\xfb\xff\xbf");
	expect("aGVsbA=", B64_LENIENT, "hell");
	expect("aGVsbG8==", B64_LENIENT, "hello"); /* padding count not checked */
	assert_null(dec("a$==", B64_LENIENT, NULL));
	assert_null(dec("aGVsbG8=x", B64_LENIENT, NULL));
	assert_null(dec("aGVsbG8===", B64_LENIENT, NULL));
	assert_null(dec("aGVsb", B64_LENIENT, NULL)); /* a lone sextet */
}

static void decode_pad_stop_as_sprig(void **state)
{
	(void)state;
	expect("aGVsbG8=garbage", B64_PAD_STOP, "hello");
	expect("aGVsbG8", B64_PAD_STOP, "hello");
	expect("aGVsb", B64_PAD_STOP, "hel"); /* the lone sextet dropped */
	expect("aGVsbA", B64_PAD_STOP, "hell");
	refuse("aGV\nsbG8", B64_PAD_STOP, 3);
}

static void decode_caps_and_max(void **state)
{
	(void)state;
	size_t n = 0;
	char *s = b64_decode("Zm9vYmFy", 8, B64_STD, 6, &n);
	assert_non_null(s);
	assert_int_equal(n, 6);
	free(s);
	assert_null(b64_decode("Zm9vYmFy", 8, B64_STD, 5, &n));
	buf b;
	buf_init(&b, 4);
	assert_int_equal(b64_decode_buf(&b, "Zm9vYmFy", 8, B64_STD, NULL), -2);
	buf_release(&b);
	s = b64_decode("", 0, B64_STD, 0, &n);
	assert_string_equal(s, "");
	assert_int_equal(n, 0);
	free(s);
}

/* Every byte string round-trips, and every single-byte corruption is handled. */
static void decode_hostile(void **state)
{
	(void)state;
	unsigned char raw[256];
	for (int i = 0; i < 256; i++)
		raw[i] = (unsigned char)(i * 37 + 11);
	static const int modes[] = {B64_STD, B64_URL | B64_RAW, B64_STD | B64_SKIP_NL};
	for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
		for (size_t len = 0; len < 40; len++) {
			char *e = b64_encode(raw, len, modes[m]);
			size_t n = 0;
			char *d = b64_decode(e, strlen(e), modes[m], 0, &n);
			assert_non_null(d);
			assert_int_equal(n, len);
			assert_memory_equal(d, raw, len);
			free(d);
			/* any byte replaced: never a crash, never more output than input */
			for (size_t i = 0; i < strlen(e); i++) {
				for (int c = 0; c < 256; c += 17) {
					char *t = xstrdup(e);
					t[i] = (char)c;
					static const int all[] = {B64_STD, B64_RAW, B64_LENIENT,
								  B64_PAD_STOP, B64_SKIP_SPACE};
					for (size_t k = 0; k < 5; k++) {
						buf b;
						buf_init(&b, 1 << 16);
						size_t bad = 0;
						size_t n2 = strlen(e);
						if (b64_decode_buf(&b, t, n2, all[k], &bad) == -1)
							assert_true(bad <= n2);
						assert_true(b.len <= strlen(e));
						buf_release(&b);
					}
					free(t);
				}
			}
			free(e);
		}
	}
	/* long runs of padding, whitespace and junk */
	char big[4096];
	memset(big, '=', sizeof big);
	buf b;
	buf_init(&b, 1 << 16);
	assert_int_equal(b64_decode_buf(&b, big, sizeof big, B64_STD, NULL), -1);
	assert_int_equal(b64_decode_buf(&b, big, sizeof big, B64_LENIENT, NULL), -1);
	assert_int_equal(b64_decode_buf(&b, big, sizeof big, B64_PAD_STOP, NULL), 0);
	memset(big, '\n', sizeof big);
	assert_int_equal(b64_decode_buf(&b, big, sizeof big, B64_SKIP_NL, NULL), 0);
	assert_int_equal(b.len, 0);
	buf_release(&b);
}

static void hex_both_ways(void **state)
{
	(void)state;
	char out[17];
	const unsigned char d[] = {0x00, 0x1f, 0xa0, 0xff, 0x7e, 0x80, 0x09, 0xcd};
	assert_string_equal(hex_encode(out, d, 8, HEX_LOWER), "001fa0ff7e8009cd");
	assert_string_equal(hex_encode(out, d, 8, HEX_UPPER), "001FA0FF7E8009CD");
	assert_string_equal(hex_encode(out, d, 0, HEX_LOWER), "");
	unsigned char back[8];
	assert_int_equal(hex_decode(back, "001fA0Ff7e8009cD", 8), 0);
	assert_memory_equal(back, d, 8);
	assert_int_equal(hex_decode(back, "0g", 1), -1);
	assert_int_equal(hex_decode(back, "\0" "0", 1), -1);
	assert_int_equal(hex_digit('a'), 10);
	assert_int_equal(hex_digit('F'), 15);
	assert_int_equal(hex_digit('9'), 9);
	assert_int_equal(hex_digit('g'), -1);
	assert_int_equal(hex_digit(0x100 + '1'), -1);
	assert_int_equal(hex_digit(-1), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(encode_std_url_raw),
		cmocka_unit_test(decode_go_strict),
		cmocka_unit_test(decode_lenient_as_kube),
		cmocka_unit_test(decode_pad_stop_as_sprig),
		cmocka_unit_test(decode_caps_and_max),
		cmocka_unit_test(decode_hostile),
		cmocka_unit_test(hex_both_ways),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
