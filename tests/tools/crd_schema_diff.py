#!/usr/bin/env python3
"""Compare Eddy's CRDs with Flux's: same names, groups, versions, scope and the same schema trees
(descriptions aside, since those are prose). Exit 1 with the differing paths otherwise."""
import glob, os, sys
import yaml

def strip(o):
    if isinstance(o, dict):
        return {k: strip(v) for k, v in o.items() if k != 'description'}
    if isinstance(o, list):
        return [strip(x) for x in o]
    return o

def load(pattern):
    crds = {}
    for f in glob.glob(pattern):
        for d in yaml.safe_load_all(open(f)):
            if d and d.get('kind') == 'CustomResourceDefinition':
                crds[d['metadata']['name']] = strip(d['spec'])
    return crds

def diff(a, b, path, out):
    if type(a) != type(b):
        out.append(f"{path}: {a!r} != {b!r}"[:300]); return
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a: out.append(f"{path}.{k}: missing in ours")
            elif k not in b: out.append(f"{path}.{k}: not in Flux's")
            else: diff(a[k], b[k], f"{path}.{k}", out)
    elif isinstance(a, list):
        if len(a) != len(b): out.append(f"{path}: {len(a)} items != {len(b)}")
        for i, (x, y) in enumerate(zip(a, b)): diff(x, y, f"{path}[{i}]", out)
    elif a != b:
        out.append(f"{path}: {a!r} != {b!r}")

ours, flux = load(sys.argv[1] + '/*.yaml'), load(sys.argv[2] + '/*/*.yaml')
problems = []
for name in sorted(set(ours) | set(flux)):
    if name not in ours: problems.append(f"{name}: missing in config/crd"); continue
    if name not in flux: problems.append(f"{name}: not a Flux CRD"); continue
    diff(ours[name], flux[name], name, problems)
print("\n".join(problems) if problems else f"{len(ours)} CRDs match Flux's schemas")
sys.exit(1 if problems else 0)
