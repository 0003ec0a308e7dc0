/* names: Kubernetes name rules (see names.h). */
#include "names.h"

#include <ctype.h>
#include <string.h>

bool names_dns_label(const char *s, size_t n, size_t max)
{
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!(islower(c) || isdigit(c) || c == '-'))
			return false;
	}
	return s[0] != '-' && s[n - 1] != '-';
}

bool names_dns_subdomain(const char *s, size_t n)
{
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n;) {
		const char *dot = memchr(s + i, '.', n - i);
		size_t end = dot ? (size_t)(dot - s) : n;
		if (!names_dns_label(s + i, end - i, 63))
			return false;
		if (dot && end + 1 == n)
			return false; /* a trailing '.' */
		i = end + 1;
	}
	return true;
}

bool names_label_value(const char *s, size_t n)
{
	if (n == 0)
		return true;
	if (n > 63 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!isalnum(c) && c != '-' && c != '_' && c != '.')
			return false;
	}
	return true;
}

bool names_label_key(const char *s, size_t n)
{
	const char *slash = memchr(s, '/', n);
	if (slash) {
		if (!names_dns_subdomain(s, (size_t)(slash - s)))
			return false;
		n -= (size_t)(slash + 1 - s);
		s = slash + 1;
	}
	return n > 0 && names_label_value(s, n);
}
