/* The function table: name, C function, parameter signature (see internal.h). */
#ifndef EDDY_GOTMPL_FUNCS_H
#define EDDY_GOTMPL_FUNCS_H

#include "gotmpl/internal.h"

#define TV_FUNCS(X) \
	X("and", and_or, "v*") X("or", and_or, "v*") X("not", not, "v") X("len", len, "v") \
	X("index", index, "vv*") X("print", print, "a*") X("printf", printf, "sa*") \
	X("println", println, "a*") X("html", html, "a*") X("js", js, "a*") \
	X("urlquery", urlquery, "a*") X("call", call, "vv*") X("eq", eq, "vv*") X("ne", ne, "vv") \
	X("lt", lt, "vv") X("le", le, "vv") X("gt", gt, "vv") X("ge", ge, "vv") \
	X("slice", slice, "aa*") \
	X("default", default, "aa*") X("empty", empty, "a") X("coalesce", coalesce, "a*") \
	X("all", all, "a*") X("any", any, "a*") X("ternary", ternary, "aab") \
	X("toString", toString, "a") X("quote", quote, "a*") X("squote", squote, "a*") \
	X("upper", upper, "s") X("lower", lower, "s") X("title", title, "s") \
	X("untitle", untitle, "s") X("trim", trim, "s") X("trimAll", trimAll, "ss") \
	X("trimPrefix", trimPrefix, "ss") X("trimSuffix", trimSuffix, "ss") \
	X("trunc", trunc, "is") X("replace", replace, "sss") X("contains", contains, "ss") \
	X("hasPrefix", hasPrefix, "ss") X("hasSuffix", hasSuffix, "ss") \
	X("indent", indent, "is") X("nindent", nindent, "is") X("repeat", repeat, "is") \
	X("substr", substr, "iis") X("nospace", nospace, "s") X("cat", cat, "a*") \
	X("abbrev", abbrev, "is") X("plural", plural, "ssi") X("snakecase", snakecase, "s") \
	X("kebabcase", kebabcase, "s") X("camelcase", camelcase, "s") \
	X("swapcase", swapcase, "s") X("initials", initials, "s") X("wrap", wrapWith, "is") \
	X("wrapWith", wrapWith, "iss") X("split", split, "ss") X("splitList", splitList, "ss") \
	X("splitn", splitn, "sis") X("join", join, "sa") X("toStrings", toStrings, "a") \
	X("sortAlpha", sortAlpha, "a") X("list", list, "a*") X("tuple", list, "a*") \
	X("append", append, "aa") X("push", append, "aa") X("mustAppend", append, "aa") \
	X("mustPush", append, "aa") X("prepend", prepend, "aa") X("mustPrepend", prepend, "aa") \
	X("first", first, "a") X("mustFirst", first, "a") X("last", last, "a") \
	X("mustLast", last, "a") X("rest", rest, "a") X("mustRest", rest, "a") \
	X("initial", initial, "a") X("mustInitial", initial, "a") X("reverse", reverse, "a") \
	X("mustReverse", reverse, "a") X("uniq", uniq, "a") X("mustUniq", uniq, "a") \
	X("compact", compact, "a") X("mustCompact", compact, "a") X("has", has, "aa") \
	X("mustHas", has, "aa") X("without", without, "aa*") X("mustWithout", without, "aa*") \
	X("concat", concat, "a*") X("mustSlice", slice, "aa*") X("chunk", chunk, "ia") \
	X("mustChunk", chunk, "ia") X("until", until, "i") X("untilStep", untilStep, "iii") \
	X("seq", seq, "i*") X("dict", dict, "a*") X("get", get, "ms") X("set", set, "msa") \
	X("unset", unset, "ms") X("hasKey", hasKey, "ms") X("keys", keys, "m*") \
	X("values", values, "m") X("pluck", pluck, "sm*") X("pick", pick, "ms*") \
	X("omit", omit, "ms*") X("dig", dig, "a*") X("merge", merge, "mm*") \
	X("mustMerge", merge, "mm*") X("mergeOverwrite", mergeOverwrite, "mm*") \
	X("mustMergeOverwrite", mergeOverwrite, "mm*") X("deepCopy", deepCopy, "a") \
	X("mustDeepCopy", deepCopy, "a") \
	X("add", add, "a*") X("add1", add1, "a") X("sub", sub, "aa") X("mul", mul, "aa*") \
	X("div", div, "aa") X("mod", mod, "aa") X("max", max, "aa*") X("min", min, "aa*") \
	X("biggest", max, "aa*") X("addf", addf, "a*") X("add1f", add1f, "a") \
	X("subf", subf, "aa*") X("mulf", mulf, "aa*") X("divf", divf, "aa*") \
	X("maxf", maxf, "aa*") X("minf", minf, "aa*") X("floor", floor, "a") \
	X("ceil", ceil, "a") X("round", round, "aif*") X("int", toInt, "a") \
	X("int64", toInt64, "a") X("float64", toFloat64, "a") X("atoi", atoi, "s") \
	X("toDecimal", toDecimal, "s") X("typeOf", typeOf, "a") X("kindOf", kindOf, "a") \
	X("typeIs", typeIs, "sa") X("kindIs", kindIs, "sa") X("deepEqual", deepEqual, "aa") \
	X("typeIsLike", typeIs, "sa") \
	X("base", base, "s") X("dir", dir, "s") X("ext", ext, "s") X("clean", clean, "s") \
	X("isAbs", isAbs, "s") X("osBase", base, "s") X("osDir", dir, "s") X("osExt", ext, "s") \
	X("osClean", clean, "s") X("osIsAbs", isAbs, "s") \
	X("b64enc", b64enc, "s") X("b64dec", b64dec, "s") X("b32enc", b32enc, "s") \
	X("b32dec", b32dec, "s") X("sha1sum", sha1sum, "s") X("sha256sum", sha256sum, "s") \
	X("sha512sum", sha512sum, "s") X("adler32sum", adler32sum, "s") \
	X("uuidv4", uuidv4, "") X("randAlphaNum", randAlphaNum, "i") \
	X("randAlpha", randAlpha, "i") X("randNumeric", randNumeric, "i") \
	X("randAscii", randAscii, "i") X("randInt", randInt, "ii") X("shuffle", shuffle, "s") \
	X("regexMatch", regexMatch, "ss") X("mustRegexMatch", mustRegexMatch, "ss") \
	X("regexFind", regexFind, "ss") X("mustRegexFind", regexFind, "ss") \
	X("regexFindAll", regexFindAll, "ssi") X("mustRegexFindAll", regexFindAll, "ssi") \
	X("regexReplaceAll", regexReplaceAll, "sss") \
	X("mustRegexReplaceAll", regexReplaceAll, "sss") \
	X("regexReplaceAllLiteral", regexReplaceAllLiteral, "sss") \
	X("mustRegexReplaceAllLiteral", regexReplaceAllLiteral, "sss") \
	X("regexSplit", regexSplit, "ssi") X("mustRegexSplit", regexSplit, "ssi") \
	X("regexQuoteMeta", regexQuoteMeta, "s") \
	X("semverCompare", semverCompare, "ss") X("semver", semver, "s") \
	X("now", now, "") X("date", date, "sa") X("dateInZone", dateInZone, "sas") \
	X("date_in_zone", dateInZone, "sas") X("htmlDate", htmlDate, "a") \
	X("htmlDateInZone", htmlDateInZone, "as") X("toDate", toDate, "ss") \
	X("mustToDate", mustToDate, "ss") X("unixEpoch", unixEpoch, "a") \
	X("toJson", toJson, "a") X("mustToJson", toJson, "a") \
	X("toPrettyJson", toPrettyJson, "a") X("mustToPrettyJson", toPrettyJson, "a") \
	X("toRawJson", toRawJson, "a") X("mustToRawJson", toRawJson, "a") \
	X("fromJson", fromJson, "s") X("fromJsonArray", fromJsonArray, "s") \
	X("mustFromJson", mustFromJson, "s") \
	X("toYaml", toYaml, "a") X("mustToYaml", mustToYaml, "a") \
	X("toYamlPretty", toYamlPretty, "a") X("fromYaml", fromYaml, "s") \
	X("fromYamlArray", fromYamlArray, "s") X("toToml", toToml, "a") \
	X("include", include, "sa") X("tpl", tpl, "sa") X("required", required, "sa") \
	X("fail", fail, "s") X("lookup", lookup, "ssss") X("urlParse", urlParse, "s") \
	X("urlJoin", urlJoin, "m") X("genPrivateKey", genPrivateKey, "s") \
	X("genCA", genCA, "si") X("genSelfSignedCert", genSelfSignedCert, "saai") \
	X("genSignedCert", genSignedCert, "saaia") X("duration", duration, "a") X("ago", ago, "a") \
	X("dateModify", dateModify, "sa") X("mustDateModify", mustDateModify, "sa") \
	X("date_modify", dateModify, "sa") X("must_date_modify", mustDateModify, "sa") \
	X("durationRound", durationRound, "a") X("hello", hello, "") \
	X("abbrevboth", abbrevboth, "iis") X("trimall", trimAll, "ss") \
	X("getHostByName", getHostByName, "s") X("randBytes", randBytes, "i") \
	X("derivePassword", derivePassword, "issss") X("encryptAES", encryptAES, "ss") \
	X("decryptAES", decryptAES, "ss") X("bcrypt", bcrypt, "s") X("htpasswd", htpasswd, "ss") \
	X("genCAWithKey", genCAWithKey, "sis") \
	X("genSelfSignedCertWithKey", genSelfSignedCertWithKey, "saais") \
	X("genSignedCertWithKey", genSignedCertWithKey, "saaias") \
	X("buildCustomCert", buildCustomCert, "ss") X("fromToml", fromToml, "s")

#define TV_DECL(n, f, s) int fn_##f(tmpl_exec *x, int argc, tmpl_val *argv, tmpl_val *out, err *e);
TV_FUNCS(TV_DECL)
#undef TV_DECL

bool tv_empty(tmpl_val v);
bool tv_to_int64(tmpl_val v, int64_t *out);
bool tv_to_float(tmpl_val v, double *out);
int tv_to_json_raw(buf *out, tmpl_val v, bool pretty, bool html, err *e);
int tv_to_yaml_pretty(buf *out, tmpl_val v, err *e);
void tv_rand_bytes(void *p, size_t n); /* CSPRNG bytes */
/* A time.Time value: UTC, or a fixed zone (offset east of UTC, name). */
tmpl_val tv_time_new(int64_t sec, long nsec, bool utc, long off, const char *zone);

#endif
