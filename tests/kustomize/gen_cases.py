#!/usr/bin/env python3
"""Writes the differential cases into cases/ (run once by a developer; the output is committed).
Each case is a directory of files; a BUILD file names the directory to build when it is not the
case directory itself. Cases are written from small, meaningful building blocks."""
import json, os, shutil, textwrap

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "cases")
cases = {}

def case(name, files, build=None):
    assert name not in cases, name
    files = dict(files)
    if build:
        files["BUILD"] = build
    cases[name] = files

def d(s):
    return textwrap.dedent(s).lstrip("\n")

DEPLOY = d("""
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: nginx:1.25
        ports:
        - containerPort: 80
""")
SERVICE = d("""
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 80
""")
CM = d("""
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  key: value
  other: "42"
""")

def kust(body):
    return d(body)

# ---------------------------------------------------------------- resources
case("res-single-file", {"kustomization.yaml": "resources:\n- deploy.yaml\n", "deploy.yaml": DEPLOY})
case("res-multi-doc", {"kustomization.yaml": "resources:\n- all.yaml\n",
                       "all.yaml": DEPLOY + "---\n" + SERVICE + "---\n" + CM})
case("res-multi-files", {"kustomization.yaml": "resources:\n- deploy.yaml\n- svc.yaml\n- cm.yaml\n",
                         "deploy.yaml": DEPLOY, "svc.yaml": SERVICE, "cm.yaml": CM})
case("res-empty-docs", {"kustomization.yaml": "resources:\n- all.yaml\n",
                        "all.yaml": "---\n" + CM + "---\n---\n# only a comment\n---\n" + SERVICE})
case("res-dir-base", {"base/kustomization.yaml": "resources:\n- deploy.yaml\n",
                      "base/deploy.yaml": DEPLOY,
                      "kustomization.yaml": "resources:\n- base\n- svc.yaml\n", "svc.yaml": SERVICE})
case("res-bases-field", {"base/kustomization.yaml": "resources:\n- deploy.yaml\n",
                         "base/deploy.yaml": DEPLOY, "kustomization.yaml": "bases:\n- base\n"})
case("res-nested-3", {"a/kustomization.yaml": "resources:\n- cm.yaml\n", "a/cm.yaml": CM,
                      "b/kustomization.yaml": "resources:\n- ../a\n- deploy.yaml\n", "b/deploy.yaml": DEPLOY,
                      "c/kustomization.yaml": "resources:\n- ../b\n- svc.yaml\n", "c/svc.yaml": SERVICE},
     build="c")
case("res-list-kind", {"kustomization.yaml": "resources:\n- list.yaml\n",
                       "list.yaml": d("""
                       apiVersion: v1
                       kind: List
                       items:
                       - apiVersion: v1
                         kind: ConfigMap
                         metadata:
                           name: a
                         data:
                           x: "1"
                       - apiVersion: v1
                         kind: ConfigMap
                         metadata:
                           name: b
                       """)})
case("res-kustomization-yml", {"kustomization.yml": "resources:\n- cm.yaml\n", "cm.yaml": CM})
case("res-Kustomization-file", {"Kustomization": "resources:\n- cm.yaml\n", "cm.yaml": CM})
case("res-with-header", {"kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- cm.yaml\n", "cm.yaml": CM})
case("res-empty-kustomization", {"kustomization.yaml": "# nothing\n"})
case("res-crd-and-cr", {"kustomization.yaml": "resources:\n- crd.yaml\n- cr.yaml\n",
                        "crd.yaml": d("""
                        apiVersion: apiextensions.k8s.io/v1
                        kind: CustomResourceDefinition
                        metadata:
                          name: widgets.example.com
                        spec:
                          group: example.com
                          names:
                            kind: Widget
                            plural: widgets
                          scope: Namespaced
                          versions:
                          - name: v1
                            served: true
                            storage: true
                        """), "cr.yaml": d("""
                        apiVersion: example.com/v1
                        kind: Widget
                        metadata:
                          name: w1
                        spec:
                          size: 3
                          enabled: true
                          ratio: 0.5
                          tags: [a, b]
                        """)})
case("res-scalars", {"kustomization.yaml": "resources:\n- cm.yaml\n", "cm.yaml": d("""
                    apiVersion: v1
                    kind: ConfigMap
                    metadata:
                      name: scalars
                      annotations:
                        a: "true"
                        b: "123"
                    data:
                      s1: "yes"
                      s2: "null"
                      s3: "1.0"
                      s4: hello world
                      s5: ""
                    """)})
case("res-multiline", {"kustomization.yaml": "resources:\n- cm.yaml\n", "cm.yaml": d("""
                      apiVersion: v1
                      kind: ConfigMap
                      metadata:
                        name: multi
                      data:
                        script: |
                          #!/bin/sh
                          echo hello
                          exit 0
                        folded: >
                          one
                          two
                      """)})
# errors
case("err-missing-resource", {"kustomization.yaml": "resources:\n- nope.yaml\n"})
case("err-missing-base", {"kustomization.yaml": "resources:\n- ./nobase\n"})
case("err-no-kustomization", {"README": "empty\n"})
case("err-invalid-yaml", {"kustomization.yaml": "resources:\n- cm.yaml\n", "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n"})
case("err-invalid-kustomization-yaml", {"kustomization.yaml": "resources:\n  - a\n - b\n"})
case("err-unknown-field", {"kustomization.yaml": "resources:\n- cm.yaml\nfoo: bar\n", "cm.yaml": CM})
case("err-duplicate-id", {"kustomization.yaml": "resources:\n- a.yaml\n- b.yaml\n", "a.yaml": CM, "b.yaml": CM})
case("err-duplicate-in-file", {"kustomization.yaml": "resources:\n- a.yaml\n", "a.yaml": CM + "---\n" + CM})
case("err-duplicate-across-bases", {"a/kustomization.yaml": "resources:\n- cm.yaml\n", "a/cm.yaml": CM,
                                    "b/kustomization.yaml": "resources:\n- cm.yaml\n", "b/cm.yaml": CM,
                                    "kustomization.yaml": "resources:\n- a\n- b\n"})
case("err-cycle", {"a/kustomization.yaml": "resources:\n- ../b\n", "b/kustomization.yaml": "resources:\n- ../a\n"}, build="a")
case("err-self-cycle", {"kustomization.yaml": "resources:\n- .\n"})
case("err-file-outside", {"outside.yaml": CM, "k/kustomization.yaml": "resources:\n- ../outside.yaml\n"}, build="k")
case("err-missing-name", {"kustomization.yaml": "resources:\n- a.yaml\n", "a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels:\n    a: b\n"})
case("err-missing-kind", {"kustomization.yaml": "resources:\n- a.yaml\n", "a.yaml": "apiVersion: v1\nmetadata:\n  name: x\n"})
case("err-two-kustomization-files", {"kustomization.yaml": "resources: []\n", "kustomization.yml": "resources: []\n"})
case("err-remote-base", {"kustomization.yaml": "resources:\n- https://github.com/kubernetes-sigs/kustomize//examples/helloWorld?ref=v5.0.0\n"})
case("err-component-as-resource", {"comp/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n",
                                   "kustomization.yaml": "resources:\n- comp\n"})
case("err-resource-as-component", {"base/kustomization.yaml": "resources: []\n",
                                   "kustomization.yaml": "components:\n- base\n"})
case("err-scalar-resource", {"kustomization.yaml": "resources:\n- a.yaml\n", "a.yaml": "just a string\n"})
case("err-resources-not-list", {"kustomization.yaml": "resources: a.yaml\n", "a.yaml": CM})

# ---------------------------------------------------------------- namespace
KINDS_NS = {
    "Deployment": DEPLOY, "Service": SERVICE, "ConfigMap": CM,
    "ClusterRole": "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: cr\nrules: []\n",
    "Namespace": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: old\n",
    "PersistentVolume": "apiVersion: v1\nkind: PersistentVolume\nmetadata:\n  name: pv\nspec:\n  capacity:\n    storage: 1Gi\n",
    "StorageClass": "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: fast\nprovisioner: x\n",
    "CRD": "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: foos.ex.com\n",
    "CustomResource": "apiVersion: ex.com/v1\nkind: Foo\nmetadata:\n  name: f\n",
    "Existing": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: other\n",
    "PriorityClass": "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata:\n  name: high\nvalue: 1000\n",
    "ValidatingWebhook": "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata:\n  name: vw\nwebhooks: []\n",
}
for k, v in KINDS_NS.items():
    case("ns-" + k.lower(), {"kustomization.yaml": "namespace: target\nresources:\n- r.yaml\n", "r.yaml": v})
case("ns-rbac-subjects", {"kustomization.yaml": "namespace: target\nresources:\n- r.yaml\n", "r.yaml": d("""
    apiVersion: v1
    kind: ServiceAccount
    metadata:
      name: sa
    ---
    apiVersion: rbac.authorization.k8s.io/v1
    kind: RoleBinding
    metadata:
      name: rb
    roleRef:
      apiGroup: rbac.authorization.k8s.io
      kind: Role
      name: r
    subjects:
    - kind: ServiceAccount
      name: sa
    - kind: ServiceAccount
      name: sa
      namespace: default
    - kind: ServiceAccount
      name: unknown
      namespace: default
    - kind: User
      name: bob
    ---
    apiVersion: rbac.authorization.k8s.io/v1
    kind: ClusterRoleBinding
    metadata:
      name: crb
    roleRef:
      apiGroup: rbac.authorization.k8s.io
      kind: ClusterRole
      name: cr
    subjects:
    - kind: ServiceAccount
      name: sa
      namespace: default
    - kind: Group
      name: devs
    """)})
case("ns-webhook-service", {"kustomization.yaml": "namespace: target\nresources:\n- r.yaml\n", "r.yaml": d("""
    apiVersion: v1
    kind: Service
    metadata:
      name: hook
    ---
    apiVersion: admissionregistration.k8s.io/v1
    kind: MutatingWebhookConfiguration
    metadata:
      name: mw
    webhooks:
    - name: m.example.com
      clientConfig:
        service:
          name: hook
          namespace: default
          path: /mutate
    """)})
case("ns-overlay-overrides", {"base/kustomization.yaml": "namespace: basens\nresources:\n- cm.yaml\n", "base/cm.yaml": CM,
                              "kustomization.yaml": "namespace: top\nresources:\n- base\n"})
case("ns-two-bases-same-name", {"a/kustomization.yaml": "namespace: a\nresources:\n- cm.yaml\n", "a/cm.yaml": CM,
                                "b/kustomization.yaml": "namespace: b\nresources:\n- cm.yaml\n", "b/cm.yaml": CM,
                                "kustomization.yaml": "resources:\n- a\n- b\n"})
case("err-ns-two-bases-merge-conflict", {"a/kustomization.yaml": "namespace: a\nresources:\n- cm.yaml\n", "a/cm.yaml": CM,
                                "b/kustomization.yaml": "namespace: b\nresources:\n- cm.yaml\n", "b/cm.yaml": CM,
                                "kustomization.yaml": "namespace: c\nresources:\n- a\n- b\n"})

# ---------------------------------------------------------------- prefix / suffix
for nm, body in [("prefix", "namePrefix: pre-\n"), ("suffix", "nameSuffix: -suf\n"),
                 ("both", "namePrefix: pre-\nnameSuffix: -suf\n")]:
    case("ps-" + nm + "-basic", {"kustomization.yaml": body + "resources:\n- r.yaml\n",
                                 "r.yaml": DEPLOY + "---\n" + SERVICE + "---\n" + CM})
    case("ps-" + nm + "-skip-kinds", {"kustomization.yaml": body + "resources:\n- r.yaml\n",
                                      "r.yaml": KINDS_NS["Namespace"] + "---\n" + KINDS_NS["CRD"] + "---\n" +
                                      "apiVersion: apiregistration.k8s.io/v1\nkind: APIService\nmetadata:\n  name: v1.ex.com\nspec:\n  service:\n    name: web\n---\n" +
                                      KINDS_NS["ClusterRole"] + "---\n" + SERVICE})
case("ps-layered", {"base/kustomization.yaml": "namePrefix: b-\nnameSuffix: -1\nresources:\n- r.yaml\n",
                    "base/r.yaml": DEPLOY + "---\n" + CM,
                    "kustomization.yaml": "namePrefix: o-\nnameSuffix: -2\nresources:\n- base\n"})

# name references: each field of the nameReference table, target renamed by a prefix
PODSPEC_KINDS = {
    "Deployment": ("apps/v1", "spec/template/spec"),
    "ReplicaSet": ("apps/v1", "spec/template/spec"),
    "DaemonSet": ("apps/v1", "spec/template/spec"),
    "StatefulSet": ("apps/v1", "spec/template/spec"),
    "Job": ("batch/v1", "spec/template/spec"),
    "CronJob": ("batch/v1", "spec/jobTemplate/spec/template/spec"),
    "Pod": ("v1", "spec"),
    "PodTemplate": ("v1", "template/spec"),
}

def nest(path, leaf):
    """YAML text for a path like a/b/c with leaf value; list marker where the field is a list."""
    LISTS = {"containers", "initContainers", "env", "envFrom", "volumes", "sources", "imagePullSecrets",
             "tls", "rules", "paths", "webhooks", "subjects", "volumeClaimTemplates", "backendRefs"}
    parts = path.split("/")
    out = []
    indent = 0
    for i, p in enumerate(parts):
        last = i == len(parts) - 1
        pad = " " * indent
        if last:
            out.append(pad + p + ": " + leaf)
        elif p in LISTS:
            out.append(pad + p + ":")
            out.append(pad + "- name: item" if p in ("containers", "initContainers", "volumes") else pad + "-")
            if p in ("containers", "initContainers", "volumes"):
                indent += 2
                continue
            # bare "-" followed by a mapping: put the next key on the same line
            out[-1] = pad + "- " + "__NEXT__"
            indent += 2
        else:
            out.append(pad + p + ":")
            indent += 2
    text = "\n".join(out)
    # join "- __NEXT__\n<pad>key" into "- key"
    lines = text.split("\n")
    res = []
    i = 0
    while i < len(lines):
        if lines[i].endswith("- __NEXT__"):
            res.append(lines[i].replace("__NEXT__", lines[i + 1].strip()))
            i += 2
        else:
            res.append(lines[i])
            i += 1
    return "\n".join(res) + "\n"

TARGETS = {
    "ConfigMap": ("v1", "cm"), "Secret": ("v1", "sec"), "ServiceAccount": ("v1", "sa"),
    "PersistentVolumeClaim": ("v1", "claim"), "PriorityClass": ("scheduling.k8s.io/v1", "prio"),
}
REFS = {
    "ConfigMap": ["volumes/configMap/name", "containers/env/valueFrom/configMapKeyRef/name",
                  "initContainers/env/valueFrom/configMapKeyRef/name", "containers/envFrom/configMapRef/name",
                  "initContainers/envFrom/configMapRef/name", "volumes/projected/sources/configMap/name"],
    "Secret": ["volumes/secret/secretName", "containers/env/valueFrom/secretKeyRef/name",
               "initContainers/env/valueFrom/secretKeyRef/name", "containers/envFrom/secretRef/name",
               "initContainers/envFrom/secretRef/name", "imagePullSecrets/name",
               "volumes/projected/sources/secret/name"],
    "ServiceAccount": ["serviceAccountName"],
    "PersistentVolumeClaim": ["volumes/persistentVolumeClaim/claimName"],
    "PriorityClass": ["priorityClassName"],
}
for tkind, paths in REFS.items():
    av, tname = TARGETS[tkind]
    target = "apiVersion: %s\nkind: %s\nmetadata:\n  name: %s\n" % (av, tkind, tname)
    for rkind, (rav, pre) in PODSPEC_KINDS.items():
        if tkind in ("ServiceAccount", "PersistentVolumeClaim", "PriorityClass") and rkind in ("PodTemplate", "ReplicaSet"):
            continue
        for p in paths:
            if tkind == "ConfigMap" and rkind == "CronJob" and False:
                continue
            full = pre + "/" + p
            ref = "apiVersion: %s\nkind: %s\nmetadata:\n  name: user\n" % (rav, rkind) + nest(full, tname)
            cname = "nameref-%s-%s-%s" % (tkind.lower(), rkind.lower(), p.replace("/", "-").lower())
            case(cname, {"kustomization.yaml": "namePrefix: p-\nresources:\n- target.yaml\n- user.yaml\n",
                         "target.yaml": target, "user.yaml": ref})

OTHER_REFS = [
    ("Deployment", "apps/v1", "web", "HorizontalPodAutoscaler", "autoscaling/v2", "spec/scaleTargetRef/name"),
    ("StatefulSet", "apps/v1", "web", "HorizontalPodAutoscaler", "autoscaling/v2", "spec/scaleTargetRef/name"),
    ("ReplicaSet", "apps/v1", "web", "HorizontalPodAutoscaler", "autoscaling/v2", "spec/scaleTargetRef/name"),
    ("Service", "v1", "svc", "StatefulSet", "apps/v1", "spec/serviceName"),
    ("Service", "v1", "svc", "Ingress", "networking.k8s.io/v1", "spec/rules/http/paths/backend/service/name"),
    ("Service", "v1", "svc", "Ingress", "networking.k8s.io/v1", "spec/defaultBackend/service/name"),
    ("Service", "v1", "svc", "APIService", "apiregistration.k8s.io/v1", "spec/service/name"),
    ("Secret", "v1", "sec", "Ingress", "networking.k8s.io/v1", "spec/tls/secretName"),
    ("Secret", "v1", "sec", "ServiceAccount", "v1", "imagePullSecrets/name"),
    ("Secret", "v1", "sec", "StorageClass", "storage.k8s.io/v1", "parameters/secretName"),
    ("Secret", "v1", "sec", "PersistentVolume", "v1", "spec/azureFile/secretName"),
    ("Role", "rbac.authorization.k8s.io/v1", "role", "RoleBinding", "rbac.authorization.k8s.io/v1", "roleRef/name"),
    ("ClusterRole", "rbac.authorization.k8s.io/v1", "crole", "RoleBinding", "rbac.authorization.k8s.io/v1", "roleRef/name"),
    ("ClusterRole", "rbac.authorization.k8s.io/v1", "crole", "ClusterRoleBinding", "rbac.authorization.k8s.io/v1", "roleRef/name"),
    ("PersistentVolume", "v1", "vol", "PersistentVolumeClaim", "v1", "spec/volumeName"),
    ("StorageClass", "storage.k8s.io/v1", "fast", "PersistentVolumeClaim", "v1", "spec/storageClassName"),
    ("StorageClass", "storage.k8s.io/v1", "fast", "PersistentVolume", "v1", "spec/storageClassName"),
    ("StorageClass", "storage.k8s.io/v1", "fast", "StatefulSet", "apps/v1", "spec/volumeClaimTemplates/spec/storageClassName"),
    ("IngressClass", "networking.k8s.io/v1", "ic", "Ingress", "networking.k8s.io/v1", "spec/ingressClassName"),
    ("ConfigMap", "v1", "cm", "Role", "rbac.authorization.k8s.io/v1", "rules/resourceNames"),
    ("Secret", "v1", "sec", "ClusterRole", "rbac.authorization.k8s.io/v1", "rules/resourceNames"),
    ("ConfigMap", "v1", "cm", "Node", "v1", "spec/configSource/configMap"),
]
for tkind, tav, tname, rkind, rav, path in OTHER_REFS:
    leaf = "[%s, other]" % tname if path.endswith("resourceNames") else tname
    ref = "apiVersion: %s\nkind: %s\nmetadata:\n  name: user\n" % (rav, rkind) + nest(path, leaf)
    target = "apiVersion: %s\nkind: %s\nmetadata:\n  name: %s\n" % (tav, tkind, tname)
    case("nameref-%s-%s-%s" % (tkind.lower(), rkind.lower(), path.replace("/", "-").lower()),
         {"kustomization.yaml": "nameSuffix: -s\nresources:\n- target.yaml\n- user.yaml\n",
          "target.yaml": target, "user.yaml": ref})
case("nameref-ingress-annotation", {"kustomization.yaml": "namePrefix: p-\nresources:\n- r.yaml\n", "r.yaml": d("""
    apiVersion: v1
    kind: Secret
    metadata:
      name: auth
    ---
    apiVersion: networking.k8s.io/v1
    kind: Ingress
    metadata:
      name: ing
      annotations:
        nginx.ingress.kubernetes.io/auth-secret: auth
        other: auth
    """)})
case("nameref-generated-hash", {"kustomization.yaml": d("""
    resources:
    - deploy.yaml
    configMapGenerator:
    - name: settings
      literals: [LOG=debug]
    secretGenerator:
    - name: creds
      literals: [password=hunter2]
    """), "deploy.yaml": d("""
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: app
    spec:
      template:
        spec:
          containers:
          - name: app
            image: app:1
            envFrom:
            - configMapRef:
                name: settings
            - secretRef:
                name: creds
          volumes:
          - name: cfg
            configMap:
              name: settings
          - name: sec
            secret:
              secretName: creds
    """)})
case("nameref-no-match-unchanged", {"kustomization.yaml": "namePrefix: p-\nresources:\n- r.yaml\n", "r.yaml": d("""
    apiVersion: v1
    kind: Pod
    metadata:
      name: pod
    spec:
      serviceAccountName: not-here
      containers:
      - name: c
        image: busybox
        envFrom:
        - configMapRef:
            name: missing
    """)})
case("nameref-base-and-overlay", {"base/kustomization.yaml": "namePrefix: b-\nresources:\n- r.yaml\nconfigMapGenerator:\n- name: conf\n  literals: [a=b]\n",
    "base/r.yaml": d("""
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: app
    spec:
      template:
        spec:
          containers:
          - name: app
            image: app
            envFrom:
            - configMapRef:
                name: conf
    """), "kustomization.yaml": "namePrefix: o-\nnamespace: prod\nresources:\n- base\n- pod.yaml\n",
    "pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  volumes:\n  - name: v\n    configMap:\n      name: conf\n"})
case("nameref-two-bases-same-cm", {
    "a/kustomization.yaml": "namePrefix: a-\nresources:\n- r.yaml\nconfigMapGenerator:\n- name: conf\n  literals: [who=a]\n",
    "a/r.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  volumes:\n  - name: v\n    configMap:\n      name: conf\n",
    "b/kustomization.yaml": "namePrefix: b-\nresources:\n- r.yaml\nconfigMapGenerator:\n- name: conf\n  literals: [who=b]\n",
    "b/r.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  volumes:\n  - name: v\n    configMap:\n      name: conf\n",
    "kustomization.yaml": "resources:\n- a\n- b\n"})

# ---------------------------------------------------------------- labels and annotations
LABEL_KINDS = {
    "deployment": DEPLOY, "service": SERVICE, "configmap": CM,
    "statefulset": d("""
        apiVersion: apps/v1
        kind: StatefulSet
        metadata:
          name: db
        spec:
          serviceName: db
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
                image: postgres
          volumeClaimTemplates:
          - metadata:
              name: data
            spec:
              accessModes: [ReadWriteOnce]
        """),
    "daemonset": "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: ds\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: x\n",
    "job": "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: x\n",
    "job-selector": "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\nspec:\n  selector:\n    matchLabels:\n      a: b\n  template:\n    spec:\n      containers:\n      - name: c\n        image: x\n",
    "cronjob": "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: cj\nspec:\n  schedule: '* * * * *'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n          - name: c\n            image: x\n",
    "replicaset": "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: rs\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: x\n",
    "rc": "apiVersion: v1\nkind: ReplicationController\nmetadata:\n  name: rc\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: x\n",
    "pdb": "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: pdb\nspec:\n  selector:\n    matchLabels:\n      app: web\n",
    "pdb-noselector": "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: pdb\nspec:\n  minAvailable: 1\n",
    "networkpolicy": d("""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: np
        spec:
          podSelector:
            matchLabels:
              app: web
          ingress:
          - from:
            - podSelector:
                matchLabels:
                  role: fe
          egress:
          - to:
            - podSelector:
                matchLabels:
                  role: db
        """),
    "deploy-affinity": d("""
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: aff
        spec:
          template:
            spec:
              affinity:
                podAntiAffinity:
                  requiredDuringSchedulingIgnoredDuringExecution:
                  - topologyKey: kubernetes.io/hostname
                    labelSelector:
                      matchLabels:
                        app: aff
                podAffinity:
                  preferredDuringSchedulingIgnoredDuringExecution:
                  - weight: 1
                    podAffinityTerm:
                      topologyKey: zone
                      labelSelector:
                        matchLabels:
                          app: aff
              topologySpreadConstraints:
              - maxSkew: 1
                topologyKey: zone
                whenUnsatisfiable: DoNotSchedule
                labelSelector:
                  matchLabels:
                    app: aff
              containers:
              - name: c
                image: x
        """),
    "custom": "apiVersion: ex.com/v1\nkind: Foo\nmetadata:\n  name: f\nspec:\n  selector:\n    matchLabels:\n      a: b\n",
    "pod": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: x\n",
}
for kn, body in LABEL_KINDS.items():
    case("commonlabels-" + kn, {"kustomization.yaml": "commonLabels:\n  team: blue\n  env: dev\nresources:\n- r.yaml\n", "r.yaml": body})
    case("annotations-" + kn, {"kustomization.yaml": "commonAnnotations:\n  owner: ops\n  note: \"a: b\"\nresources:\n- r.yaml\n", "r.yaml": body})
for kn in ["deployment", "statefulset", "cronjob", "service", "networkpolicy", "job"]:
    body = LABEL_KINDS[kn]
    case("labels-plain-" + kn, {"kustomization.yaml": "labels:\n- pairs:\n    team: blue\nresources:\n- r.yaml\n", "r.yaml": body})
    case("labels-selectors-" + kn, {"kustomization.yaml": "labels:\n- pairs:\n    team: blue\n  includeSelectors: true\nresources:\n- r.yaml\n", "r.yaml": body})
    case("labels-templates-" + kn, {"kustomization.yaml": "labels:\n- pairs:\n    team: blue\n  includeTemplates: true\nresources:\n- r.yaml\n", "r.yaml": body})
case("labels-fields", {"kustomization.yaml": d("""
    labels:
    - pairs:
        team: blue
      fields:
      - path: spec/extra/labels
        kind: Foo
        create: true
      - path: spec/selector/matchLabels
        kind: Foo
    resources:
    - r.yaml
    """), "r.yaml": LABEL_KINDS["custom"]})
case("labels-multiple-entries", {"kustomization.yaml": d("""
    commonLabels:
      common: "yes"
    labels:
    - pairs:
        a: "1"
    - pairs:
        b: "2"
      includeSelectors: true
    resources:
    - r.yaml
    """), "r.yaml": DEPLOY + "---\n" + SERVICE})
case("labels-override-existing", {"kustomization.yaml": "commonLabels:\n  app: changed\nresources:\n- r.yaml\n", "r.yaml": DEPLOY})
case("labels-layered", {"base/kustomization.yaml": "commonLabels:\n  layer: base\nresources:\n- r.yaml\n", "base/r.yaml": DEPLOY,
                        "kustomization.yaml": "commonLabels:\n  layer: top\n  extra: x\ncommonAnnotations:\n  a: b\nresources:\n- base\n"})
case("annotations-special-chars", {"kustomization.yaml": d("""
    commonAnnotations:
      example.com/url: "http://example.com/a?b=c"
      multi: |
        line one
        line two
      empty: ""
    resources:
    - r.yaml
    """), "r.yaml": CM})

# ---------------------------------------------------------------- images
IMG_POD = d("""
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  template:
    spec:
      initContainers:
      - name: init
        image: busybox
      containers:
      - name: a
        image: nginx
      - name: b
        image: nginx:1.19
      - name: c
        image: registry.example.com:5000/team/nginx:1.0
      - name: d
        image: nginx@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
      - name: e
        image: nginx-extra:2
""")
IMAGE_RULES = {
    "newtag": "- name: nginx\n  newTag: \"1.27\"\n",
    "newname": "- name: nginx\n  newName: my.registry/nginx\n",
    "newname-newtag": "- name: nginx\n  newName: my.registry/nginx\n  newTag: v2\n",
    "digest": "- name: nginx\n  digest: sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n",
    "registry-port": "- name: registry.example.com:5000/team/nginx\n  newTag: \"2.0\"\n",
    "init": "- name: busybox\n  newName: alpine\n  newTag: \"3.20\"\n",
    "several": "- name: nginx\n  newTag: a\n- name: busybox\n  newTag: b\n- name: nginx-extra\n  newName: extra\n",
    "nomatch": "- name: redis\n  newTag: \"7\"\n",
    "tag-and-digest": "- name: nginx\n  newTag: t\n  digest: sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc\n",
    "numeric-tag": "- name: nginx\n  newTag: \"1.0\"\n",
}
for rn, rules in IMAGE_RULES.items():
    case("images-" + rn, {"kustomization.yaml": "images:\n" + rules + "resources:\n- r.yaml\n", "r.yaml": IMG_POD})
for kn in ["cronjob", "job", "daemonset", "statefulset", "pod", "replicaset", "rc"]:
    body = LABEL_KINDS[kn].replace("image: x", "image: app:old").replace("image: postgres", "image: app:old")
    case("images-kind-" + kn, {"kustomization.yaml": "images:\n- name: app\n  newName: app2\n  newTag: new\nresources:\n- r.yaml\n", "r.yaml": body})
case("images-custom-resource", {"kustomization.yaml": "images:\n- name: app\n  newTag: v9\nresources:\n- r.yaml\n",
    "r.yaml": "apiVersion: ex.com/v1\nkind: Runner\nmetadata:\n  name: r\nspec:\n  deep:\n    containers:\n    - image: app:v1\n  image: app:v1\n"})
case("images-layered", {"base/kustomization.yaml": "images:\n- name: nginx\n  newTag: base\nresources:\n- r.yaml\n", "base/r.yaml": IMG_POD,
                        "kustomization.yaml": "images:\n- name: nginx\n  newTag: top\nresources:\n- base\n"})

# ---------------------------------------------------------------- replicas
case("replicas-deployment", {"kustomization.yaml": "replicas:\n- name: web\n  count: 5\nresources:\n- r.yaml\n", "r.yaml": DEPLOY})
case("replicas-statefulset-create", {"kustomization.yaml": "replicas:\n- name: db\n  count: 3\nresources:\n- r.yaml\n", "r.yaml": LABEL_KINDS["statefulset"]})
case("replicas-rs-rc", {"kustomization.yaml": "replicas:\n- name: rs\n  count: 2\n- name: rc\n  count: 0\nresources:\n- a.yaml\n- b.yaml\n",
                        "a.yaml": LABEL_KINDS["replicaset"], "b.yaml": LABEL_KINDS["rc"]})
case("replicas-after-prefix", {"base/kustomization.yaml": "namePrefix: p-\nresources:\n- r.yaml\n", "base/r.yaml": DEPLOY,
                               "kustomization.yaml": "replicas:\n- name: web\n  count: 7\nresources:\n- base\n"})
case("replicas-prefixed-name", {"base/kustomization.yaml": "namePrefix: p-\nresources:\n- r.yaml\n", "base/r.yaml": DEPLOY,
                                "kustomization.yaml": "replicas:\n- name: p-web\n  count: 4\nresources:\n- base\n"})
case("err-replicas-nomatch", {"kustomization.yaml": "replicas:\n- name: nothere\n  count: 5\nresources:\n- r.yaml\n", "r.yaml": DEPLOY})
case("replicas-ignores-other-kinds", {"kustomization.yaml": "replicas:\n- name: web\n  count: 2\nresources:\n- r.yaml\n", "r.yaml": DEPLOY + "---\n" + SERVICE})

# ---------------------------------------------------------------- generators
case("gen-cm-literals", {"kustomization.yaml": "configMapGenerator:\n- name: cfg\n  literals:\n  - A=1\n  - B=two words\n  - C=\"quoted\"\n  - D='single'\n  - E=\n  - F=a=b\n"})
case("gen-cm-files", {"kustomization.yaml": "configMapGenerator:\n- name: cfg\n  files:\n  - app.properties\n  - custom-key=data.txt\n",
                      "app.properties": "a=1\nb=2\n", "data.txt": "hello\n"})
case("gen-cm-envs", {"kustomization.yaml": "configMapGenerator:\n- name: cfg\n  envs:\n  - a.env\n  - b.env\n",
                     "a.env": "# comment\nA=1\n\nB=with spaces\n", "b.env": "C=3\nD=\"quoted\"\n"})
case("gen-cm-env-single", {"kustomization.yaml": "configMapGenerator:\n- name: cfg\n  env: a.env\n", "a.env": "X=1\nY=2\n"})
case("gen-cm-mixed", {"kustomization.yaml": "configMapGenerator:\n- name: cfg\n  literals: [L=1]\n  files: [f.txt]\n  envs: [e.env]\n",
                      "f.txt": "file\n", "e.env": "E=1\n"})
case("gen-cm-binary", {"kustomization.yaml": "configMapGenerator:\n- name: bin\n  files:\n  - blob.bin\n  - text.txt\n",
                       "blob.bin": "\x00\x01\x02\xff\xfe", "text.txt": "plain\n"})
case("gen-cm-multiline-file", {"kustomization.yaml": "configMapGenerator:\n- name: cfg\n  files:\n  - config.yaml\n",
                               "config.yaml": "server:\n  port: 8080\n  host: 0.0.0.0\nlist:\n- a\n- b\n"})
case("gen-cm-namespace", {"kustomization.yaml": "configMapGenerator:\n- name: cfg\n  namespace: custom\n  literals: [a=b]\n"})
case("gen-cm-options", {"kustomization.yaml": "configMapGenerator:\n- name: cfg\n  literals: [a=b]\n  options:\n    labels:\n      l: v\n    annotations:\n      an: v\n"})
case("gen-cm-nohash", {"kustomization.yaml": "configMapGenerator:\n- name: cfg\n  literals: [a=b]\n  options:\n    disableNameSuffixHash: true\n"})
case("gen-cm-immutable", {"kustomization.yaml": "configMapGenerator:\n- name: cfg\n  literals: [a=b]\n  options:\n    immutable: true\n"})
case("gen-options-global", {"kustomization.yaml": "generatorOptions:\n  disableNameSuffixHash: true\n  labels:\n    gen: \"yes\"\n  annotations:\n    note: x\nconfigMapGenerator:\n- name: cfg\n  literals: [a=b]\nsecretGenerator:\n- name: s\n  literals: [a=b]\n"})
case("gen-options-override", {"kustomization.yaml": "generatorOptions:\n  disableNameSuffixHash: true\n  labels:\n    a: global\nconfigMapGenerator:\n- name: cfg\n  literals: [a=b]\n  options:\n    disableNameSuffixHash: false\n    labels:\n      a: local\n"})
case("gen-secret-literals", {"kustomization.yaml": "secretGenerator:\n- name: s\n  literals:\n  - user=admin\n  - password=s3cr3t!\n"})
case("gen-secret-type", {"kustomization.yaml": "secretGenerator:\n- name: tls\n  type: kubernetes.io/tls\n  files:\n  - tls.crt\n  - tls.key\n",
                         "tls.crt": "CERT\n", "tls.key": "KEY\n"})
case("gen-secret-envs", {"kustomization.yaml": "secretGenerator:\n- name: s\n  envs: [s.env]\n", "s.env": "TOKEN=abc\nURL=https://x?y=z\n"})
case("gen-secret-binary", {"kustomization.yaml": "secretGenerator:\n- name: s\n  files: [blob.bin]\n", "blob.bin": "\x00\x01\x02\xff"})
case("gen-secret-empty", {"kustomization.yaml": "secretGenerator:\n- name: s\n"})
case("gen-cm-empty", {"kustomization.yaml": "configMapGenerator:\n- name: e\n"})
case("gen-several", {"kustomization.yaml": "configMapGenerator:\n- name: a\n  literals: [x=1]\n- name: b\n  literals: [x=2]\nsecretGenerator:\n- name: c\n  literals: [x=3]\n"})
case("gen-with-prefix-ns", {"kustomization.yaml": "namePrefix: app-\nnameSuffix: -v1\nnamespace: prod\ncommonLabels:\n  app: x\nconfigMapGenerator:\n- name: cfg\n  literals: [a=b]\n"})
case("gen-unicode", {"kustomization.yaml": "configMapGenerator:\n- name: u\n  literals:\n  - greeting=héllo wörld\n  - html=<b>&amp;</b>\n  - emoji=ok ✓\n"})
case("gen-merge-overlay", {"base/kustomization.yaml": "configMapGenerator:\n- name: cfg\n  literals: [a=1, b=2]\n",
                           "kustomization.yaml": "resources:\n- base\nconfigMapGenerator:\n- name: cfg\n  behavior: merge\n  literals: [b=3, c=4]\n"})
case("gen-replace-overlay", {"base/kustomization.yaml": "configMapGenerator:\n- name: cfg\n  literals: [a=1, b=2]\n",
                             "kustomization.yaml": "resources:\n- base\nconfigMapGenerator:\n- name: cfg\n  behavior: replace\n  literals: [z=9]\n"})
case("gen-merge-secret", {"base/kustomization.yaml": "secretGenerator:\n- name: s\n  literals: [a=1]\n",
                          "kustomization.yaml": "resources:\n- base\nsecretGenerator:\n- name: s\n  behavior: merge\n  literals: [b=2]\n"})
case("gen-merge-labels", {"base/kustomization.yaml": "configMapGenerator:\n- name: cfg\n  literals: [a=1]\n  options:\n    labels:\n      base: \"1\"\n",
                          "kustomization.yaml": "resources:\n- base\nconfigMapGenerator:\n- name: cfg\n  behavior: merge\n  literals: [a=2]\n  options:\n    labels:\n      top: \"1\"\n"})
case("gen-merge-three-layers", {"a/kustomization.yaml": "configMapGenerator:\n- name: cfg\n  literals: [a=1]\n",
                                "b/kustomization.yaml": "resources:\n- ../a\nconfigMapGenerator:\n- name: cfg\n  behavior: merge\n  literals: [b=2]\n",
                                "c/kustomization.yaml": "resources:\n- ../b\nconfigMapGenerator:\n- name: cfg\n  behavior: merge\n  literals: [c=3]\n"}, build="c")
case("gen-merge-with-base-prefix", {"base/kustomization.yaml": "namePrefix: b-\nconfigMapGenerator:\n- name: cfg\n  literals: [a=1]\n",
                                    "kustomization.yaml": "resources:\n- base\nconfigMapGenerator:\n- name: cfg\n  behavior: merge\n  literals: [a=2]\n"})
case("gen-merge-plain-cm", {"kustomization.yaml": "resources:\n- cm.yaml\nconfigMapGenerator:\n- name: settings\n  behavior: merge\n  literals: [added=yes]\n", "cm.yaml": CM})
case("gen-replace-plain-cm", {"kustomization.yaml": "resources:\n- cm.yaml\nconfigMapGenerator:\n- name: settings\n  behavior: replace\n  literals: [only=this]\n", "cm.yaml": CM})
case("gen-merge-nohash-base", {"base/kustomization.yaml": "generatorOptions:\n  disableNameSuffixHash: true\nconfigMapGenerator:\n- name: cfg\n  literals: [a=1]\n",
                               "kustomization.yaml": "resources:\n- base\nconfigMapGenerator:\n- name: cfg\n  behavior: merge\n  literals: [b=2]\n"})
case("err-gen-merge-missing", {"kustomization.yaml": "configMapGenerator:\n- name: cfg\n  behavior: merge\n  literals: [a=1]\n"})
case("err-gen-duplicate-key", {"kustomization.yaml": "configMapGenerator:\n- name: cfg\n  literals: [a=1, a=2]\n"})
case("gen-key-with-space", {"kustomization.yaml": "configMapGenerator:\n- name: cfg\n  literals: [\"a b=1\"]\n"})
case("err-gen-missing-file", {"kustomization.yaml": "configMapGenerator:\n- name: cfg\n  files: [nope.txt]\n"})
case("err-gen-missing-env", {"kustomization.yaml": "configMapGenerator:\n- name: cfg\n  envs: [nope.env]\n"})
case("err-gen-literal-no-equals", {"kustomization.yaml": "configMapGenerator:\n- name: cfg\n  literals: [novalue]\n"})
case("err-gen-duplicate-create", {"kustomization.yaml": "configMapGenerator:\n- name: cfg\n  literals: [a=1]\n- name: cfg\n  literals: [b=1]\n"})
case("gen-unknown-behavior-is-create", {"kustomization.yaml": "configMapGenerator:\n- name: cfg\n  behavior: upsert\n  literals: [a=1]\n"})
case("err-gen-file-outside", {"secret.txt": "x\n", "k/kustomization.yaml": "configMapGenerator:\n- name: cfg\n  files: [../secret.txt]\n"}, build="k")
case("gen-refs-across-layers", {"base/kustomization.yaml": "resources:\n- deploy.yaml\nconfigMapGenerator:\n- name: cfg\n  literals: [a=1]\n",
    "base/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: x\n        envFrom:\n        - configMapRef:\n            name: cfg\n",
    "kustomization.yaml": "namePrefix: top-\nresources:\n- base\nconfigMapGenerator:\n- name: cfg\n  behavior: merge\n  literals: [b=2]\n"})

# ---------------------------------------------------------------- components
case("comp-basic", {"base/kustomization.yaml": "resources:\n- cm.yaml\n", "base/cm.yaml": CM,
                    "comp/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n- svc.yaml\ncommonLabels:\n  comp: \"on\"\n",
                    "comp/svc.yaml": SERVICE,
                    "kustomization.yaml": "resources:\n- base\ncomponents:\n- comp\n"})
case("comp-generator-merge", {"base/kustomization.yaml": "configMapGenerator:\n- name: cfg\n  literals: [a=1]\n",
                              "comp/kustomization.yaml": "kind: Component\nconfigMapGenerator:\n- name: cfg\n  behavior: merge\n  literals: [feature=on]\n",
                              "kustomization.yaml": "resources:\n- base\ncomponents:\n- comp\n"})
case("comp-two", {"base/kustomization.yaml": "resources:\n- d.yaml\n", "base/d.yaml": DEPLOY,
                  "c1/kustomization.yaml": "kind: Component\nimages:\n- name: nginx\n  newTag: c1\n",
                  "c2/kustomization.yaml": "kind: Component\nnamePrefix: c2-\ncommonAnnotations:\n  c2: \"yes\"\n",
                  "kustomization.yaml": "resources:\n- base\ncomponents:\n- c1\n- c2\n"})
case("comp-in-overlay-chain", {"base/kustomization.yaml": "resources:\n- d.yaml\n", "base/d.yaml": DEPLOY,
                               "comp/kustomization.yaml": "kind: Component\nreplicas:\n- name: web\n  count: 3\n",
                               "mid/kustomization.yaml": "resources:\n- ../base\ncomponents:\n- ../comp\nnamePrefix: mid-\n",
                               "top/kustomization.yaml": "resources:\n- ../mid\nnamespace: top\n"}, build="top")
case("comp-nested", {"c-inner/kustomization.yaml": "kind: Component\ncommonLabels:\n  inner: \"1\"\n",
                     "c-outer/kustomization.yaml": "kind: Component\ncomponents:\n- ../c-inner\nresources:\n- cm.yaml\n", "c-outer/cm.yaml": CM,
                     "kustomization.yaml": "components:\n- c-outer\n"})
case("comp-order-after-generators", {"comp/kustomization.yaml": "kind: Component\nnameSuffix: -c\n",
                                     "kustomization.yaml": "configMapGenerator:\n- name: g\n  literals: [a=1]\ncomponents:\n- comp\nresources:\n- cm.yaml\n", "cm.yaml": CM})

# ---------------------------------------------------------------- overlays of overlays
case("overlay-3-levels-all", {"base/kustomization.yaml": "resources:\n- d.yaml\n- s.yaml\nconfigMapGenerator:\n- name: cfg\n  literals: [level=base]\n",
                              "base/d.yaml": DEPLOY.replace("      containers:", "      volumes:\n      - name: cfg\n        configMap:\n          name: cfg\n      containers:"),
                              "base/s.yaml": SERVICE,
                              "staging/kustomization.yaml": "resources:\n- ../base\nnamePrefix: staging-\ncommonLabels:\n  env: staging\nconfigMapGenerator:\n- name: cfg\n  behavior: merge\n  literals: [level=staging]\n",
                              "prod/kustomization.yaml": "resources:\n- ../staging\nnamespace: prod\nnameSuffix: -p\nimages:\n- name: nginx\n  newTag: stable\nreplicas:\n- name: web\n  count: 10\n"},
     build="prod")
case("overlay-diamond", {"base/kustomization.yaml": "resources:\n- cm.yaml\n", "base/cm.yaml": CM,
                         "a/kustomization.yaml": "resources:\n- ../base\nnamePrefix: a-\n",
                         "b/kustomization.yaml": "resources:\n- ../base\nnamePrefix: b-\n",
                         "top/kustomization.yaml": "resources:\n- ../a\n- ../b\n"}, build="top")
case("err-overlay-diamond-conflict", {"base/kustomization.yaml": "resources:\n- cm.yaml\n", "base/cm.yaml": CM,
                                      "a/kustomization.yaml": "resources:\n- ../base\n",
                                      "b/kustomization.yaml": "resources:\n- ../base\n",
                                      "top/kustomization.yaml": "resources:\n- ../a\n- ../b\n"}, build="top")

# ---------------------------------------------------------------- order
case("order-many-kinds", {"kustomization.yaml": "resources:\n- r.yaml\n", "r.yaml": "---\n".join([
    "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata:\n  name: v\n",
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: z\n",
    "apiVersion: ex.com/v1\nkind: Zeta\nmetadata:\n  name: a\n",
    "apiVersion: ex.com/v1\nkind: Alpha\nmetadata:\n  name: a\n",
    "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n",
    "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: n\n",
    "apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\nmetadata:\n  name: m\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
    "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: r\n",
    "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: ss\n",
    "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa\n",
    "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: c.ex.com\n",
    "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\n",
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n",
    "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: pdb\n",
    "apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: q\n",
])})
case("order-names-namespaces", {"kustomization.yaml": "resources:\n- r.yaml\n", "r.yaml": "---\n".join([
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: z\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: a\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
    "apiVersion: ex.com/v2\nkind: Thing\nmetadata:\n  name: a\n",
    "apiVersion: ex.com/v1\nkind: Thing\nmetadata:\n  name: b\n",
    "apiVersion: other.io/v1\nkind: Thing\nmetadata:\n  name: c\n",
])})
case("order-fifo", {"kustomization.yaml": "sortOptions:\n  order: fifo\nresources:\n- r.yaml\n", "r.yaml": DEPLOY + "---\n" + CM + "---\n" + SERVICE})
case("order-legacy-custom", {"kustomization.yaml": "sortOptions:\n  order: legacy\n  legacySortOptions:\n    orderFirst: [Service]\n    orderLast: [ConfigMap]\nresources:\n- r.yaml\n", "r.yaml": CM + "---\n" + DEPLOY + "---\n" + SERVICE})


# ---------------------------------------------------------------- patches
APP = d("""
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  labels:
    app: app
  annotations:
    team: a
spec:
  replicas: 1
  selector:
    matchLabels:
      app: app
  template:
    metadata:
      labels:
        app: app
    spec:
      containers:
      - name: main
        image: app:1
        env:
        - name: A
          value: "1"
        - name: B
          value: "2"
        ports:
        - containerPort: 8080
          name: http
        resources:
          limits:
            cpu: 100m
      - name: sidecar
        image: side:1
      volumes:
      - name: data
        emptyDir: {}
""")
APP2 = APP.replace("name: app\n  labels:\n    app: app\n  annotations:\n    team: a", "name: other\n  labels:\n    app: other\n    tier: back\n  annotations:\n    team: b")
CRES = "apiVersion: ex.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  items:\n  - name: a\n    v: 1\n  - name: b\n    v: 2\n  nested:\n    x: 1\n    y: 2\n"
SMP = {
    "replicas": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  replicas: 3\n",
    "container-merge": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n      - name: main\n        image: app:2\n",
    "container-add": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n      - name: extra\n        image: extra:1\n",
    "env-merge": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n      - name: main\n        env:\n        - name: B\n          value: changed\n        - name: C\n          value: new\n",
    "env-delete": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n      - name: main\n        env:\n        - name: A\n          $patch: delete\n",
    "container-delete": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n      - name: sidecar\n        $patch: delete\n",
    "containers-replace": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n      - $patch: replace\n      - name: only\n        image: only:1\n",
    "null-removes": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\n  annotations:\n    team: null\nspec:\n  template:\n    spec:\n      containers:\n      - name: main\n        resources: null\n",
    "labels-add": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\n  labels:\n    extra: \"yes\"\n",
    "ports-merge": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n      - name: main\n        ports:\n        - containerPort: 9090\n          name: metrics\n",
    "volumes-add": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      volumes:\n      - name: cache\n        emptyDir:\n          medium: Memory\n",
    "map-replace": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n      - name: main\n        resources:\n          $patch: replace\n          requests:\n            cpu: 1\n",
    "delete-resource": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\n$patch: delete\n",
    "tolerations": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      tolerations:\n      - key: k\n        operator: Exists\n      nodeSelector:\n        disk: ssd\n",
    "args-replace": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n      - name: main\n        args: [--verbose, --port=1]\n",
    "strategy": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  strategy:\n    type: Recreate\n",
}
for pn, body in SMP.items():
    case("psm-" + pn, {"kustomization.yaml": "resources:\n- app.yaml\npatchesStrategicMerge:\n- patch.yaml\n", "app.yaml": APP, "patch.yaml": body})
    case("patches-smp-" + pn, {"kustomization.yaml": "resources:\n- app.yaml\npatches:\n- path: patch.yaml\n", "app.yaml": APP, "patch.yaml": body})
case("psm-inline", {"kustomization.yaml": "resources:\n- app.yaml\npatchesStrategicMerge:\n- |-\n  apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: app\n  spec:\n    replicas: 9\n", "app.yaml": APP})
case("psm-multi-doc", {"kustomization.yaml": "resources:\n- app.yaml\n- other.yaml\npatchesStrategicMerge:\n- patch.yaml\n", "app.yaml": APP, "other.yaml": APP2,
                       "patch.yaml": SMP["replicas"] + "---\n" + SMP["replicas"].replace("name: app", "name: other").replace("3", "4")})
case("psm-two-files", {"kustomization.yaml": "resources:\n- app.yaml\npatchesStrategicMerge:\n- a.yaml\n- b.yaml\n", "app.yaml": APP, "a.yaml": SMP["replicas"], "b.yaml": SMP["env-merge"]})
case("psm-service-ports", {"kustomization.yaml": "resources:\n- svc.yaml\npatchesStrategicMerge:\n- p.yaml\n", "svc.yaml": SERVICE,
                           "p.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  type: NodePort\n  ports:\n  - port: 443\n    targetPort: 8443\n    name: https\n"})
case("psm-configmap-data", {"kustomization.yaml": "resources:\n- cm.yaml\npatchesStrategicMerge:\n- p.yaml\n", "cm.yaml": CM,
                            "p.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  key: patched\n  added: \"1\"\n  other: null\n"})
case("psm-custom-resource", {"kustomization.yaml": "resources:\n- w.yaml\npatchesStrategicMerge:\n- p.yaml\n", "w.yaml": CRES,
                             "p.yaml": "apiVersion: ex.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  items:\n  - name: c\n    v: 3\n  nested:\n    y: 20\n"})
case("psm-after-base-prefix", {"base/kustomization.yaml": "namePrefix: b-\nresources:\n- app.yaml\n", "base/app.yaml": APP,
                               "kustomization.yaml": "resources:\n- base\npatchesStrategicMerge:\n- p.yaml\n", "p.yaml": SMP["replicas"]})
case("psm-after-base-namespace", {"base/kustomization.yaml": "namespace: ns\nresources:\n- app.yaml\n", "base/app.yaml": APP,
                                  "kustomization.yaml": "resources:\n- base\npatchesStrategicMerge:\n- p.yaml\n", "p.yaml": SMP["replicas"].replace("name: app", "name: app\n  namespace: ns")})
case("err-psm-no-match", {"kustomization.yaml": "resources:\n- app.yaml\npatchesStrategicMerge:\n- p.yaml\n", "app.yaml": APP, "p.yaml": SMP["replicas"].replace("name: app", "name: nope")})
case("err-psm-missing-file", {"kustomization.yaml": "resources:\n- app.yaml\npatchesStrategicMerge:\n- nope.yaml\n", "app.yaml": APP})
case("psm-name-change-ignored", {"kustomization.yaml": "resources:\n- app.yaml\npatchesStrategicMerge:\n- p.yaml\n", "app.yaml": APP,
                                 "p.yaml": SMP["replicas"]})

TARGETS_SEL = {
    "kind": "  target:\n    kind: Deployment\n",
    "name": "  target:\n    name: app\n",
    "name-regex": "  target:\n    name: \"o.*\"\n",
    "name-alt": "  target:\n    name: app|other\n",
    "group-version": "  target:\n    group: apps\n    version: v1\n    kind: Deployment\n",
    "label": "  target:\n    labelSelector: tier=back\n",
    "label-notin": "  target:\n    labelSelector: app notin (app)\n",
    "label-exists": "  target:\n    kind: Deployment\n    labelSelector: \"!tier\"\n",
    "annotation": "  target:\n    annotationSelector: team=a\n",
    "nomatch": "  target:\n    kind: StatefulSet\n",
    "namespace-default": "  target:\n    namespace: default\n",
}
JSONOPS = "  patch: |-\n    - op: replace\n      path: /spec/replicas\n      value: 5\n    - op: add\n      path: /metadata/annotations/patched\n      value: \"true\"\n"
for tn, tgt in TARGETS_SEL.items():
    case("patches-json-target-" + tn, {"kustomization.yaml": "resources:\n- app.yaml\n- other.yaml\npatches:\n-" + JSONOPS[1:] + tgt, "app.yaml": APP, "other.yaml": APP2})
    case("patches-smp-target-" + tn, {"kustomization.yaml": "resources:\n- app.yaml\n- other.yaml\npatches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: ignored\n    spec:\n      template:\n        spec:\n          containers:\n          - name: main\n            image: patched:9\n" + tgt,
                                      "app.yaml": APP, "other.yaml": APP2})
JSON_OPS = {
    "add": "- op: add\n  path: /spec/template/spec/containers/0/env/-\n  value:\n    name: NEW\n    value: x\n",
    "add-index": "- op: add\n  path: /spec/template/spec/containers/1\n  value:\n    name: mid\n    image: mid:1\n",
    "remove": "- op: remove\n  path: /spec/template/spec/containers/1\n",
    "replace-image": "- op: replace\n  path: /spec/template/spec/containers/0/image\n  value: app:9\n",
    "move": "- op: move\n  from: /metadata/annotations/team\n  path: /metadata/labels/team\n",
    "copy": "- op: copy\n  from: /metadata/labels/app\n  path: /metadata/annotations/copied\n",
    "test-ok": "- op: test\n  path: /spec/replicas\n  value: 1\n- op: replace\n  path: /spec/replicas\n  value: 2\n",
    "escaped-path": "- op: add\n  path: /metadata/annotations/example.com~1key\n  value: v\n",
    "replace-map": "- op: replace\n  path: /spec/selector\n  value:\n    matchLabels:\n      x: z\n",
    "rename": "- op: replace\n  path: /metadata/name\n  value: renamed\n",
}
for on, ops in JSON_OPS.items():
    case("patches-json-" + on, {"kustomization.yaml": "resources:\n- app.yaml\npatches:\n- path: ops.yaml\n  target:\n    kind: Deployment\n    name: app\n", "app.yaml": APP, "ops.yaml": ops})
    case("pj6902-" + on, {"kustomization.yaml": "resources:\n- app.yaml\npatchesJson6902:\n- path: ops.yaml\n  target:\n    group: apps\n    version: v1\n    kind: Deployment\n    name: app\n", "app.yaml": APP, "ops.yaml": ops})
case("pj6902-json-file", {"kustomization.yaml": "resources:\n- app.yaml\npatchesJson6902:\n- path: ops.json\n  target:\n    group: apps\n    version: v1\n    kind: Deployment\n    name: app\n", "app.yaml": APP,
                          "ops.json": "[{\"op\": \"replace\", \"path\": \"/spec/replicas\", \"value\": 4}]\n"})
case("pj6902-inline", {"kustomization.yaml": "resources:\n- app.yaml\npatchesJson6902:\n- patch: '[{\"op\": \"add\", \"path\": \"/metadata/labels/x\", \"value\": \"y\"}]'\n  target:\n    version: v1\n    kind: Deployment\n    name: app\n", "app.yaml": APP})
case("err-json-test-fails", {"kustomization.yaml": "resources:\n- app.yaml\npatches:\n- path: ops.yaml\n  target:\n    kind: Deployment\n", "app.yaml": APP, "ops.yaml": "- op: test\n  path: /spec/replicas\n  value: 7\n"})
case("err-json-remove-missing", {"kustomization.yaml": "resources:\n- app.yaml\npatches:\n- path: ops.yaml\n  target:\n    kind: Deployment\n", "app.yaml": APP, "ops.yaml": "- op: remove\n  path: /spec/nothere\n"})
case("err-json-no-target", {"kustomization.yaml": "resources:\n- app.yaml\npatches:\n- path: ops.yaml\n", "app.yaml": APP, "ops.yaml": JSON_OPS["replace-image"]})
case("err-patch-path-and-patch", {"kustomization.yaml": "resources:\n- app.yaml\npatches:\n- path: ops.yaml\n  patch: |-\n    - op: remove\n      path: /spec\n  target:\n    kind: Deployment\n", "app.yaml": APP, "ops.yaml": JSON_OPS["replace-image"]})
case("err-patch-missing-file", {"kustomization.yaml": "resources:\n- app.yaml\npatches:\n- path: nope.yaml\n", "app.yaml": APP})
case("err-smp-no-match", {"kustomization.yaml": "resources:\n- app.yaml\npatches:\n- path: p.yaml\n", "app.yaml": APP, "p.yaml": SMP["replicas"].replace("name: app", "name: nope")})
case("patches-smp-allow-name-change", {"kustomization.yaml": "resources:\n- app.yaml\npatches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: newname\n  target:\n    name: app\n  options:\n    allowNameChange: true\n", "app.yaml": APP})
case("patches-smp-name-change-denied", {"kustomization.yaml": "resources:\n- app.yaml\npatches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: newname\n    spec:\n      replicas: 2\n  target:\n    name: app\n", "app.yaml": APP})
case("patches-smp-delete-by-target", {"kustomization.yaml": "resources:\n- app.yaml\n- other.yaml\npatches:\n- patch: |-\n    $patch: delete\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: x\n  target:\n    labelSelector: tier=back\n", "app.yaml": APP, "other.yaml": APP2})
case("patches-order-smp-then-json", {"kustomization.yaml": "resources:\n- app.yaml\npatches:\n- path: smp.yaml\n- path: ops.yaml\n  target:\n    kind: Deployment\n", "app.yaml": APP, "smp.yaml": SMP["replicas"],
                                     "ops.yaml": "- op: replace\n  path: /spec/replicas\n  value: 8\n"})
case("patches-and-prefix-target-name", {"kustomization.yaml": "namePrefix: p-\nresources:\n- app.yaml\npatches:\n- path: ops.yaml\n  target:\n    name: app\n", "app.yaml": APP, "ops.yaml": JSON_OPS["replace-image"]})
case("patches-overlay-target-original-name", {"base/kustomization.yaml": "namePrefix: b-\nresources:\n- app.yaml\n", "base/app.yaml": APP,
                                              "kustomization.yaml": "resources:\n- base\npatches:\n- path: ops.yaml\n  target:\n    name: app\n", "ops.yaml": JSON_OPS["replace-image"]})
case("patches-overlay-target-current-name", {"base/kustomization.yaml": "namePrefix: b-\nresources:\n- app.yaml\n", "base/app.yaml": APP,
                                             "kustomization.yaml": "resources:\n- base\npatches:\n- path: ops.yaml\n  target:\n    name: b-app\n", "ops.yaml": JSON_OPS["replace-image"]})
case("patches-custom-resource-json", {"kustomization.yaml": "resources:\n- w.yaml\npatches:\n- patch: |-\n    - op: replace\n      path: /spec/items/1/v\n      value: 22\n  target:\n    group: ex.com\n    kind: Widget\n", "w.yaml": CRES})
case("patches-custom-resource-smp", {"kustomization.yaml": "resources:\n- w.yaml\npatches:\n- patch: |-\n    apiVersion: ex.com/v1\n    kind: Widget\n    metadata:\n      name: w\n    spec:\n      nested:\n        x: null\n        z: 3\n", "w.yaml": CRES})
case("patches-multi-doc-smp", {"kustomization.yaml": "resources:\n- app.yaml\n- other.yaml\npatches:\n- path: p.yaml\n", "app.yaml": APP, "other.yaml": APP2,
                               "p.yaml": SMP["replicas"] + "---\n" + SMP["labels-add"].replace("name: app", "name: other")})
case("comp-with-patches", {"base/kustomization.yaml": "resources:\n- app.yaml\n", "base/app.yaml": APP,
                           "comp/kustomization.yaml": "kind: Component\npatches:\n- path: p.yaml\n- patch: |-\n    - op: add\n      path: /metadata/labels/comp\n      value: \"on\"\n  target:\n    kind: Deployment\n",
                           "comp/p.yaml": SMP["container-add"],
                           "kustomization.yaml": "resources:\n- base\ncomponents:\n- comp\n"})
case("comp-patches-and-generator", {"base/kustomization.yaml": "resources:\n- app.yaml\nconfigMapGenerator:\n- name: flags\n  literals: [a=1]\n", "base/app.yaml": APP,
                                    "comp/kustomization.yaml": "kind: Component\nconfigMapGenerator:\n- name: flags\n  behavior: merge\n  literals: [b=2]\npatchesStrategicMerge:\n- p.yaml\n",
                                    "comp/p.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n      - name: main\n        envFrom:\n        - configMapRef:\n            name: flags\n",
                                    "overlay/kustomization.yaml": "resources:\n- ../base\ncomponents:\n- ../comp\nnamePrefix: dev-\nnamespace: dev\n"}, build="overlay")
case("overlay-patch-chain", {"base/kustomization.yaml": "resources:\n- app.yaml\n", "base/app.yaml": APP,
                             "mid/kustomization.yaml": "resources:\n- ../base\npatches:\n- path: p.yaml\n", "mid/p.yaml": SMP["replicas"],
                             "top/kustomization.yaml": "resources:\n- ../mid\npatches:\n- path: p.yaml\nnameSuffix: -top\n", "top/p.yaml": SMP["env-merge"]}, build="top")


# ---------------------------------------------------------------- replacements
REPL_RES = {"app.yaml": APP, "cm.yaml": d("""
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: source
    data:
      image: registry.io/app:7
      host: db.example.com
      port: "5432"
      list: a,b,c
    """), "svc.yaml": SERVICE}
RK = "resources:\n- app.yaml\n- cm.yaml\n- svc.yaml\n"
REPLS = {
    "basic": "- source:\n    kind: ConfigMap\n    name: source\n    fieldPath: data.image\n  targets:\n  - select:\n      kind: Deployment\n    fieldPaths:\n    - spec.template.spec.containers.[name=main].image\n",
    "name-default": "- source:\n    kind: Service\n    name: web\n  targets:\n  - select:\n      kind: ConfigMap\n    fieldPaths:\n    - data.host\n",
    "index-path": "- source:\n    kind: ConfigMap\n    name: source\n    fieldPath: data.port\n  targets:\n  - select:\n      kind: Deployment\n    fieldPaths:\n    - spec.template.spec.containers.0.env.0.value\n",
    "wildcard": "- source:\n    kind: ConfigMap\n    name: source\n    fieldPath: data.image\n  targets:\n  - select:\n      kind: Deployment\n    fieldPaths:\n    - spec.template.spec.containers.*.image\n",
    "create": "- source:\n    kind: ConfigMap\n    name: source\n    fieldPath: data.host\n  targets:\n  - select:\n      kind: Deployment\n    fieldPaths:\n    - metadata.annotations.dbhost\n    - spec.template.metadata.annotations.dbhost\n    options:\n      create: true\n",
    "source-delimiter": "- source:\n    kind: ConfigMap\n    name: source\n    fieldPath: data.list\n    options:\n      delimiter: ','\n      index: 1\n  targets:\n  - select:\n      kind: Deployment\n    fieldPaths:\n    - metadata.labels.app\n",
    "target-delimiter": "- source:\n    kind: ConfigMap\n    name: source\n    fieldPath: data.port\n  targets:\n  - select:\n      kind: Deployment\n    fieldPaths:\n    - spec.template.spec.containers.[name=sidecar].image\n    options:\n      delimiter: ':'\n      index: 1\n",
    "target-delimiter-append": "- source:\n    kind: ConfigMap\n    name: source\n    fieldPath: data.port\n  targets:\n  - select:\n      kind: Deployment\n    fieldPaths:\n    - spec.template.spec.containers.[name=sidecar].image\n    options:\n      delimiter: ':'\n      index: 5\n",
    "target-delimiter-prefix": "- source:\n    kind: ConfigMap\n    name: source\n    fieldPath: data.host\n  targets:\n  - select:\n      kind: Deployment\n    fieldPaths:\n    - spec.template.spec.containers.[name=sidecar].image\n    options:\n      delimiter: '/'\n      index: -1\n",
    "map-value": "- source:\n    kind: Deployment\n    name: app\n    fieldPath: spec.selector.matchLabels\n  targets:\n  - select:\n      kind: Service\n    fieldPaths:\n    - spec.selector\n",
    "int-value": "- source:\n    kind: Deployment\n    name: app\n    fieldPath: spec.replicas\n  targets:\n  - select:\n      kind: Service\n    fieldPaths:\n    - spec.ports.0.port\n",
    "reject": "- source:\n    kind: ConfigMap\n    name: source\n    fieldPath: data.host\n  targets:\n  - select:\n      version: v1\n    reject:\n    - kind: Service\n    fieldPaths:\n    - metadata.annotations.host\n    options:\n      create: true\n",
    "label-select": "- source:\n    kind: ConfigMap\n    name: source\n    fieldPath: data.host\n  targets:\n  - select:\n      labelSelector: app=app\n    fieldPaths:\n    - metadata.annotations.host\n    options:\n      create: true\n",
    "multi-targets": "- source:\n    kind: ConfigMap\n    name: source\n    fieldPath: data.port\n  targets:\n  - select:\n      kind: Service\n    fieldPaths:\n    - metadata.annotations.port\n    options:\n      create: true\n  - select:\n      kind: Deployment\n    fieldPaths:\n    - spec.template.spec.containers.[name=main].env.[name=B].value\n",
    "annotation-key-dots": "- source:\n    kind: ConfigMap\n    name: source\n    fieldPath: data.host\n  targets:\n  - select:\n      kind: Deployment\n    fieldPaths:\n    - metadata.annotations.[example.com/host]\n    options:\n      create: true\n",
}
for rn, body in REPLS.items():
    case("repl-" + rn, dict(REPL_RES, **{"kustomization.yaml": RK + "replacements:\n" + body}))
case("repl-from-file", dict(REPL_RES, **{"kustomization.yaml": RK + "replacements:\n- path: r.yaml\n", "r.yaml": REPLS["basic"] + REPLS["name-default"]}))
case("err-repl-no-source", dict(REPL_RES, **{"kustomization.yaml": RK + "replacements:\n- source:\n    kind: ConfigMap\n    name: nothere\n  targets:\n  - select:\n      kind: Service\n"}))
case("err-repl-missing-target-field", dict(REPL_RES, **{"kustomization.yaml": RK + "replacements:\n- source:\n    kind: ConfigMap\n    name: source\n    fieldPath: data.host\n  targets:\n  - select:\n      kind: Service\n    fieldPaths:\n    - spec.nothere\n"}))
case("err-repl-missing-source-field", dict(REPL_RES, **{"kustomization.yaml": RK + "replacements:\n- source:\n    kind: ConfigMap\n    name: source\n    fieldPath: data.nothere\n  targets:\n  - select:\n      kind: Service\n"}))
case("err-repl-multiple-sources", dict(REPL_RES, **{"kustomization.yaml": RK + "replacements:\n- source:\n    version: v1\n  targets:\n  - select:\n      kind: Service\n"}))
case("repl-after-prefix", dict(REPL_RES, **{"kustomization.yaml": "namePrefix: p-\n" + RK + "replacements:\n- source:\n    kind: Service\n    name: web\n  targets:\n  - select:\n      kind: ConfigMap\n      name: source\n    fieldPaths:\n    - data.host\n"}))
case("repl-in-component", {"base/kustomization.yaml": RK, **{"base/" + k: v for k, v in REPL_RES.items()},
                           "comp/kustomization.yaml": "kind: Component\nreplacements:\n" + REPLS["basic"],
                           "kustomization.yaml": "resources:\n- base\ncomponents:\n- comp\n"})

# ---------------------------------------------------------------- vars
VAR_DEP = d("""
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  template:
    spec:
      containers:
      - name: main
        image: app:1
        command: ["run", "--svc=$(SVC_NAME)"]
        args: ["$(SVC_NAME).$(NS)", "$(UNKNOWN)", "$$(ESCAPED)"]
        env:
        - name: TARGET
          value: http://$(SVC_NAME):$(PORT)/
        volumeMounts:
        - name: v
          mountPath: /data/$(SVC_NAME)
""")
VARS = "vars:\n- name: SVC_NAME\n  objref:\n    kind: Service\n    name: web\n    apiVersion: v1\n- name: NS\n  objref:\n    kind: Service\n    name: web\n    apiVersion: v1\n  fieldref:\n    fieldpath: metadata.namespace\n- name: PORT\n  objref:\n    kind: Service\n    name: web\n    apiVersion: v1\n  fieldref:\n    fieldpath: spec.ports[0].port\n"
case("vars-basic", {"kustomization.yaml": "namespace: ns1\nresources:\n- d.yaml\n- s.yaml\n" + VARS, "d.yaml": VAR_DEP, "s.yaml": SERVICE})
case("vars-with-prefix", {"kustomization.yaml": "namePrefix: p-\nnamespace: ns1\nresources:\n- d.yaml\n- s.yaml\n" + VARS, "d.yaml": VAR_DEP, "s.yaml": SERVICE})
case("vars-from-base", {"base/kustomization.yaml": "resources:\n- d.yaml\n- s.yaml\n" + VARS, "base/d.yaml": VAR_DEP, "base/s.yaml": SERVICE,
                        "kustomization.yaml": "namePrefix: top-\nnamespace: prod\nresources:\n- base\n"})
case("vars-ingress", {"kustomization.yaml": "resources:\n- i.yaml\n- s.yaml\nvars:\n- name: HOST\n  objref:\n    kind: Service\n    name: web\n    apiVersion: v1\n", "s.yaml": SERVICE,
                      "i.yaml": "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: ing\nspec:\n  rules:\n  - host: $(HOST).example.com\n  tls:\n  - hosts:\n    - $(HOST).example.com\n    secretName: $(HOST)-tls\n"})
case("err-vars-bad-ref", {"kustomization.yaml": "resources:\n- d.yaml\nvars:\n- name: X\n  objref:\n    kind: Service\n    name: missing\n    apiVersion: v1\n", "d.yaml": VAR_DEP})
case("err-vars-duplicate", {"kustomization.yaml": "resources:\n- d.yaml\n- s.yaml\nvars:\n- name: X\n  objref:\n    kind: Service\n    name: web\n    apiVersion: v1\n- name: X\n  objref:\n    kind: Service\n    name: web\n    apiVersion: v1\n", "d.yaml": VAR_DEP, "s.yaml": SERVICE})


# ---------------------------------------------------------------- builtin plugin configs
PLUG = {
    "namespace": "apiVersion: builtin\nkind: NamespaceTransformer\nmetadata:\n  name: ns\n  namespace: plugged\nfieldSpecs:\n- path: metadata/namespace\n  create: true\n",
    "prefix": "apiVersion: builtin\nkind: PrefixTransformer\nmetadata:\n  name: p\nprefix: plug-\nfieldSpecs:\n- path: metadata/name\n",
    "suffix": "apiVersion: builtin\nkind: SuffixTransformer\nmetadata:\n  name: s\nsuffix: -plug\nfieldSpecs:\n- path: metadata/name\n",
    "labels": "apiVersion: builtin\nkind: LabelTransformer\nmetadata:\n  name: l\nlabels:\n  plugged: \"true\"\nfieldSpecs:\n- path: metadata/labels\n  create: true\n- path: spec/template/metadata/labels\n  kind: Deployment\n  create: true\n",
    "annotations": "apiVersion: builtin\nkind: AnnotationsTransformer\nmetadata:\n  name: a\nannotations:\n  plugged: \"yes\"\nfieldSpecs:\n- path: metadata/annotations\n  create: true\n",
    "image": "apiVersion: builtin\nkind: ImageTagTransformer\nmetadata:\n  name: i\nimageTag:\n  name: app\n  newTag: plugged\n",
    "replicas": "apiVersion: builtin\nkind: ReplicaCountTransformer\nmetadata:\n  name: r\nreplica:\n  name: app\n  count: 4\nfieldSpecs:\n- path: spec/replicas\n  kind: Deployment\n  create: true\n",
    "patch": "apiVersion: builtin\nkind: PatchTransformer\nmetadata:\n  name: p\npatch: |-\n  - op: add\n    path: /metadata/labels/patched\n    value: \"1\"\ntarget:\n  kind: Deployment\n",
    "json6902": "apiVersion: builtin\nkind: PatchJson6902Transformer\nmetadata:\n  name: j\ntarget:\n  group: apps\n  version: v1\n  kind: Deployment\n  name: app\njsonOp: '[{\"op\": \"replace\", \"path\": \"/spec/replicas\", \"value\": 6}]'\n",
    "smp": "apiVersion: builtin\nkind: PatchStrategicMergeTransformer\nmetadata:\n  name: s\npatches: |-\n  apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: app\n  spec:\n    replicas: 8\n",
    "replacement": "apiVersion: builtin\nkind: ReplacementTransformer\nmetadata:\n  name: r\nreplacements:\n- source:\n    kind: Service\n    name: web\n  targets:\n  - select:\n      kind: Deployment\n    fieldPaths:\n    - metadata.annotations.svc\n    options:\n      create: true\n",
}
for pn, body in PLUG.items():
    case("transformers-" + pn, {"kustomization.yaml": "resources:\n- app.yaml\n- svc.yaml\ntransformers:\n- t.yaml\n", "app.yaml": APP, "svc.yaml": SERVICE, "t.yaml": body})
case("transformers-multi-doc-order", {"kustomization.yaml": "namePrefix: k-\nresources:\n- app.yaml\ntransformers:\n- t.yaml\n", "app.yaml": APP, "t.yaml": PLUG["suffix"] + "---\n" + PLUG["labels"]})
case("transformers-inline", {"kustomization.yaml": "resources:\n- app.yaml\ntransformers:\n- |-\n  apiVersion: builtin\n  kind: AnnotationsTransformer\n  metadata:\n    name: a\n  annotations:\n    inline: \"1\"\n  fieldSpecs:\n  - path: metadata/annotations\n    create: true\n", "app.yaml": APP})
case("generators-configmap", {"kustomization.yaml": "resources:\n- app.yaml\ngenerators:\n- g.yaml\n", "app.yaml": APP,
                              "g.yaml": "apiVersion: builtin\nkind: ConfigMapGenerator\nmetadata:\n  name: plugcm\nliterals:\n- a=b\n"})
case("generators-secret", {"kustomization.yaml": "generators:\n- g.yaml\n",
                           "g.yaml": "apiVersion: builtin\nkind: SecretGenerator\nmetadata:\n  name: plugsec\n  namespace: x\nliterals:\n- a=b\ntype: Opaque\n"})
case("err-transformers-missing", {"kustomization.yaml": "resources:\n- app.yaml\ntransformers:\n- nope.yaml\n", "app.yaml": APP})
case("err-transformers-exec", {"kustomization.yaml": "resources:\n- app.yaml\ntransformers:\n- t.yaml\n", "app.yaml": APP,
                               "t.yaml": "apiVersion: someteam.example.com/v1\nkind: ChartInflator\nmetadata:\n  name: x\n"})

# ---------------------------------------------------------------- buildMetadata, crds, openapi, configurations
case("buildmetadata-origin", {"base/kustomization.yaml": "resources:\n- app.yaml\nconfigMapGenerator:\n- name: g\n  literals: [a=1]\n", "base/app.yaml": APP,
                              "kustomization.yaml": "buildMetadata: [originAnnotations]\nresources:\n- base\n- svc.yaml\nsecretGenerator:\n- name: s\n  literals: [a=1]\n", "svc.yaml": SERVICE})
case("buildmetadata-managedby", {"kustomization.yaml": "buildMetadata: [managedByLabel]\nresources:\n- app.yaml\n", "app.yaml": APP})
case("buildmetadata-both-overlay", {"base/kustomization.yaml": "resources:\n- svc.yaml\n", "base/svc.yaml": SERVICE,
                                    "ov/kustomization.yaml": "buildMetadata: [originAnnotations, managedByLabel]\nresources:\n- ../base\n"}, build="ov")
case("configurations-namereference", {"kustomization.yaml": "namePrefix: p-\nconfigurations:\n- cfg.yaml\nresources:\n- r.yaml\n",
    "cfg.yaml": "nameReference:\n- kind: ConfigMap\n  version: v1\n  fieldSpecs:\n  - path: spec/configRef\n    kind: Widget\n",
    "r.yaml": CM + "---\napiVersion: ex.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  configRef: settings\n"})
case("configurations-commonlabels", {"kustomization.yaml": "commonLabels:\n  team: x\nconfigurations:\n- cfg.yaml\nresources:\n- r.yaml\n",
    "cfg.yaml": "commonLabels:\n- path: spec/selector/labels\n  kind: Widget\n  create: true\n",
    "r.yaml": "apiVersion: ex.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec: {}\n"})
case("configurations-images", {"kustomization.yaml": "images:\n- name: app\n  newTag: v2\nconfigurations:\n- cfg.yaml\nresources:\n- r.yaml\n",
    "cfg.yaml": "images:\n- path: spec/runner/img\n  kind: Widget\n",
    "r.yaml": "apiVersion: ex.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  runner:\n    img: app:v1\n"})
case("configurations-varref", {"kustomization.yaml": "configurations:\n- cfg.yaml\nresources:\n- r.yaml\n- svc.yaml\nvars:\n- name: SVC\n  objref:\n    kind: Service\n    name: web\n    apiVersion: v1\n",
    "cfg.yaml": "varReference:\n- path: spec/endpoint\n  kind: Widget\n", "svc.yaml": SERVICE,
    "r.yaml": "apiVersion: ex.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  endpoint: http://$(SVC)/\n"})
case("err-configurations-missing", {"kustomization.yaml": "configurations:\n- nope.yaml\n"})
case("err-helm-not-enabled", {"kustomization.yaml": "helmCharts:\n- name: x\n  repo: https://example.com\n"})


case("patches-json-add-annotation-missing-map", {"kustomization.yaml": "resources:\n- svc.yaml\npatches:\n- target:\n    kind: Service\n  patch: |-\n    - op: add\n      path: /metadata/annotations/patched\n      value: \"true\"\n", "svc.yaml": SERVICE})
case("err-patches-json-add-missing-parent", {"kustomization.yaml": "resources:\n- svc.yaml\npatches:\n- target:\n    kind: Service\n  patch: |-\n    - op: add\n      path: /spec/a/b\n      value: x\n", "svc.yaml": SERVICE})
case("patches-json-add-labels-missing-map", {"kustomization.yaml": "resources:\n- cm.yaml\npatches:\n- target:\n    kind: ConfigMap\n  patch: |-\n    - op: add\n      path: /metadata/labels\n      value: {a: b}\n", "cm.yaml": CM})
case("res-empty-maps", {"kustomization.yaml": "resources:\n- cm.yaml\n", "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: e\n  labels: {}\n  annotations: {}\ndata: {}\n"})


# ---------------------------------------------------------------- more edges
case("gen-env-edges", {"kustomization.yaml": "configMapGenerator:\n- name: c\n  envs: [a.env]\n",
                       "a.env": "A=1\n  B = 2\nKZ_TEST_SURELY_UNSET_VAR\n#x\n\nD=\"q\"\nE=a#b\nF=x=y\n"})
case("err-commonlabels-int", {"kustomization.yaml": "commonLabels:\n  a: 1\nresources:\n- cm.yaml\n", "cm.yaml": CM})
case("err-nameprefix-list", {"kustomization.yaml": "namePrefix: [a]\nresources:\n- cm.yaml\n", "cm.yaml": CM})
case("err-sort-bad-order", {"kustomization.yaml": "sortOptions:\n  order: random\nresources:\n- cm.yaml\n", "cm.yaml": CM})
case("err-sort-fifo-with-legacy", {"kustomization.yaml": "sortOptions:\n  order: fifo\n  legacySortOptions:\n    orderFirst: [ConfigMap]\nresources:\n- cm.yaml\n", "cm.yaml": CM})
case("order-fifo-overlay", {"base/kustomization.yaml": "resources:\n- a.yaml\n", "base/a.yaml": SERVICE + "---\n" + CM,
                            "kustomization.yaml": "sortOptions:\n  order: fifo\nresources:\n- d.yaml\n- base\nconfigMapGenerator:\n- name: g\n  literals: [a=1]\n", "d.yaml": DEPLOY})
case("ns-unset-only-plugin", {"kustomization.yaml": "resources:\n- r.yaml\ntransformers:\n- t.yaml\n",
                              "r.yaml": CM + "---\n" + KINDS_NS["Existing"],
                              "t.yaml": "apiVersion: builtin\nkind: NamespaceTransformer\nmetadata:\n  name: n\n  namespace: fill\nunsetOnly: true\nfieldSpecs:\n- path: metadata/namespace\n  create: true\n"})
case("ns-and-prefix-and-refs", {"kustomization.yaml": "namespace: team\nnamePrefix: t-\nresources:\n- r.yaml\n", "r.yaml": d("""
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
      resources: [configmaps]
      verbs: [get]
    ---
    apiVersion: rbac.authorization.k8s.io/v1
    kind: RoleBinding
    metadata:
      name: read
    roleRef:
      apiGroup: rbac.authorization.k8s.io
      kind: Role
      name: reader
    subjects:
    - kind: ServiceAccount
      name: runner
    ---
    apiVersion: rbac.authorization.k8s.io/v1
    kind: ClusterRoleBinding
    metadata:
      name: read-all
    roleRef:
      apiGroup: rbac.authorization.k8s.io
      kind: ClusterRole
      name: view
    subjects:
    - kind: ServiceAccount
      name: runner
      namespace: default
    """)})
case("res-comments-and-anchors", {"kustomization.yaml": "# top comment\nresources: # inline\n- r.yaml\n", "r.yaml": d("""
    # leading comment
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: anchors
      labels: &l
        a: b
      annotations: *l
    data:
      base: &v shared
      copy: *v
    """)})
case("res-long-strings", {"kustomization.yaml": "resources:\n- r.yaml\n", "r.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: long\ndata:\n  long: " + " ".join(["word%d" % i for i in range(40)]) + "\n  quoted: \"a: b # c\"\n  special: \"@at\"\n  num: \"0777\"\n  bool: \"on\"\n  tilde: \"~\"\n"})


# ---------------------------------------------------------------- transformerAnnotations
case("buildmetadata-transformers-simple", {"base/kustomization.yaml": "namespace: b\ncommonLabels:\n  x: z\nresources:\n- d.yaml\n", "base/d.yaml": APP + "---\n" + KINDS_NS["ClusterRole"],
    "kustomization.yaml": "buildMetadata: [transformerAnnotations]\nresources:\n- base\nimages:\n- name: app\n  newTag: \"2\"\ncommonAnnotations:\n  a: b\nnameSuffix: -s\n"})
case("buildmetadata-transformers-multi", {"kustomization.yaml": "buildMetadata: [transformerAnnotations, originAnnotations]\nresources:\n- app.yaml\nimages:\n- name: app\n  newTag: \"2\"\n- name: side\n  newTag: \"3\"\nreplicas:\n- name: app\n  count: 2\npatches:\n- path: p.yaml\n- patch: |-\n    - op: add\n      path: /metadata/labels/x\n      value: w\n  target:\n    kind: Deployment\nlabels:\n- pairs:\n    l: \"1\"\nnamePrefix: p-\n", "app.yaml": APP, "p.yaml": SMP["replicas"]})
case("buildmetadata-transformers-component", {"base/kustomization.yaml": "resources:\n- app.yaml\n", "base/app.yaml": APP,
    "comp/kustomization.yaml": "kind: Component\nnamePrefix: c-\npatchesStrategicMerge:\n- p.yaml\n", "comp/p.yaml": SMP["replicas"],
    "kustomization.yaml": "buildMetadata: [transformerAnnotations]\nresources:\n- base\ncomponents:\n- comp\nconfigMapGenerator:\n- name: g\n  literals: [a=1]\nreplacements:\n- source:\n    kind: Deployment\n    name: app\n  targets:\n  - select:\n      kind: ConfigMap\n    fieldPaths:\n    - data.a\n"})


# ---------------------------------------------------------------- misc fields
case("crds-field", {"kustomization.yaml": "crds:\n- schema.json\nresources:\n- w.yaml\nnamePrefix: p-\n", "w.yaml": CRES,
                    "schema.json": "{\"definitions\": {\"com.ex.v1.Widget\": {\"properties\": {\"spec\": {\"type\": \"object\"}}}}}\n"})
case("err-crds-missing", {"kustomization.yaml": "crds:\n- nope.json\n"})
case("openapi-path", {"kustomization.yaml": "openapi:\n  path: schema.json\nresources:\n- w.yaml\n", "w.yaml": CRES,
                      "schema.json": "{\"definitions\": {}}\n"})
case("patches-smp-allow-kind-change", {"kustomization.yaml": "resources:\n- cm.yaml\npatches:\n- patch: |-\n    apiVersion: v1\n    kind: Secret\n    metadata:\n      name: settings\n  target:\n    kind: ConfigMap\n  options:\n    allowKindChange: true\n", "cm.yaml": CM})
case("gen-replace-secret-overlay", {"base/kustomization.yaml": "secretGenerator:\n- name: s\n  literals: [a=1]\n  type: kubernetes.io/basic-auth\n",
                                    "kustomization.yaml": "resources:\n- base\nsecretGenerator:\n- name: s\n  behavior: replace\n  literals: [username=u, password=p]\n"})
case("overlay-4-levels", {"l1/kustomization.yaml": "resources:\n- app.yaml\nnamePrefix: a-\n", "l1/app.yaml": APP,
                          "l2/kustomization.yaml": "resources:\n- ../l1\nnamePrefix: b-\ncommonLabels:\n  l2: \"y\"\n",
                          "l3/kustomization.yaml": "resources:\n- ../l2\nnameSuffix: -c\npatches:\n- path: p.yaml\n", "l3/p.yaml": SMP["replicas"],
                          "l4/kustomization.yaml": "resources:\n- ../l3\nnamespace: deep\nimages:\n- name: app\n  newTag: l4\n"}, build="l4")
case("comp-shared-by-two-overlays", {"base/kustomization.yaml": "resources:\n- app.yaml\n", "base/app.yaml": APP,
                                     "comp/kustomization.yaml": "kind: Component\ncommonAnnotations:\n  comp: \"1\"\n",
                                     "a/kustomization.yaml": "resources:\n- ../base\ncomponents:\n- ../comp\nnamePrefix: a-\n",
                                     "b/kustomization.yaml": "resources:\n- ../base\ncomponents:\n- ../comp\nnamePrefix: b-\n",
                                     "top/kustomization.yaml": "resources:\n- ../a\n- ../b\n"}, build="top")
case("labels-templates-with-fields", {"kustomization.yaml": "labels:\n- pairs:\n    t: \"1\"\n  includeTemplates: true\n  fields:\n  - path: spec/extra\n    kind: Deployment\n    create: true\nresources:\n- app.yaml\n", "app.yaml": APP})
case("images-digest-only-existing-tag", {"kustomization.yaml": "images:\n- name: app\n  digest: sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd\nresources:\n- app.yaml\n", "app.yaml": APP})
case("replicas-string-count-overlay", {"base/kustomization.yaml": "resources:\n- app.yaml\nreplicas:\n- name: app\n  count: 2\n", "base/app.yaml": APP,
                                       "kustomization.yaml": "resources:\n- base\nreplicas:\n- name: app\n  count: 6\n"})


case("ns-two-namespace-objects", {"kustomization.yaml": "namespace: one\nresources:\n- r.yaml\n", "r.yaml": KINDS_NS["Namespace"] + "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: other\n"})
case("err-dir-without-kustomization", {"kustomization.yaml": "resources:\n- sub\n", "sub/cm.yaml": CM})
case("res-kustomization-in-subdir-file", {"kustomization.yaml": "resources:\n- sub/cm.yaml\n", "sub/cm.yaml": CM})
case("gen-name-with-dots", {"kustomization.yaml": "configMapGenerator:\n- name: my.config.v1\n  literals: [a.b=c]\n"})
case("ps-prefix-generated-and-refs-in-cronjob", {"kustomization.yaml": "namePrefix: x-\nresources:\n- cj.yaml\nsecretGenerator:\n- name: creds\n  literals: [t=1]\n",
    "cj.yaml": "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: cj\nspec:\n  schedule: '@daily'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          imagePullSecrets:\n          - name: creds\n          containers:\n          - name: c\n            image: x\n            env:\n            - name: T\n              valueFrom:\n                secretKeyRef:\n                  name: creds\n                  key: t\n"})

# ---------------------------------------------------------------- kustomization files as YAML 1.1
# kustomize reads kustomization.yaml through sigs.k8s.io/yaml (go-yaml v2) into typed Go structs
def k11(name, body, extra=None, build=None):
    files = {"kustomization.yaml": body, "app.yaml": APP}
    files.update(extra or {})
    case(name, files, build)

k11("y11-gen-options-yes", "configMapGenerator:\n- name: g\n  literals: [a=1]\n  options:\n    disableNameSuffixHash: yes\n")
k11("y11-generator-options-on", "generatorOptions:\n  disableNameSuffixHash: on\n  immutable: Yes\nsecretGenerator:\n- name: s\n  literals: [a=1]\n")
k11("y11-generator-options-off", "generatorOptions:\n  disableNameSuffixHash: off\nconfigMapGenerator:\n- name: g\n  literals: [a=1]\n")
k11("y11-labels-include-selectors-y", "resources: [app.yaml]\nlabels:\n- pairs:\n    team: a\n  includeSelectors: y\n")
k11("y11-labels-include-templates-ON", "resources: [app.yaml]\nlabels:\n- pairs:\n    team: a\n  includeTemplates: ON\n")
k11("y11-labels-include-selectors-n", "resources: [app.yaml]\nlabels:\n- pairs:\n    team: a\n  includeSelectors: n\n")
k11("y11-label-fields-create-yes", "resources: [app.yaml]\nlabels:\n- pairs:\n    t: x\n  fields:\n  - path: spec/extra\n    kind: Deployment\n    create: yes\n")
k11("y11-replicas-octal", "resources: [app.yaml]\nreplicas:\n- name: app\n  count: 010\n")
k11("y11-replicas-underscore", "resources: [app.yaml]\nreplicas:\n- name: app\n  count: 1_2\n")
k11("y11-replicas-0o", "resources: [app.yaml]\nreplicas:\n- name: app\n  count: 0o10\n")
k11("y11-replicas-hex", "resources: [app.yaml]\nreplicas:\n- name: app\n  count: 0x0A\n")
k11("y11-replicas-float-integral", "resources: [app.yaml]\nreplicas:\n- name: app\n  count: 3.0\n")
k11("y11-replicas-exp", "resources: [app.yaml]\nreplicas:\n- name: app\n  count: 1e1\n")
k11("y11-replicas-binary", "resources: [app.yaml]\nreplicas:\n- name: app\n  count: 0b101\n")
k11("y11-replicas-leading-zero-9", "resources: [app.yaml]\nreplicas:\n- name: app\n  count: 09\n")
k11("y11-newtag-date", "resources: [app.yaml]\nimages:\n- name: app\n  newTag: 2024-01-01\n")
k11("y11-newtag-timestamp", "resources: [app.yaml]\nimages:\n- name: app\n  newTag: 2001-12-14t21:59:43.10-05:00\n")
k11("y11-namespace-date", "resources: [app.yaml]\nnamespace: 2024-01-01\n")
k11("y11-patch-options-yes", "resources: [app.yaml]\npatches:\n- target:\n    kind: Deployment\n  options:\n    allowNameChange: yes\n  patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: renamed\n")
k11("y11-repl-create-yes", "resources: [app.yaml]\nconfigMapGenerator:\n- name: src\n  literals: [v=hello]\n  options:\n    disableNameSuffixHash: true\nreplacements:\n- source:\n    kind: ConfigMap\n    name: src\n    fieldPath: data.v\n  targets:\n  - select:\n      kind: Deployment\n    fieldPaths:\n    - metadata.annotations.copied\n    options:\n      create: yes\n")
k11("y11-duplicate-key-last-wins", "resources: [app.yaml]\ncommonLabels:\n  a: x\n  a: z\nnamePrefix: p1-\nnamePrefix: p2-\n")
k11("y11-multi-document-first-only", "resources: [app.yaml]\nnamePrefix: one-\n---\nnamePrefix: two-\n")
k11("y11-case-insensitive-fields", "Resources: [app.yaml]\nNAMEPREFIX: up-\ncommonlabels:\n  k: v\n")
k11("y11-case-insensitive-nested", "resources: [app.yaml]\nimages:\n- NAME: app\n  newtag: \"7\"\n")
k11("y11-anchor-alias", "resources: [app.yaml]\nnamePrefix: &p pre-\nnameSuffix: *p\ncommonAnnotations: &m\n  a: b\nlabels:\n- pairs: *m\n")
k11("y11-merge-key", "resources: [app.yaml]\ncommonAnnotations:\n  <<: {a: b, c: d}\n  c: e\n")
k11("y11-quoted-yes-is-string", "resources: [app.yaml]\nnamePrefix: \"yes-\"\ncommonLabels:\n  a: \"y\"\n  b: 'on'\n  c: !!str no\n")
k11("y11-key-number", "resources: [app.yaml]\ncommonAnnotations:\n  1: one\n  0x10: hex\n")
k11("y11-null-fields", "resources: [app.yaml]\nnamePrefix: ~\nimages:\ncommonLabels: null\n")
k11("y11-fieldpath-case", "resources: [app.yaml, svc.yaml]\nvars:\n- name: S\n  objref:\n    kind: Service\n    name: app\n    apiVersion: v1\n  fieldref:\n    FieldPath: metadata.name\n",
    {"svc.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: app\nspec:\n  ports:\n  - port: 80\n"})
k11("y11-image-tagsuffix-accepted", "resources: [app.yaml]\nimages:\n- name: app\n  newTag: \"3\"\n  tagSuffix: -x\n")
k11("y11-tab-free-flow", "{resources: [app.yaml], namePrefix: f-, commonLabels: {x: y}}\n")
# errors kustomize reports while decoding the kustomization
k11("err-y11-nameprefix-yes", "resources: [app.yaml]\nnamePrefix: yes\n")
k11("err-y11-label-value-y", "resources: [app.yaml]\ncommonLabels:\n  a: y\n")
k11("err-y11-label-key-on", "resources: [app.yaml]\ncommonLabels:\n  on: x\n")
k11("err-y11-newtag-float", "resources: [app.yaml]\nimages:\n- name: app\n  newTag: 1.10\n")
k11("err-y11-newtag-int", "resources: [app.yaml]\nimages:\n- name: app\n  newTag: 2\n")
k11("err-y11-count-fraction", "resources: [app.yaml]\nreplicas:\n- name: app\n  count: 1.5\n")
k11("err-y11-count-string", "resources: [app.yaml]\nreplicas:\n- name: app\n  count: \"3\"\n")
k11("err-y11-count-sexagesimal", "resources: [app.yaml]\nreplicas:\n- name: app\n  count: 1:20\n")
k11("err-y11-count-huge", "resources: [app.yaml]\nreplicas:\n- name: app\n  count: 99999999999999999999\n")
k11("err-y11-count-exp-huge", "resources: [app.yaml]\nreplicas:\n- name: app\n  count: 1e30\n")
k11("err-y11-first-error-sorted", "resources: [app.yaml]\nnamePrefix: yes\ncommonLabels: {a: y}\n")
k11("err-type-images-string", "resources: [app.yaml]\nimages: [abc]\n")
k11("err-type-resources-number", "resources: [1]\n")
k11("err-type-psm-number", "resources: [app.yaml]\npatchesStrategicMerge: [1]\n")
k11("err-type-generator-options-number", "generatorOptions: 3\n")
k11("err-type-gen-options-label", "configMapGenerator:\n- name: a\n  options:\n    labels:\n      a: 1\n")
k11("err-type-gen-literals", "configMapGenerator:\n- name: a\n  literals: 3\n")
k11("err-type-secret-type", "secretGenerator:\n- name: a\n  type: 3\n")
k11("err-type-target-kind", "resources: [app.yaml]\npatches:\n- patch: x\n  target:\n    kind: 1\n")
k11("err-type-label-fields-kind", "resources: [app.yaml]\nlabels:\n- pairs: {a: b}\n  fields:\n  - kind: 1\n")
k11("err-type-repl-targets", "resources: [app.yaml]\nreplacements:\n- targets: [abc]\n")
k11("err-type-repl-index", "resources: [app.yaml]\nreplacements:\n- targets:\n  - options:\n      index: x\n")
k11("err-type-repl-source-kind", "resources: [app.yaml]\nreplacements:\n- source:\n    kind: 1\n")
k11("err-type-var-objref-kind", "resources: [app.yaml]\nvars:\n- name: x\n  objref:\n    kind: 1\n")
k11("err-type-var-apiversion", "resources: [app.yaml]\nvars:\n- name: x\n  objref:\n    apiVersion: 1\n")
k11("err-type-patch-options", "resources: [app.yaml]\npatches:\n- patch: x\n  options:\n    allowNameChange: 1\n")
k11("err-type-openapi-number", "resources: [app.yaml]\nopenapi:\n  path: 1\n")
k11("err-type-buildmetadata-on", "resources: [app.yaml]\nbuildMetadata: [on]\n")
k11("err-type-kind-number", "kind: 1\nresources: [app.yaml]\n")
k11("err-type-top-array", "- app.yaml\n")
k11("err-type-top-string", "just text\n")
k11("err-unknown-nested-field", "resources: [app.yaml]\nreplicas:\n- name: app\n  count: 2\n  foo: 1\n")
k11("err-unknown-target-field", "resources: [app.yaml]\npatches:\n- patch: x\n  target:\n    skip: true\n")
k11("err-unknown-gen-immutable", "configMapGenerator:\n- name: a\n  immutable: true\n")
k11("err-unknown-inventory", "resources: [app.yaml]\ninventory:\n  type: ConfigMap\n")
k11("err-unknown-metadata-field", "resources: [app.yaml]\nmetadata:\n  name: x\n  foo: 1\n")
k11("err-unknown-sort-field", "resources: [app.yaml]\nsortOptions:\n  order: fifo\n  foo: 1\n")
k11("err-unknown-key-from-float", "resources: [app.yaml]\n1.0: x\n")
k11("err-kfile-yaml-flow", "resources: [app.yaml]\nnamePrefix: [x\n")
k11("err-kfile-yaml-indent", "resources: [app.yaml]\nnamePrefix: x\n bad: 1\n")
k11("err-kfile-yaml-tab", "resources:\n\t- app.yaml\n")
k11("err-kfile-unknown-anchor", "resources: [app.yaml]\nnamePrefix: *nothere\n")
k11("err-kfile-only-typemeta", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n")
k11("err-kfile-only-empty-bases", "bases: []\n")
k11("err-kfile-only-null", "resources: ~\n")
k11("err-kfile-bad-kind", "kind: Foo\napiVersion: bar\nresources: [app.yaml]\n")
k11("err-kfile-component-apiversion", "kind: Component\napiVersion: bar\nresources: [app.yaml]\n")
k11("kfile-empty-resources-list-is-not-empty", "resources: []\n")
k11("kfile-empty-labels-map-is-not-empty", "commonLabels: {}\n")

# ---------------------------------------------------------------- error messages kustomize words
case("err-msg-missing-nested-resource", {"base/kustomization.yaml": "resources:\n- nope.yaml\n",
    "kustomization.yaml": "resources:\n- base\n"})
case("err-msg-missing-subdir-file", {"kustomization.yaml": "resources:\n- sub/dir/nope.yaml\n"})
case("err-msg-component-missing", {"kustomization.yaml": "resources:\n- app.yaml\ncomponents:\n- nocomp\n", "app.yaml": APP})
case("err-msg-component-is-file", {"kustomization.yaml": "resources:\n- app.yaml\ncomponents:\n- app.yaml\n", "app.yaml": APP})
case("err-msg-component-inner-error", {"kustomization.yaml": "resources:\n- app.yaml\ncomponents:\n- c\n", "app.yaml": APP,
    "c/kustomization.yaml": "kind: Component\napiVersion: kustomize.config.k8s.io/v1alpha1\nresources:\n- \"quoted\\\"name.yaml\"\n"})
case("err-msg-cycle-parent", {"kustomization.yaml": "resources:\n- app.yaml\n", "app.yaml": APP,
    "sub/kustomization.yaml": "resources:\n- ..\n"}, build="sub")
case("err-msg-cycle-two", {"a/kustomization.yaml": "resources:\n- ../b\n", "b/kustomization.yaml": "resources:\n- ../a\n"}, build="a")
case("err-msg-invalid-yaml-in-base", {"base/kustomization.yaml": "resources:\n- bad.yaml\n", "base/bad.yaml": "a: [b\n",
    "kustomization.yaml": "resources:\n- base\n"})
case("err-msg-missing-kind-with-labels", {"kustomization.yaml": "resources:\n- a.yaml\n",
    "a.yaml": "apiVersion: v1\nmetadata:\n  name: x\n  namespace: n\n  labels:\n    b: \"2\"\n    a: \"1\"\n  annotations:\n    z: y\n"})
case("err-msg-missing-name-in-list", {"kustomization.yaml": "resources:\n- a.yaml\n",
    "a.yaml": "apiVersion: v1\nkind: ConfigMapList\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    labels:\n      x: y\n"})
case("err-msg-base-kustomization-invalid", {"base/kustomization.yaml": "namePrefix: [x]\n", "kustomization.yaml": "resources:\n- base\n"})
case("err-msg-base-no-kustomization", {"base/cm.yaml": CM, "kustomization.yaml": "resources:\n- base\n"})
case("err-msg-duplicate-across-bases", {"a/kustomization.yaml": "resources:\n- cm.yaml\n", "a/cm.yaml": CM,
    "b/kustomization.yaml": "resources:\n- cm.yaml\n", "b/cm.yaml": CM, "kustomization.yaml": "resources:\n- a\n- b\n"})
case("err-msg-patch-neither", {"kustomization.yaml": "resources:\n- app.yaml\npatches:\n- target:\n    kind: Deployment\n", "app.yaml": APP})
case("err-msg-patch-json-inline-no-target", {"kustomization.yaml": "resources:\n- app.yaml\npatches:\n- patch: |-\n    - op: add\n      path: /metadata/labels/x\n      value: \"1\"\n", "app.yaml": APP})
case("err-msg-patch-missing-with-target", {"kustomization.yaml": "resources:\n- app.yaml\npatches:\n- path: nope.yaml\n  target:\n    kind: Deployment\n    name: app\n  options:\n    allowNameChange: true\n", "app.yaml": APP})
case("err-msg-psm-two-missing", {"kustomization.yaml": "resources:\n- app.yaml\npatchesStrategicMerge:\n- nope1.yaml\n- nope2.yaml\n", "app.yaml": APP})
case("err-msg-kv-files-list", {"kustomization.yaml": "configMapGenerator:\n- name: c\n  files:\n  - a.txt\n  - k=nope.txt\n", "a.txt": "x"})
case("err-msg-kv-envs-and-env", {"kustomization.yaml": "configMapGenerator:\n- name: c\n  envs:\n  - a.env\n  env: nope.env\n", "a.env": "A=1\n"})
case("err-msg-kv-duplicate-across-sources", {"kustomization.yaml": "secretGenerator:\n- name: s\n  envs:\n  - a.env\n  literals:\n  - A=2\n", "a.env": "A=1\n"})
case("err-msg-multiple-kustomization-files", {"kustomization.yaml": "resources: []\n", "kustomization.yml": "resources: []\n"})
case("err-msg-crds-two", {"kustomization.yaml": "crds:\n- a.yaml\n- nope.yaml\n", "a.yaml": "{}\n"})
case("err-msg-vars-dup-with-fieldref", {"kustomization.yaml": "resources:\n- app.yaml\nvars:\n- name: X\n  objref:\n    kind: Deployment\n    name: app\n    group: apps\n    version: v1\n  fieldref:\n    fieldpath: metadata.name\n- name: X\n  objref:\n    kind: Deployment\n    name: app\n", "app.yaml": APP})
case("err-msg-transformer-missing-dir", {"kustomization.yaml": "resources:\n- app.yaml\ntransformers:\n- sub/nope.yaml\n", "app.yaml": APP})
case("err-msg-repl-missing-field-with-version", {"kustomization.yaml": "resources:\n- app.yaml\nreplacements:\n- source:\n    kind: Deployment\n    version: v1\n    group: apps\n    name: app\n    fieldPath: spec.nothere\n  targets:\n  - select:\n      kind: Deployment\n    fieldPaths: [metadata.name]\n", "app.yaml": APP})
case("err-msg-helm-with-globals", {"kustomization.yaml": "helmGlobals:\n  chartHome: charts\nhelmCharts:\n- name: c\n  version: 1.0.0\n  releaseName: r\n"})

# ---------------------------------------------------------------- buildMetadata of plugin configs
BM = "buildMetadata: [originAnnotations, transformerAnnotations]\n"
LT = "apiVersion: builtin\nkind: LabelTransformer\nmetadata:\n  name: my-labels\nlabels:\n  team: a\nfieldSpecs:\n- path: metadata/labels\n  create: true\n"
NT = "apiVersion: builtin\nkind: NamespaceTransformer\nmetadata:\n  name: ns\n  namespace: target\n"
AT_INLINE = "- |-\n  apiVersion: builtin\n  kind: AnnotationsTransformer\n  metadata:\n    name: inline-ann\n  annotations:\n    x: y\n  fieldSpecs:\n  - path: metadata/annotations\n    create: true\n"
GEN = "apiVersion: builtin\nkind: ConfigMapGenerator\nmetadata:\n  name: gen-cm\nliterals:\n- a=b\n"
case("bm-plugin-transformers-file-and-inline", {"kustomization.yaml": "resources: [app.yaml]\n" + BM + "namePrefix: p-\ntransformers:\n- t.yaml\n" + AT_INLINE,
     "t.yaml": LT + "---\n" + NT, "app.yaml": APP})
case("bm-plugin-generators-file", {"kustomization.yaml": BM + "generators:\n- g.yaml\n", "g.yaml": GEN})
case("bm-plugin-generator-namespaced", {"kustomization.yaml": BM + "generators:\n- g.yaml\n",
     "g.yaml": GEN.replace("name: gen-cm\n", "name: gen-cm\n  namespace: gns\n")})
case("bm-plugin-generator-inline", {"kustomization.yaml": BM + "resources: [app.yaml]\ngenerators:\n- |-\n  apiVersion: builtin\n  kind: SecretGenerator\n  metadata:\n    name: inline-sec\n  literals:\n  - k=v\n", "app.yaml": APP})
case("bm-plugin-origin-only", {"kustomization.yaml": "buildMetadata: [originAnnotations]\nresources: [app.yaml]\ngenerators:\n- g.yaml\ntransformers:\n- t.yaml\n", "g.yaml": GEN, "t.yaml": LT, "app.yaml": APP})
case("bm-plugin-transformations-only", {"kustomization.yaml": "buildMetadata: [transformerAnnotations]\nresources: [app.yaml]\ngenerators:\n- g.yaml\ntransformers:\n- t.yaml\n", "g.yaml": GEN, "t.yaml": LT, "app.yaml": APP})
case("bm-plugin-in-base", {"base/kustomization.yaml": "resources: [app.yaml]\ntransformers:\n- cfg/t.yaml\ngenerators:\n- g.yaml\n", "base/cfg/t.yaml": LT, "base/g.yaml": GEN, "base/app.yaml": APP,
     "kustomization.yaml": BM + "resources:\n- base\ntransformers:\n" + AT_INLINE})
case("bm-plugin-in-component", {"comp/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ntransformers:\n- t.yaml\n", "comp/t.yaml": NT,
     "kustomization.yaml": BM + "resources: [app.yaml]\ncomponents:\n- comp\n", "app.yaml": APP})
case("bm-plugin-patch-and-replicas", {"kustomization.yaml": BM + "resources: [app.yaml]\ntransformers:\n- t.yaml\n", "app.yaml": APP,
     "t.yaml": "apiVersion: builtin\nkind: ReplicaCountTransformer\nmetadata:\n  name: rc\nreplica:\n  name: app\n  count: 4\nfieldSpecs:\n- path: spec/replicas\n  create: true\n  kind: Deployment\n---\napiVersion: builtin\nkind: PatchTransformer\nmetadata:\n  name: pt\npatch: '[{\"op\": \"add\", \"path\": \"/metadata/labels/p\", \"value\": \"1\"}]'\ntarget:\n  kind: Deployment\n"})
case("plugin-namespace-no-fieldspecs", {"kustomization.yaml": "resources: [app.yaml, sa.yaml]\ntransformers:\n- t.yaml\n", "t.yaml": NT, "app.yaml": APP,
     "sa.yaml": "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: crb\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: r\nsubjects:\n- kind: ServiceAccount\n  name: default\n  namespace: old\n"})

RB = "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: rb\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: r\nsubjects:\n- kind: ServiceAccount\n  name: default\n- kind: ServiceAccount\n  name: other\n  namespace: elsewhere\n- kind: User\n  name: default\n"
case("ns-rbac-subject-default", {"kustomization.yaml": "namespace: target\nresources: [rb.yaml]\n", "rb.yaml": RB})
case("ns-plugin-rbac-all-service-accounts", {"kustomization.yaml": "resources: [rb.yaml]\ntransformers:\n- t.yaml\n", "rb.yaml": RB,
     "t.yaml": NT + "setRoleBindingSubjects: allServiceAccounts\n"})
case("ns-plugin-rbac-none", {"kustomization.yaml": "resources: [rb.yaml]\ntransformers:\n- t.yaml\n", "rb.yaml": RB,
     "t.yaml": NT + "setRoleBindingSubjects: none\n"})

# ---------------------------------------------------------------- openapi: and crds: schemas
OA_SCHEMA = json.dumps({"definitions": {
    "v1alpha1.MyKind": {"type": "object",
        "x-kubernetes-group-version-kind": [{"group": "example.com", "kind": "MyKind", "version": "v1alpha1"}],
        "properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"},
            "spec": {"type": "object", "properties": {
                "items": {"type": "array", "items": {"$ref": "#/definitions/v1alpha1.Item"},
                          "x-kubernetes-patch-merge-key": "name", "x-kubernetes-patch-strategy": "merge"},
                "tags": {"type": "array", "items": {"type": "string"}, "x-kubernetes-patch-strategy": "merge"},
                "other": {"type": "array", "items": {"$ref": "#/definitions/v1alpha1.Item"}},
                "byPort": {"type": "array", "items": {"$ref": "#/definitions/v1alpha1.Port"},
                           "x-kubernetes-patch-merge-key": "port", "x-kubernetes-patch-strategy": "merge,retainKeys"},
                "settings": {"type": "object", "additionalProperties": {"$ref": "#/definitions/v1alpha1.Setting"}}}}}},
    "v1alpha1.Item": {"type": "object", "properties": {"name": {"type": "string"}, "value": {"type": "string"},
        "sub": {"type": "array", "items": {"$ref": "#/definitions/v1alpha1.Item"},
                "x-kubernetes-patch-merge-key": "name", "x-kubernetes-patch-strategy": "merge"}}},
    "v1alpha1.Port": {"type": "object", "properties": {"port": {"type": "integer"}, "protocol": {"type": "string"}}},
    "v1alpha1.Setting": {"type": "object", "properties": {"list": {"type": "array", "items": {"$ref": "#/definitions/v1alpha1.Item"},
        "x-kubernetes-patch-merge-key": "name", "x-kubernetes-patch-strategy": "merge"}}}}}, indent=1) + "\n"
MYKIND = d("""
apiVersion: example.com/v1alpha1
kind: MyKind
metadata:
  name: mk
spec:
  items:
  - name: a
    value: "1"
    sub:
    - name: s1
      value: x
  - name: b
    value: "2"
  tags: [x, y]
  other:
  - name: a
    value: "1"
  byPort:
  - port: 80
    protocol: TCP
  - port: 443
  settings:
    one:
      list:
      - name: l1
        value: "1"
""")
MK_PATCH = "apiVersion: example.com/v1alpha1\nkind: MyKind\nmetadata:\n  name: mk\nspec:\n  items:\n  - name: b\n    value: \"3\"\n  - name: a\n    sub:\n    - name: s2\n  - name: c\n  tags: [z, x]\n  other:\n  - name: c\n  byPort:\n  - port: 80\n    protocol: UDP\n  settings:\n    one:\n      list:\n      - name: l2\n"
DEP_PATCH = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n      - name: main\n        image: main:2\n"
def oa(name, kust, extra=None, build=None):
    files = {"kustomization.yaml": kust, "schema.json": OA_SCHEMA, "mk.yaml": MYKIND, "app.yaml": APP,
             "p.yaml": MK_PATCH, "dp.yaml": DEP_PATCH}
    files.update(extra or {})
    case(name, files, build)
oa("openapi-cr-merge-keys", "openapi:\n  path: schema.json\nresources: [mk.yaml]\npatches:\n- path: p.yaml\n")
oa("openapi-replaces-builtin", "openapi:\n  path: schema.json\nresources: [mk.yaml, app.yaml]\npatches:\n- path: p.yaml\n- path: dp.yaml\n")
oa("openapi-none-cr-replaced", "resources: [mk.yaml, app.yaml]\npatches:\n- path: p.yaml\n- path: dp.yaml\n")
oa("openapi-psm-field", "openapi:\n  path: schema.json\nresources: [mk.yaml]\npatchesStrategicMerge:\n- p.yaml\n")
oa("openapi-patch-delete-directive", "openapi:\n  path: schema.json\nresources: [mk.yaml]\npatches:\n- patch: |-\n    apiVersion: example.com/v1alpha1\n    kind: MyKind\n    metadata:\n      name: mk\n    spec:\n      items:\n      - name: a\n        $patch: delete\n")
oa("openapi-patch-target-selector", "openapi:\n  path: schema.json\nresources: [mk.yaml]\npatches:\n- target:\n    kind: MyKind\n  patch: |-\n    apiVersion: example.com/v1alpha1\n    kind: MyKind\n    metadata:\n      name: any\n    spec:\n      items:\n      - name: t\n")
oa("openapi-yaml-schema", "openapi:\n  path: schema.yaml\nresources: [mk.yaml]\npatches:\n- path: p.yaml\n", {"schema.yaml": OA_SCHEMA})
oa("openapi-in-base-applies-to-overlay", "resources:\n- base\npatches:\n- path: p.yaml\n",
   {"base/kustomization.yaml": "openapi:\n  path: schema.json\nresources: [mk.yaml]\n", "base/schema.json": OA_SCHEMA, "base/mk.yaml": MYKIND})
oa("openapi-top-wins-over-base", "openapi:\n  path: empty.json\nresources:\n- base\npatches:\n- path: p.yaml\n",
   {"empty.json": "{\"definitions\": {}}\n", "base/kustomization.yaml": "openapi:\n  path: schema.json\nresources: [mk.yaml]\n", "base/schema.json": OA_SCHEMA, "base/mk.yaml": MYKIND})
oa("openapi-version-builtin", "openapi:\n  version: v1.21.2\nresources: [mk.yaml, app.yaml]\npatches:\n- path: dp.yaml\n")
oa("err-openapi-version-unknown", "openapi:\n  version: v1.20.0\nresources: [mk.yaml]\n")
oa("err-openapi-path-and-version", "openapi:\n  path: schema.json\n  version: v1.21.2\nresources: [mk.yaml]\n")
oa("err-openapi-missing-file", "openapi:\n  path: nope.json\nresources: [mk.yaml]\n")

CRD_DEFS = json.dumps({
    "github.com/example/pkg/apis/jingfang/v1beta1.Bee": {"Schema": {"properties": {
        "apiVersion": {"type": "string"}, "kind": {"type": "string"},
        "metadata": {"$ref": "k8s.io/apimachinery/pkg/apis/meta/v1.ObjectMeta"},
        "spec": {"$ref": "github.com/example/pkg/apis/jingfang/v1beta1.BeeSpec"}}}},
    "github.com/example/pkg/apis/jingfang/v1beta1.BeeSpec": {"Schema": {"properties": {
        "config": {"x-kubernetes-object-ref-api-version": "v1", "x-kubernetes-object-ref-kind": "ConfigMap", "type": "object"},
        "secretRef": {"x-kubernetes-object-ref-api-version": "v1", "x-kubernetes-object-ref-kind": "Secret",
                      "x-kubernetes-object-ref-name-key": "secretName", "type": "object"},
        "deep": {"$ref": "github.com/example/pkg/apis/jingfang/v1beta1.Deep"},
        "selector": {"x-kubernetes-label-selector": "", "type": "object"},
        "notes": {"x-kubernetes-annotation": "", "type": "object"},
        "other": {"x-kubernetes-identity": "", "type": "string"}}}},
    "github.com/example/pkg/apis/jingfang/v1beta1.Deep": {"Schema": {"properties": {
        "svc": {"x-kubernetes-object-ref-api-version": "v1", "x-kubernetes-object-ref-kind": "Service", "type": "object"}}}}},
    indent=1) + "\n"
BEE = "apiVersion: jingfang.example.com/v1beta1\nkind: Bee\nmetadata:\n  name: bee\nspec:\n  config:\n    name: cfg\n  secretRef:\n    secretName: sec\n  deep:\n    svc:\n      name: web\n  selector:\n    a: b\n  notes:\n    n: m\n  other: x\n"
GENS = "configMapGenerator:\n- name: cfg\n  literals: [a=b]\nsecretGenerator:\n- name: sec\n  literals: [a=b]\n"
case("crds-namereference-and-fields", {"kustomization.yaml": "crds: [crd.json]\nnamePrefix: p-\ncommonLabels:\n  team: t\ncommonAnnotations:\n  note: z\nresources: [bee.yaml, svc.yaml]\n" + GENS,
     "crd.json": CRD_DEFS, "bee.yaml": BEE, "svc.yaml": SERVICE})
case("crds-yaml-file", {"kustomization.yaml": "crds: [crd.yaml]\nnameSuffix: -s\nresources: [bee.yaml]\n" + GENS, "crd.yaml": CRD_DEFS, "bee.yaml": BEE})
case("crds-in-base-overlay-renames", {"base/kustomization.yaml": "crds: [crd.json]\nresources: [bee.yaml]\n" + GENS, "base/crd.json": CRD_DEFS, "base/bee.yaml": BEE,
     "kustomization.yaml": "resources: [base]\nnamePrefix: o-\n"})
case("crds-without-crds-field-no-refs", {"kustomization.yaml": "namePrefix: p-\nresources: [bee.yaml]\n" + GENS, "bee.yaml": BEE})
case("crds-name-without-dots", {"kustomization.yaml": "crds: [crd.json]\nresources: [bee.yaml]\n", "bee.yaml": BEE,
     "crd.json": json.dumps({"Bee": {"Schema": {"properties": {"apiVersion": {}, "kind": {}, "metadata": {}}}}}) + "\n"})
case("err-crds-invalid-json", {"kustomization.yaml": "crds: [crd.json]\nresources: [bee.yaml]\n", "bee.yaml": BEE, "crd.json": "{\"a\": [\n"})

# ---------------------------------------------------------------- JSON patches typed as YAML 1.1
JP11 = "- op: add\n  path: /metadata/annotations\n  value:\n    a: yes\n    b: 2024-01-01\n    c: 010\n    d: \"on\"\n    e: 1_000\n- op: add\n  path: /spec/paused\n  value: on\n- op: add\n  path: /metadata/labels/x\n  value: n\n"
case("json-patch-yaml11-values", {"kustomization.yaml": "resources: [app.yaml]\npatches:\n- target:\n    kind: Deployment\n  path: ops.yaml\n", "ops.yaml": JP11, "app.yaml": APP})
case("json-patch-yaml11-legacy-field", {"kustomization.yaml": "resources: [app.yaml]\npatchesJson6902:\n- target:\n    kind: Deployment\n    name: app\n    version: v1\n    group: apps\n  patch: |-\n" + "".join("    " + l + "\n" for l in JP11.splitlines()), "app.yaml": APP})
case("annotations-scalars-stringified", {"kustomization.yaml": "resources: [cm.yaml]\n",
     "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations:\n    a: 010\n    b: 1.50\n    c: ~\n    d:\n    e: 0x1F\n    f: True\n    g: 1e3\n  labels:\n    l: 5\n"})
case("annotations-scalars-with-prefix", {"kustomization.yaml": "namePrefix: p-\ncommonAnnotations:\n  x: \"1\"\nresources: [cm.yaml]\n",
     "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations:\n    n: 8\n    b: true\n"})

def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    for name, files in cases.items():
        for rel, content in files.items():
            p = os.path.join(OUT, name, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            mode = "wb"
            data = content.encode("latin-1") if any(ord(ch) > 127 and ord(ch) < 256 for ch in content) and "\x00" in content or "\xff" in content else content.encode("utf-8")
            with open(p, mode) as f:
                f.write(data)
        os.makedirs(os.path.join(OUT, name), exist_ok=True)
    print(len(cases), "cases")
    import gen_cases_upstream  # the up-* cases, written by their own script
    gen_cases_upstream.main()

if __name__ == "__main__":
    main()
