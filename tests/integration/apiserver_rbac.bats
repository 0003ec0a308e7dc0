#!/usr/bin/env bats
# RBAC: requests impersonating a service account are allowed or forbidden exactly as their
# Role bindings say (plain HTTP with impersonation headers, and --tls with client certificates
# and ServiceAccount tokens from `kubectl create token`).

load apiserver_common

setup() {
	WORK="$BATS_TEST_TMPDIR/work"
	mkdir -p "$WORK"
}

teardown() {
	stop_apiserver
}

grant() {
	k create ns team
	k create sa -n team sa
	k apply -f - <<-'EOF'
	apiVersion: rbac.authorization.k8s.io/v1
	kind: Role
	metadata: {name: cm-editor, namespace: team}
	rules:
	- apiGroups: [""]
	  resources: [configmaps]
	  verbs: [get, list, watch, create]
	---
	apiVersion: rbac.authorization.k8s.io/v1
	kind: RoleBinding
	metadata: {name: sa-cm-editor, namespace: team}
	subjects:
	- {kind: ServiceAccount, name: sa, namespace: team}
	roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: cm-editor}
	EOF
}

@test "impersonated service account on plain HTTP follows its RoleBindings" {
	start_apiserver "$WORK/data"
	local as=--as=system:serviceaccount:team:sa
	k create ns team
	run k "$as" create cm -n team c1
	[ "$status" -ne 0 ]
	[[ "$output" == *'configmaps is forbidden: User "system:serviceaccount:team:sa" cannot create resource "configmaps" in API group "" in the namespace "team"'* ]]
	k delete ns team --timeout=10s
	grant
	run k "$as" create cm -n team c1
	[ "$status" -eq 0 ]
	run k "$as" get cm -n team c1 -o name
	[ "$output" = "configmap/c1" ]
	run k "$as" delete cm -n team c1
	[ "$status" -ne 0 ]
	[[ "$output" == *'configmaps "c1" is forbidden: User "system:serviceaccount:team:sa" cannot delete resource "configmaps" in API group "" in the namespace "team"'* ]]
	run k "$as" get cm -n default
	[ "$status" -ne 0 ]
	[[ "$output" == *'cannot list resource "configmaps" in API group "" in the namespace "default"'* ]]
	run k "$as" get secrets -n team
	[ "$status" -ne 0 ]
	run k "$as" get ns
	[[ "$output" == *'cannot list resource "namespaces" in API group "" at the cluster scope'* ]]
	run k auth can-i create configmaps -n team "$as"
	[ "$output" = "yes" ]
	run k auth can-i delete configmaps -n team "$as"
	[ "$output" = "no" ]
	# a group binding through a ClusterRoleBinding
	k create clusterrolebinding readers --clusterrole=view-ns --group=readers
	k create clusterrole view-ns --verb=get,list --resource=namespaces
	run k --as=someone --as-group=readers get ns default -o name
	[ "$output" = "namespace/default" ]
	run k --as=someone get ns default
	[ "$status" -ne 0 ]
	# default aggregated ClusterRoles: admin in its namespace, view elsewhere (no secrets)
	k create ns tenant
	k create rolebinding t-admin -n tenant --clusterrole=admin --serviceaccount=tenant:rec
	k create rolebinding t-view -n default --clusterrole=view --serviceaccount=tenant:rec
	local t=--as=system:serviceaccount:tenant:rec
	run k auth can-i create deployments.apps -n tenant "$t"
	[ "$output" = "yes" ]
	run k auth can-i create rolebindings.rbac.authorization.k8s.io -n tenant "$t"
	[ "$output" = "yes" ]
	run k auth can-i list configmaps -n default "$t"
	[ "$output" = "yes" ]
	run k auth can-i get secrets -n default "$t"
	[ "$output" = "no" ]
	run k "$t" create cm -n default nope
	[[ "$output" == *'configmaps is forbidden: User "system:serviceaccount:tenant:rec" cannot create resource "configmaps" in API group "" in the namespace "default"'* ]]
	run k get clusterrole cluster-admin -o jsonpath='{.rules[0].verbs}'
	[ "$output" = '["*"]' ]
}

@test "--tls: client certificates, ServiceAccount tokens and RBAC" {
	printf 'static-secret,alice,u1,"devs,ops"\n' >"$WORK/tokens.csv"
	start_apiserver "$WORK/data" --tls --token-auth-file "$WORK/tokens.csv"
	grep -q 'server: https://127.0.0.1:' "$KUBECONFIG"
	grep -q 'client-certificate-data:' "$KUBECONFIG"
	run k get ns default -o name
	[ "$output" = "namespace/default" ]
	grant
	local token
	token=$(k create token -n team sa)
	[ -n "$token" ]
	cp "$KUBECONFIG" "$WORK/kc"
	KUBECONFIG="$WORK/kc" k config set-credentials sa --token="$token" >/dev/null
	KUBECONFIG="$WORK/kc" k config set-credentials bad --token=not-a-token >/dev/null
	KUBECONFIG="$WORK/kc" k config set-credentials alice --token=static-secret >/dev/null
	# static token: user alice in group devs
	run k --kubeconfig "$WORK/kc" --user=alice get cm -n team
	[[ "$output" == *'User "alice" cannot list resource "configmaps"'* ]]
	k create rolebinding devs-edit -n team --role=cm-editor --group=devs
	run k --kubeconfig "$WORK/kc" --user=alice get cm -n team
	[ "$status" -eq 0 ]
	run k --kubeconfig "$WORK/kc" --user=alice auth whoami -o jsonpath='{.status.userInfo.username}'
	[ "$output" = "alice" ]
	run k --kubeconfig "$WORK/kc" --user=sa create cm -n team t1
	[ "$status" -eq 0 ]
	run k --kubeconfig "$WORK/kc" --user=sa create secret generic -n team s1
	[ "$status" -ne 0 ]
	[[ "$output" == *'secrets is forbidden: User "system:serviceaccount:team:sa" cannot create resource "secrets" in API group "" in the namespace "team"'* ]]
	run k --kubeconfig "$WORK/kc" --user=bad get cm -n team
	[ "$status" -ne 0 ]
	[[ "$output" == *"Unauthorized"* ]]
	# anonymous requests are refused
	local server
	server=$(sed -n 's/^ *server: //p' "$KUBECONFIG")
	run curl -sk "$server/api/v1/namespaces"
	[[ "$output" == *'"code":401'* ]]
	# the token stops working when its ServiceAccount is deleted
	k delete sa -n team sa
	run k --kubeconfig "$WORK/kc" --user=sa get cm -n team
	[ "$status" -ne 0 ]
}
