"""Generates random.json: random Pods and strategic merge patches (keyed lists, sets with
duplicates, every directive) whose results kubectl computes without error; they pin the
list-ordering details (Go's stable sort, slice aliasing) against kubectl. Usage:
python3 gen_random.py SEED COUNT (needs $KUBECTL, default ../../.tools/bin/kubectl)."""
import json, os, random, subprocess, sys, tempfile
random.seed(int(sys.argv[1]))
names=["a","b","c","d"]
def cont(n, full=True):
    c={"name":n}
    if random.random()<0.6: c["image"]=random.choice(["x","y","z"])
    if random.random()<0.5: c["env"]=[{"name":e,"value":random.choice(["1","2"])} for e in random.sample(["A","B","C"],random.randint(0,3))]
    if random.random()<0.4: c["ports"]=[{"containerPort":p} for p in random.sample([80,81,82],random.randint(0,3))]
    if random.random()<0.3: c["args"]=random.sample(["-a","-b","-c"],random.randint(0,3))
    return c
def obj():
    o={"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{}}
    if random.random()<0.7: o["metadata"]["finalizers"]=[random.choice(["f1","f2","f3","f4"]) for _ in range(random.randint(0,5))]
    if random.random()<0.6: o["metadata"]["labels"]={k:"v" for k in random.sample(["l1","l2","l3"],random.randint(0,3))}
    pool=names*2 if random.random()<0.1 else names
    o["spec"]["containers"]=[cont(n) for n in random.sample(pool,random.randint(0,len(pool)))]
    if random.random()<0.5: o["spec"]["volumes"]=[{"name":n,"emptyDir":{}} if random.random()<0.5 else {"name":n,"configMap":{"name":"c"}} for n in random.sample(["v1","v2","v3"],random.randint(0,3))]
    if random.random()<0.4: o["spec"]["tolerations"]=[{"key":k} for k in random.sample(["t1","t2"],random.randint(0,2))]
    return o
def patch():
    p={}
    m={}
    r=random.random()
    if r<0.3: m["finalizers"]=random.sample(["f1","f2","f5"],random.randint(0,3))
    elif r<0.45: m["$deleteFromPrimitiveList/finalizers"]=random.sample(["f1","f2","f3"],random.randint(1,2))
    elif r<0.55: m["$setElementOrder/finalizers"]=random.sample(["f1","f2","f3","f4"],4)
    elif r<0.7:
        m["finalizers"]=random.sample(["f1","f5","f6"],random.randint(1,2))
        m["$setElementOrder/finalizers"]=m["finalizers"]+random.sample(["f2","f3"],random.randint(0,2))
        if random.random()<0.5: m["$deleteFromPrimitiveList/finalizers"]=["f4"]
    if random.random()<0.4: m["labels"]={k:random.choice(["w",None]) for k in random.sample(["l1","l2","l4"],random.randint(1,3))}
    if random.random()<0.1: m["labels"]={"$patch":"replace","z":"1"}
    if m: p["metadata"]=m
    s={}
    r=random.random()
    if r<0.7:
        items=[]
        for n in random.sample(names+["e"],random.randint(0,3)):
            t=random.random()
            if t<0.2: items.append({"name":n,"$patch":"delete"})
            else:
                c=cont(n)
                if "env" in c and random.random()<0.4:
                    c["$setElementOrder/env"]=[{"name":e["name"]} for e in c["env"]]+[{"name":x} for x in ["A","B","C"] if x not in [e["name"] for e in c["env"]]][:random.randint(0,2)]
                    if random.random()<0.5: c["env"].append({"name":random.choice(["A","B","C"]),"$patch":"delete"})
                items.append(c)
        if random.random()<0.1: items.append({"$patch":"replace"})
        s["containers"]=items
        if random.random()<0.3:
            order=[{"name":i["name"]} for i in items if "name" in i and i.get("$patch")!="delete"]
            extra=[{"name":n} for n in names if n not in [o["name"] for o in order]]
            random.shuffle(extra)
            s["$setElementOrder/containers"]=order+extra[:random.randint(0,len(extra))]
    if random.random()<0.3:
        v=random.choice(["v1","v2","v4"])
        it={"name":v}
        if random.random()<0.5: it["$retainKeys"]=["name","hostPath"]; it["hostPath"]={"path":"/x"}
        else: it["emptyDir"]={}
        s["volumes"]=[it]
    if random.random()<0.2: s["tolerations"]=[{"key":"t9"}]
    if random.random()<0.1: s["securityContext"]={"$patch":"delete"}
    if s: p["spec"]=s
    return p
here = os.path.dirname(os.path.abspath(__file__))
kubectl = os.environ.get("KUBECTL") or os.path.join(here, "../../.tools/bin/kubectl")
cases = []
with tempfile.TemporaryDirectory() as tmp:
    while len(cases) < int(sys.argv[2]):
        o, p = obj(), patch()
        of, pf = os.path.join(tmp, "o.json"), os.path.join(tmp, "p.json")
        json.dump(o, open(of, "w"))
        json.dump(p, open(pf, "w"))
        r = subprocess.run([kubectl, "patch", "--local", "-f", of, "--type", "strategic",
                            "--patch-file", pf, "-o", "json"], capture_output=True)
        if r.returncode == 0:  # errors may depend on Go's map order
            cases.append({"name": "random %d" % len(cases), "type": "strategic", "obj": o,
                          "patch": p})
json.dump(cases, open(os.path.join(here, "random.json"), "w"), indent=0)
