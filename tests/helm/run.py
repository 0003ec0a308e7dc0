#!/usr/bin/env python3
"""Differential test runner for the Helm engine (see README in this directory)."""
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
EDDY = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "../../build/bin/eddy"))
HELM = os.path.abspath(os.environ.get("HELM") or os.path.join(HERE, "../../.tools/bin/helm"))
JOBS = int(os.environ.get("HELM_SUITE_JOBS", "2"))
VERBOSE = os.environ.get("HELM_SUITE_VERBOSE") == "1"
ONLY = os.environ.get("HELM_SUITE_ONLY")


# Helm formats local times in the process's zone (Go's time.Local); ours always uses UTC. Both
# run with TZ=UTC so that `date`, `now` and `toDate` agree.
ENV = dict(os.environ, TZ="UTC")


def run(cmd, timeout=60, cwd=None):
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=timeout, cwd=cwd, env=ENV)
        return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        return 124, "", "timeout"


def parse_docs(text):
    try:
        return [d for d in yaml.safe_load_all(text)]
    except Exception as ex:  # unparsable output: compare as text
        return ["<unparsable: %s>" % ex]


def split_sources(text):
    """Map '# Source: path' -> concatenated documents of that source."""
    out = {}
    cur = None
    for line in text.splitlines(keepends=True):
        if line.startswith("# Source: "):
            cur = line[len("# Source: "):].strip()
            out.setdefault(cur, "")
            continue
        if cur is not None:
            out[cur] += line
    return out


def parse_cases(path):
    """A .cases file: '## name [!error]' starts a case; the lines up to the next header are the
    template (the last newline is dropped). '#values' ... '#end' at the top gives values."""
    cases = []
    values = ""
    with open(path) as f:
        lines = f.read().split("\n")
    i = 0
    if lines and lines[0].strip() == "#values":
        j = 1
        while lines[j].strip() != "#end":
            j += 1
        values = "\n".join(lines[1:j]) + "\n"
        i = j + 1
    cur = None
    for line in lines[i:]:
        if line.startswith("## "):
            if cur:
                cases.append(cur)
            parts = line[3:].split()
            cur = {"name": parts[0], "error": "!error" in parts, "body": []}
            continue
        if cur is not None:
            cur["body"].append(line)
    if cur:
        cases.append(cur)
    for c in cases:
        while c["body"] and c["body"][-1] == "":
            c["body"].pop()
        c["body"] = "\n".join(c["body"])
    return values, cases


def write_chart(d, name, values, templates):
    os.makedirs(os.path.join(d, "templates"), exist_ok=True)
    with open(os.path.join(d, "Chart.yaml"), "w") as f:
        f.write("apiVersion: v2\nname: %s\nversion: 0.1.0\nappVersion: \"1.0\"\n" % name)
    with open(os.path.join(d, "values.yaml"), "w") as f:
        f.write(values)
    for fn, text in templates.items():
        with open(os.path.join(d, "templates", fn), "w") as f:
            f.write(text)


def case_template(cname, body):
    return ('{{- define "%s" }}%s{{ end -}}\ncase: %s\nout: {{ include "%s" . | toJson }}\n'
            % (cname, body, cname, cname))


results = []  # (kind, name, status, detail) status: byte | parsed | fail
errmsg = []  # (name, same message, helm stderr, eddy stderr) for cases where both failed


def record(kind, name, status, detail=""):
    results.append((kind, name, status, detail))


def compare_outputs(kind, name, h, e, per_source=False):
    hrc, hout, herr = h
    erc, eout, eerr = e
    if hrc != 0 or erc != 0:
        if kind == "group":
            record("case", name, "fail", "group chart failed: helm rc=%d eddy rc=%d\nhelm: %s\n"
                   "eddy: %s" % (hrc, erc, herr.strip()[:600], eerr.strip()[:600]))
            return
        if hrc != 0 and erc != 0:
            same_msg = herr.replace("\n\nUse --debug flag to render out invalid YAML", "").strip() \
                == eerr.strip()
            errmsg.append((name, same_msg, herr.strip()[:300], eerr.strip()[:300]))
            record(kind, name, "byte", "both failed")
        else:
            record(kind, name, "fail", "helm rc=%d eddy rc=%d\nhelm: %s\neddy: %s" %
                   (hrc, erc, herr.strip()[:600], eerr.strip()[:600]))
        return
    if not per_source:
        if hout == eout:
            record(kind, name, "byte")
        elif parse_docs(hout) == parse_docs(eout):
            record(kind, name, "parsed", diff_text(hout, eout))
        else:
            record(kind, name, "fail", diff_text(hout, eout))
        return
    hs, es = split_sources(hout), split_sources(eout)
    for src in sorted(set(hs) | set(es)):
        a, b = hs.get(src), es.get(src)
        cname = "%s/%s" % (name, os.path.basename(src))
        kind = "case"
        if a == b:
            record(kind, cname, "byte")
        elif a is not None and b is not None and parse_docs(a) == parse_docs(b):
            record(kind, cname, "parsed", diff_text(a, b))
        else:
            record(kind, cname, "fail", diff_text(a or "", b or ""))


def diff_text(a, b):
    import difflib
    d = list(difflib.unified_diff(a.splitlines(), b.splitlines(), "helm", "eddy", lineterm="", n=1))
    return "\n".join(d[:40])


def job_group(path, tmp):
    group = os.path.splitext(os.path.basename(path))[0]
    values, cases = parse_cases(path)
    ok_cases = [c for c in cases if not c["error"]]
    err_cases = [c for c in cases if c["error"]]
    out = []
    d = os.path.join(tmp, group)
    tpls = {}
    for c in ok_cases:
        tpls["%s.yaml" % c["name"]] = case_template(c["name"], c["body"])
    helpers = os.path.splitext(path)[0] + ".tpl"
    if os.path.exists(helpers):
        tpls["_helpers.tpl"] = open(helpers).read()
    write_chart(d, group, values, tpls)
    h = run([HELM, "template", "r", d])
    e = run([EDDY, "helm", "template", "r", d])
    out.append(("group", group, h, e, True))
    for c in err_cases:
        de = os.path.join(tmp, group + "-" + c["name"])
        write_chart(de, group, values, {"%s.yaml" % c["name"]: case_template(c["name"], c["body"])})
        h = run([HELM, "template", "r", de])
        e = run([EDDY, "helm", "template", "r", de])
        out.append(("case", "%s/%s(error)" % (group, c["name"]), h, e, False))
        if h[0] == 0:
            out.append(("note", c["name"], None, None, "helm did not fail"))
    return out


def job_chart(d, tmp):
    name = os.path.basename(d)
    argsets = [[]]
    af = os.path.join(d, "..", name + ".args")
    if os.path.exists(af):
        argsets = []
        with open(af) as f:
            for line in f:
                line = line.strip()
                if not line.startswith("#"):
                    argsets.append(line.split())  # an empty line: no arguments
    out = []
    for k, args in enumerate(argsets):
        cmd_args = [a.replace("@CHARTS@", os.path.dirname(d)) for a in args]
        rel = "r"  # "@release=NAME" first on a line: the release name (an empty NAME is "")
        if cmd_args and cmd_args[0].startswith("@release="):
            rel = cmd_args.pop(0)[len("@release="):]
        h = run([HELM, "template", rel, d] + cmd_args, cwd=os.path.dirname(d))
        e = run([EDDY, "helm", "template", rel, d] + cmd_args, cwd=os.path.dirname(d))
        out.append(("chart", "%s[%d]" % (name, k) if len(argsets) > 1 else name, h, e, False))
    return out


def job_safety(d, tmp):
    name = os.path.basename(d)
    with open(os.path.join(d, "cmd")) as f:
        args = f.read().split()
    args = [a.replace("@DIR@", d).replace("@TMP@", tmp) for a in args]
    setup = os.path.join(d, "setup.sh")
    if os.path.exists(setup):
        subprocess.run(["bash", setup, tmp], check=True)
    rc, out, err = run([EDDY, "helm", "template", "r"] + args, timeout=60)
    expect = open(os.path.join(d, "expect")).read().strip()
    if rc not in (0, 124) and expect in err:
        return [("safety", name, "byte", err.strip())]
    return [("safety", name, "fail", "rc=%d want error containing %r, got: %s" % (rc, expect, err[:500]))]


def job_prop(name, fn, tmp):
    import props
    ctx = props.Ctx(HELM, EDDY, os.path.join(tmp, "props-" + name), run)
    os.makedirs(ctx.tmp)
    try:
        return [("prop", name, "byte", fn(ctx))]
    except Exception as ex:  # a failed property (AssertionError) or a broken render
        return [("prop", name, "fail", str(ex))]


def main():
    tmp = tempfile.mkdtemp(prefix="helm-suite-")
    jobs = []
    with concurrent.futures.ThreadPoolExecutor(JOBS) as ex:
        for fn in sorted(os.listdir(os.path.join(HERE, "cases"))):
            if fn.endswith(".cases") and (not ONLY or ONLY in fn):
                jobs.append(ex.submit(job_group, os.path.join(HERE, "cases", fn), tmp))
        cdir = os.path.join(HERE, "charts")
        for fn in sorted(os.listdir(cdir)):
            p = os.path.join(cdir, fn)
            if (os.path.isdir(p) or fn.endswith(".tgz")) and (not ONLY or ONLY in fn):
                jobs.append(ex.submit(job_chart, p, tmp))
        sdir = os.path.join(HERE, "safety")
        for fn in sorted(os.listdir(sdir)):
            if not ONLY or ONLY in fn:
                jobs.append(ex.submit(job_safety, os.path.join(sdir, fn), tmp))
        sys.path.insert(0, HERE)
        import props
        for name, fn in props.PROPS:
            if not ONLY or ONLY in name:
                jobs.append(ex.submit(job_prop, name, fn, tmp))
        for j in jobs:
            for item in j.result():
                if item[0] in ("safety", "prop"):
                    record(item[0], item[1], item[2], item[3])
                elif item[0] == "note":
                    record("note", item[1], "note", item[4])
                else:
                    compare_outputs(item[0], item[1], item[2], item[3], item[4])
    shutil.rmtree(tmp, ignore_errors=True)
    counts = {}
    for kind, name, status, detail in results:
        if kind == "note":
            print("note: %s: %s" % (name, detail))
            continue
        c = counts.setdefault(kind, {"byte": 0, "parsed": 0, "fail": 0})
        c[status] += 1
        if status == "fail" or (VERBOSE and (status == "parsed" or kind == "prop")):
            print("%s %s: %s\n%s\n" % (status.upper(), kind, name, detail))
    total = sum(sum(c.values()) for k, c in counts.items() if k not in ("safety", "prop"))
    byte = sum(c["byte"] for k, c in counts.items() if k not in ("safety", "prop"))
    fails = sum(c["fail"] for c in counts.values())
    for kind, c in sorted(counts.items()):
        print("%-7s total %4d  byte-identical %4d  parsed-equal only %4d  failed %4d" %
              (kind, sum(c.values()), c["byte"], c["parsed"], c["fail"]))
    if errmsg:
        same = sum(1 for e in errmsg if e[1])
        print("errors: %d cases fail in both, %d with the same message" % (len(errmsg), same))
        if os.environ.get("HELM_SUITE_ERRORS") == "1":
            for n, s, h, e in errmsg:
                if not s:
                    print("  %s\n    helm: %s\n    eddy: %s" % (n, h.replace("\n", " | "),
                                                             e.replace("\n", " | ")))
    pct = 100.0 * byte / total if total else 0
    print("overall: %d compared, %d byte-identical (%.1f%%), %d failed" % (total, byte, pct, fails))
    if fails or pct < 95.0:
        sys.exit(1)


if __name__ == "__main__":
    main()
