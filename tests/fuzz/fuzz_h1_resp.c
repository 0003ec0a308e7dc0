/* Fuzz the kube transport's response parser (h1_resp_feed): the first byte chooses HEAD or not
 * and a body cap, the second where the input is cut into pieces; the rest is the answer, fed in
 * pieces and then ended by EOF. Checks that a DONE answer never takes more than it was given and
 * that the sink never receives more than its cap. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "eddy/buf.h"
#include "eddy/h1.h"
#include "eddy/mem.h"

static int sink(void *ud, long status, const char *p, size_t n)
{
	(void)status;
	return buf_add(ud, p, n) < 0 ? -1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	bool head = data[0] & 1;
	size_t cap = (size_t)(data[0] >> 1) * 64;
	size_t step = (size_t)data[1] + 1;
	const char *p = (const char *)data + 2;
	size_t n = size - 2;
	buf b;
	buf_init(&b, cap);
	h1_resp *r = h1_resp_new(head, sink, &b);
	h1_feed f = H1_FEED_MORE;
	while (n > 0 && f == H1_FEED_MORE) {
		size_t k = n < step ? n : step, used = 0;
		f = h1_resp_feed(r, p, k, &used);
		if (used > k || (f == H1_FEED_MORE && used != k))
			abort();
		p += k;
		n -= k;
	}
	if (f == H1_FEED_MORE)
		f = h1_resp_feed(r, NULL, 0, NULL);
	if (f == H1_FEED_ERROR && !*h1_resp_error(r))
		abort();
	(void)h1_resp_status(r);
	(void)h1_resp_keep_alive(r);
	if (b.len > cap)
		abort();
	h1_resp_free(r);
	buf_release(&b);
	return 0;
}
