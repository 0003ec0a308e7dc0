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


# ================================================================ 2. configurations
GIRAFFE = d("""
apiVersion: zoo.example.com/v1
kind: Giraffe
metadata:
  name: gerry
  labels:
    animal: giraffe
spec:
  diet: $(DIET)
  configRef: food
  secretRef:
    name: keeper
  serviceName: api
  selector:
    matchLabels:
      animal: giraffe
  herd:
    replicas: 1
  targetNamespace: none
  alias: gerry-alias
""")
PARK = d("""
apiVersion: zoo.example.com/v1
kind: AnimalPark
metadata:
  name: park
spec:
  giraffeRef:
    name: gerry
  residents:
  - gerry
  - other
""")
ZOO_CFG = d("""
nameReference:
- kind: ConfigMap
  fieldSpecs:
  - path: spec/configRef
    kind: Giraffe
- kind: Secret
  fieldSpecs:
  - path: spec/secretRef/name
    kind: Giraffe
- kind: Service
  version: v1
  fieldSpecs:
  - path: spec/serviceName
    kind: Giraffe
- kind: Giraffe
  group: zoo.example.com
  fieldSpecs:
  - path: spec/giraffeRef/name
    kind: AnimalPark
  - path: spec/residents
    kind: AnimalPark
commonLabels:
- path: spec/selector/matchLabels
  kind: Giraffe
  create: true
varReference:
- path: spec/diet
  kind: Giraffe
""")
ZOO_GEN = "configMapGenerator:\n- name: food\n  literals: [kind=leaves]\nsecretGenerator:\n- name: keeper\n  literals: [pw=x]\n"
case("cfg-zoo-nameref-labels-vars", {"kustomization.yaml": "namePrefix: zoo-\ncommonLabels:\n  env: test\nresources: [g.yaml, p.yaml, s.yaml]\nconfigurations: [cfg.yaml]\n" + ZOO_GEN +
                                     "vars:\n" + var("DIET", "ConfigMap", "food"),
                                     "g.yaml": GIRAFFE, "p.yaml": PARK, "s.yaml": SVC, "cfg.yaml": ZOO_CFG})
case("cfg-zoo-without-config", {"kustomization.yaml": "namePrefix: zoo-\ncommonLabels:\n  env: test\nresources: [g.yaml, p.yaml, s.yaml]\n" + ZOO_GEN,
                                "g.yaml": GIRAFFE.replace("$(DIET)", "grass"), "p.yaml": PARK, "s.yaml": SVC})
case("cfg-in-base-used-by-overlay", {
    "base/kustomization.yaml": "resources: [g.yaml, p.yaml, s.yaml]\nconfigurations: [cfg.yaml]\n" + ZOO_GEN,
    "base/g.yaml": GIRAFFE.replace("$(DIET)", "grass"), "base/p.yaml": PARK, "base/s.yaml": SVC, "base/cfg.yaml": ZOO_CFG,
    "ov/kustomization.yaml": "namePrefix: ov-\nnamespace: zoo\ncommonLabels:\n  tier: overlay\nresources: [../base]\nconfigMapGenerator:\n- name: food\n  behavior: merge\n  literals: [extra=1]\n"}, build="ov")
case("cfg-in-overlay-for-base-objects", {
    "base/kustomization.yaml": "namePrefix: b-\nresources: [g.yaml, p.yaml, s.yaml]\n" + ZOO_GEN,
    "base/g.yaml": GIRAFFE.replace("$(DIET)", "grass"), "base/p.yaml": PARK, "base/s.yaml": SVC,
    "ov/kustomization.yaml": "namePrefix: ov-\ncommonLabels:\n  tier: overlay\nresources: [../base]\nconfigurations: [cfg.yaml]\n", "ov/cfg.yaml": ZOO_CFG}, build="ov")
case("cfg-nameprefix-custom-path", {"kustomization.yaml": "namePrefix: p-\nnameSuffix: -s\nresources: [g.yaml]\nconfigurations: [cfg.yaml]\n",
    "g.yaml": GIRAFFE.replace("$(DIET)", "grass"),
    "cfg.yaml": "namePrefix:\n- path: spec/alias\n  kind: Giraffe\nnameSuffix:\n- path: spec/alias\n  kind: Giraffe\n"})
case("cfg-nameprefix-only-custom-kind", {"kustomization.yaml": "namePrefix: p-\nresources: [g.yaml, c.yaml]\nconfigurations: [cfg.yaml]\n",
    "g.yaml": GIRAFFE.replace("$(DIET)", "grass"), "c.yaml": CMAP,
    "cfg.yaml": "namePrefix:\n- path: metadata/name\n  kind: Giraffe\n"})
case("cfg-namespace-annotations-replicas-images", {"kustomization.yaml": "namespace: zoo\ncommonAnnotations:\n  owner: keeper\nreplicas:\n- name: gerry\n  count: 4\nimages:\n- name: leaves\n  newTag: fresh\nresources: [g.yaml]\nconfigurations: [cfg.yaml]\n",
    "g.yaml": GIRAFFE.replace("$(DIET)", "grass") + "  food:\n    image: leaves:old\n",
    "cfg.yaml": "namespace:\n- path: spec/targetNamespace\n  kind: Giraffe\n  create: true\ncommonAnnotations:\n- path: spec/herd/annotations\n  kind: Giraffe\n  create: true\nreplicas:\n- path: spec/herd/replicas\n  kind: Giraffe\nimages:\n- path: spec/food/image\n  kind: Giraffe\n"})
case("cfg-overspecify-defaults", {"kustomization.yaml": "namePrefix: p-\ncommonLabels:\n  a: b\nresources: [d.yaml, c.yaml]\nconfigurations: [cfg.yaml]\n",
    "d.yaml": DEP.replace("image: registry.local/api:1.0", "image: registry.local/api:1.0\n        envFrom:\n        - configMapRef:\n            name: conf"), "c.yaml": CMAP,
    "cfg.yaml": "commonLabels:\n- path: metadata/labels\n  create: true\n- path: spec/selector/matchLabels\n  create: true\n  kind: Deployment\nnamePrefix:\n- path: metadata/name\nnameReference:\n- kind: ConfigMap\n  version: v1\n  fieldSpecs:\n  - path: spec/template/spec/containers/envFrom/configMapRef/name\n    kind: Deployment\n"})
case("err-cfg-conflicting-fieldspec", {"kustomization.yaml": "commonLabels:\n  a: b\nresources: [d.yaml]\nconfigurations: [cfg.yaml]\n",
    "d.yaml": DEP, "cfg.yaml": "commonLabels:\n- path: metadata/labels\n  create: false\n"})
case("cfg-two-files-merged", {"kustomization.yaml": "namePrefix: p-\nresources: [g.yaml, p.yaml, s.yaml]\nconfigurations: [a.yaml, b.yaml]\n" + ZOO_GEN,
    "g.yaml": GIRAFFE.replace("$(DIET)", "grass"), "p.yaml": PARK, "s.yaml": SVC,
    "a.yaml": "nameReference:\n- kind: ConfigMap\n  fieldSpecs:\n  - path: spec/configRef\n    kind: Giraffe\n",
    "b.yaml": "nameReference:\n- kind: ConfigMap\n  fieldSpecs:\n  - path: spec/secretRef/name\n    kind: Giraffe\n- kind: Giraffe\n  fieldSpecs:\n  - path: spec/residents\n    kind: AnimalPark\n"})
case("cfg-unknown-field", {"kustomization.yaml": "resources: [c.yaml]\nconfigurations: [cfg.yaml]\n", "c.yaml": CMAP,
    "cfg.yaml": "nameReference: []\nbogus:\n- path: x\n"})
case("cfg-empty-file", {"kustomization.yaml": "namePrefix: p-\nresources: [c.yaml]\nconfigurations: [cfg.yaml]\n", "c.yaml": CMAP, "cfg.yaml": ""})
case("cfg-nameref-crd-in-component", {"comp/kustomization.yaml": "kind: Component\nconfigurations: [cfg.yaml]\n", "comp/cfg.yaml": ZOO_CFG,
    "kustomization.yaml": "namePrefix: c-\nresources: [g.yaml, p.yaml, s.yaml]\ncomponents: [comp]\n" + ZOO_GEN,
    "g.yaml": GIRAFFE.replace("$(DIET)", "grass"), "p.yaml": PARK, "s.yaml": SVC})

# ================================================================ 3. builtin plugin configs
LBL_T = "apiVersion: builtin\nkind: LabelTransformer\nmetadata:\n  name: team-labels\nlabels:\n  team: zoo\nfieldSpecs:\n- path: metadata/labels\n  create: true\n- path: spec/selector/matchLabels\n  kind: Deployment\n  create: true\n- path: spec/template/metadata/labels\n  kind: Deployment\n  create: true\n"
ANN_T = "apiVersion: builtin\nkind: AnnotationsTransformer\nmetadata:\n  name: notes\nannotations:\n  note: from-plugin\nfieldSpecs:\n- path: metadata/annotations\n  create: true\n"
PFX_T = "apiVersion: builtin\nkind: PrefixSuffixTransformer\nmetadata:\n  name: ps\nprefix: pp-\nsuffix: -ss\nfieldSpecs:\n- path: metadata/name\n"
case("plugin-reusable-dir", {"transformers/kustomization.yaml": "resources: [labels.yaml, notes.yaml]\n",
    "transformers/labels.yaml": LBL_T, "transformers/notes.yaml": ANN_T,
    "app/kustomization.yaml": "resources: [d.yaml, s.yaml]\ntransformers: [../transformers]\n", "app/d.yaml": DEP, "app/s.yaml": SVC}, build="app")
case("plugin-reusable-dir-transformed", {"transformers/kustomization.yaml": "resources: [labels.yaml, notes.yaml]\ncommonAnnotations:\n  ignored: by-plugin\nnamePrefix: x-\n",
    "transformers/labels.yaml": LBL_T, "transformers/notes.yaml": ANN_T,
    "app/kustomization.yaml": "resources: [d.yaml]\ntransformers: [../transformers, extra.yaml]\n", "app/d.yaml": DEP, "app/extra.yaml": PFX_T}, build="app")
case("plugin-reusable-dir-patched", {"transformers/base/kustomization.yaml": "resources: [labels.yaml]\n",
    "transformers/base/labels.yaml": LBL_T,
    "transformers/prod/kustomization.yaml": "resources: [../base]\npatches:\n- target:\n    kind: LabelTransformer\n  patch: |-\n    - op: replace\n      path: /labels/team\n      value: prod-zoo\n",
    "app/kustomization.yaml": "resources: [d.yaml]\ntransformers: [../transformers/prod]\n", "app/d.yaml": DEP}, build="app")
case("plugin-generators-dir", {"gens/kustomization.yaml": "resources: [cm.yaml]\n",
    "gens/cm.yaml": "apiVersion: builtin\nkind: ConfigMapGenerator\nmetadata:\n  name: shared\nliterals:\n- a=1\n",
    "app/kustomization.yaml": "resources: [d.yaml]\ngenerators: [../gens]\n", "app/d.yaml": DEP.replace("image: registry.local/api:1.0", "image: registry.local/api:1.0\n        envFrom:\n        - configMapRef:\n            name: shared")}, build="app")
case("plugin-prefixsuffix-fieldspecs", {"kustomization.yaml": "resources: [d.yaml, s.yaml, g.yaml]\ntransformers: [t.yaml]\n", "d.yaml": DEP, "s.yaml": SVC,
    "g.yaml": GIRAFFE.replace("$(DIET)", "grass"),
    "t.yaml": "apiVersion: builtin\nkind: PrefixSuffixTransformer\nmetadata:\n  name: ps\nprefix: pp-\nsuffix: -ss\nfieldSpecs:\n- path: metadata/name\n  kind: Deployment\n- path: spec/alias\n  kind: Giraffe\n"})
case("plugin-prefix-then-suffix-refs", {"kustomization.yaml": "resources: [d.yaml]\nconfigMapGenerator:\n- name: conf\n  literals: [a=1]\ntransformers: [t.yaml]\n",
    "d.yaml": DEP.replace("image: registry.local/api:1.0", "image: registry.local/api:1.0\n        envFrom:\n        - configMapRef:\n            name: conf"),
    "t.yaml": "apiVersion: builtin\nkind: PrefixTransformer\nmetadata:\n  name: p\nprefix: pre-\nfieldSpecs:\n- path: metadata/name\n---\napiVersion: builtin\nkind: SuffixTransformer\nmetadata:\n  name: s\nsuffix: -post\nfieldSpecs:\n- path: metadata/name\n"})
case("plugin-patch-original-name", {"base/kustomization.yaml": "namePrefix: b-\nresources: [d.yaml, s.yaml]\n", "base/d.yaml": DEP, "base/s.yaml": SVC,
    "kustomization.yaml": "namePrefix: o-\nresources: [base]\ntransformers: [t.yaml]\n",
    "t.yaml": "apiVersion: builtin\nkind: PatchTransformer\nmetadata:\n  name: p\ntarget:\n  kind: Deployment\n  name: api\npatch: |-\n  - op: add\n    path: /metadata/annotations\n    value: {patched: original-name}\n---\napiVersion: builtin\nkind: PatchTransformer\nmetadata:\n  name: q\ntarget:\n  name: o-b-api\n  kind: Service\npatch: |-\n  apiVersion: v1\n  kind: Service\n  metadata:\n    name: whatever\n    annotations:\n      patched: current-name\n"})
case("plugin-patch-smp-original-name", {"base/kustomization.yaml": "namePrefix: b-\nresources: [d.yaml]\n", "base/d.yaml": DEP,
    "kustomization.yaml": "resources: [base]\ntransformers: [t.yaml]\n",
    "t.yaml": "apiVersion: builtin\nkind: PatchTransformer\nmetadata:\n  name: p\npatch: |-\n  apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: api\n  spec:\n    replicas: 5\n"})
case("plugin-patch-kind-change", {"kustomization.yaml": "resources: [d.yaml, s.yaml]\ntransformers: [t.yaml]\n", "d.yaml": DEP, "s.yaml": SVC,
    "t.yaml": "apiVersion: builtin\nkind: PatchTransformer\nmetadata:\n  name: p\ntarget:\n  kind: Deployment\n  name: api\noptions:\n  allowKindChange: true\n  allowNameChange: true\npatch: |-\n  apiVersion: apps/v1\n  kind: StatefulSet\n  metadata:\n    name: api-set\n"})
case("plugin-patch-then-nameref", {"kustomization.yaml": "namePrefix: x-\nresources: [d.yaml, c.yaml]\ntransformers: [t.yaml]\n", "d.yaml": DEP, "c.yaml": CMAP,
    "t.yaml": "apiVersion: builtin\nkind: PatchTransformer\nmetadata:\n  name: p\ntarget:\n  kind: Deployment\npatch: |-\n  - op: add\n    path: /spec/template/spec/volumes\n    value:\n    - name: c\n      configMap:\n        name: conf\n"})
case("plugin-valueadd-namespace", {"kustomization.yaml": "resources: [d.yaml, s.yaml]\ntransformers: [t.yaml]\n", "d.yaml": DEP, "s.yaml": SVC,
    "t.yaml": "apiVersion: builtin\nkind: ValueAddTransformer\nmetadata:\n  name: v\nvalue: added-ns\ntargets:\n- selector:\n    kind: Deployment\n  fieldPath: metadata/namespace\n"})
case("plugin-valueadd-path-and-all", {"kustomization.yaml": "resources: [d.yaml, s.yaml, c.yaml]\ntransformers: [t.yaml]\n", "d.yaml": DEP, "s.yaml": SVC, "c.yaml": CMAP,
    "t.yaml": "apiVersion: builtin\nkind: ValueAddTransformer\nmetadata:\n  name: v\nvalue: flowers\ntargets:\n- fieldPath: metadata/annotations/garden\n- selector:\n    kind: ConfigMap\n  fieldPath: data/plant\n"})
case("plugin-configmap-generator-options", {"kustomization.yaml": "resources: [d.yaml]\ngenerators: [g.yaml]\n", "d.yaml": DEP, "env": "A=1\nB=two\n",
    "g.yaml": "apiVersion: builtin\nkind: ConfigMapGenerator\nmetadata:\n  name: plug\n  namespace: gen\nenvs: [env]\nliterals: [C=3]\noptions:\n  labels:\n    from: plugin\n  annotations:\n    note: x\n  disableNameSuffixHash: false\n---\napiVersion: builtin\nkind: SecretGenerator\nmetadata:\n  name: plugsec\ntype: kubernetes.io/tls\nliterals:\n- tls.crt=CERT\n- tls.key=KEY\noptions:\n  disableNameSuffixHash: true\n"})
case("plugin-generator-behavior-merge", {"base/kustomization.yaml": "configMapGenerator:\n- name: conf\n  literals: [a=1, b=2]\n",
    "kustomization.yaml": "resources: [base]\ngenerators: [g.yaml]\n",
    "g.yaml": "apiVersion: builtin\nkind: ConfigMapGenerator\nmetadata:\n  name: conf\nbehavior: merge\nliterals: [b=3, c=4]\n"})
case("plugin-labels-selectors-and-annotations-inline", {"kustomization.yaml": "resources: [d.yaml, s.yaml]\ntransformers:\n- |-\n" + "".join("  " + l + "\n" for l in LBL_T.splitlines()) + "- notes.yaml\n",
    "d.yaml": DEP, "s.yaml": SVC, "notes.yaml": ANN_T})
case("plugin-namespace-unset-only", {"kustomization.yaml": "resources: [d.yaml, s.yaml]\ntransformers: [t.yaml]\n", "d.yaml": DEP.replace("name: api\n", "name: api\n  namespace: keep\n", 1), "s.yaml": SVC,
    "t.yaml": "apiVersion: builtin\nkind: NamespaceTransformer\nmetadata:\n  name: n\n  namespace: fallback\nunsetOnly: true\nfieldSpecs:\n- path: metadata/namespace\n  create: true\n"})
case("plugin-hash-transformer", {"kustomization.yaml": "resources: [c.yaml]\ntransformers: [t.yaml]\n", "c.yaml": CMAP,
    "t.yaml": "apiVersion: builtin\nkind: HashTransformer\nmetadata:\n  name: h\n"})
case("err-plugin-unknown-builtin", {"kustomization.yaml": "resources: [c.yaml]\ntransformers: [t.yaml]\n", "c.yaml": CMAP,
    "t.yaml": "apiVersion: builtin\nkind: NoSuchTransformer\nmetadata:\n  name: h\n"})
case("err-plugin-patch-no-patch", {"kustomization.yaml": "resources: [c.yaml]\ntransformers: [t.yaml]\n", "c.yaml": CMAP,
    "t.yaml": "apiVersion: builtin\nkind: PatchTransformer\nmetadata:\n  name: p\ntarget:\n  kind: ConfigMap\n"})
case("plugin-valueadd-filepath-position", {"kustomization.yaml": "resources: [w.yaml]\ntransformers: [t.yaml]\n",
    "w.yaml": "apiVersion: ex.com/v1\nkind: Store\nmetadata:\n  name: s\nspec:\n  path: /data/app/current\n  other: a/b\n",
    "t.yaml": "apiVersion: builtin\nkind: ValueAddTransformer\nmetadata:\n  name: v\nvalue: tenant1\ntargets:\n- selector:\n    kind: Store\n  fieldPath: spec/path\n  filePathPosition: 2\n- fieldPath: spec/other\n  filePathPosition: 9\n- fieldPath: spec/fresh\n  filePathPosition: 1\n"})
case("plugin-valueadd-default-value", {"kustomization.yaml": "resources: [c.yaml]\ntransformers: [t.yaml]\n", "c.yaml": CMAP,
    "t.yaml": "apiVersion: builtin\nkind: ValueAddTransformer\nmetadata:\n  name: v\ntargets:\n- fieldPath: metadata/namespace\n"})
case("plugin-valueadd-label-selector", {"kustomization.yaml": "resources: [d.yaml, s.yaml]\ntransformers: [t.yaml]\n", "d.yaml": DEP.replace("name: api\n", "name: api\n  labels:\n    tier: web\n", 1), "s.yaml": SVC,
    "t.yaml": "apiVersion: builtin\nkind: ValueAddTransformer\nmetadata:\n  name: v\nvalue: web-ns\ntargets:\n- selector:\n    labelSelector: tier=web\n  fieldPath: metadata/namespace\n"})
case("plugin-dir-mixed-with-file-and-inline", {"tr/kustomization.yaml": "resources: [a.yaml]\n", "tr/a.yaml": ANN_T,
    "kustomization.yaml": "resources: [d.yaml]\ntransformers:\n- tr\n- p.yaml\n- |-\n  apiVersion: builtin\n  kind: PrefixTransformer\n  metadata:\n    name: inl\n  prefix: inl-\n  fieldSpecs:\n  - path: metadata/name\n", "d.yaml": DEP, "p.yaml": PFX_T})


# ================================================================ 4. a Component at the top
case("comp-top-basic", {"kustomization.yaml": "kind: Component\napiVersion: kustomize.config.k8s.io/v1alpha1\nnamePrefix: c-\ncommonLabels:\n  c: top\nresources: [d.yaml, s.yaml]\nconfigMapGenerator:\n- name: conf\n  literals: [a=1]\n", "d.yaml": DEP, "s.yaml": SVC})
case("comp-top-with-components", {"kustomization.yaml": "kind: Component\nresources: [d.yaml]\ncomponents: [inner]\nnameSuffix: -top\n", "d.yaml": DEP,
    "inner/kustomization.yaml": "kind: Component\npatches:\n- target:\n    kind: Deployment\n  patch: |-\n    - op: add\n      path: /spec/replicas\n      value: 2\nconfigMapGenerator:\n- name: inner\n  literals: [x=y]\n"})
case("comp-top-with-base", {"base/kustomization.yaml": "resources: [d.yaml]\nconfigMapGenerator:\n- name: conf\n  literals: [a=1]\n", "base/d.yaml": DEP,
    "kustomization.yaml": "kind: Component\nresources: [base]\nconfigMapGenerator:\n- name: conf\n  behavior: merge\n  literals: [b=2]\nimages:\n- name: registry.local/api\n  newTag: \"2.0\"\n"})
case("comp-top-empty", {"kustomization.yaml": "kind: Component\napiVersion: kustomize.config.k8s.io/v1alpha1\n"})
case("err-comp-top-merge-without-base", {"kustomization.yaml": "kind: Component\nconfigMapGenerator:\n- name: conf\n  behavior: merge\n  literals: [b=2]\n"})
case("err-comp-top-bad-apiversion", {"kustomization.yaml": "kind: Component\napiVersion: kustomize.config.k8s.io/v1beta1\nresources: [d.yaml]\n", "d.yaml": DEP})

# ================================================================ 5. generator merge and replace
GBASE = {"base/kustomization.yaml": "namespace: ns1\nresources: [d.yaml]\nconfigMapGenerator:\n- name: conf\n  literals: [a=1, b=2]\nsecretGenerator:\n- name: sec\n  literals: [u=x]\n",
         "base/d.yaml": DEP.replace("image: registry.local/api:1.0", "image: registry.local/api:1.0\n        envFrom:\n        - configMapRef:\n            name: conf\n        - secretRef:\n            name: sec")}
case("gen-merge-base-namespace", dict(GBASE, **{"kustomization.yaml": "resources: [base]\nconfigMapGenerator:\n- name: conf\n  behavior: merge\n  literals: [b=3, c=4]\nsecretGenerator:\n- name: sec\n  behavior: replace\n  literals: [p=y]\n"}))
case("gen-merge-base-namespace-explicit", dict(GBASE, **{"kustomization.yaml": "resources: [base]\nconfigMapGenerator:\n- name: conf\n  namespace: ns1\n  behavior: merge\n  literals: [b=3]\n"}))
case("gen-merge-base-namespace-overlay-ns", dict(GBASE, **{"kustomization.yaml": "namespace: ns2\nnamePrefix: o-\nresources: [base]\nconfigMapGenerator:\n- name: conf\n  behavior: merge\n  literals: [b=3]\n"}))
case("err-gen-merge-wrong-namespace", dict(GBASE, **{"kustomization.yaml": "resources: [base]\nconfigMapGenerator:\n- name: conf\n  namespace: other\n  behavior: merge\n  literals: [b=3]\n"}))
case("gen-replace-then-merge-chain", dict(GBASE, **{"mid/kustomization.yaml": "resources: [../base]\nconfigMapGenerator:\n- name: conf\n  behavior: replace\n  literals: [z=0]\n",
    "kustomization.yaml": "resources: [mid]\nconfigMapGenerator:\n- name: conf\n  behavior: merge\n  literals: [y=9]\n  options:\n    labels:\n      merged: \"yes\"\n"}))
DIA = {"base/kustomization.yaml": "resources: [d.yaml]\nconfigMapGenerator:\n- name: conf\n  literals: [a=1]\n", "base/d.yaml": GBASE["base/d.yaml"].replace("        - secretRef:\n            name: sec\n", ""),
       "left/kustomization.yaml": "namePrefix: l-\nresources: [../base]\nconfigMapGenerator:\n- name: conf\n  behavior: merge\n  literals: [l=1]\n",
       "right/kustomization.yaml": "namePrefix: r-\nresources: [../base]\nconfigMapGenerator:\n- name: conf\n  behavior: merge\n  literals: [r=1]\n"}
case("gen-merge-diamond", dict(DIA, **{"kustomization.yaml": "resources: [left, right]\n"}))
case("gen-merge-diamond-top-merge-left", dict(DIA, **{"kustomization.yaml": "resources: [left, right]\nconfigMapGenerator:\n- name: l-conf\n  behavior: merge\n  literals: [top=1]\n"}))
case("err-gen-merge-diamond-ambiguous", dict(DIA, **{"kustomization.yaml": "resources: [left, right]\nconfigMapGenerator:\n- name: conf\n  behavior: merge\n  literals: [top=1]\n"}))
case("gen-merge-diamond-namespaced", {"base/kustomization.yaml": "resources: [d.yaml]\nconfigMapGenerator:\n- name: conf\n  literals: [a=1]\n", "base/d.yaml": DIA["base/d.yaml"],
    "east/kustomization.yaml": "namespace: east\nresources: [../base]\nconfigMapGenerator:\n- name: conf\n  behavior: merge\n  literals: [zone=east]\n",
    "west/kustomization.yaml": "namespace: west\nresources: [../base]\nconfigMapGenerator:\n- name: conf\n  behavior: replace\n  literals: [zone=west]\n",
    "kustomization.yaml": "resources: [east, west]\nconfigMapGenerator:\n- name: conf\n  namespace: west\n  behavior: merge\n  literals: [top=1]\n"})
case("gen-namespaced-same-name", {"kustomization.yaml": "configMapGenerator:\n- name: conf\n  namespace: a\n  literals: [x=1]\n- name: conf\n  namespace: b\n  literals: [x=2]\nsecretGenerator:\n- name: conf\n  namespace: a\n  literals: [x=1]\n"})
case("gen-merge-component-into-base-ns", dict(GBASE, **{"comp/kustomization.yaml": "kind: Component\nconfigMapGenerator:\n- name: conf\n  behavior: merge\n  literals: [fromcomp=1]\n",
    "kustomization.yaml": "resources: [base]\ncomponents: [comp]\n"}))

# ================================================================ 6. name references through namespaces
WEBHOOK_SVC = SVC.replace("name: api\n", "name: hook\n", 1)
VWC = d("""
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: validator
webhooks:
- name: v.example.com
  clientConfig:
    service:
      name: hook
      namespace: default
      path: /validate
  admissionReviewVersions: [v1]
  sideEffects: None
- name: other.example.com
  clientConfig:
    service:
      name: hook
      namespace: elsewhere
  admissionReviewVersions: [v1]
  sideEffects: None
""")
case("nsref-webhooks", {"kustomization.yaml": "namespace: system\nnamePrefix: p-\nresources: [s.yaml, v.yaml, m.yaml]\n", "s.yaml": WEBHOOK_SVC, "v.yaml": VWC,
    "m.yaml": VWC.replace("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration").replace("name: validator", "name: mutator")})
case("nsref-webhooks-service-in-base", {"base/kustomization.yaml": "namespace: hooks\nresources: [s.yaml]\n", "base/s.yaml": WEBHOOK_SVC,
    "kustomization.yaml": "namePrefix: top-\nresources: [base, v.yaml]\n", "v.yaml": VWC.replace("namespace: default", "namespace: hooks")})
CRD = d("""
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: giraffes.zoo.example.com
spec:
  group: zoo.example.com
  names:
    kind: Giraffe
    plural: giraffes
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
  conversion:
    strategy: Webhook
    webhook:
      conversionReviewVersions: [v1]
      clientConfig:
        service:
          name: hook
          namespace: default
          path: /convert
""")
case("nsref-crd-conversion-webhook", {"kustomization.yaml": "namespace: system\nnamePrefix: p-\nnameSuffix: -s\nresources: [s.yaml, crd.yaml]\n", "s.yaml": WEBHOOK_SVC, "crd.yaml": CRD})
RBAC = d("""
apiVersion: v1
kind: ServiceAccount
metadata:
  name: runner
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: reader
rules:
- apiGroups: [""]
  resources: [pods]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: cluster-reader
rules:
- apiGroups: [""]
  resources: [nodes]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: bind
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: reader
subjects:
- kind: ServiceAccount
  name: runner
- kind: ServiceAccount
  name: runner
  namespace: other
- kind: ServiceAccount
  name: default
- kind: User
  name: runner
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: cbind
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cluster-reader
subjects:
- kind: ServiceAccount
  name: runner
  namespace: default
""")
case("nsref-rbac-prefix-namespace", {"kustomization.yaml": "namespace: apps\nnamePrefix: p-\nresources: [r.yaml]\n", "r.yaml": RBAC})
case("nsref-rbac-base-namespace-overlay-prefix", {"base/kustomization.yaml": "namespace: apps\nresources: [r.yaml]\n", "base/r.yaml": RBAC,
    "kustomization.yaml": "namePrefix: o-\nnameSuffix: -x\nresources: [base]\n"})
case("nsref-rbac-two-namespaces", {"a/kustomization.yaml": "namespace: a\nnamePrefix: a-\nresources: [r.yaml]\n", "a/r.yaml": RBAC.split("---\n")[0] + "---\n" + RBAC.split("---\n")[1] + "---\n" + RBAC.split("---\n")[3],
    "b/kustomization.yaml": "namespace: b\nnamePrefix: b-\nresources: [r.yaml]\n", "b/r.yaml": RBAC.split("---\n")[0] + "---\n" + RBAC.split("---\n")[1] + "---\n" + RBAC.split("---\n")[3],
    "kustomization.yaml": "resources: [a, b, crb.yaml]\n", "crb.yaml": RBAC.split("---\n")[2] + "---\n" + RBAC.split("---\n")[4].replace("  namespace: default\n", "  namespace: a\n- kind: ServiceAccount\n  name: runner\n  namespace: b\n")})
case("nsref-roleref-clusterrole-from-rolebinding", {"kustomization.yaml": "namePrefix: p-\nresources: [r.yaml]\n",
    "r.yaml": RBAC.split("---\n")[2] + "---\n" + RBAC.split("---\n")[3].replace("kind: Role\n  name: reader", "kind: ClusterRole\n  name: cluster-reader")})
case("nsref-apiservice-and-admission-policy", {"kustomization.yaml": "namespace: system\nnamePrefix: p-\nresources: [s.yaml, a.yaml]\n", "s.yaml": WEBHOOK_SVC,
    "a.yaml": d("""
    apiVersion: apiregistration.k8s.io/v1
    kind: APIService
    metadata:
      name: v1.zoo.example.com
    spec:
      group: zoo.example.com
      version: v1
      groupPriorityMinimum: 100
      versionPriority: 10
      service:
        name: hook
        namespace: default
    ---
    apiVersion: admissionregistration.k8s.io/v1
    kind: ValidatingAdmissionPolicy
    metadata:
      name: policy
    spec:
      failurePolicy: Fail
      paramKind:
        apiVersion: v1
        kind: ConfigMap
      matchConstraints:
        resourceRules:
        - apiGroups: [apps]
          apiVersions: [v1]
          operations: [CREATE]
          resources: [deployments]
      validations:
      - expression: "true"
    ---
    apiVersion: admissionregistration.k8s.io/v1
    kind: ValidatingAdmissionPolicyBinding
    metadata:
      name: policy-binding
    spec:
      policyName: policy
      paramRef:
        name: params
        namespace: default
      validationActions: [Deny]
    ---
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: params
    data:
      a: b
    """)})
case("nsref-serviceaccounts-overlapping", {"kustomization.yaml": "namePrefix: p-\nresources: [r.yaml]\n",
    "r.yaml": d("""
    apiVersion: v1
    kind: ServiceAccount
    metadata:
      name: sa
      namespace: one
    ---
    apiVersion: v1
    kind: ServiceAccount
    metadata:
      name: sa
      namespace: two
    ---
    apiVersion: rbac.authorization.k8s.io/v1
    kind: ClusterRoleBinding
    metadata:
      name: crb
    roleRef:
      apiGroup: rbac.authorization.k8s.io
      kind: ClusterRole
      name: view
    subjects:
    - kind: ServiceAccount
      name: sa
      namespace: one
    - kind: ServiceAccount
      name: sa
      namespace: two
    - kind: ServiceAccount
      name: sa
      namespace: three
    """)})

# ================================================================ 7. invalid input kustomize rejects
case("err-blank-namespace-resource", {"kustomization.yaml": "resources: [c.yaml]\n", "c.yaml": CMAP.replace("name: conf\n", "name: conf\n  namespace: \" \"\n")})
case("blank-namespace-empty-string", {"kustomization.yaml": "namespace: \"\"\nresources: [c.yaml]\n", "c.yaml": CMAP.replace("name: conf\n", "name: conf\n  namespace: \"\"\n")})
case("err-blank-namespace-field", {"kustomization.yaml": "namespace: \" \"\nresources: [c.yaml]\n", "c.yaml": CMAP})
case("err-blank-namespace-generator", {"kustomization.yaml": "configMapGenerator:\n- name: x\n  namespace: \"  \"\n  literals: [a=b]\n"})
case("err-empty-patch-file-patches", {"kustomization.yaml": "resources: [c.yaml]\npatches:\n- path: p.yaml\n", "c.yaml": CMAP, "p.yaml": ""})
case("err-empty-patch-file-psm", {"kustomization.yaml": "resources: [c.yaml]\npatchesStrategicMerge: [p.yaml]\n", "c.yaml": CMAP, "p.yaml": "# nothing\n"})
case("err-empty-patch-inline", {"kustomization.yaml": "resources: [c.yaml]\npatches:\n- patch: \"\"\n  target:\n    kind: ConfigMap\n", "c.yaml": CMAP})
case("err-empty-smp-inline-psm", {"kustomization.yaml": "resources: [c.yaml]\npatchesStrategicMerge:\n- |-\n  # only a comment\n", "c.yaml": CMAP})
case("err-patch-several-deletes", {"kustomization.yaml": "resources: [c.yaml, d.yaml]\npatches:\n- path: p.yaml\n", "c.yaml": CMAP, "d.yaml": DEP,
    "p.yaml": "$patch: delete\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: conf\n---\n$patch: delete\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n"})
case("patch-several-deletes-psm", {"kustomization.yaml": "resources: [c.yaml, d.yaml, s.yaml]\npatchesStrategicMerge: [p.yaml]\n", "c.yaml": CMAP, "d.yaml": DEP, "s.yaml": SVC,
    "p.yaml": "$patch: delete\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: conf\n---\n$patch: delete\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n"})
case("err-conflict-two-bases", {"a/kustomization.yaml": "resources: [c.yaml]\n", "a/c.yaml": CMAP, "b/kustomization.yaml": "resources: [c.yaml]\n",
    "b/c.yaml": CMAP.replace("db.local", "db.other"), "kustomization.yaml": "resources: [a, b]\n"})
case("err-conflict-two-bases-generated", {"a/kustomization.yaml": "configMapGenerator:\n- name: x\n  literals: [a=1]\n", "b/kustomization.yaml": "configMapGenerator:\n- name: x\n  literals: [a=2]\n",
    "kustomization.yaml": "resources: [a, b]\n"})
case("conflict-two-bases-distinct-ns", {"a/kustomization.yaml": "namespace: a\nresources: [../c.yaml]\n", "b/kustomization.yaml": "namespace: b\nresources: [c.yaml]\n", "b/c.yaml": CMAP,
    "c.yaml": CMAP, "kustomization.yaml": "resources: [b]\n"})
case("err-sort-legacy-with-fifo-options", {"kustomization.yaml": "resources: [c.yaml]\nsortOptions:\n  order: legacy\n  fifoSortOptions: {}\n", "c.yaml": CMAP})
case("err-sort-fifo-with-legacy-options", {"kustomization.yaml": "resources: [c.yaml]\nsortOptions:\n  order: fifo\n  legacySortOptions:\n    orderFirst: [Namespace]\n", "c.yaml": CMAP})
case("err-sort-unknown-order", {"kustomization.yaml": "resources: [c.yaml]\nsortOptions:\n  order: random\n", "c.yaml": CMAP})
case("sort-legacy-duplicate-kind", {"kustomization.yaml": "resources: [c.yaml, d.yaml]\nsortOptions:\n  order: legacy\n  legacySortOptions:\n    orderFirst: [ConfigMap, Deployment, ConfigMap]\n    orderLast: []\n", "c.yaml": CMAP, "d.yaml": DEP})
case("sort-legacy-first-and-last-overlap", {"kustomization.yaml": "resources: [c.yaml, d.yaml, s.yaml]\nsortOptions:\n  order: legacy\n  legacySortOptions:\n    orderFirst: [Service]\n    orderLast: [Service, ConfigMap]\n", "c.yaml": CMAP, "d.yaml": DEP, "s.yaml": SVC})
case("err-image-name-regexp", {"kustomization.yaml": "resources: [d.yaml]\nimages:\n- name: \"registry.local/api(\"\n  newTag: \"2\"\n", "d.yaml": DEP})
case("image-name-regexp-chars", {"kustomization.yaml": "resources: [d.yaml]\nimages:\n- name: registry.local/ap*\n  newTag: \"2\"\n- name: registry.local/api\n  newName: other/api\n", "d.yaml": DEP})
case("image-name-star-only", {"kustomization.yaml": "resources: [d.yaml]\nimages:\n- name: \"*\"\n  newTag: \"2\"\n", "d.yaml": DEP})
for i, n in enumerate(['"registry.local/.*"', '"registry\\\\.local/api"', "registry.local/a.i", '"[a-z]*"', '"*/api"', '"registry.local/api|x"', '"^registry.local/api$"']):
    case(f"image-name-regexp-{i}", {"kustomization.yaml": f"resources: [d.yaml]\nimages:\n- name: {n}\n  newTag: \"2\"\n", "d.yaml": DEP})
case("err-image-name-regexp-bracket", {"kustomization.yaml": "resources: [d.yaml]\nimages:\n- name: \"registry.local/[api\"\n  newTag: \"2\"\n", "d.yaml": DEP})
case("patch-delete-last-of-several", {"kustomization.yaml": "resources: [c.yaml, d.yaml]\npatches:\n- path: p.yaml\n", "c.yaml": CMAP, "d.yaml": DEP,
    "p.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 3\n---\n$patch: delete\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: conf\n"})
case("err-patch-delete-then-patch", {"kustomization.yaml": "resources: [c.yaml, d.yaml]\npatches:\n- path: p.yaml\n", "c.yaml": CMAP, "d.yaml": DEP,
    "p.yaml": "$patch: delete\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: conf\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 3\n"})
case("err-empty-patch-file-with-target", {"kustomization.yaml": "resources: [c.yaml]\npatches:\n- path: p.yaml\n  target:\n    kind: ConfigMap\n", "c.yaml": CMAP, "p.yaml": "# nothing here\n"})
case("psm-one-empty-one-not", {"kustomization.yaml": "resources: [c.yaml]\npatchesStrategicMerge: [e.yaml, p.yaml]\n", "c.yaml": CMAP, "e.yaml": "",
    "p.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: conf\ndata:\n  x: \"1\"\n"})


# ================================================================ 8. the rest
case("repl-source-namespace-from-transformer", {"kustomization.yaml": "namespace: prod\nnamePrefix: p-\nresources: [d.yaml, s.yaml]\nreplacements:\n- source:\n    kind: Service\n    name: api\n    fieldPath: metadata.namespace\n  targets:\n  - select:\n      kind: Deployment\n    fieldPaths:\n    - spec.template.metadata.annotations.svc-ns\n    options:\n      create: true\n- source:\n    kind: Service\n    name: api\n  targets:\n  - select:\n      kind: Deployment\n    fieldPaths:\n    - spec.template.metadata.annotations.svc-name\n    options:\n      create: true\n", "d.yaml": DEP, "s.yaml": SVC})
case("repl-source-namespace-base-overlay", {"base/kustomization.yaml": "namespace: base-ns\nresources: [s.yaml]\n", "base/s.yaml": SVC,
    "kustomization.yaml": "namespace: top-ns\nnameSuffix: -t\nresources: [base, d.yaml]\nreplacements:\n- source:\n    kind: Service\n    name: api\n    namespace: base-ns\n    fieldPath: metadata.namespace\n  targets:\n  - select:\n      kind: Deployment\n      name: api\n    fieldPaths:\n    - metadata.labels.svc-ns\n- source:\n    kind: Service\n    fieldPath: metadata.name\n  targets:\n  - select:\n      kind: Deployment\n    fieldPaths:\n    - metadata.labels.svc\n", "d.yaml": DEP.replace("name: api\n", "name: api\n  labels:\n    svc-ns: x\n    svc: y\n", 1)})
case("null-empty-annotations-labels", {"kustomization.yaml": "resources: [c.yaml]\n", "c.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations:\n  labels:\ndata:\n  a: b\n"})
case("null-empty-annotations-with-transformers", {"kustomization.yaml": "namePrefix: p-\ncommonLabels:\n  x: y\nresources: [c.yaml]\n", "c.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations:\n  labels:\ndata:\n"})
case("null-affinity-fields", {"kustomization.yaml": "resources: [d.yaml]\n", "d.yaml": DEP.replace("      containers:", "      affinity:\n        nodeAffinity:\n        podAntiAffinity:\n          requiredDuringSchedulingIgnoredDuringExecution:\n          - labelSelector:\n              matchLabels:\n                app: api\n            topologyKey:\n      tolerations:\n      nodeSelector: ~\n      containers:")})
import random
_r = random.Random(14)
case("gen-large-binarydata", {"kustomization.yaml": "configMapGenerator:\n- name: blob\n  files: [blob.bin, text.txt]\n",
    "blob.bin": bytes(_r.randrange(256) for _ in range(300000)), "text.txt": "x" * 70000 + "\n"})
case("gen-large-binarydata-secret", {"kustomization.yaml": "secretGenerator:\n- name: blob\n  files: [blob.bin]\n", "blob.bin": bytes(_r.randrange(256) for _ in range(120000))})
LOCAL = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: local-values\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\ndata:\n  image: registry.local/api:9\n"
case("localconfig-dropped-and-source", {"kustomization.yaml": "namePrefix: p-\ncommonLabels:\n  a: b\nresources: [d.yaml, l.yaml]\nreplacements:\n- source:\n    kind: ConfigMap\n    name: local-values\n    fieldPath: data.image\n  targets:\n  - select:\n      kind: Deployment\n    fieldPaths:\n    - spec.template.spec.containers.0.image\n", "d.yaml": DEP, "l.yaml": LOCAL})
case("localconfig-in-base", {"base/kustomization.yaml": "resources: [l.yaml, d.yaml]\n", "base/l.yaml": LOCAL, "base/d.yaml": DEP,
    "kustomization.yaml": "resources: [base]\nreplacements:\n- source:\n    kind: ConfigMap\n    name: local-values\n    fieldPath: data.image\n  targets:\n  - select:\n      kind: Deployment\n    fieldPaths:\n    - spec.template.spec.containers.0.image\n"})
case("localconfig-false-kept", {"kustomization.yaml": "resources: [l.yaml]\n", "l.yaml": LOCAL.replace('"true"', '"false"')})
case("labels-include-selectors-templates", {"kustomization.yaml": "resources: [d.yaml, s.yaml]\nlabels:\n- pairs:\n    a: sel\n  includeSelectors: true\n- pairs:\n    b: tmpl\n  includeTemplates: true\n- pairs:\n    c: plain\n- pairs:\n    d: both\n  includeSelectors: true\n  includeTemplates: false\n", "d.yaml": DEP, "s.yaml": SVC})
case("labels-include-templates-kinds", {"kustomization.yaml": "resources: [w.yaml]\nlabels:\n- pairs:\n    t: \"1\"\n  includeTemplates: true\n",
    "w.yaml": "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: cj\nspec:\n  schedule: \"* * * * *\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers: [{name: c, image: i}]\n---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: ss\nspec:\n  template:\n    metadata: {}\n    spec:\n      containers: [{name: c, image: i}]\n  volumeClaimTemplates:\n  - metadata:\n      name: v\n---\napiVersion: v1\nkind: ReplicationController\nmetadata:\n  name: rc\nspec:\n  template:\n    spec:\n      containers: [{name: c, image: i}]\n"})
case("labels-fields-with-includes", {"kustomization.yaml": "resources: [g.yaml]\nlabels:\n- pairs:\n    f: \"1\"\n  includeSelectors: true\n  fields:\n  - path: spec/selector/matchLabels\n    kind: Giraffe\n    create: true\n", "g.yaml": GIRAFFE.replace("$(DIET)", "x")})
case("plugin-labels-selectors-custom", {"kustomization.yaml": "resources: [d.yaml]\ntransformers: [t.yaml]\n", "d.yaml": DEP,
    "t.yaml": "apiVersion: builtin\nkind: LabelTransformer\nmetadata:\n  name: l\nlabels:\n  only: templates\nfieldSpecs:\n- path: spec/template/metadata/labels\n  create: true\n"})
case("prefix-suffix-generated-names", {"base/kustomization.yaml": "namePrefix: b-\nresources: [d.yaml]\nconfigMapGenerator:\n- name: conf\n  literals: [a=1]\nsecretGenerator:\n- name: sec\n  literals: [a=1]\n", "base/d.yaml": GBASE["base/d.yaml"],
    "kustomization.yaml": "namePrefix: o-\nnameSuffix: -v1\nresources: [base]\nconfigMapGenerator:\n- name: b-conf\n  behavior: merge\n  literals: [b=2]\n- name: own\n  literals: [c=3]\n"})
case("prefix-suffix-generated-no-hash", {"kustomization.yaml": "namePrefix: p-\nnameSuffix: -s\nresources: [d.yaml]\ngeneratorOptions:\n  disableNameSuffixHash: true\nconfigMapGenerator:\n- name: conf\n  literals: [a=1]\nsecretGenerator:\n- name: sec\n  literals: [a=1]\n  options:\n    disableNameSuffixHash: false\n", "d.yaml": GBASE["base/d.yaml"]})
case("ns-propagation-generator-merge", {"base/kustomization.yaml": "configMapGenerator:\n- name: conf\n  literals: [a=1]\n",
    "mid/kustomization.yaml": "namespace: mid\nresources: [../base]\n",
    "kustomization.yaml": "namespace: top\nresources: [mid]\nconfigMapGenerator:\n- name: conf\n  namespace: mid\n  behavior: merge\n  literals: [b=2]\n"})


# ================================================================ more of each behaviour
JOB = d("""
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: m
        image: busybox
        command: ["migrate", "--db=$(DB_SVC).$(DB_NS).svc:$(DB_PORT)"]
        env:
        - name: PAUSED
          value: $(PAUSED)
""")
DBSVC = SVC.replace("name: api\n", "name: db\n", 1)
DBVARS = var("DB_SVC", "Service", "db") + var("DB_NS", "Service", "db", "metadata.namespace") + \
    var("DB_PORT", "Service", "db", "spec.ports[0].port") + var("PAUSED", "Deployment", "api", "spec.paused", api="apps/v1")
case("vars-namespace-from-overlay", {"base/kustomization.yaml": "resources: [j.yaml, s.yaml, d.yaml]\nvars:\n" + DBVARS, "base/j.yaml": JOB, "base/s.yaml": DBSVC,
    "base/d.yaml": DEP.replace("spec:\n  selector", "spec:\n  paused: true\n  selector", 1),
    "kustomization.yaml": "namespace: staging\nnamePrefix: stg-\nresources: [base]\n"})
case("vars-secret-generator-name", {"kustomization.yaml": "resources: [d.yaml]\nsecretGenerator:\n- name: creds\n  literals: [pw=x]\nvars:\n" + var("CREDS", "Secret", "creds"),
    "d.yaml": DEP.replace("image: registry.local/api:1.0", "image: registry.local/api:1.0\n        args: [--secret=$(CREDS)]")})
case("vars-and-replacements-together", {"kustomization.yaml": "namePrefix: x-\nresources: [d.yaml, s.yaml]\nvars:\n" + var("SVC", "Service", "api") +
    "replacements:\n- source:\n    kind: Service\n    name: api\n    fieldPath: spec.ports.0.port\n  targets:\n  - select:\n      kind: Deployment\n    fieldPaths:\n    - spec.template.spec.containers.0.args.1\n",
    "s.yaml": SVC, "d.yaml": DEP.replace("image: registry.local/api:1.0", "image: registry.local/api:1.0\n        args: [$(SVC), placeholder]")})
case("vars-map-value-in-string", {"kustomization.yaml": "resources: [d.yaml, c.yaml]\nvars:\n" + var("LBLS", "ConfigMap", "conf", "metadata.labels"),
    "c.yaml": CMAP.replace("name: conf\n", "name: conf\n  labels:\n    a: b\n", 1),
    "d.yaml": DEP.replace("image: registry.local/api:1.0", "image: registry.local/api:1.0\n        args: [\"x-$(LBLS)\"]")})
case("vars-service-targetport-exact", {"kustomization.yaml": "resources: [s.yaml, s2.yaml]\nvars:\n" + var("P", "Service", "api", "spec.ports[0].port"),
    "s.yaml": SVC, "s2.yaml": SVC.replace("name: api\n", "name: other\n", 1).replace("targetPort: 8080", "targetPort: $(P)")})
case("vars-two-components", {"c1/kustomization.yaml": "kind: Component\nvars:\n" + var("A", "Service", "api"),
    "c2/kustomization.yaml": "kind: Component\nvars:\n" + var("B", "Service", "api", "spec.ports[0].name"),
    "kustomization.yaml": "resources: [d.yaml, s.yaml]\ncomponents: [c1, c2]\n", "s.yaml": SVC,
    "d.yaml": DEP.replace("image: registry.local/api:1.0", "image: registry.local/api:1.0\n        args: [$(A), $(B)]")})
case("err-vars-same-in-two-components", {"c1/kustomization.yaml": "kind: Component\nvars:\n" + var("A", "Service", "api"),
    "c2/kustomization.yaml": "kind: Component\nvars:\n" + var("A", "Service", "api"),
    "kustomization.yaml": "resources: [s.yaml]\ncomponents: [c1, c2]\n", "s.yaml": SVC})
case("vars-renamed-by-patch", {"kustomization.yaml": "resources: [d.yaml, s.yaml]\nvars:\n" + var("SVC", "Service", "api") +
    "patches:\n- target:\n    kind: Service\n  options:\n    allowNameChange: true\n  patch: |-\n    - op: replace\n      path: /metadata/name\n      value: api-renamed\n",
    "s.yaml": SVC, "d.yaml": DEP.replace("image: registry.local/api:1.0", "image: registry.local/api:1.0\n        args: [$(SVC)]")})
case("vars-varref-annotations-specific-kind", {"kustomization.yaml": "resources: [w.yaml, s.yaml]\nconfigurations: [cfg.yaml]\nvars:\n" + var("SVC", "Service", "api"),
    "cfg.yaml": "varReference:\n- path: spec/template/metadata/annotations\n  kind: Widget\n- path: metadata/annotations\n", "s.yaml": SVC,
    "w.yaml": "apiVersion: ex.com/v1\nkind: Widget\nmetadata:\n  name: w\n  annotations:\n    a: $(SVC)\nspec:\n  template:\n    metadata:\n      annotations:\n        b: $(SVC)\n"})
case("vars-in-base-used-by-overlay-patch", {"base/kustomization.yaml": "resources: [d.yaml, s.yaml]\nvars:\n" + var("SVC", "Service", "api"), "base/s.yaml": SVC, "base/d.yaml": DEP,
    "kustomization.yaml": "namePrefix: o-\nresources: [base]\npatches:\n- target:\n    kind: Deployment\n  patch: |-\n    - op: add\n      path: /spec/template/spec/containers/0/args\n      value: [\"--upstream=$(SVC)\"]\n"})

case("cfg-json-file", {"kustomization.yaml": "namePrefix: p-\nresources: [g.yaml, c.yaml]\nconfigurations: [cfg.json]\nconfigMapGenerator:\n- name: food\n  literals: [a=1]\n",
    "g.yaml": GIRAFFE.replace("$(DIET)", "grass"), "c.yaml": CMAP,
    "cfg.json": '{"nameReference": [{"kind": "ConfigMap", "fieldSpecs": [{"path": "spec/configRef", "kind": "Giraffe"}]}]}\n'})
case("cfg-nameref-list-of-maps", {"kustomization.yaml": "nameSuffix: -v2\nresources: [r.yaml]\nconfigurations: [cfg.yaml]\n",
    "cfg.yaml": "nameReference:\n- kind: Secret\n  fieldSpecs:\n  - path: spec/items/secretRef\n    kind: Vault\n",
    "r.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s1\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s2\n---\napiVersion: ex.com/v1\nkind: Vault\nmetadata:\n  name: v\nspec:\n  items:\n  - secretRef: s1\n  - secretRef: s2\n  - secretRef: missing\n"})
case("cfg-custom-to-custom-group-version", {"kustomization.yaml": "namePrefix: z-\nresources: [g.yaml, p.yaml]\nconfigurations: [cfg.yaml]\n",
    "g.yaml": GIRAFFE.replace("$(DIET)", "grass"), "p.yaml": PARK,
    "cfg.yaml": "nameReference:\n- kind: Giraffe\n  group: zoo.example.com\n  version: v1\n  fieldSpecs:\n  - path: spec/giraffeRef/name\n    kind: AnimalPark\n    group: zoo.example.com\n"})
case("cfg-commonlabels-create-false-missing", {"kustomization.yaml": "commonLabels:\n  t: x\nresources: [g.yaml]\nconfigurations: [cfg.yaml]\n",
    "g.yaml": GIRAFFE.replace("$(DIET)", "grass"),
    "cfg.yaml": "commonLabels:\n- path: spec/missing/labels\n  kind: Giraffe\n- path: spec/selector/matchLabels\n  kind: Giraffe\n  create: false\n"})
case("cfg-base-and-overlay-both", {"base/kustomization.yaml": "resources: [g.yaml, p.yaml]\nconfigurations: [cfg.yaml]\nconfigMapGenerator:\n- name: food\n  literals: [a=1]\n",
    "base/g.yaml": GIRAFFE.replace("$(DIET)", "grass"), "base/p.yaml": PARK,
    "base/cfg.yaml": "nameReference:\n- kind: ConfigMap\n  fieldSpecs:\n  - path: spec/configRef\n    kind: Giraffe\n",
    "kustomization.yaml": "namePrefix: top-\nresources: [base]\nconfigurations: [cfg.yaml]\n",
    "cfg.yaml": "nameReference:\n- kind: Giraffe\n  fieldSpecs:\n  - path: spec/residents\n    kind: AnimalPark\n"})
case("cfg-with-crds-field", {"kustomization.yaml": "namePrefix: c-\nresources: [g.yaml, p.yaml]\nconfigurations: [cfg.yaml]\ncrds: [crd.json]\nconfigMapGenerator:\n- name: food\n  literals: [a=1]\n",
    "g.yaml": GIRAFFE.replace("$(DIET)", "grass"), "p.yaml": PARK,
    "cfg.yaml": "nameReference:\n- kind: Giraffe\n  fieldSpecs:\n  - path: spec/residents\n    kind: AnimalPark\n",
    "crd.json": '{"zoo.example.com.v1.Giraffe": {"Schema": {"properties": {"spec": {"properties": {"configRef": {"x-kubernetes-object-ref-api-version": "v1", "x-kubernetes-object-ref-kind": "ConfigMap"}}}}}}}\n'})
case("err-cfg-bad-fieldspecs-type", {"kustomization.yaml": "resources: [c.yaml]\nconfigurations: [cfg.yaml]\n", "c.yaml": CMAP, "cfg.yaml": "namePrefix: notalist\n"})

case("plugin-patch-label-selector-target", {"kustomization.yaml": "resources: [d.yaml, s.yaml]\ntransformers: [t.yaml]\n", "d.yaml": DEP.replace("name: api\n", "name: api\n  labels:\n    patch: me\n", 1), "s.yaml": SVC,
    "t.yaml": "apiVersion: builtin\nkind: PatchTransformer\nmetadata:\n  name: p\ntarget:\n  labelSelector: patch=me\npath: ops.yaml\n", "ops.yaml": "- op: add\n  path: /metadata/annotations\n  value:\n    patched: by-label\n"})
case("plugin-patch-name-regex", {"kustomization.yaml": "resources: [d.yaml, s.yaml, c.yaml]\ntransformers: [t.yaml]\n", "d.yaml": DEP, "s.yaml": SVC, "c.yaml": CMAP,
    "t.yaml": "apiVersion: builtin\nkind: PatchTransformer\nmetadata:\n  name: p\ntarget:\n  name: a.*\npatch: |-\n  - op: add\n    path: /metadata/labels\n    value: {matched: regex}\n"})
case("plugin-json6902-path", {"kustomization.yaml": "resources: [d.yaml]\ntransformers: [t.yaml]\n", "d.yaml": DEP, "ops.json": '[{"op": "add", "path": "/spec/replicas", "value": 7}]\n',
    "t.yaml": "apiVersion: builtin\nkind: PatchJson6902Transformer\nmetadata:\n  name: j\ntarget:\n  group: apps\n  version: v1\n  kind: Deployment\n  name: api\npath: ops.json\n"})
case("plugin-image-tag-fieldspecs", {"kustomization.yaml": "resources: [g.yaml, d.yaml]\ntransformers: [t.yaml]\n", "d.yaml": DEP,
    "g.yaml": GIRAFFE.replace("$(DIET)", "grass") + "  runner:\n    image: registry.local/api:1.0\n",
    "t.yaml": "apiVersion: builtin\nkind: ImageTagTransformer\nmetadata:\n  name: i\nimageTag:\n  name: registry.local/api\n  newName: mirror.local/api\n  digest: sha256:0123456789012345678901234567890123456789012345678901234567890123\nfieldSpecs:\n- path: spec/runner/image\n  kind: Giraffe\n"})
case("plugin-two-docs-labels-annotations", {"kustomization.yaml": "resources: [d.yaml]\ntransformers: [t.yaml]\n", "d.yaml": DEP, "t.yaml": LBL_T + "---\n" + ANN_T})
case("plugin-generator-files-and-envs", {"kustomization.yaml": "generators: [g.yaml]\n", "app.properties": "a=1\nb=2\n", "cfg.env": "X=1\n# c\nY=\n",
    "g.yaml": "apiVersion: builtin\nkind: ConfigMapGenerator\nmetadata:\n  name: files\nfiles:\n- app.properties\n- renamed=app.properties\n---\napiVersion: builtin\nkind: SecretGenerator\nmetadata:\n  name: envs\nenvs: [cfg.env]\n"})
case("plugin-overlay-transformer-on-prefixed-base", {"base/kustomization.yaml": "namePrefix: b-\nresources: [d.yaml]\n", "base/d.yaml": DEP,
    "kustomization.yaml": "resources: [base]\ntransformers: [t.yaml]\n",
    "t.yaml": "apiVersion: builtin\nkind: ReplicaCountTransformer\nmetadata:\n  name: r\nreplica:\n  name: api\n  count: 9\nfieldSpecs:\n- path: spec/replicas\n  kind: Deployment\n  create: true\n"})
case("plugin-namespace-rolebinding-subjects", {"kustomization.yaml": "resources: [r.yaml]\ntransformers: [t.yaml]\n", "r.yaml": RBAC,
    "t.yaml": "apiVersion: builtin\nkind: NamespaceTransformer\nmetadata:\n  name: n\n  namespace: plugged\nsetRoleBindingSubjects: allServiceAccounts\nfieldSpecs:\n- path: metadata/namespace\n  create: true\n"})
case("plugin-prefix-no-fieldspecs", {"kustomization.yaml": "resources: [d.yaml]\ntransformers: [t.yaml]\n", "d.yaml": DEP,
    "t.yaml": "apiVersion: builtin\nkind: PrefixTransformer\nmetadata:\n  name: p\nprefix: nofs-\n"})
case("plugin-suffix-updates-refs", {"kustomization.yaml": "resources: [d.yaml, c.yaml]\ntransformers: [t.yaml]\n", "c.yaml": CMAP,
    "d.yaml": DEP.replace("image: registry.local/api:1.0", "image: registry.local/api:1.0\n        envFrom:\n        - configMapRef:\n            name: conf"),
    "t.yaml": "apiVersion: builtin\nkind: SuffixTransformer\nmetadata:\n  name: s\nsuffix: -sfx\nfieldSpecs:\n- path: metadata/name\n  kind: ConfigMap\n"})
case("plugin-replacement-transformer-file", {"kustomization.yaml": "resources: [d.yaml, s.yaml]\ntransformers: [t.yaml]\n", "d.yaml": DEP, "s.yaml": SVC,
    "t.yaml": "apiVersion: builtin\nkind: ReplacementTransformer\nmetadata:\n  name: r\nreplacements:\n- source:\n    kind: Service\n    fieldPath: spec.ports.0.port\n  targets:\n  - select:\n      kind: Deployment\n    fieldPaths:\n    - spec.template.spec.containers.0.ports.0.containerPort\n    options:\n      create: true\n"})

case("comp-top-origin-annotations", {"kustomization.yaml": "kind: Component\nbuildMetadata: [originAnnotations]\nresources: [d.yaml]\nconfigMapGenerator:\n- name: conf\n  literals: [a=1]\n", "d.yaml": DEP})
case("comp-top-vars-namespace", {"kustomization.yaml": "kind: Component\nnamespace: compns\nresources: [d.yaml, s.yaml]\nvars:\n" + var("SVC", "Service", "api"), "s.yaml": SVC,
    "d.yaml": DEP.replace("image: registry.local/api:1.0", "image: registry.local/api:1.0\n        args: [$(SVC)]")})
case("comp-top-used-elsewhere", {"comp/kustomization.yaml": "kind: Component\nresources: [d.yaml]\nnamePrefix: comp-\n", "comp/d.yaml": DEP,
    "ov/kustomization.yaml": "components: [../comp]\nnameSuffix: -ov\n"}, build="comp")

case("gen-merge-secret-base-namespace-type", {"base/kustomization.yaml": "namespace: sec\nsecretGenerator:\n- name: tls\n  type: kubernetes.io/tls\n  literals: [tls.crt=a, tls.key=b]\n",
    "kustomization.yaml": "resources: [base]\nsecretGenerator:\n- name: tls\n  behavior: merge\n  literals: [ca.crt=c]\n"})
case("gen-replace-in-component-base-ns", dict(GBASE, **{"comp/kustomization.yaml": "kind: Component\nconfigMapGenerator:\n- name: conf\n  behavior: replace\n  literals: [only=this]\n",
    "kustomization.yaml": "resources: [base]\ncomponents: [comp]\nnamePrefix: t-\n"}))
case("gen-merge-after-middle-prefix", {"base/kustomization.yaml": "configMapGenerator:\n- name: conf\n  literals: [a=1]\n",
    "mid/kustomization.yaml": "namePrefix: mid-\nresources: [../base]\n",
    "kustomization.yaml": "resources: [mid]\nconfigMapGenerator:\n- name: conf\n  behavior: merge\n  literals: [b=2]\n- name: mid-conf\n  behavior: merge\n  literals: [c=3]\n"})
case("gen-merge-options-base-ns", dict(GBASE, **{"kustomization.yaml": "resources: [base]\ngeneratorOptions:\n  labels:\n    global: \"yes\"\nconfigMapGenerator:\n- name: conf\n  behavior: merge\n  literals: [b=3]\n  options:\n    annotations:\n      merged: \"true\"\n    disableNameSuffixHash: true\n"}))

case("nsref-webhook-service-other-base", {"svc/kustomization.yaml": "namespace: hooks\nnamePrefix: svc-\nresources: [s.yaml]\n", "svc/s.yaml": WEBHOOK_SVC,
    "hooks/kustomization.yaml": "namePrefix: cfg-\nresources: [v.yaml]\n", "hooks/v.yaml": VWC,
    "kustomization.yaml": "resources: [svc, hooks]\n"})
case("nsref-rolebinding-overlay-namespace-change", {"base/kustomization.yaml": "namespace: first\nnamePrefix: b-\nresources: [r.yaml]\n", "base/r.yaml": RBAC,
    "kustomization.yaml": "namespace: second\nresources: [base]\n"})
case("nsref-roleref-role-suffix-overlay", {"base/kustomization.yaml": "resources: [r.yaml]\n", "base/r.yaml": RBAC,
    "kustomization.yaml": "nameSuffix: -v2\nresources: [base]\n"})
case("nsref-crd-conversion-other-namespace", {"kustomization.yaml": "namespace: system\nnamePrefix: p-\nresources: [s.yaml, crd.yaml]\n",
    "s.yaml": WEBHOOK_SVC.replace("name: hook\n", "name: hook\n  namespace: elsewhere\n", 1), "crd.yaml": CRD.replace("namespace: default", "namespace: elsewhere")})
case("nsref-admission-policy-binding-prefix-only", {"kustomization.yaml": "nameSuffix: -s\nresources: [a.yaml]\n",
    "a.yaml": "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\nmetadata:\n  name: pol\nspec:\n  validations:\n  - expression: \"true\"\n---\napiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\nmetadata:\n  name: bind\nspec:\n  policyName: pol\n  validationActions: [Deny]\n"})

case("err-conflict-same-file-twice", {"kustomization.yaml": "resources: [c.yaml, c.yaml]\n", "c.yaml": CMAP})
case("err-conflict-base-and-file", {"base/kustomization.yaml": "resources: [c.yaml]\n", "base/c.yaml": CMAP, "kustomization.yaml": "resources: [base, c.yaml]\n", "c.yaml": CMAP})
case("err-sort-order-capitalised", {"kustomization.yaml": "resources: [c.yaml]\nsortOptions:\n  order: Legacy\n", "c.yaml": CMAP})
case("err-image-empty-name", {"kustomization.yaml": "resources: [d.yaml]\nimages:\n- name: \"\"\n  newTag: \"2\"\n", "d.yaml": DEP})
case("err-patches-empty-path", {"kustomization.yaml": "resources: [c.yaml]\npatches:\n- path: \"\"\n", "c.yaml": CMAP})
case("err-namespace-tab", {"kustomization.yaml": "namespace: \"a\\tb\"\nresources: [c.yaml]\n", "c.yaml": CMAP})


# ================================================================ walkthrough-shaped layouts
BLOG = d("""
apiVersion: apps/v1
kind: Deployment
metadata:
  name: blog
spec:
  selector:
    matchLabels:
      app: blog
  template:
    metadata:
      labels:
        app: blog
    spec:
      containers:
      - name: blog
        image: blog:6
        ports:
        - containerPort: 80
""")
DB = d("""
apiVersion: apps/v1
kind: Deployment
metadata:
  name: db
spec:
  selector:
    matchLabels:
      app: db
  template:
    metadata:
      labels:
        app: db
    spec:
      containers:
      - name: db
        image: db:8
""")
BLOG_PATCH = d("""
apiVersion: apps/v1
kind: Deployment
metadata:
  name: blog
spec:
  template:
    spec:
      initContainers:
      - name: wait
        image: busybox
        command: ["sh", "-c", "until nc -z $(DB_SERVICE) 3306; do sleep 1; done"]
      containers:
      - name: blog
        env:
        - name: DB_HOST
          value: $(DB_SERVICE)
        - name: BLOG_URL
          value: http://$(BLOG_SERVICE)
""")
BLOG_FILES = {"blog/kustomization.yaml": "resources: [d.yaml, s.yaml]\n", "blog/d.yaml": BLOG, "blog/s.yaml": SVC.replace("api", "blog"),
              "db/kustomization.yaml": "resources: [d.yaml, s.yaml]\n", "db/d.yaml": DB, "db/s.yaml": SVC.replace("api", "db")}
BLOG_VARS = "vars:\n" + var("BLOG_SERVICE", "Service", "blog") + var("DB_SERVICE", "Service", "db")
case("walk-blog-vars", dict(BLOG_FILES, **{"kustomization.yaml": "namePrefix: demo-\nresources: [blog, db]\npatchesStrategicMerge: [p.yaml]\n" + BLOG_VARS, "p.yaml": BLOG_PATCH}))
case("walk-blog-vars-namespaced-overlay", dict(BLOG_FILES, **{"app/kustomization.yaml": "namePrefix: demo-\nresources: [../blog, ../db]\npatchesStrategicMerge: [p.yaml]\n" + BLOG_VARS, "app/p.yaml": BLOG_PATCH,
    "prod/kustomization.yaml": "namespace: prod\nnameSuffix: -prod\nresources: [../app]\n"}), build="prod")
case("walk-multibases", {"base/kustomization.yaml": "resources: [pod.yaml]\n", "base/pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  containers:\n  - name: c\n    image: nginx:1\n",
    "dev/kustomization.yaml": "namePrefix: dev-\nresources: [../base]\n", "stage/kustomization.yaml": "namePrefix: stage-\nresources: [../base]\n",
    "prod/kustomization.yaml": "namePrefix: prod-\nresources: [../base]\n", "kustomization.yaml": "resources: [dev, stage, prod]\n"})
case("walk-multibases-vars-per-overlay", {"base/kustomization.yaml": "resources: [pod.yaml, s.yaml]\n", "base/s.yaml": SVC,
    "base/pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  containers:\n  - name: c\n    image: nginx:1\n    args: [$(DEV_SVC), $(PROD_SVC)]\n",
    "dev/kustomization.yaml": "namePrefix: dev-\nresources: [../base]\nvars:\n" + var("DEV_SVC", "Service", "api"),
    "prod/kustomization.yaml": "namePrefix: prod-\nresources: [../base]\nvars:\n" + var("PROD_SVC", "Service", "api"),
    "kustomization.yaml": "resources: [dev, prod]\n"})
case("walk-transformerconfigs-crd", {"kustomization.yaml": "namePrefix: test-\ncommonLabels:\n  foo: bar\nresources: [r.yaml]\nconfigurations: [kc.yaml]\nsecretGenerator:\n- name: password\n  literals: [password=secret]\nconfigMapGenerator:\n- name: properties\n  literals: [a=b]\n",
    "kc.yaml": "nameReference:\n- kind: Secret\n  fieldSpecs:\n  - path: spec/secretRef/name\n    kind: MyKind\n- kind: ConfigMap\n  fieldSpecs:\n  - path: spec/beeRef/name\n    kind: MyKind\n- kind: Bee\n  fieldSpecs:\n  - path: spec/beeRef/name\n    kind: MyKind\ncommonLabels:\n- path: spec/selectors\n  create: true\n  kind: MyKind\n",
    "r.yaml": "apiVersion: v1beta1\nkind: Bee\nmetadata:\n  name: bee\nspec:\n  action: fly\n---\napiVersion: jingfang.example.com/v1beta1\nkind: MyKind\nmetadata:\n  name: mykind\nspec:\n  secretRef:\n    name: password\n  beeRef:\n    name: bee\n"})
case("walk-combine-configs", {"kustomization.yaml": "namePrefix: cc-\nresources: [r.yaml]\nconfigurations: [a.yaml, b.yaml, c.yaml]\nimages:\n- name: runner\n  newTag: v9\ncommonAnnotations:\n  note: combined\n",
    "a.yaml": "images:\n- path: spec/runner/image\n  kind: Job2\n", "b.yaml": "commonAnnotations:\n- path: spec/podMeta/annotations\n  kind: Job2\n  create: true\n",
    "c.yaml": "nameReference:\n- kind: ServiceAccount\n  fieldSpecs:\n  - path: spec/identity\n    kind: Job2\n",
    "r.yaml": "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: worker\n---\napiVersion: ex.com/v1\nkind: Job2\nmetadata:\n  name: j\nspec:\n  identity: worker\n  runner:\n    image: runner:v1\n"})
case("walk-valueadd-namespace-from-dir", {"tenant-a/kustomization.yaml": "resources: [../app]\ntransformers: [ns.yaml]\n",
    "tenant-a/ns.yaml": "apiVersion: builtin\nkind: ValueAddTransformer\nmetadata:\n  name: ns\ntargets:\n- fieldPath: metadata/namespace\n",
    "app/kustomization.yaml": "resources: [d.yaml, s.yaml]\n", "app/d.yaml": DEP, "app/s.yaml": SVC}, build="tenant-a")
case("walk-reusable-transformers-two-apps", {"shared/kustomization.yaml": "resources: [labels.yaml, prefix.yaml]\n", "shared/labels.yaml": LBL_T,
    "shared/prefix.yaml": "apiVersion: builtin\nkind: PrefixTransformer\nmetadata:\n  name: team-prefix\nprefix: zoo-\nfieldSpecs:\n- path: metadata/name\n",
    "a/kustomization.yaml": "resources: [../app]\ntransformers: [../shared]\n", "b/kustomization.yaml": "resources: [../app]\ntransformers: [../shared]\nnameSuffix: -b\n",
    "app/kustomization.yaml": "resources: [d.yaml, c.yaml]\n", "app/c.yaml": CMAP,
    "app/d.yaml": DEP.replace("image: registry.local/api:1.0", "image: registry.local/api:1.0\n        envFrom:\n        - configMapRef:\n            name: conf"),
    "kustomization.yaml": "resources: [a]\n"})
case("walk-generators-options-labels-merge", {"base/kustomization.yaml": "namespace: gen\ngeneratorOptions:\n  labels:\n    kind: base\nconfigMapGenerator:\n- name: conf\n  literals: [a=1]\nsecretGenerator:\n- name: s\n  literals: [a=1]\n",
    "kustomization.yaml": "resources: [base]\ngeneratorOptions:\n  labels:\n    kind: overlay\n  annotations:\n    o: \"1\"\nconfigMapGenerator:\n- name: conf\n  behavior: merge\n  literals: [b=2]\nsecretGenerator:\n- name: s\n  behavior: replace\n  literals: [z=9]\n"})
case("walk-component-generator-in-top-component", {"base/kustomization.yaml": "namespace: ns1\nconfigMapGenerator:\n- name: conf\n  literals: [a=1]\n",
    "kustomization.yaml": "kind: Component\nresources: [base]\ncomponents: [c]\n",
    "c/kustomization.yaml": "kind: Component\nconfigMapGenerator:\n- name: conf\n  behavior: merge\n  literals: [fromc=1]\n"})
case("walk-diamond-vars-and-generators", {"base/kustomization.yaml": "resources: [s.yaml]\nconfigMapGenerator:\n- name: conf\n  literals: [a=1]\n", "base/s.yaml": SVC,
    "l/kustomization.yaml": "namePrefix: l-\nresources: [../base]\n", "r/kustomization.yaml": "namePrefix: r-\nresources: [../base]\n",
    "kustomization.yaml": "resources: [l, r, d.yaml]\nvars:\n" + var("L", "Service", "l-api") + var("R", "Service", "r-api") + "configMapGenerator:\n- name: l-conf\n  behavior: merge\n  literals: [side=left]\n",
    "d.yaml": DEP.replace("image: registry.local/api:1.0", "image: registry.local/api:1.0\n        args: [$(L), $(R)]")})
case("walk-nameref-namespaced-secret-two-ns", {"kustomization.yaml": "namePrefix: p-\nresources: [r.yaml]\n",
    "r.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: tls\n  namespace: a\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: tls\n  namespace: b\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: ing\n  namespace: b\nspec:\n  tls:\n  - secretName: tls\n"})


# ================================================================ a last batch
case("vars-bool-and-int-exact", {"kustomization.yaml": "resources: [w.yaml, src.yaml]\nconfigurations: [cfg.yaml]\nvars:\n" +
    var("FLAG", "Deployment", "src", "spec.paused", api="apps/v1") + var("N", "Deployment", "src", "spec.replicas", api="apps/v1"),
    "cfg.yaml": "varReference:\n- path: spec\n  kind: Knob\n",
    "src.yaml": DEP.replace("name: api\nspec:", "name: src\nspec:\n  paused: true\n  replicas: 2", 1),
    "w.yaml": "apiVersion: ex.com/v1\nkind: Knob\nmetadata:\n  name: k\nspec:\n  flag: $(FLAG)\n  count: $(N)\n  text: n=$(N) flag=$(FLAG)\n"})
case("vars-objref-group-version-fields", {"kustomization.yaml": "resources: [d.yaml, src.yaml]\nvars:\n- name: IMG\n  objref:\n    group: apps\n    version: v1\n    kind: Deployment\n    name: src\n  fieldref:\n    fieldPath: spec.template.spec.containers[0].image\n",
    "src.yaml": DEP.replace("name: api\n", "name: src\n", 1), "d.yaml": DEP.replace("image: registry.local/api:1.0", "image: registry.local/api:1.0\n        args: [$(IMG)]")})
case("vars-list-index-by-name", {"kustomization.yaml": "resources: [d.yaml, src.yaml]\nvars:\n" + var("SRCIMG", "Deployment", "src", "spec.template.spec.containers[name=side].image", api="apps/v1"),
    "src.yaml": DEP.replace("name: api\n", "name: src\n", 1).replace("image: registry.local/api:1.0", "image: registry.local/api:1.0\n      - name: side\n        image: side:2"),
    "d.yaml": DEP.replace("image: registry.local/api:1.0", "image: registry.local/api:1.0\n        args: [$(SRCIMG)]")})
case("err-vars-no-objref-kind-match", {"kustomization.yaml": "resources: [d.yaml]\nvars:\n" + var("X", "StatefulSet", "api", api="apps/v1"), "d.yaml": DEP})
case("cfg-namesuffix-custom-kind-only", {"kustomization.yaml": "nameSuffix: -x\nresources: [g.yaml, c.yaml]\nconfigurations: [cfg.yaml]\n", "g.yaml": GIRAFFE.replace("$(DIET)", "a"), "c.yaml": CMAP,
    "cfg.yaml": "nameSuffix:\n- path: metadata/name\n  kind: ConfigMap\n"})
case("cfg-namespace-custom-path-only", {"kustomization.yaml": "namespace: zz\nresources: [g.yaml, c.yaml]\nconfigurations: [cfg.yaml]\n", "g.yaml": GIRAFFE.replace("$(DIET)", "a"), "c.yaml": CMAP,
    "cfg.yaml": "namespace:\n- path: metadata/namespace\n  kind: Giraffe\n  create: true\n"})
case("cfg-commonannotations-kind-absorbs-default", {"kustomization.yaml": "commonAnnotations:\n  a: b\nresources: [g.yaml, c.yaml]\nconfigurations: [cfg.yaml]\n", "g.yaml": GIRAFFE.replace("$(DIET)", "a"), "c.yaml": CMAP,
    "cfg.yaml": "commonAnnotations:\n- path: metadata/annotations\n  kind: Giraffe\n  create: true\n"})
case("err-cfg-nameref-conflict", {"kustomization.yaml": "namePrefix: p-\nresources: [d.yaml, c.yaml]\nconfigurations: [cfg.yaml]\n", "d.yaml": DEP, "c.yaml": CMAP,
    "cfg.yaml": "nameReference:\n- kind: ConfigMap\n  version: v1\n  fieldSpecs:\n  - path: spec/template/spec/volumes/configMap/name\n    kind: Deployment\n    create: true\n"})
case("plugin-annotations-fieldspecs-custom-kind", {"kustomization.yaml": "resources: [g.yaml, d.yaml]\ntransformers: [t.yaml]\n", "d.yaml": DEP, "g.yaml": GIRAFFE.replace("$(DIET)", "a"),
    "t.yaml": "apiVersion: builtin\nkind: AnnotationsTransformer\nmetadata:\n  name: a\nannotations:\n  zoo: \"1\"\nfieldSpecs:\n- path: spec/herd/annotations\n  kind: Giraffe\n  create: true\n"})
case("plugin-patch-smp-by-target-kind-change-name", {"kustomization.yaml": "resources: [d.yaml]\ntransformers: [t.yaml]\n", "d.yaml": DEP,
    "t.yaml": "apiVersion: builtin\nkind: PatchTransformer\nmetadata:\n  name: p\ntarget:\n  kind: Deployment\noptions:\n  allowNameChange: true\npatch: |-\n  apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: api-renamed\n"})
case("plugin-generator-and-transformer-same-kustomization", {"kustomization.yaml": "generators: [g.yaml]\ntransformers: [t.yaml]\nresources: [d.yaml]\n", "d.yaml": DEP,
    "g.yaml": "apiVersion: builtin\nkind: ConfigMapGenerator\nmetadata:\n  name: gen\nliterals: [a=1]\n",
    "t.yaml": "apiVersion: builtin\nkind: PrefixSuffixTransformer\nmetadata:\n  name: ps\nprefix: t-\nfieldSpecs:\n- path: metadata/name\n"})
case("plugin-inline-generator", {"kustomization.yaml": "generators:\n- |-\n  apiVersion: builtin\n  kind: SecretGenerator\n  metadata:\n    name: inl\n  literals: [k=v]\n"})
case("nsref-webhook-no-namespace-field", {"kustomization.yaml": "namespace: sys\nnamePrefix: p-\nresources: [s.yaml, v.yaml]\n", "s.yaml": WEBHOOK_SVC,
    "v.yaml": VWC.replace("      namespace: default\n", "").replace("      namespace: elsewhere\n", "")})
case("nsref-subject-group-kind", {"kustomization.yaml": "namespace: apps\nnamePrefix: p-\nresources: [r.yaml]\n",
    "r.yaml": RBAC.split("---\n")[0] + "---\n" + RBAC.split("---\n")[1] + "---\n" + RBAC.split("---\n")[3].replace("- kind: User\n  name: runner\n", "- kind: Group\n  name: runner\n  apiGroup: rbac.authorization.k8s.io\n")})
case("err-generator-merge-kind-mismatch", {"base/kustomization.yaml": "configMapGenerator:\n- name: conf\n  literals: [a=1]\n", "kustomization.yaml": "resources: [base]\nsecretGenerator:\n- name: conf\n  behavior: merge\n  literals: [b=2]\n"})
case("localconfig-with-prefix-and-nameref", {"kustomization.yaml": "namePrefix: p-\nresources: [d.yaml, l.yaml]\n", "l.yaml": LOCAL.replace("local-values", "conf"),
    "d.yaml": DEP.replace("image: registry.local/api:1.0", "image: registry.local/api:1.0\n        envFrom:\n        - configMapRef:\n            name: conf")})
case("localconfig-generated", {"kustomization.yaml": "configMapGenerator:\n- name: local\n  literals: [a=1]\n  options:\n    annotations:\n      config.kubernetes.io/local-config: \"true\"\n- name: kept\n  literals: [a=1]\n"})


# ================================================================ matrices
POD_SPEC = d("""
initContainers:
- name: init
  image: busybox
  command: [$(SVC)]
  args: [$(SVC)]
  env:
  - name: A
    value: $(SVC)
  volumeMounts:
  - name: v
    mountPath: /$(SVC)
containers:
- name: main
  image: busybox
  command: [$(SVC)]
  args: [$(SVC)]
  env:
  - name: A
    value: $(SVC)
  volumeMounts:
  - name: v
    mountPath: /$(SVC)
volumes:
- name: v
  nfs:
    server: $(SVC)
    path: /
""")
def indent(t, n):
    return "".join(" " * n + l + "\n" for l in t.splitlines())
WORKLOADS = {
    "Deployment": ("apps/v1", "spec:\n  template:\n    metadata:\n      annotations:\n        a: $(SVC)\n    spec:\n" + indent(POD_SPEC, 6)),
    "StatefulSet": ("apps/v1", "spec:\n  template:\n    spec:\n" + indent(POD_SPEC, 6) + "  volumeClaimTemplates:\n  - spec:\n      nfs:\n        server: $(SVC)\n"),
    "DaemonSet": ("apps/v1", "spec:\n  template:\n    spec:\n" + indent(POD_SPEC, 6)),
    "ReplicaSet": ("apps/v1", "spec:\n  template:\n    spec:\n" + indent(POD_SPEC, 6)),
    "Job": ("batch/v1", "spec:\n  template:\n    spec:\n" + indent(POD_SPEC, 6)),
    "CronJob": ("batch/v1", "spec:\n  schedule: \"* * * * *\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n" + indent(POD_SPEC, 10)),
    "Pod": ("v1", "spec:\n" + indent(POD_SPEC, 2)),
    "ReplicationController": ("v1", "spec:\n  template:\n    spec:\n" + indent(POD_SPEC, 6)),
}
for kind, (av, body) in WORKLOADS.items():
    case("vars-workload-" + kind.lower(), {"kustomization.yaml": "namePrefix: w-\nresources: [w.yaml, s.yaml]\nvars:\n" + var("SVC", "Service", "api"), "s.yaml": SVC,
         "w.yaml": f"apiVersion: {av}\nkind: {kind}\nmetadata:\n  name: wl\n  labels:\n    l: $(SVC)\n  annotations:\n    a: $(SVC)\n" + body})

PLUG_DIR = {
    "labels": LBL_T, "annotations": ANN_T, "prefixsuffix": PFX_T,
    "namespace": "apiVersion: builtin\nkind: NamespaceTransformer\nmetadata:\n  name: ns\n  namespace: from-dir\nfieldSpecs:\n- path: metadata/namespace\n  create: true\n",
    "images": "apiVersion: builtin\nkind: ImageTagTransformer\nmetadata:\n  name: i\nimageTag:\n  name: registry.local/api\n  newTag: from-dir\n",
    "replicas": "apiVersion: builtin\nkind: ReplicaCountTransformer\nmetadata:\n  name: r\nreplica:\n  name: api\n  count: 3\nfieldSpecs:\n- path: spec/replicas\n  kind: Deployment\n  create: true\n",
    "json6902": "apiVersion: builtin\nkind: PatchJson6902Transformer\nmetadata:\n  name: j\ntarget:\n  group: apps\n  version: v1\n  kind: Deployment\n  name: api\njsonOp: '[{\"op\": \"add\", \"path\": \"/spec/paused\", \"value\": true}]'\n",
    "smp": "apiVersion: builtin\nkind: PatchStrategicMergeTransformer\nmetadata:\n  name: s\npatches: |-\n  apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: api\n  spec:\n    minReadySeconds: 5\n",
    "valueadd": "apiVersion: builtin\nkind: ValueAddTransformer\nmetadata:\n  name: v\nvalue: dirval\ntargets:\n- fieldPath: metadata/annotations/dir\n",
}
for name, body in PLUG_DIR.items():
    case("plugin-dir-" + name, {"plug/kustomization.yaml": "resources: [t.yaml]\n", "plug/t.yaml": body,
         "kustomization.yaml": "resources: [d.yaml, s.yaml]\ntransformers: [plug]\n", "d.yaml": DEP, "s.yaml": SVC})

for kind in ["ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"]:
    for layout in ["flat", "base"]:
        files = {"s.yaml": WEBHOOK_SVC, "w.yaml": VWC.replace("ValidatingWebhookConfiguration", kind)}
        if layout == "flat":
            files["kustomization.yaml"] = "namespace: wh\nnameSuffix: -x\nresources: [s.yaml, w.yaml]\n"
        else:
            files = {"base/s.yaml": files["s.yaml"], "base/w.yaml": files["w.yaml"], "base/kustomization.yaml": "resources: [s.yaml, w.yaml]\n",
                     "kustomization.yaml": "namespace: wh\nnamePrefix: o-\nresources: [base]\n"}
        case(f"nsref-{kind[:8].lower()}-{layout}", files)


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
