#!/usr/bin/env python3
"""Differential test of the patch module against the real `kubectl patch --local`.

Every case of cases.json, probes.json (made by gen_probes.py) and random.json and
random_json.json (made by gen_random.py and gen_random_json.py) ({name, type:
merge|json|strategic, obj, patch}) is applied by
kubectl (v1.33, $KUBECTL) and by patchtool (argv[1]); the parsed JSON results must be equal,
or both must fail with the same message."""
import concurrent.futures, json, os, subprocess, sys, tempfile

def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if p.returncode == 0:
        return json.loads(p.stdout), None
    msg = p.stderr.strip().splitlines()
    msg = "\n".join(msg)
    if msg.startswith("error: "):
        msg = msg[len("error: "):]
    return None, msg

def main():
    tool = sys.argv[1]
    kubectl = os.environ.get("KUBECTL") or os.path.join(
        os.path.dirname(__file__), "../../.tools/bin/kubectl")
    here = os.path.dirname(os.path.abspath(__file__))
    cases = []
    for name in ("cases.json", "probes.json", "random.json", "random_json.json"):
        with open(os.path.join(here, name)) as f:
            cases += json.load(f)
    def one(i, c, tmp):
        obj = os.path.join(tmp, "obj%d.json" % i)
        pf = os.path.join(tmp, "patch%d.json" % i)
        with open(obj, "w") as f:
            json.dump(c["obj"], f)
        with open(pf, "w") as f:
            json.dump(c["patch"], f)
        want, werr = run([kubectl, "patch", "--local", "-f", obj, "--type", c["type"],
                          "--patch-file", pf, "-o", "json", "--show-managed-fields"])
        got, gerr = run([tool, c["type"], obj, pf])
        ok = (want == got) if werr is None else (gerr is not None and
             (gerr == werr or c.get("loose_error")))
        lines = [f"{'ok' if ok else 'not ok'} {i + 1} - {c['type']} {c['name']}"]
        if not ok:
            lines.append("#   kubectl: " + (json.dumps(want, sort_keys=True) if werr is None
                                            else "error: " + werr))
            lines.append("#   eddy:    " + (json.dumps(got, sort_keys=True) if gerr is None
                                            else "error: " + gerr))
        return ok, lines

    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
            results = pool.map(lambda ic: one(ic[0], ic[1], tmp), enumerate(cases))
            for ok, lines in results:
                failed += 0 if ok else 1
                print("\n".join(lines))
    print(f"1..{len(cases)}")
    print(f"# {len(cases) - failed}/{len(cases)} cases agree with kubectl")
    return 1 if failed else 0

if __name__ == "__main__":
    sys.exit(main())
