/* http_util: status texts, content types, URL decoding. */
#include "http_internal.h"

#include <signal.h>
#include <string.h>
#include <strings.h>

#include "eddy/mem.h"
#include "eddy/codec.h"

const char *http_status_text(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 101: return "Switching Protocols";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 411: return "Length Required";
	case 412: return "Precondition Failed";
	case 413: return "Payload Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 416: return "Range Not Satisfiable";
	case 417: return "Expectation Failed";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

static const struct {
	const char *ext;
	const char *type;
} types[] = {
	{".tar.gz", "application/gzip"},
	{".tgz", "application/gzip"},
	{".gz", "application/gzip"},
	{".tar", "application/x-tar"},
	{".zip", "application/zip"},
	{".json", "application/json"},
	{".yaml", "application/yaml"},
	{".yml", "application/yaml"},
	{".txt", "text/plain; charset=utf-8"},
	{".html", "text/html; charset=utf-8"},
	{".htm", "text/html; charset=utf-8"},
	{".css", "text/css; charset=utf-8"},
	{".js", "text/javascript; charset=utf-8"},
	{".xml", "application/xml"},
	{".svg", "image/svg+xml"},
	{".png", "image/png"},
	{".jpg", "image/jpeg"},
	{".jpeg", "image/jpeg"},
	{".gif", "image/gif"},
	{".pdf", "application/pdf"},
	{".md", "text/markdown; charset=utf-8"},
};

const char *http_content_type_for(const char *filename)
{
	size_t n = strlen(filename);
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		size_t el = strlen(types[i].ext);
		if (n > el && strcasecmp(filename + n - el, types[i].ext) == 0)
			return types[i].type;
	}
	return "application/octet-stream";
}

char *httpi_url_decode(const char *s, size_t n, bool plus_space)
{
	char *out = xmalloc(n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (ch == '%') {
			int a = i + 1 < n ? hex_digit((unsigned char)s[i + 1]) : -1;
			int b = i + 2 < n ? hex_digit((unsigned char)s[i + 2]) : -1;
			int h = a >= 0 && b >= 0 ? a * 16 + b : -1;
			if (h <= 0) {
				free(out);
				return NULL;
			}
			out[o++] = (char)h;
			i += 2;
		} else if (ch == '+' && plus_space) {
			out[o++] = ' ';
		} else if (ch == '\0') {
			free(out);
			return NULL;
		} else {
			out[o++] = ch;
		}
	}
	out[o] = '\0';
	return out;
}

void httpi_ignore_sigpipe(void)
{
	struct sigaction sa;
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = SIG_IGN;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGPIPE, &sa, NULL);
	}
}
