"""Generates random_json.json: random JSON patches (every op, escaped keys, "-", negative and
out-of-range indices, missing paths) and merge patches on ConfigMap data, kept when kubectl
answers without crashing (its json-patch v4.12 panics on a null in the middle of a path, where
eddy returns an error). Usage: python3 gen_random_json.py SEED COUNT."""
import json, os, random, subprocess, sys, tempfile
random.seed(int(sys.argv[1]))
keys=["a","b","c~d","e/f","0","-"]
def val(d=0):
    r=random.random()
    if d>2 or r<0.3: return random.choice([1,"s",True,None,2.5,"x"])
    if r<0.65: return {k:val(d+1) for k in random.sample(keys,random.randint(0,3))}
    return [val(d+1) for _ in range(random.randint(0,3))]
def esc(k): return k.replace("~","~0").replace("/","~1")
def paths(v, pre=""):
    out=[pre]
    if isinstance(v,dict):
        for k,x in v.items(): out+=paths(x, pre+"/"+esc(k))
    elif isinstance(v,list):
        for i,x in enumerate(v): out+=paths(x, pre+"/"+str(i))
    return out
def rpath(doc):
    ps=[p for p in paths(doc["data"], "/data")]
    r=random.random()
    if ps and r<0.6: return random.choice(ps)
    if ps and r<0.8: return random.choice(ps)+"/"+random.choice(["-","0","9","-1","zz","a"])
    return "/"+random.choice(["zz/y","a/-","data/~2","b/3"])
def case():
    doc={"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"data":val()}
    if not isinstance(doc["data"],(dict,list)): doc["data"]={"k":doc["data"]}
    ops=[]
    for _ in range(random.randint(1,4)):
        op=random.choice(["add","remove","replace","move","copy","test","add","replace"])
        o={"op":op,"path":rpath(doc)}
        if op in ("add","replace","test"): o["value"]=val(1)
        if op in ("move","copy"): o["from"]=rpath(doc)
        ops.append(o)
    return {"name":"rj","type":"json","obj":doc,"patch":ops}
def mcase():
    doc={"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"data":val()}
    p={"data":val(), "extra": val()}
    return {"name":"rm","type":"merge","obj":doc,"patch":p}
here = os.path.dirname(os.path.abspath(__file__))
kubectl = os.environ.get("KUBECTL") or os.path.join(here, "../../.tools/bin/kubectl")
cases = []
n = int(sys.argv[2])
with tempfile.TemporaryDirectory() as tmp:
    while len(cases) < n:
        c = case() if len(cases) < n * 2 // 3 else mcase()
        of, pf = os.path.join(tmp, "o.json"), os.path.join(tmp, "p.json")
        json.dump(c["obj"], open(of, "w"))
        json.dump(c["patch"], open(pf, "w"))
        r = subprocess.run([kubectl, "patch", "--local", "-f", of, "--type", c["type"],
                            "--patch-file", pf, "-o", "json"], capture_output=True, text=True)
        if "panic" in r.stderr or "Object 'Kind' is missing" in r.stderr:
            continue
        c["name"] = "random %s %d" % (c["type"], len(cases))
        if "Object to be patched is missing field" in r.stderr:
            c["loose_error"] = True  # kubectl's rewording of "doc is missing key"
        cases.append(c)
json.dump(cases, open(os.path.join(here, "random_json.json"), "w"), indent=0)
