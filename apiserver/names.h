/* names: the Kubernetes name rules (k8s.io/apimachinery/pkg/util/validation) that object
 * validation and label selectors both check.
 *
 * A DNS-1123 label is 1..max characters of [a-z0-9-] that neither starts nor ends with '-'; a
 * DNS-1123 subdomain is at most 253 characters of such labels (each at most 63) joined by '.'.
 * A label value is empty or 1..63 characters of [A-Za-z0-9-_.] starting and ending with an
 * alphanumeric character; a label key (a qualified name) is such a non-empty name, optionally
 * after a DNS-1123 subdomain prefix and '/'. The functions only answer yes or no: callers word
 * their own messages. */
#ifndef APISERVER_NAMES_H
#define APISERVER_NAMES_H

#include <stdbool.h>
#include <stddef.h>

bool names_dns_label(const char *s, size_t n, size_t max);
bool names_dns_subdomain(const char *s, size_t n);
bool names_label_value(const char *s, size_t n);
bool names_label_key(const char *s, size_t n);

#endif
