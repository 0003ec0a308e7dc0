#!/usr/bin/env python3
"""Writes a kustomize tree with N resources: a base (Deployments, Services, ConfigMaps in
several files, a configMapGenerator), and an overlay (prefix, namespace, labels, images,
strategic merge and JSON patches, a merging generator). usage: gen.py N DIR"""
import os, sys

n, out = int(sys.argv[1]), sys.argv[2]
os.makedirs(out + "/base", exist_ok=True)
os.makedirs(out + "/overlay", exist_ok=True)
files = []
per_file = 50
docs = []
for i in range(n):
    k = i % 3
    if k == 0:
        docs.append(f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
  labels:
    app: app-{i}
spec:
  replicas: 1
  selector:
    matchLabels:
      app: app-{i}
  template:
    metadata:
      labels:
        app: app-{i}
    spec:
      containers:
      - name: main
        image: nginx:1.25
        envFrom:
        - configMapRef:
            name: settings
        env:
        - name: INDEX
          value: "{i}"
        ports:
        - containerPort: 8080
        resources:
          limits:
            cpu: 100m
            memory: 64Mi
""")
    elif k == 1:
        docs.append(f"""apiVersion: v1
kind: Service
metadata:
  name: svc-{i}
spec:
  selector:
    app: app-{i - 1}
  ports:
  - port: 80
    targetPort: 8080
""")
    else:
        docs.append(f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: cm-{i}
data:
  key: value-{i}
  other: "{i}"
""")
for f in range(0, len(docs), per_file):
    name = f"res-{f // per_file}.yaml"
    files.append(name)
    with open(f"{out}/base/{name}", "w") as fh:
        fh.write("---\n".join(docs[f:f + per_file]))
with open(f"{out}/base/kustomization.yaml", "w") as fh:
    fh.write("resources:\n" + "".join(f"- {x}\n" for x in files))
    fh.write("configMapGenerator:\n- name: settings\n  literals:\n  - LOG=info\n  - MODE=base\n")
with open(f"{out}/overlay/kustomization.yaml", "w") as fh:
    fh.write("""resources:
- ../base
namePrefix: prod-
namespace: production
commonLabels:
  env: prod
commonAnnotations:
  owner: platform
images:
- name: nginx
  newTag: "1.27"
configMapGenerator:
- name: settings
  behavior: merge
  literals:
  - MODE=prod
patches:
- path: smp.yaml
  target:
    kind: Deployment
- path: json.yaml
  target:
    kind: Service
""")
with open(f"{out}/overlay/smp.yaml", "w") as fh:
    fh.write("""apiVersion: apps/v1
kind: Deployment
metadata:
  name: any
spec:
  replicas: 3
  template:
    spec:
      containers:
      - name: main
        env:
        - name: ENV
          value: prod
""")
with open(f"{out}/overlay/json.yaml", "w") as fh:
    fh.write("- op: add\n  path: /metadata/annotations/patched\n  value: \"true\"\n")
