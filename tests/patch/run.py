#!/usr/bin/env python3
"""Differential test of the patch module against the real `kubectl patch --local`.

Every case of cases.json, probes.json (made by gen_probes.py) and random.json (made by
gen_random.py) ({name, type:
merge|json|strategic, obj, patch}) is applied by
kubectl (v1.33, $KUBECTL) and by patchtool (argv[1]); the parsed JSON results must be equal,
or both must fail with the same message."""
import json, os, subprocess, sys, tempfile

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
    for name in ("cases.json", "probes.json", "random.json"):
        with open(os.path.join(here, name)) as f:
            cases += json.load(f)
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for i, c in enumerate(cases):
            obj = os.path.join(tmp, "obj.json")
            pf = os.path.join(tmp, "patch.json")
            with open(obj, "w") as f:
                json.dump(c["obj"], f)
            with open(pf, "w") as f:
                json.dump(c["patch"], f)
            want, werr = run([kubectl, "patch", "--local", "-f", obj, "--type", c["type"],
                              "--patch-file", pf, "-o", "json",
                              "--show-managed-fields"])
            got, gerr = run([tool, c["type"], obj, pf])
            ok = (want == got) if werr is None else (gerr is not None and
                 (gerr == werr or c.get("loose_error")))
            status = "ok" if ok else "not ok"
            print(f"{status} {i + 1} - {c['type']} {c['name']}")
            if not ok:
                failed += 1
                print("#   kubectl: " + (json.dumps(want, sort_keys=True) if werr is None
                                         else "error: " + werr))
                print("#   eddy:    " + (json.dumps(got, sort_keys=True) if gerr is None
                                         else "error: " + gerr))
    print(f"1..{len(cases)}")
    print(f"# {len(cases) - failed}/{len(cases)} cases agree with kubectl")
    return 1 if failed else 0

if __name__ == "__main__":
    sys.exit(main())
