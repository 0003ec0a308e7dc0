#!/usr/bin/env python3
"""A local stand-in for the GitHub REST API's installation-token endpoint (the one SaaS piece a
test cannot run here), for source-controller's provider "github" tests.

    fake_github_api.py PORT_FILE PUBLIC_KEY_PEM APP_ID INSTALLATION_ID TOKEN LOG

POST /app/installations/<INSTALLATION_ID>/access_tokens must carry "Authorization: Bearer <JWT>"
where the JWT is RS256, signed by the private key of PUBLIC_KEY_PEM (checked with openssl),
with iss == APP_ID and a lifetime of at most 10 minutes around now. On success: 201 and
{"token": TOKEN, "expires_at": now + 1h}; otherwise 401 with a message. Every request is
appended to LOG as one line: "<method> <path> <status> <why>". Listens on 127.0.0.1:0 and
writes the port to PORT_FILE.
"""
import base64
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer

PORT_FILE, PUB, APP_ID, INST, TOKEN, LOG = sys.argv[1:7]


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def check_jwt(jwt):
    parts = jwt.split(".")
    if len(parts) != 3:
        return "not a JWT"
    header = json.loads(b64d(parts[0]))
    claims = json.loads(b64d(parts[1]))
    if header.get("alg") != "RS256":
        return "alg is not RS256"
    with tempfile.TemporaryDirectory() as d:
        data, sig = os.path.join(d, "data"), os.path.join(d, "sig")
        with open(data, "wb") as f:
            f.write((parts[0] + "." + parts[1]).encode())
        with open(sig, "wb") as f:
            f.write(b64d(parts[2]))
        r = subprocess.run(["openssl", "dgst", "-sha256", "-verify", PUB, "-signature", sig,
                            data], capture_output=True)
        if r.returncode != 0:
            return "bad signature"
    now = time.time()
    if str(claims.get("iss")) != APP_ID:
        return "wrong issuer"
    iat, exp = claims.get("iat", 0), claims.get("exp", 0)
    if not (iat - 60 <= now <= exp) or exp - iat > 600:
        return "bad iat/exp"
    return None


class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def reply(self, code, body, why):
        raw = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)
        with open(LOG, "a") as f:
            f.write("%s %s %d %s\n" % (self.command, self.path, code, why))

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        if self.path != "/app/installations/%s/access_tokens" % INST:
            return self.reply(404, {"message": "Not Found"}, "path")
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return self.reply(401, {"message": "A JSON web token could not be decoded"},
                              "no bearer")
        why = check_jwt(auth[7:])
        if why:
            return self.reply(401, {"message": why}, why.replace(" ", "-"))
        exp = datetime.now(timezone.utc) + timedelta(hours=1)
        self.reply(201, {"token": TOKEN, "expires_at": exp.strftime("%Y-%m-%dT%H:%M:%SZ")},
                   "ok")


srv = HTTPServer(("127.0.0.1", 0), H)
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(PORT_FILE + ".tmp", PORT_FILE)
srv.serve_forever()
