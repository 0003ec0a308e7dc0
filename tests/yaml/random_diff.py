#!/usr/bin/env python3
"""Random differential test of the yml module against `kubectl kustomize`.

Two generators, seeded so runs are reproducible:
  flow  - flow-style documents whose strings mix YAML indicators, quotes, escapes, tabs, line
          breaks, NEL/LS, non-BMP characters, and whose numbers include 2^53+1, 1e21, 1e-7...
  plain - block documents whose values are tricky plain scalars (0x1F, 1_000, 08, 2001-12-14,
          12:30, 1e400, yes, ~, ...), typed by our parser as yaml.v3 types them.
Keys are built as "k<NN>" + text without digits, because go-yaml's key order is not a total order
for some digit/letter mixes (kustomize's own output then changes from run to run).
For every document: if kubectl succeeds our output must be identical; if it fails we must fail.

usage: random_diff.py YML_ROUNDTRIP KUBECTL [SEEDS_PER_GENERATOR]
"""
import os
import random
import subprocess
import sys
import tempfile

ATOMS = ["a", "b", " ", "  ", ":", ": ", "#", " #", "-", "- ", "?", "'", '"', "\\", "\t", "\n",
         "\n\n", "yes", "no", "on", "0x1F", "1e3", "1.5", "~", "null", "true", "\u00e9",
         "\u65e5\u672c", "\U0001F600", "\u00a0", "[", "]", "{", "}", ",", "&", "*", "!", "|", ">",
         "%", "@", "`", "---", "...", "12:30", "2001-12-14", "0", "08", "+1", ".5", "x" * 30,
         "word ", "<<", "=", "\r", "\u2028", "\u0085"]
NUMBERS = [0, -1, 1, 42, 3.5, 1e21, 1e-7, 2**53 + 1, 1e6, 0.1, -0.0, 123456789.125, 2**63,
           1e300, 1000000.5, 1e20, 12345678901234567890]
PLAIN = ["0x1F", "1e3", "0o17", "1_000", "2001-12-14", "12:30", "~", "True", "yes", "08", "0b101",
         "-0", ".5", "5.", "1e400", "0x", "-x", "9223372036854775808", "-9223372036854775809",
         "18446744073709551616", "1.5e+3", "0.0", "-0.0", "1E3", "1e+3", "+0x10", "-0x10", "0X1f",
         "0O17", "0B11", "1__0", "_1", "1_", "1,000", "3:25:45", "0.1e-3", ".1e2", "1.e3",
         "2001-12-14T21:59:43Z", "2001-12-14 21:59:43", "2002-13-01", "-.5", "+.5", "nan", "NaN",
         "Infinity", "null", "NULL", "nULL", "false", "FALSE", "fAlse", "on", "Off", "y", "N",
         "0777", "0999", "00", "007", "+007", "-007", "1e-400", "123456789012345678901234567890",
         "0.30000000000000004", "1e21", "1e-7", "100000000000000000000", "4.9e-324",
         "1.7976931348623157e308", "2e308", "0x7FFFFFFFFFFFFFFF", "0xFFFFFFFFFFFFFFFF",
         "0x10000000000000000", "-0b1", "0b", "0o", "0o8", "2001-1-1",
         "2001-01-01t01:02:03.123456789+05:30", "1:2", "1:60", "-1:30", "+1:30:00.5", "a b",
         "hello world", "<<", "=", "$HOME", "C:\\x", "\\", "\u00fcn\u00ef", "\u65e5\u672c", "~x",
         "1 2", "1e", "e1", ".e1", "..5", "+", "++1", "0x1F # comment", "1_000_000.5", "0.5_0",
         "1_0e1_0"]


def text(rng, keyish=False):
    s = "".join(rng.choice(ATOMS) for _ in range(rng.randint(0, 8)))
    if keyish:  # see the module docstring; a raw NEL in a key makes kustomize fail
        s = "".join(c for c in s if not c.isdigit() and c != "\u0085")
    return s


def quote(s):
    out = []
    for ch in s:
        o = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif 0x20 <= o < 0x7F:
            out.append(ch)
        elif o <= 0xFF:
            out.append("\\x%02X" % o)
        elif o <= 0xFFFF:
            out.append("\\u%04X" % o)
        else:
            out.append("\\U%08X" % o)
    return '"' + "".join(out) + '"'


def value(rng, depth=0):
    r = rng.random()
    if depth < 3 and r < 0.15:
        return {"k%02d%s" % (i, text(rng, True)): value(rng, depth + 1)
                for i in range(rng.randint(0, 3))}
    if depth < 3 and r < 0.3:
        return [value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if r < 0.4:
        return rng.choice(NUMBERS)
    if r < 0.45:
        return rng.choice([True, False, None])
    return text(rng)


def dump(v):
    if isinstance(v, dict):
        return "{" + ", ".join(quote(k) + ": " + dump(x) for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(dump(x) for x in v) + "]"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if v is None:
        return "null"
    if isinstance(v, str):
        return quote(v)
    return repr(v)


def gen_flow(seed):
    rng = random.Random(seed)
    data = {"k%02d%s" % (i, text(rng, True)): value(rng) for i in range(30)}
    if rng.random() < 0.15:  # characters kustomize refuses: both sides must fail
        data["k99"] = text(rng) + rng.choice(["\x7f", "\x9b", "\ufffe"]) + text(rng)
    return dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "r"},
                 "data": data}) + "\n"


def gen_plain(seed):
    rng = random.Random(seed)
    lines = ["apiVersion: v1", "kind: ConfigMap", "metadata:", "  name: r", "spec:"]
    for i in range(40):
        lines.append("  k%02d: %s" % (i, rng.choice(PLAIN)))
    lines.append("  list:")
    for _ in range(10):
        lines.append("  - %s" % rng.choice(PLAIN))
    return "\n".join(lines) + "\n"


def main():
    tool, kubectl = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 40
    failures = same = both_failed = 0
    with tempfile.TemporaryDirectory() as work:
        res = os.path.join(work, "r.yaml")
        with open(os.path.join(work, "kustomization.yaml"), "w") as f:
            f.write("resources:\n- r.yaml\n")
        for name, gen in (("flow", gen_flow), ("plain", gen_plain)):
            for seed in range(1, n + 1):
                with open(res, "w", encoding="utf-8") as f:
                    f.write(gen(seed))
                k = subprocess.run([kubectl, "kustomize", work], capture_output=True)
                o = subprocess.run([tool, res], capture_output=True)
                if k.returncode != 0:
                    if o.returncode == 0:
                        failures += 1
                        print("not ok %s seed %d: kubectl failed (%s) but yml succeeded"
                              % (name, seed, k.stderr.decode(errors="replace")[-200:].strip()))
                    else:
                        both_failed += 1
                    continue
                if o.returncode != 0:
                    failures += 1
                    print("not ok %s seed %d: yml failed: %s"
                          % (name, seed, o.stderr.decode(errors="replace").strip()))
                elif o.stdout != k.stdout:
                    failures += 1
                    print("not ok %s seed %d: output differs" % (name, seed))
                    exp = k.stdout.decode(errors="replace").splitlines()
                    got = o.stdout.decode(errors="replace").splitlines()
                    for i, (a, b) in enumerate(zip(exp, got)):
                        if a != b:
                            print("  line %d\n  kubectl: %r\n  yml:     %r" % (i + 1, a, b))
                            break
                else:
                    same += 1
    print("random_diff: %d identical, %d failed in both, %d mismatches"
          % (same, both_failed, failures))
    return 1 if failures or same == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
