#!/usr/bin/env bats
# eddy-apiserver --simulate-workloads: workloads become rolled out / complete / running / bound
# shortly after each write (with a new resourceVersion and a watch event), never-ready ones stay
# stuck, and without the flag workloads get no status at all. Driven by the real kubectl.

load apiserver_common

setup_file() {
	export WORK="$BATS_FILE_TMPDIR/work"
	mkdir -p "$WORK"
	start_apiserver "$WORK/data" --simulate-workloads
	echo "$APISERVER_PID" >"$WORK/pid"
}

teardown_file() {
	APISERVER_PID=$(cat "$WORK/pid")
	stop_apiserver
}

tpl='template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: x}]}}'

@test "simulate: Deployment rolls out (kubectl rollout status, wait Available), with a watch event" {
	k get deploy -w -o name >"$WORK/watch" 2>&1 &
	local wpid=$!
	sleep 0.5
	# rv0: the version the create returned (a later get may already see the rollout)
	local rv0
	rv0=$(printf 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d1}\nspec: {replicas: 2, selector: {matchLabels: {a: b}}, %s}\n' "$tpl" |
		k apply -f - -o jsonpath='{.metadata.resourceVersion}')
	run k rollout status deploy/d1 --timeout 10s
	[ "$status" -eq 0 ]
	[[ "$output" == *"successfully rolled out"* ]]
	k wait --for=condition=Available deploy/d1 --timeout 5s
	run k get deploy d1 -o jsonpath='{.status.observedGeneration} {.status.replicas} {.status.readyReplicas} {.status.availableReplicas} {.status.updatedReplicas} {.status.conditions[?(@.type=="Progressing")].reason}'
	[ "$output" = "1 2 2 2 2 NewReplicaSetAvailable" ]
	local rv1
	rv1=$(k get deploy d1 -o jsonpath='{.metadata.resourceVersion}')
	[ "$rv1" -gt "$rv0" ]
	# an update bumps the generation; status follows
	k scale deploy d1 --replicas 3
	k patch deploy d1 --type merge -p '{"spec":{"template":{"metadata":{"labels":{"v":"2"}}}}}'
	k rollout status deploy/d1 --timeout 10s
	run k get deploy d1 -o jsonpath='{.metadata.generation} {.status.observedGeneration} {.status.readyReplicas}'
	[ "$output" = "3 3 3" ]
	kill "$wpid" 2>/dev/null || true
	wait "$wpid" 2>/dev/null || true
	run grep -c "deployment.apps/d1" "$WORK/watch"
	[ "$output" -ge 4 ]
}

@test "simulate: StatefulSet, DaemonSet and ReplicaSet roll out" {
	printf 'apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: s1}\nspec: {replicas: 2, serviceName: s1, selector: {matchLabels: {a: b}}, %s}\n' "$tpl" | k apply -f -
	printf 'apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: ds1}\nspec: {selector: {matchLabels: {a: b}}, %s}\n' "$tpl" | k apply -f -
	printf 'apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: rs1}\nspec: {replicas: 2, selector: {matchLabels: {a: b}}, %s}\n' "$tpl" | k apply -f -
	k rollout status sts/s1 --timeout 10s
	k rollout status ds/ds1 --timeout 10s
	run k get sts s1 -o jsonpath='{.status.readyReplicas} {.status.availableReplicas} {.status.updatedReplicas}'
	[ "$output" = "2 2 2" ]
	run k get ds ds1 -o jsonpath='{.status.desiredNumberScheduled} {.status.numberReady} {.status.numberAvailable}'
	[ "$output" = "1 1 1" ]
	k wait --for=jsonpath='{.status.readyReplicas}'=2 rs/rs1 --timeout 10s
	run k get rs rs1 -o jsonpath='{.status.observedGeneration} {.status.replicas} {.status.availableReplicas}'
	[ "$output" = "1 2 2" ]
}

@test "simulate: Job completes, Pod runs ready, PVC binds, LoadBalancer gets an address" {
	printf 'apiVersion: batch/v1\nkind: Job\nmetadata: {name: j1}\nspec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: x}]}}}\n' | k apply -f -
	printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: p1}\nspec: {containers: [{name: c, image: x}, {name: d, image: y}]}\n' | k apply -f -
	printf 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: c1}\nspec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}\n' | k apply -f -
	printf 'apiVersion: v1\nkind: Service\nmetadata: {name: lb}\nspec: {type: LoadBalancer, ports: [{port: 80}]}\n' | k apply -f -
	printf 'apiVersion: v1\nkind: Service\nmetadata: {name: cip}\nspec: {ports: [{port: 80}]}\n' | k apply -f -
	k wait --for=condition=Complete job/j1 --timeout 10s
	run k get job j1
	[[ "$output" == *"j1"*"Complete"* ]]
	run k get job j1 -o jsonpath='{.status.succeeded} {.status.conditions[?(@.type=="Complete")].status}'
	[ "$output" = "1 True" ]
	[ -n "$(k get job j1 -o jsonpath='{.status.completionTime}')" ]
	k wait --for=condition=Ready pod/p1 --timeout 10s
	run k get pod p1 -o jsonpath='{.status.phase} {.status.containerStatuses[*].ready} {.status.conditions[?(@.type=="ContainersReady")].status}'
	[ "$output" = "Running true true True" ]
	run k get pod p1
	[[ "$output" == *"p1"*"Running"* ]]
	k wait --for=jsonpath='{.status.phase}'=Bound pvc/c1 --timeout 10s
	run k get pvc c1 -o jsonpath='{.status.capacity.storage}'
	[ "$output" = "1Gi" ]
	k wait --for=jsonpath='{.status.loadBalancer.ingress[0].ip}'=127.0.0.1 svc/lb --timeout 10s
	sleep 0.5
	run k get svc cip -o jsonpath='{.status.loadBalancer.ingress}'
	[ "$output" = "" ]
}

@test "simulate: eddy.dev/simulate=never-ready keeps a workload from becoming ready" {
	printf 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: stuck, annotations: {eddy.dev/simulate: never-ready}}\nspec: {selector: {matchLabels: {a: b}}, %s}\n' "$tpl" | k apply -f -
	printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: stuckpod, annotations: {eddy.dev/simulate: never-ready}}\nspec: {containers: [{name: c, image: x}]}\n' | k apply -f -
	k wait --for=jsonpath='{.status.observedGeneration}'=1 deploy/stuck --timeout 10s
	run k rollout status deploy/stuck --timeout 2s
	[ "$status" -ne 0 ]
	run k get deploy stuck -o jsonpath='{.status.conditions[?(@.type=="Available")].status} {.status.readyReplicas}'
	[ "$output" = "False " ]
	k wait --for=jsonpath='{.status.phase}'=Running pod/stuckpod --timeout 10s
	run k get pod stuckpod -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}'
	[ "$output" = "False" ]
}

@test "simulate: dry-run and status writes are not simulated; deleted objects are skipped" {
	printf 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: gone}\nspec: {selector: {matchLabels: {a: b}}, %s}\n' "$tpl" | k apply -f -
	k delete deploy gone
	printf 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: dry}\nspec: {selector: {matchLabels: {a: b}}, %s}\n' "$tpl" | k apply --dry-run=server -f -
	sleep 0.6
	run k get deploy gone dry
	[ "$status" -ne 0 ]
	[[ "$output" == *'"gone" not found'* ]]
	[[ "$output" == *'"dry" not found'* ]]
}

@test "no --simulate-workloads: workloads get no status" {
	local pid=$APISERVER_PID kc=$KUBECONFIG
	start_apiserver "$WORK/plain"
	printf 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {selector: {matchLabels: {a: b}}, %s}\n' "$tpl" | k apply -f -
	printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: x}]}\n' | k apply -f -
	printf 'apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: x}]}}}\n' | k apply -f -
	sleep 0.6
	run k get deploy d -o jsonpath='{.status}'
	[ "$output" = "" ]
	run k get pod p -o jsonpath='{.status.phase}'
	[ "$output" = "" ]
	run k get job j -o jsonpath='{.status.conditions}'
	[ "$output" = "" ]
	run k rollout status deploy/d --timeout 1s
	[ "$status" -ne 0 ]
	stop_apiserver
	APISERVER_PID=$pid
	export KUBECONFIG=$kc
}
