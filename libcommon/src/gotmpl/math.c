/* Sprig's integer and float math functions and conversions. */
#include "eddy/mem.h"
#include "gotmpl/internal.h"
#include "gotmpl/fn.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Sprig: math ---- */

FN(add)
{
	uint64_t s = 0;
	for (int i = 0; i < argc; i++)
		s += (uint64_t)tv_I64(argv[i]);
	*out = tmpl_int64((int64_t)s);
	return 0;
}

FN(add1) { *out = tmpl_int64((int64_t)((uint64_t)tv_I64(argv[0]) + 1)); return 0; }
FN(sub) { *out = tmpl_int64((int64_t)((uint64_t)tv_I64(argv[0]) - (uint64_t)tv_I64(argv[1]))); return 0; }
FN(mul)
{
	uint64_t s = (uint64_t)tv_I64(argv[0]);
	for (int i = 1; i < argc; i++)
		s *= (uint64_t)tv_I64(argv[i]);
	*out = tmpl_int64((int64_t)s);
	return 0;
}
FN(div)
{
	int64_t b = tv_I64(argv[1]);
	if (b == 0)
		return tmpl_fail(e, "runtime error: integer divide by zero");
	int64_t a = tv_I64(argv[0]);
	*out = tmpl_int64(b == -1 ? (int64_t)(0 - (uint64_t)a) : a / b);
	return 0;
}
FN(mod)
{
	int64_t b = tv_I64(argv[1]);
	if (b == 0)
		return tmpl_fail(e, "runtime error: integer divide by zero");
	*out = tmpl_int64(b == -1 ? 0 : tv_I64(argv[0]) % b);
	return 0;
}
FN(max)
{
	int64_t m = tv_I64(argv[0]);
	for (int i = 1; i < argc; i++)
		if (tv_I64(argv[i]) > m)
			m = tv_I64(argv[i]);
	*out = tmpl_int64(m);
	return 0;
}
FN(min)
{
	int64_t m = tv_I64(argv[0]);
	for (int i = 1; i < argc; i++)
		if (tv_I64(argv[i]) < m)
			m = tv_I64(argv[i]);
	*out = tmpl_int64(m);
	return 0;
}
/* shopspring/decimal results: exact decimal arithmetic on the shortest forms of the operands;
 * approximated by rounding to 15 significant digits when that is within 1e-15 relative. */
static double decimal_round(double r)
{
	char tmp[64];
	snprintf(tmp, sizeof tmp, "%.15g", r);
	double c = strtod(tmp, NULL);
	if (fabs(c - r) <= fabs(r) * 4e-16)
		return c;
	return r;
}

FN(addf)
{
	double s = 0;
	for (int i = 0; i < argc; i++)
		s += tv_F64(argv[i]);
	*out = tmpl_float(decimal_round(s));
	return 0;
}
FN(add1f) { *out = tmpl_float(tv_F64(argv[0]) + 1); return 0; }
FN(subf)
{
	double s = tv_F64(argv[0]);
	for (int i = 1; i < argc; i++)
		s -= tv_F64(argv[i]);
	*out = tmpl_float(decimal_round(s));
	return 0;
}
FN(mulf)
{
	double s = tv_F64(argv[0]);
	for (int i = 1; i < argc; i++)
		s *= tv_F64(argv[i]);
	*out = tmpl_float(decimal_round(s));
	return 0;
}
FN(divf)
{
	double s = tv_F64(argv[0]);
	for (int i = 1; i < argc; i++)
		s /= tv_F64(argv[i]);
	char tmp[64];
	snprintf(tmp, sizeof tmp, "%.16f", s);
	*out = tmpl_float(fabs(s) < 1e15 ? decimal_round(strtod(tmp, NULL)) : s);
	return 0;
}
FN(maxf)
{
	double m = tv_F64(argv[0]);
	for (int i = 1; i < argc; i++)
		m = fmax(m, tv_F64(argv[i]));
	*out = tmpl_float(m);
	return 0;
}
FN(minf)
{
	double m = tv_F64(argv[0]);
	for (int i = 1; i < argc; i++)
		m = fmin(m, tv_F64(argv[i]));
	*out = tmpl_float(m);
	return 0;
}
FN(floor) { *out = tmpl_float(floor(tv_F64(argv[0]))); return 0; }
FN(ceil) { *out = tmpl_float(ceil(tv_F64(argv[0]))); return 0; }
FN(round)
{
	double v = tv_F64(argv[0]);
	double p = pow(10, (double)argv[1].u.i);
	double half = argc > 2 ? tv_F64(argv[2]) : 0.5;
	double d = v * p;
	double r = d >= 0 ? floor(d + (1 - half) + 0 * half) : ceil(d - (1 - half));
	(void)r;
	/* sprig: rounder := .5 default; if digit >= round -> ceil else floor */
	double intpart;
	double frac = modf(d, &intpart);
	double res = fabs(frac) >= half ? (d >= 0 ? ceil(d) : floor(d)) : intpart;
	*out = tmpl_float(res / p);
	return 0;
}

FN(toInt) { *out = tmpl_int(tv_I64(argv[0])); return 0; }
FN(toInt64) { *out = tmpl_int64(tv_I64(argv[0])); return 0; }
FN(toFloat64) { *out = tmpl_float(tv_F64(argv[0])); return 0; }
FN(atoi)
{
	char *end;
	errno = 0;
	long long v = strtoll(S(0), &end, 10);
	*out = tmpl_int(*end || errno || !SLEN(0) ? 0 : v);
	return 0;
}
FN(toDecimal)
{
	char *end;
	long long v = strtoll(S(0), &end, 8);
	*out = tmpl_int64(*end ? 0 : v);
	return 0;
}

/* The functions of this family, for the table in table.c (funcs.h). */
static const func funcs[] = {
	{"add", fn_add, "a*"},
	{"add1", fn_add1, "a"},
	{"sub", fn_sub, "aa"},
	{"mul", fn_mul, "aa*"},
	{"div", fn_div, "aa"},
	{"mod", fn_mod, "aa"},
	{"max", fn_max, "aa*"},
	{"min", fn_min, "aa*"},
	{"biggest", fn_max, "aa*"},
	{"addf", fn_addf, "a*"},
	{"add1f", fn_add1f, "a"},
	{"subf", fn_subf, "aa*"},
	{"mulf", fn_mulf, "aa*"},
	{"divf", fn_divf, "aa*"},
	{"maxf", fn_maxf, "aa*"},
	{"minf", fn_minf, "aa*"},
	{"floor", fn_floor, "a"},
	{"ceil", fn_ceil, "a"},
	{"round", fn_round, "aif*"},
	{"int", fn_toInt, "a"},
	{"int64", fn_toInt64, "a"},
	{"float64", fn_toFloat64, "a"},
	{"atoi", fn_atoi, "s"},
	{"toDecimal", fn_toDecimal, "s"},
};

const tv_family tv_family_math = {funcs, sizeof funcs / sizeof *funcs};
