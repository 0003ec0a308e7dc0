#!/usr/bin/env python3
"""Small raw-HTTP client for the eddy-apiserver bats suites (stdlib only).

  apiserver_tool.py watch URL PATH OUT      stream a watch, one JSON event per line into OUT
  apiserver_tool.py events OUT              print "TYPE NAME RV" per event of a watch file
  apiserver_tool.py burst URL NS N ACKS     create N ConfigMaps, append each acknowledged
                                            "name rv" line to ACKS (flushed per write)
  apiserver_tool.py check URL NS ACKS       every acknowledged ConfigMap exists; prints the
                                            list resourceVersion
  apiserver_tool.py list-rv URL PATH        print metadata.resourceVersion of a list
"""
import http.client
import json
import os
import sys
import urllib.parse


def conn(url):
    u = urllib.parse.urlparse(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=60)


def request(url, method, path, body=None):
    c = conn(url)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    c.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def watch(url, path, out):
    c = conn(url)
    c.request("GET", path, headers={"Accept": "application/json"})
    r = c.getresponse()
    with open(out, "w") as f:
        while True:
            line = r.readline()
            if not line:
                break
            f.write(line.decode())
            f.flush()
    c.close()


def events(out):
    with open(out) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            ev = json.loads(line)
            o = ev["object"]
            md = o.get("metadata", {})
            name = md.get("name", "-")
            rv = md.get("resourceVersion", "-")
            extra = ""
            if ev["type"] == "ERROR":
                extra = " %s %s" % (o.get("code"), o.get("reason"))
            if ev["type"] == "BOOKMARK":
                ann = md.get("annotations", {}).get("k8s.io/initial-events-end", "")
                extra = " initial-end" if ann == "true" else ""
            print("%s %s %s%s" % (ev["type"], name, rv, extra))


def burst(url, ns, n, acks):
    c = conn(url)
    with open(acks, "a") as f:
        for i in range(n):
            name = "b%05d" % i
            body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                               "metadata": {"name": name}, "data": {"i": str(i)}})
            try:
                c.request("POST", "/api/v1/namespaces/%s/configmaps" % ns, body=body,
                          headers={"Content-Type": "application/json"})
                r = c.getresponse()
                data = r.read()
            except Exception:
                return
            if r.status == 201:
                rv = json.loads(data)["metadata"]["resourceVersion"]
                f.write("%s %s\n" % (name, rv))
                f.flush()
                os.fsync(f.fileno())


def check(url, ns, acks):
    st, data = request(url, "GET", "/api/v1/namespaces/%s/configmaps" % ns)
    assert st == 200, st
    lst = json.loads(data)
    have = {i["metadata"]["name"]: int(i["metadata"]["resourceVersion"]) for i in lst["items"]}
    missing = 0
    maxrv = 0
    with open(acks) as f:
        for line in f:
            name, rv = line.split()
            maxrv = max(maxrv, int(rv))
            if name not in have:
                missing += 1
                print("missing %s" % name, file=sys.stderr)
            elif have[name] != int(rv):
                print("changed %s" % name, file=sys.stderr)
                missing += 1
    if missing:
        sys.exit(1)
    print(lst["metadata"]["resourceVersion"], maxrv)


def list_rv(url, path):
    st, data = request(url, "GET", path)
    assert st == 200, (st, data)
    print(json.loads(data)["metadata"]["resourceVersion"])


def main():
    cmd = sys.argv[1]
    if cmd == "watch":
        watch(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "events":
        events(sys.argv[2])
    elif cmd == "burst":
        burst(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    elif cmd == "check":
        check(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "list-rv":
        list_rv(sys.argv[2], sys.argv[3])
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
