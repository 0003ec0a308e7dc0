"""Generates probes.json: one strategic-merge case per list field of the built-in kinds, to
pin every entry of the patch strategy table (merge key or atomic) against kubectl. The live
list has items a and b, the patch has item a: a keyed list merges, an atomic one is replaced.
Run from this directory: python3 gen_probes.py"""
import json, os
probes=[
("v1","Pod","spec.containers","name"),("v1","Pod","spec.initContainers","name"),("v1","Pod","spec.ephemeralContainers","name"),
("v1","Pod","spec.volumes","name"),("v1","Pod","spec.imagePullSecrets","name"),("v1","Pod","spec.hostAliases","ip"),
("v1","Pod","spec.topologySpreadConstraints","topologyKey"),("v1","Pod","spec.schedulingGates","name"),("v1","Pod","spec.resourceClaims","name"),
("v1","Pod","spec.tolerations","key"),("v1","Pod","spec.readinessGates","conditionType"),("v1","Pod","status.conditions","type"),
("v1","Pod","status.podIPs","ip"),("v1","Pod","status.hostIPs","ip"),("v1","Pod","status.containerStatuses","name"),
("v1","Pod","status.resourceClaimStatuses","name"),("v1","Pod","status.initContainerStatuses","name"),
("v1","Pod","spec.containers.0.ports","containerPort"),("v1","Pod","spec.containers.0.env","name"),("v1","Pod","spec.containers.0.volumeMounts","mountPath"),
("v1","Pod","spec.containers.0.volumeDevices","devicePath"),("v1","Pod","spec.containers.0.envFrom","prefix"),("v1","Pod","spec.containers.0.resizePolicy","resourceName"),
("v1","Pod","spec.containers.0.resources.claims","name"),("v1","Pod","spec.initContainers.0.env","name"),("v1","Pod","spec.ephemeralContainers.0.env","name"),
("v1","Pod","metadata.ownerReferences","uid"),("v1","Pod","metadata.managedFields","manager"),
("v1","Pod","spec.dnsConfig.options","name"),("v1","Pod","spec.securityContext.sysctls","name"),
("v1","Pod","spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution","weight"),
("v1","Pod","spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution","topologyKey"),
("v1","Service","spec.ports","port"),("v1","Service","status.conditions","type"),("v1","Service","status.loadBalancer.ingress","ip"),
("v1","Node","spec.taints","key"),("v1","Node","status.conditions","type"),("v1","Node","status.addresses","type"),("v1","Node","status.images","sizeBytes"),
("v1","Node","status.volumesAttached","name"),
("v1","Namespace","status.conditions","type"),("v1","PersistentVolumeClaim","status.conditions","type"),
("v1","ReplicationController","status.conditions","type"),("v1","ReplicationController","spec.template.spec.containers","name"),
("v1","ServiceAccount","secrets","name"),("v1","ServiceAccount","imagePullSecrets","name"),
("v1","Endpoints","subsets","x"),("v1","PodTemplate","template.spec.containers","name"),
("v1","LimitRange","spec.limits","type"),("v1","ResourceQuota","spec.scopeSelector.matchExpressions","scopeName"),
("v1","PersistentVolume","spec.accessModes",None),("v1","Secret","metadata.finalizers",None),
("apps/v1","Deployment","status.conditions","type"),("apps/v1","Deployment","spec.template.spec.volumes","name"),
("apps/v1","StatefulSet","status.conditions","type"),("apps/v1","StatefulSet","spec.volumeClaimTemplates","x"),
("apps/v1","DaemonSet","status.conditions","type"),("apps/v1","ReplicaSet","status.conditions","type"),
("apps/v1","DaemonSet","spec.template.spec.containers","name"),("apps/v1","ReplicaSet","spec.template.spec.containers","name"),
("batch/v1","Job","status.conditions","type"),("batch/v1","Job","spec.template.spec.containers","name"),("batch/v1","Job","spec.podFailurePolicy.rules","action"),
("batch/v1","CronJob","status.active","uid"),("batch/v1","CronJob","spec.jobTemplate.spec.template.spec.containers","name"),
("policy/v1","PodDisruptionBudget","status.conditions","type"),
("autoscaling/v2","HorizontalPodAutoscaler","status.conditions","type"),("autoscaling/v2","HorizontalPodAutoscaler","spec.metrics","type"),
("autoscaling/v2","HorizontalPodAutoscaler","status.currentMetrics","type"),
("networking.k8s.io/v1","Ingress","spec.rules","host"),("networking.k8s.io/v1","Ingress","spec.tls","secretName"),("networking.k8s.io/v1","Ingress","status.loadBalancer.ingress","ip"),
("networking.k8s.io/v1","NetworkPolicy","spec.ingress","x"),("networking.k8s.io/v1","NetworkPolicy","spec.policyTypes",None),
("rbac.authorization.k8s.io/v1","Role","rules","x"),("rbac.authorization.k8s.io/v1","ClusterRoleBinding","subjects","name"),
("rbac.authorization.k8s.io/v1","ClusterRole","aggregationRule.clusterRoleSelectors","x"),
("discovery.k8s.io/v1","EndpointSlice","endpoints","x"),("discovery.k8s.io/v1","EndpointSlice","ports","name"),
("storage.k8s.io/v1","StorageClass","mountOptions",None),
("admissionregistration.k8s.io/v1","ValidatingWebhookConfiguration","webhooks","name"),
("admissionregistration.k8s.io/v1","MutatingWebhookConfiguration","webhooks","name"),
("admissionregistration.k8s.io/v1","MutatingWebhookConfiguration","webhooks.0.rules","x"),
("storage.k8s.io/v1","CSINode","spec.drivers","name"),("v1","ComponentStatus","conditions","type"),
("certificates.k8s.io/v1","CertificateSigningRequest","status.conditions","type"),
("admissionregistration.k8s.io/v1","ValidatingAdmissionPolicy","status.conditions","type"),
]
def build(path, value):
    parts=path.split("."); root={}; cur=root
    for i,p in enumerate(parts):
        if p.isdigit(): continue
        last = i==len(parts)-1
        nxt = parts[i+1] if not last else None
        if last: cur[p]=value
        elif nxt.isdigit():
            item={"name":"c0"}; cur[p]=[item]; cur=item
        else:
            cur[p]={}; cur=cur[p]
    return root
def strip_idx(path): return ".".join(p for p in path.split(".") if not p.isdigit())
cases=[]
for av,kind,path,key in probes:
    if key is None:
        live=["a","b"]; patch=["c"]
    else:
        live=[{key:"a","x":1},{key:"b","x":2}]; patch=[{key:"a","y":3}]
    obj=build(path,live); obj.update({"apiVersion":av,"kind":kind}); obj.setdefault("metadata",{})["name"]="o"
    p=build(path,patch)
    cases.append({"name":"schema probe %s %s %s"%(av,kind,strip_idx(path)),"type":"strategic","obj":obj,"patch":p})
json.dump(cases, open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "probes.json"), "w"), indent=0)
