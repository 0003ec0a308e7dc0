/* Fuzz the small parsers of app and log: Go durations (a parsed value must format and parse
 * back to the same value), command-line flags (the input split on NUL bytes is an argv), URL
 * redaction (no userinfo may survive) and one log line built from the input. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "eddy/app.h"
#include "eddy/clock.h"
#include "eddy/mem.h"

static int devnull = -1;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (devnull < 0) {
		devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
		log_setup(LOG_TRACE, LOG_ENC_JSON, devnull);
	}
	char *s = xstrndup((const char *)data, size);

	int64_t ns, again;
	err e;
	if (godur_parse(s, &ns, &e) == 0) {
		char out[40];
		godur_format(out, sizeof out, ns);
		if (godur_parse(out, &again, &e) != 0 || again != ns)
			abort();
	}

	/* A URL (scheme chars, "://") must come out without userinfo. */
	char *r = log_redact_url(s);
	const char *in_sep = strstr(s, "://");
	size_t slen = in_sep ? (size_t)(in_sep - s) : 0;
	bool url = in_sep && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				       "0123456789+-.") >= slen;
	if (url) {
		const char *sep = strstr(r, "://");
		if (!sep)
			abort();
		size_t auth = strcspn(sep + 3, "/?#");
		if (memchr(sep + 3, '@', auth))
			abort();
	}
	free(r);

	log_info(NULL, s, LOG_S("k", s), LOG_J("raw", "{}"));

	/* argv: the input split on NUL bytes (at most 16 arguments). */
	char *argv[18];
	int argc = 0;
	argv[argc++] = (char *)"fuzz";
	char *copy = xmalloc(size + 1);
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (size_t i = 0; i < size && argc < 17;) {
		argv[argc++] = copy + i;
		i += strlen(copy + i) + 1;
	}
	argv[argc] = NULL;
	static long long n;
	static int64_t d;
	static strv many;
	static const app_flag extra[] = {
		APP_FLAG_RANGE("n", APP_FLAG_SIZE, &n, "n", 0, 1 << 30),
		APP_FLAG("d", APP_FLAG_DURATION, &d, "d"),
		APP_FLAG("many", APP_FLAG_STRINGS, &many, "m"),
	};
	app_spec spec = { .name = "fuzz", .groups = ~0u, .extra = extra, .nextra = 3,
			  .positional = true };
	app_config c;
	FILE *out = fopen("/dev/null", "w");
	app_parse_config(&c, &spec, argc, argv, out, &e);
	if (out)
		fclose(out);
	app_config_release(&c);
	strv_release(&many);
	free(copy);
	free(s);
	return 0;
}
