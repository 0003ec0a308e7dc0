#!/usr/bin/env python3
"""eddy-apiserver benchmark: create+watch throughput and latency, list time, RSS.

usage: bench.py EDDY_APISERVER_BINARY [N ...]   (default N: 1000 10000)

For each N a fresh server is started on 127.0.0.1:0 with a temporary data dir. One watch on
the namespace runs while C client connections create N ConfigMaps. Reported per N:
  create throughput (objects/s), create latency p50/p99 (request to 201),
  watch delivery latency p50/p99 (201 received to ADDED event received),
  full list time (one GET of all N), sequential delete latency (N/10 deletes),
  server RSS (VmHWM and VmRSS) at the end.
Not a test: numbers depend on the machine."""
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

CONNS = 4


def pct(xs, p):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))]


def rss(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(("VmRSS", "VmHWM")):
                k, v = line.split(":")
                out[k] = int(v.split()[0]) // 1024
    return out


def run(binary, n):
    d = tempfile.mkdtemp(prefix="eddy-bench-")
    p = subprocess.Popen([binary, "--data-dir", d, "--listen", "127.0.0.1:0"],
                         stderr=subprocess.DEVNULL)
    try:
        kc = os.path.join(d, "kubeconfig")
        for _ in range(100):
            if os.path.exists(kc):
                break
            time.sleep(0.05)
        url = [l.split("server:")[1].strip() for l in open(kc) if "server:" in l][0]
        u = urllib.parse.urlparse(url)
        conn = lambda: http.client.HTTPConnection(u.hostname, u.port, timeout=120)
        c = conn()
        c.request("POST", "/api/v1/namespaces", json.dumps(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bench"}}),
            {"Content-Type": "application/json"})
        c.getresponse().read()
        acked = {}
        seen = {}
        lock = threading.Lock()
        done = threading.Event()

        def watcher():
            w = conn()
            w.request("GET", "/api/v1/namespaces/bench/configmaps?watch=1&timeoutSeconds=600")
            r = w.getresponse()
            while len(seen) < n:
                line = r.readline()
                if not line:
                    break
                ev = json.loads(line)
                if ev["type"] == "ADDED":
                    seen[ev["object"]["metadata"]["name"]] = time.perf_counter()
            done.set()
            w.close()

        wt = threading.Thread(target=watcher, daemon=True)
        wt.start()
        time.sleep(0.3)
        lat = []

        def creator(k):
            cc = conn()
            for i in range(k, n, CONNS):
                name = "cm-%06d" % i
                body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                                   "metadata": {"name": name, "labels": {"i": str(i % 10)}},
                                   "data": {"k": "v" * 64}})
                t0 = time.perf_counter()
                cc.request("POST", "/api/v1/namespaces/bench/configmaps", body,
                           {"Content-Type": "application/json"})
                r = cc.getresponse()
                r.read()
                t1 = time.perf_counter()
                assert r.status == 201, r.status
                with lock:
                    lat.append(t1 - t0)
                    acked[name] = t1

        t0 = time.perf_counter()
        ths = [threading.Thread(target=creator, args=(k,)) for k in range(CONNS)]
        for t in ths:
            t.start()
        for t in ths:
            t.join()
        elapsed = time.perf_counter() - t0
        done.wait(120)
        wlat = [max(0.0, seen[k] - acked[k]) for k in acked if k in seen]
        t2 = time.perf_counter()
        c = conn()
        c.request("GET", "/api/v1/namespaces/bench/configmaps")
        body = c.getresponse().read()
        list_s = time.perf_counter() - t2
        items = len(json.loads(body)["items"])
        nd = max(1, n // 10)
        t3 = time.perf_counter()
        for i in range(nd):
            c.request("DELETE", "/api/v1/namespaces/bench/configmaps/cm-%06d" % i)
            c.getresponse().read()
        del_ms = (time.perf_counter() - t3) * 1e3 / nd
        mem = rss(p.pid)
        print("N=%d: create %.0f obj/s (%d conns), create p50 %.2f ms p99 %.2f ms, "
              "watch delivery p50 %.2f ms p99 %.2f ms (%d/%d events), list %d in %.0f ms, "
              "delete %.2f ms/op, RSS %d MiB (peak %d MiB)" % (
                  n, n / elapsed, CONNS, pct(lat, 0.5) * 1e3, pct(lat, 0.99) * 1e3,
                  pct(wlat, 0.5) * 1e3, pct(wlat, 0.99) * 1e3, len(seen), n, items,
                  list_s * 1e3, del_ms, mem.get("VmRSS", 0), mem.get("VmHWM", 0)))
    finally:
        p.terminate()
        p.wait()
        shutil.rmtree(d, ignore_errors=True)


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "build/bin/eddy-apiserver"
    ns = [int(x) for x in sys.argv[2:]] or [1000, 10000]
    for n in ns:
        run(binary, n)


if __name__ == "__main__":
    main()
