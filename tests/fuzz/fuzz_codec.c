/* Fuzz the base64 and hex decoders in every mode. The first byte picks the flags, the rest is
 * the input. Checks: no crash or overread; the output is never longer than 3/4 of the input;
 * what the strict decoder accepts, the lenient and the Sprig modes accept with the same bytes;
 * decoded bytes re-encode to something that decodes to the same bytes; hex round-trips. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/buf.h"
#include "eddy/codec.h"
#include "eddy/mem.h"

static int decode(buf *b, const char *s, size_t n, int flags)
{
	buf_init(b, 1 << 20);
	size_t bad = 0;
	int rc = b64_decode_buf(b, s, n, flags, &bad);
	if (rc == -1 && bad > n)
		abort();
	if (b->len > n / 4 * 3 + 3)
		abort();
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	int flags = data[0];
	/* an exact-size copy so that ASan sees any read past the end */
	size_t n = size - 1;
	char *s = xmalloc(n ? n : 1);
	memcpy(s, data + 1, n);

	buf any, strict, lenient, stop;
	decode(&any, s, n, flags);
	int rs = decode(&strict, s, n, B64_STD);
	int rl = decode(&lenient, s, n, B64_LENIENT);
	int rp = decode(&stop, s, n, B64_PAD_STOP);
	if (rs == 0) {
		if (rl != 0 || rp != 0 || lenient.len != strict.len || stop.len != strict.len ||
		    memcmp(buf_str(&lenient), buf_str(&strict), strict.len) ||
		    memcmp(buf_str(&stop), buf_str(&strict), strict.len))
			abort();
	}
	if (any.len) {
		int ef = flags & (B64_URL | B64_RAW);
		char *e = b64_encode(any.data, any.len, ef);
		size_t m = 0;
		char *d = b64_decode(e, strlen(e), ef, 0, &m);
		if (!d || m != any.len || memcmp(d, any.data, m))
			abort();
		free(d);
		char *h = xmalloc(2 * any.len + 1);
		hex_encode(h, any.data, any.len, flags & HEX_UPPER);
		unsigned char *back = xmalloc(any.len);
		if (hex_decode(back, h, any.len) || memcmp(back, any.data, any.len))
			abort();
		free(back);
		free(h);
		free(e);
	}
	unsigned char *hx = xmalloc(n / 2 + 1);
	hex_decode(hx, s, n / 2);
	free(hx);

	buf_release(&any);
	buf_release(&strict);
	buf_release(&lenient);
	buf_release(&stop);
	free(s);
	return 0;
}
