/* YAML input and output of the engine. Temporary: a small libyaml reader and a JSON printer
 * stand in until eddy/yml.h lands; both are replaced by yml_parse_stream/yml_emit_stream. */
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <yaml.h>

#include "eddy/mem.h"
#include "kz_int.h"

enum { MAX_DEPTH = 512 };

static bool is_int_lit(const char *s)
{
	const char *p = s;
	if (*p == '-' || *p == '+')
		p++;
	if (!*p)
		return false;
	bool hex = false;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'o' || p[1] == 'b')) {
		hex = p[1] == 'x';
		p += 2;
	}
	if (!*p)
		return false;
	for (; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (hex && ((*p >= 'a' && *p <= 'f') ||
		      (*p >= 'A' && *p <= 'F'))) || *p == '_'))
			return false;
	return true;
}

static bool is_float_lit(const char *s)
{
	const char *p = s;
	bool digits = false, dot = false;
	if (*p == '-' || *p == '+')
		p++;
	if (!strcmp(p, ".inf") || !strcmp(p, ".Inf") || !strcmp(p, ".INF"))
		return true;
	if (!strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN"))
		return true;
	for (; *p && *p != 'e' && *p != 'E'; p++) {
		if (*p >= '0' && *p <= '9')
			digits = true;
		else if (*p == '.' && !dot)
			dot = true;
		else
			return false;
	}
	if (!digits)
		return false;
	if (*p) {
		p++;
		if (*p == '-' || *p == '+')
			p++;
		if (!*p)
			return false;
		for (; *p; p++)
			if (*p < '0' || *p > '9')
				return false;
	}
	return true;
}

static cJSON *scalar(const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;
	const char *tag = (const char *)ev->data.scalar.tag;
	cJSON *n;
	if (tag && !strcmp(tag, "tag:yaml.org,2002:str"))
		return cJSON_CreateString(v);
	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE && !tag)
		return cJSON_CreateString(v);
	if (!*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
	    !strcmp(v, "NULL"))
		n = cJSON_CreateNull();
	else if (!strcmp(v, "true") || !strcmp(v, "True") || !strcmp(v, "TRUE"))
		n = cJSON_CreateTrue();
	else if (!strcmp(v, "false") || !strcmp(v, "False") || !strcmp(v, "FALSE"))
		n = cJSON_CreateFalse();
	else if (is_int_lit(v) || is_float_lit(v))
		n = cJSON_CreateNumber(strtod(v, NULL));
	else
		return cJSON_CreateString(v);
	n->valuestring = xstrdup(v);
	return n;
}

cJSON *kz_yaml_parse(const char *data, size_t len, err *e)
{
	yaml_parser_t p;
	yaml_event_t ev;
	cJSON *docs = cJSON_CreateArray();
	cJSON *stack[MAX_DEPTH];
	char *keys[MAX_DEPTH];
	int sp = 0;
	cJSON *doc = NULL;
	bool done = false;

	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
	memset(keys, 0, sizeof(keys));
	while (!done) {
		if (!yaml_parser_parse(&p, &ev)) {
			err_fail(e, KZ_REASON, "yaml: line %zu: %s", p.problem_mark.line + 1,
				 p.problem ? p.problem : "invalid YAML");
			goto fail;
		}
		cJSON *node = NULL;
		bool push = false;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			doc = NULL;
			break;
		case YAML_DOCUMENT_END_EVENT:
			if (doc && !cJSON_IsNull(doc))
				cJSON_AddItemToArray(docs, doc);
			else
				cJSON_Delete(doc);
			doc = NULL;
			break;
		case YAML_SCALAR_EVENT:
			node = scalar(&ev);
			break;
		case YAML_SEQUENCE_START_EVENT:
			node = cJSON_CreateArray();
			push = true;
			break;
		case YAML_MAPPING_START_EVENT:
			node = cJSON_CreateObject();
			push = true;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			sp--;
			if (sp == 0) {
				doc = stack[0];
			} else {
				node = stack[sp];
				stack[sp] = NULL;
				goto attach_popped;
			}
			break;
		case YAML_ALIAS_EVENT:
			err_fail(e, KZ_REASON, "yaml: aliases are not supported");
			yaml_event_delete(&ev);
			goto fail;
		default:
			break;
		}
		if (node) {
			if (push) {
				if (sp >= MAX_DEPTH) {
					cJSON_Delete(node);
					err_fail(e, KZ_REASON, "yaml: exceeded max depth");
					yaml_event_delete(&ev);
					goto fail;
				}
				stack[sp++] = node;
				keys[sp - 1] = NULL;
				yaml_event_delete(&ev);
				continue;
			}
attach_popped:
			if (sp == 0) {
				doc = node;
			} else {
				cJSON *parent = stack[sp - 1];
				if (cJSON_IsArray(parent)) {
					cJSON_AddItemToArray(parent, node);
				} else if (!keys[sp - 1]) {
					if (!cJSON_IsString(node) && !node->valuestring) {
						cJSON_Delete(node);
						err_fail(e, KZ_REASON, "yaml: invalid map key");
						yaml_event_delete(&ev);
						goto fail;
					}
					keys[sp - 1] = xstrdup(node->valuestring ?
							       node->valuestring : "");
					cJSON_Delete(node);
				} else {
					if (cJSON_GetObjectItemCaseSensitive(parent, keys[sp - 1])) {
						err_fail(e, KZ_REASON,
							 "yaml: line %zu: mapping key \"%s\" already "
							 "defined", ev.start_mark.line + 1,
							 keys[sp - 1]);
						cJSON_Delete(node);
						yaml_event_delete(&ev);
						goto fail;
					}
					cJSON_AddItemToObject(parent, keys[sp - 1], node);
					free(keys[sp - 1]);
					keys[sp - 1] = NULL;
				}
			}
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	return docs;
fail:
	for (int i = 0; i < sp; i++) {
		free(keys[i]);
		cJSON_Delete(stack[i]);
	}
	cJSON_Delete(doc);
	yaml_parser_delete(&p);
	cJSON_Delete(docs);
	return NULL;
}

int kz_yaml_emit(buf *out, const cJSON *docs, err *e)
{
	const cJSON *d;
	bool first = true;
	cJSON_ArrayForEach(d, docs) {
		char *s = cJSON_PrintUnformatted(d);
		if ((!first && buf_adds(out, "---\n") < 0) || buf_adds(out, s) < 0 ||
		    buf_addc(out, '\n') < 0) {
			free(s);
			return err_fail(e, KZ_REASON, "output too large");
		}
		free(s);
		first = false;
	}
	return 0;
}
