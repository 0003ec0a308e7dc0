#!/usr/bin/env python3
"""Write SOPS-encrypted files (getsops/sops v3 format) for Eddy's tests.

The values are encrypted with AES-256-GCM (python3-cryptography) under a random data key; the
data key is wrapped with the real `age` binary (X25519 recipients) and the real `gpg`, so the
key-wrapping formats come from the reference tools, not from us.

  sops_encrypt.py [--age RECIPIENT]... [--pgp FINGERPRINT]... [--gnupghome DIR]
                  [--encrypted-regex RE | --unencrypted-suffix S | --encrypted-suffix S
                   | --unencrypted-regex RE] [--mac-only-encrypted]
                  [--input-type yaml|json|binary] [--output-type yaml|json|dotenv]
                  [--pgp-compress default|none|zip|zlib] FILE
"""
import argparse
import base64
import datetime
import decimal
import hashlib
import json
import os
import re
import subprocess
import sys

import yaml
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAC_ONLY_INIT = hashlib.sha256(b"sops").digest()


def _str(dumper, v):
    # multi-line values (armored keys) as literal blocks, as sops writes them
    return dumper.represent_scalar("tag:yaml.org,2002:str", v, style="|" if "\n" in v else None)


yaml.SafeDumper.add_representer(str, _str)


def go_float(f):
    s = format(decimal.Decimal(repr(f)), "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def to_bytes(v):
    if isinstance(v, bool):
        return b"True" if v else b"False"
    if isinstance(v, int):
        return str(v).encode()
    if isinstance(v, float):
        return go_float(v).encode()
    return v.encode()


def type_of(v):
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    return "str"


def enc_value(key, v, aad):
    if isinstance(v, str) and v == "":
        return ""
    iv = os.urandom(32)
    out = AESGCM(key).encrypt(iv, to_bytes(v), aad.encode())
    b64 = lambda b: base64.b64encode(b).decode()
    return "ENC[AES256_GCM,data:%s,iv:%s,tag:%s,type:%s]" % (
        b64(out[:-16]), b64(iv), b64(out[-16:]), type_of(v))


class Rules:
    def __init__(self, a):
        self.us, self.es = a.unencrypted_suffix, a.encrypted_suffix
        self.ur, self.er = a.unencrypted_regex, a.encrypted_regex
        if not (self.us or self.es or self.ur or self.er):
            self.us = "_unencrypted"

    def encrypt(self, path):
        enc = True
        if self.us and any(p.endswith(self.us) for p in path):
            enc = False
        if self.es:
            enc = any(p.endswith(self.es) for p in path)
        if self.ur and any(re.search(self.ur, p) for p in path):
            enc = False
        if self.er:
            enc = any(re.search(self.er, p) for p in path)
        return enc


def walk(v, path, key, rules, mac, mac_only):
    if isinstance(v, dict):
        return {k: walk(x, path + [str(k)], key, rules, mac, mac_only) for k, x in v.items()}
    if isinstance(v, list):
        return [walk(x, path, key, rules, mac, mac_only) for x in v]
    if v is None:
        return None
    enc = rules.encrypt(path)
    if not mac_only or enc:
        mac.update(to_bytes(v))
    if enc:
        return enc_value(key, v, ":".join(path) + ":")
    return v


def run(cmd, data):
    return subprocess.run(cmd, input=data, stdout=subprocess.PIPE, check=True).stdout.decode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--age", action="append", default=[])
    ap.add_argument("--pgp", action="append", default=[])
    ap.add_argument("--gnupghome")
    ap.add_argument("--pgp-compress", default="default",
                    help="default: gpg's choice, as sops' own gpg call gets (ZLIB with gpg's "
                         "keys); none: like Go's openpgp; zip; zlib")
    ap.add_argument("--encrypted-regex")
    ap.add_argument("--unencrypted-regex")
    ap.add_argument("--encrypted-suffix")
    ap.add_argument("--unencrypted-suffix")
    ap.add_argument("--mac-only-encrypted", action="store_true")
    ap.add_argument("--input-type", default="yaml")
    ap.add_argument("--output-type")
    a = ap.parse_args()
    raw = open(a.file, "rb").read()
    if a.input_type == "binary":
        doc = {"data": raw.decode()}
    elif a.input_type == "json":
        doc = json.loads(raw)
    else:
        doc = yaml.safe_load(raw)
    key = os.urandom(32)
    rules = Rules(a)
    mac = hashlib.sha512()
    if a.mac_only_encrypted:
        mac.update(MAC_ONLY_INIT)
    out = walk(doc, [], key, rules, mac, a.mac_only_encrypted)
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    meta = {}
    if a.age:
        meta["age"] = [{"recipient": r, "enc": run(["age", "-a", "-r", r], key)}
                       for r in a.age]
    if a.pgp:
        env = dict(os.environ)
        if a.gnupghome:
            env["GNUPGHOME"] = a.gnupghome
        meta["pgp"] = []
        for fp in a.pgp:
            # the arguments sops gives gpg (pgp/keysource.go encryptWithGnuPG)
            cmd = ["gpg", "--batch", "--no-default-recipient", "--yes", "--encrypt", "-a",
                   "-r", fp, "--trusted-key", fp[-16:], "--no-encrypt-to"]
            if a.pgp_compress != "default":
                cmd += ["--compress-algo", a.pgp_compress]
            enc = subprocess.run(cmd, input=key, stdout=subprocess.PIPE, check=True,
                                 env=env).stdout.decode().strip() + "\n"
            meta["pgp"].append({"created_at": now, "enc": enc, "fp": fp})
    meta["lastmodified"] = now
    meta["mac"] = enc_value(key, mac.hexdigest().upper(), now)
    for opt, name in ((a.unencrypted_suffix, "unencrypted_suffix"),
                      (a.encrypted_suffix, "encrypted_suffix"),
                      (a.unencrypted_regex, "unencrypted_regex"),
                      (a.encrypted_regex, "encrypted_regex")):
        if opt:
            meta[name] = opt
    if not (a.unencrypted_suffix or a.encrypted_suffix or a.unencrypted_regex
            or a.encrypted_regex):
        meta["unencrypted_suffix"] = "_unencrypted"
    if a.mac_only_encrypted:
        meta["mac_only_encrypted"] = True
    meta["version"] = "3.9.0"
    out["sops"] = meta
    otype = a.output_type or ("json" if a.input_type in ("json", "binary") else "yaml")
    if otype == "dotenv":
        # sops' dotenv store: KEY=VALUE lines, metadata flattened as sops_<key>, lists as
        # sops_<key>__list_<i>__map_<field>; newlines escaped as \n
        lines = []
        esc = lambda v: str(v).replace("\n", "\\n")
        for k, v in out.items():
            if k == "sops":
                continue
            lines.append("%s=%s" % (k, esc(v)))
        for k, v in meta.items():
            if isinstance(v, list):
                for i, item in enumerate(v):
                    for f, x in item.items():
                        lines.append("sops_%s__list_%d__map_%s=%s" % (k, i, f, esc(x)))
            else:
                lines.append("sops_%s=%s" % (k, esc(v if not isinstance(v, bool) else
                                                   str(v).lower())))
        sys.stdout.write("\n".join(lines) + "\n")
    elif otype == "json":
        sys.stdout.write(json.dumps(out, indent=4) + "\n")
    else:
        sys.stdout.write(yaml.safe_dump(out, sort_keys=False, width=1 << 20))


if __name__ == "__main__":
    main()
