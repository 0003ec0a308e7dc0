#!/usr/bin/env python3
"""Writes the up-* differential cases into cases/: behaviours that kustomize's own tests
(api/krusty/*_test.go, examples/) exercise, with inputs written here (the oracle is
`kubectl kustomize`). gen_cases.py runs this after writing its own cases; run alone, it
rewrites only the up-* directories."""
import os, shutil, textwrap

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "cases")
PREFIX = "up-"
cases = {}


def case(name, files, build=None):
    name = PREFIX + name
    assert name not in cases, name
    files = dict(files)
    if build:
        files["BUILD"] = build
    cases[name] = files


def d(s):
    return textwrap.dedent(s).lstrip("\n")


def k(**fields):
    """A kustomization from keyword arguments whose values are YAML text blocks."""
    return "".join(f"{key}:{val if val.startswith((' ', chr(10))) else chr(10) + val}"
                   for key, val in fields.items())


DEP = d("""
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  selector:
    matchLabels:
      app: api
  template:
    metadata:
      labels:
        app: api
    spec:
      containers:
      - name: api
        image: registry.local/api:1.0
""")
SVC = d("""
apiVersion: v1
kind: Service
metadata:
  name: api
spec:
  selector:
    app: api
  ports:
  - name: http
    port: 8080
    targetPort: 8080
""")
CMAP = d("""
apiVersion: v1
kind: ConfigMap
metadata:
  name: conf
data:
  host: db.local
  port: "5432"
""")


def var(name, kind, rname, path=None, api="v1", ns=None):
    s = f"- name: {name}\n  objref:\n    kind: {kind}\n    name: {rname}\n    apiVersion: {api}\n"
    if ns:
        s = s.replace("    apiVersion", f"    namespace: {ns}\n    apiVersion")
    if path:
        s += f"  fieldref:\n    fieldpath: {path}\n"
    return s


# ================================================================ 1. vars
VDEP = d("""
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  annotations:
    svc-host: $(SVC).svc
    plain: untouched
spec:
  template:
    metadata:
      annotations:
        tmpl: $(SVC)
    spec:
      initContainers:
      - name: init
        image: busybox
        command: ["sh", "-c", "wait-for $(SVC):$(PORT)"]
        env:
        - name: DB
          value: $(DBHOST)
      containers:
      - name: api
        image: registry.local/api:1.0
        args:
        - --port=$(PORT)
        - $(PORT)
        env:
        - name: PORT_EXACT
          value: $(PORT)
        - name: MIXED
          value: x-$(PORT)-y
        volumeMounts:
        - name: data
          mountPath: /srv/$(SVC)
      volumes:
      - name: data
        nfs:
          server: $(DBHOST)
          path: /exports
""")
VARS3 = var("SVC", "Service", "api") + var("PORT", "Service", "api", "spec.ports[0].port") + \
    var("DBHOST", "ConfigMap", "conf", "data.host")
case("vars-default-fields", {"kustomization.yaml": "resources: [d.yaml, s.yaml, c.yaml]\nvars:\n" + VARS3,
                             "d.yaml": VDEP, "s.yaml": SVC, "c.yaml": CMAP})
case("vars-default-fields-prefixed", {"kustomization.yaml": "namePrefix: pre-\nnameSuffix: -suf\nnamespace: team\nresources: [d.yaml, s.yaml, c.yaml]\nvars:\n" + VARS3,
                                      "d.yaml": VDEP, "s.yaml": SVC, "c.yaml": CMAP})
case("vars-base-overlay-prefix", {
    "base/kustomization.yaml": "namePrefix: base-\nresources: [d.yaml, s.yaml, c.yaml]\nvars:\n" + VARS3,
    "base/d.yaml": VDEP, "base/s.yaml": SVC, "base/c.yaml": CMAP,
    "prod/kustomization.yaml": "namePrefix: prod-\nnamespace: prod\nresources: [../base]\n"}, build="prod")
case("err-vars-two-overlays-diff-prefix", {
    "base/kustomization.yaml": "resources: [d.yaml, s.yaml, c.yaml]\nvars:\n" + VARS3,
    "base/d.yaml": VDEP, "base/s.yaml": SVC, "base/c.yaml": CMAP,
    "a/kustomization.yaml": "namePrefix: a-\nresources: [../base]\n",
    "b/kustomization.yaml": "namePrefix: b-\nresources: [../base]\n",
    "top/kustomization.yaml": "resources: [../a, ../b]\n"}, build="top")
case("vars-overlay-refs-base-object", {
    "base/kustomization.yaml": "namePrefix: base-\nresources: [s.yaml, c.yaml]\n", "base/s.yaml": SVC, "base/c.yaml": CMAP,
    "ov/kustomization.yaml": "namePrefix: ov-\nresources: [../base, d.yaml]\nvars:\n" + VARS3, "ov/d.yaml": VDEP}, build="ov")
case("vars-generated-configmap", {"kustomization.yaml": "resources: [d.yaml, s.yaml]\nconfigMapGenerator:\n- name: conf\n  literals: [host=gen.db]\nvars:\n" +
                                  var("SVC", "Service", "api") + var("PORT", "Service", "api", "spec.ports[0].port") +
                                  var("DBHOST", "ConfigMap", "conf", "data.host") + var("CMNAME", "ConfigMap", "conf"),
                                  "d.yaml": VDEP.replace("plain: untouched", "cm: $(CMNAME)"), "s.yaml": SVC})
case("vars-custom-varref-config", {"kustomization.yaml": "resources: [w.yaml, s.yaml]\nconfigurations: [cfg.yaml]\nvars:\n" + var("SVC", "Service", "api") + var("PORT", "Service", "api", "spec.ports[0].port"),
    "cfg.yaml": "varReference:\n- path: spec/backend/url\n  kind: Widget\n- path: spec/ports\n  kind: Widget\n- path: spec/settings\n  kind: Widget\n",
    "s.yaml": SVC,
    "w.yaml": "apiVersion: ex.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  backend:\n    url: http://$(SVC):$(PORT)/\n  ports:\n  - $(PORT)\n  - \"9090\"\n  settings:\n    upstream: $(SVC)\n    port: $(PORT)\n    other: keep\n  notlisted: $(SVC)\n"})
case("vars-custom-varref-configmap-data", {"kustomization.yaml": "resources: [c.yaml, s.yaml]\nconfigurations: [cfg.yaml]\nvars:\n" + var("SVC", "Service", "api"),
    "cfg.yaml": "varReference:\n- path: data\n  kind: ConfigMap\n", "s.yaml": SVC,
    "c.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: props\ndata:\n  url: http://$(SVC)\n  other: $(NOPE)\n"})
case("vars-in-labels-annotations", {"kustomization.yaml": "resources: [c.yaml, s.yaml]\nvars:\n" + var("SVC", "Service", "api"),
    "s.yaml": SVC, "c.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: props\n  labels:\n    svc: $(SVC)\n  annotations:\n    note: uses $(SVC) and $(SVC)\ndata:\n  url: http://$(SVC)\n"})
case("vars-service-ports", {"kustomization.yaml": "resources: [s.yaml, c.yaml]\nvars:\n" + var("P", "ConfigMap", "conf", "data.port"),
    "c.yaml": CMAP, "s.yaml": SVC.replace("port: 8080\n    targetPort: 8080", "port: $(P)\n    targetPort: $(P)")})
case("vars-fieldpath-nested", {"kustomization.yaml": "resources: [d.yaml, src.yaml]\nvars:\n" +
    var("IMG", "Deployment", "src", "spec.template.spec.containers[0].image", api="apps/v1") +
    var("LBL", "Deployment", "src", "metadata.labels.tier", api="apps/v1") +
    var("REP", "Deployment", "src", "spec.replicas", api="apps/v1"),
    "src.yaml": DEP.replace("name: api\nspec:", "name: src\n  labels:\n    tier: backend\nspec:\n  replicas: 3", 1),
    "d.yaml": d("""
    apiVersion: batch/v1
    kind: Job
    metadata:
      name: j
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
          - name: c
            image: busybox
            command: [echo, $(IMG), $(LBL), $(REP)]
            env:
            - name: R
              value: $(REP)
    """)})
case("vars-cronjob-pod-statefulset", {"kustomization.yaml": "resources: [w.yaml, s.yaml]\nvars:\n" + var("SVC", "Service", "api"),
    "s.yaml": SVC, "w.yaml": d("""
    apiVersion: batch/v1
    kind: CronJob
    metadata:
      name: cj
    spec:
      schedule: "* * * * *"
      jobTemplate:
        spec:
          template:
            spec:
              containers:
              - name: c
                image: busybox
                args: [$(SVC)]
              volumes:
              - name: n
                nfs:
                  server: $(SVC)
                  path: /
    ---
    apiVersion: v1
    kind: Pod
    metadata:
      name: p
    spec:
      containers:
      - name: c
        image: busybox
        command: [$(SVC)]
      volumes:
      - name: n
        nfs:
          server: $(SVC)
          path: /
    ---
    apiVersion: apps/v1
    kind: StatefulSet
    metadata:
      name: ss
    spec:
      serviceName: $(SVC)
      template:
        spec:
          containers:
          - name: c
            image: busybox
            env:
            - name: S
              value: $(SVC)
    ---
    apiVersion: v1
    kind: PersistentVolume
    metadata:
      name: pv
    spec:
      nfs:
        server: $(SVC)
        path: /
    """)})
case("vars-objref-namespace", {"kustomization.yaml": "resources: [s.yaml, s2.yaml, d.yaml]\nvars:\n" + var("S", "Service", "api", "metadata.namespace", ns="two"),
    "s.yaml": SVC.replace("name: api\n", "name: api\n  namespace: one\n", 1),
    "s2.yaml": SVC.replace("name: api\n", "name: api\n  namespace: two\n", 1),
    "d.yaml": VDEP.replace("$(SVC)", "$(S)").replace("$(PORT)", "p").replace("$(DBHOST)", "h")})
case("vars-unused-and-escaped", {"kustomization.yaml": "resources: [d.yaml, s.yaml]\nvars:\n" + var("SVC", "Service", "api") + var("UNUSED", "Service", "api"),
    "s.yaml": SVC, "d.yaml": DEP.replace("image: registry.local/api:1.0", "image: registry.local/api:1.0\n        args: [\"$$(SVC)\", \"$(SVC)\", \"$(SVC\", \"$()\", \"$$$(SVC)\"]")})
case("vars-in-component", {"comp/kustomization.yaml": "kind: Component\nvars:\n" + var("SVC", "Service", "api"),
    "kustomization.yaml": "namePrefix: c-\nresources: [d.yaml, s.yaml]\ncomponents: [comp]\n",
    "s.yaml": SVC, "d.yaml": DEP.replace("image: registry.local/api:1.0", "image: registry.local/api:1.0\n        args: [$(SVC)]")})
case("vars-var-to-var-not-recursive", {"kustomization.yaml": "resources: [d.yaml, c.yaml]\nvars:\n" + var("A", "ConfigMap", "conf", "data.a") + var("B", "ConfigMap", "conf", "data.b"),
    "c.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: conf\ndata:\n  a: $(B)\n  b: bee\n",
    "d.yaml": DEP.replace("image: registry.local/api:1.0", "image: registry.local/api:1.0\n        args: [$(A), $(B)]")})
case("err-vars-not-found-after-prefix", {"kustomization.yaml": "namePrefix: p-\nresources: [d.yaml, s.yaml]\nvars:\n" + var("SVC", "Service", "p-api"),
    "s.yaml": SVC, "d.yaml": DEP})
case("err-vars-ambiguous-objref", {"kustomization.yaml": "resources: [s.yaml, s2.yaml, d.yaml]\nvars:\n" + var("S", "Service", "api"),
    "s.yaml": SVC.replace("name: api\n", "name: api\n  namespace: one\n", 1),
    "s2.yaml": SVC.replace("name: api\n", "name: api\n  namespace: two\n", 1), "d.yaml": DEP})
case("err-vars-conflict-two-bases", {
    "a/kustomization.yaml": "namePrefix: a-\nresources: [s.yaml]\nvars:\n" + var("SVC", "Service", "api"), "a/s.yaml": SVC,
    "b/kustomization.yaml": "namePrefix: b-\nresources: [s.yaml]\nvars:\n" + var("SVC", "Service", "api"), "b/s.yaml": SVC,
    "kustomization.yaml": "resources: [a, b]\n"})
case("err-vars-bad-fieldpath", {"kustomization.yaml": "resources: [d.yaml, s.yaml]\nvars:\n" + var("X", "Service", "api", "spec.nothere"),
    "s.yaml": SVC, "d.yaml": DEP})
case("err-vars-non-string-in-list", {"kustomization.yaml": "resources: [w.yaml, s.yaml]\nconfigurations: [cfg.yaml]\nvars:\n" + var("SVC", "Service", "api"),
    "cfg.yaml": "varReference:\n- path: spec/items\n  kind: Widget\n", "s.yaml": SVC,
    "w.yaml": "apiVersion: ex.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  items:\n  - $(SVC)\n  - a: b\n"})


def main():
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):
        if name.startswith(PREFIX):
            shutil.rmtree(os.path.join(OUT, name))
    for name, files in cases.items():
        for rel, content in files.items():
            p = os.path.join(OUT, name, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb") as f:
                f.write(content.encode("latin-1") if isinstance(content, str) and content.startswith("\x00BIN") else
                        content if isinstance(content, bytes) else content.encode("utf-8"))
        os.makedirs(os.path.join(OUT, name), exist_ok=True)
    print(len(cases), "up-* cases")


if __name__ == "__main__":
    main()
