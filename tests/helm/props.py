"""Property cases for functions whose output is random (see README.md): each renders templates
with the reference helm and with ours and checks what must hold: ciphertexts of one engine
decrypt in the other, bcrypt hashes verify with libcrypt, certificates parse with openssl and
have the same structure as helm's, keys have the same PEM types, and so on."""
import base64
import ctypes
import json
import os
import re
import subprocess
import tempfile

import yaml


class Ctx:
    def __init__(self, helm, eddy, tmp, run):
        self.helm, self.eddy, self.tmp, self.run = helm, eddy, tmp, run
        self.n = 0

    def render(self, engine, template, values=None, args=()):
        """Render one template (text) as a chart; returns the first document parsed, or raises."""
        self.n += 1
        d = os.path.join(self.tmp, "prop-%s-%d" % (engine, self.n))
        os.makedirs(os.path.join(d, "templates"))
        with open(os.path.join(d, "Chart.yaml"), "w") as f:
            f.write("apiVersion: v2\nname: p\nversion: 0.1.0\n")
        with open(os.path.join(d, "values.yaml"), "w") as f:
            f.write(yaml.safe_dump(values or {}))
        with open(os.path.join(d, "templates", "p.yaml"), "w") as f:
            f.write(template)
        binary = [self.helm] if engine == "helm" else [self.eddy, "helm"]
        # key generation (RSA 4096, DSA) takes seconds, more on a loaded machine or under ASan
        rc, out, err = self.run(binary + ["template", "r", d] + list(args), timeout=300)
        if rc != 0:
            raise AssertionError("%s failed: %s" % (engine, err.strip()[:500]))
        docs = [x for x in yaml.safe_load_all(out) if x is not None]
        return docs[0]


def crypt_verify(password, hashed):
    lib = ctypes.CDLL("libcrypt.so.1")
    lib.crypt.restype = ctypes.c_char_p
    lib.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    r = lib.crypt(password.encode(), hashed.encode())
    return r is not None and r.decode() == hashed


def openssl(args, data):
    p = subprocess.run(["openssl"] + args, input=data.encode(), capture_output=True)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def cert_shape(pem):
    """`openssl x509 -text` without what is random: serial, dates, key and signature bytes."""
    rc, t, err = openssl(["x509", "-noout", "-text"], pem)
    if rc != 0:
        raise AssertionError("openssl x509 failed: " + err)
    t = re.sub(r"(?m)^( +)([0-9a-f]{2}:)+[0-9a-f]{0,2}\n", "", t)
    t = re.sub(r"(Not (Before|After) *:).*", r"\1", t)
    t = re.sub(r"Serial Number:.*", "Serial", t)
    t = re.sub(r"(keyid:|Identifier: *\n *)[0-9A-F:]+", r"\1ID", t)
    return t


PLAINS = ["x", "hello world", "0123456789abcdef", "0123456789abcde", "ünïcödé ✓ 日本",
          "a" * 100, "line1\nline2\t\"quoted\""]
KEYS = ["k", "secret", "0123456789abcdef0123456789abcdef", "a key that is longer than 32 bytes!"]


def p_aes_cross(ctx):
    pairs = [[k, p] for k in KEYS for p in PLAINS]
    each = ('out: {{ $r := list }}{{ range .Values.pairs }}'
            '{{ $r = append $r (%s (index . 0) (index . 1)) }}{{ end }}{{ $r | toJson | quote }}\n')
    tpl, dec = each % "encryptAES", each % "decryptAES"
    for enc_engine, dec_engine in (("eddy", "helm"), ("helm", "eddy")):
        cts = json.loads(ctx.render(enc_engine, tpl, {"pairs": pairs})["out"])
        for (k, p), c in zip(pairs, cts):
            raw = base64.b64decode(c)
            if len(raw) != 16 + (len(p.encode()) // 16 + 1) * 16:
                raise AssertionError("%s: bad ciphertext length for %r" % (enc_engine, p))
        back = json.loads(ctx.render(dec_engine, dec, {"pairs": [[k, c] for (k, _), c in
                                                                 zip(pairs, cts)]})["out"])
        if back != [p for _, p in pairs]:
            raise AssertionError("%s->%s: round trip differs: %r" % (enc_engine, dec_engine, back))
    return "%d ciphertexts each way" % len(pairs)


def p_aes_random_iv(ctx):
    o = ctx.render("eddy", 'a: {{ encryptAES "k" "same" | quote }}\n'
                           'b: {{ encryptAES "k" "same" | quote }}\n')
    if o["a"] == o["b"]:
        raise AssertionError("two encryptions are equal (IV not random)")
    return "IVs differ"


def p_bcrypt(ctx):
    pws = ["x", "password", "ünï", "a" * 72, "with space", ""]
    tpl = ('out: {{ $r := list }}{{ range .Values.pws }}{{ $r = append $r (bcrypt .) }}'
           '{{ $r = append $r (htpasswd "user" .) }}{{ end }}{{ $r | toJson | quote }}\n')
    for engine in ("eddy", "helm"):
        hs = json.loads(ctx.render(engine, tpl, {"pws": pws})["out"])
        for i, pw in enumerate(pws):
            h, ht = hs[2 * i], hs[2 * i + 1]
            if not h.startswith("$2a$10$") or len(h) != 60:
                raise AssertionError("%s: bcrypt shape: %r" % (engine, h))
            if not crypt_verify(pw, h):
                raise AssertionError("%s: bcrypt hash of %r does not verify" % (engine, pw))
            user, _, hh = ht.partition(":")
            if user != "user" or not crypt_verify(pw, hh):
                raise AssertionError("%s: htpasswd line for %r does not verify" % (engine, pw))
    return "%d passwords, verified with libcrypt" % len(pws)


CERT_TPL = """{{- $ca := genCA "my-ca" 365 }}
{{- $ek := genPrivateKey "ecdsa" }}
{{- $dk := genPrivateKey "ed25519" }}
{{- $rk := genPrivateKey "rsa" }}
ca: {{ $ca.Cert | quote }}
cakey: {{ $ca.Key | quote }}
{{- $names := list "a.example" "b.example" }}
ss: {{ (genSelfSignedCert "host" (list "10.0.0.1" "::1") $names 30).Cert | quote }}
sg: {{ (genSignedCert "leaf" (list "127.0.0.1") (list "leaf.example") 10 $ca).Cert | quote }}
cak: {{ (genCAWithKey "eca" 5 $ek).Cert | quote }}
cakk: {{ (genCAWithKey "eca" 5 $ek).Key | quote }}
ek: {{ $ek | quote }}
sgk: {{ (genSignedCertWithKey "leaf2" nil (list "x") 10 $ca $dk).Cert | quote }}
sgkk: {{ (genSignedCertWithKey "leaf2" nil (list "x") 10 $ca $dk).Key | quote }}
dk: {{ $dk | quote }}
ssk: {{ (genSelfSignedCertWithKey "" nil (list "x") 10 $ek).Cert | quote }}
ssr: {{ (genSelfSignedCertWithKey "r" (list "1.2.3.4") nil 1 $rk).Cert | quote }}
ssrk: {{ (genSelfSignedCertWithKey "r" (list "1.2.3.4") nil 1 $rk).Key | quote }}
rk: {{ $rk | quote }}
bc: {{ (buildCustomCert ($ca.Cert | b64enc) ($ca.Key | b64enc)).Cert | quote }}
"""
CERTS = ["ca", "ss", "sg", "cak", "sgk", "ssk", "ssr", "bc"]


def p_certs(ctx):
    h = ctx.render("helm", CERT_TPL)
    e = ctx.render("eddy", CERT_TPL)
    for k in CERTS:
        a, b = cert_shape(h[k]), cert_shape(e[k])
        if a != b:
            import difflib
            raise AssertionError("%s: certificate shape differs:\n%s" % (k, "\n".join(
                difflib.unified_diff(a.splitlines(), b.splitlines(), "helm", "eddy", n=1))))
    for o, name in ((h, "helm"), (e, "eddy")):
        with tempfile.NamedTemporaryFile("w", suffix=".pem", dir=ctx.tmp, delete=False) as f:
            f.write(o["ca"])
        for leaf in ("sg", "sgk"):
            rc, out, err = openssl(["verify", "-CAfile", f.name], o[leaf])
            if rc != 0:
                raise AssertionError("%s: %s does not verify against the CA: %s"
                                     % (name, leaf, err))
        # the ...WithKey forms certify the given key and return it
        for cert, key, given in (("cak", "cakk", "ek"), ("sgk", "sgkk", "dk"),
                                 ("ssr", "ssrk", "rk")):
            pub_c = openssl(["x509", "-noout", "-pubkey"], o[cert])[1]
            pub_k = openssl(["pkey", "-pubout"], o[given])[1]
            if pub_c != pub_k or o[key] != o[given] and key != "ssrk":
                raise AssertionError("%s: %s does not certify the given key" % (name, cert))
    return "%d certificates: same structure as helm's, chains verify" % len(CERTS)


def p_keys(ctx):
    tpl = ("{{- range list \"rsa\" \"ecdsa\" \"ed25519\" \"dsa\" \"\" }}\n"
           "k{{ . }}: {{ genPrivateKey . | quote }}\n{{- end }}\n")
    h = ctx.render("helm", tpl)
    e = ctx.render("eddy", tpl)
    for k in h:
        hl, el = h[k].splitlines(), e[k].splitlines()
        if hl[0] != el[0] or hl[-1] != el[-1]:
            raise AssertionError("%s: PEM type differs: %s vs %s" % (k, hl[0], el[0]))
        rc, a, _ = openssl(["pkey", "-noout", "-text"], h[k])
        rc2, b, err = openssl(["pkey", "-noout", "-text"], e[k])
        if rc2 != 0:
            raise AssertionError("%s: openssl cannot read ours: %s" % (k, err))
        ha, hb = a.splitlines()[0], b.splitlines()[0]
        if ha != hb:
            raise AssertionError("%s: key kind differs: %s vs %s" % (k, ha, hb))
    return "%d key types" % len(h)


def p_dns(ctx):
    tpl = 'a: {{ getHostByName "localhost" | quote }}\nb: {{ getHostByName "127.0.0.1" | quote }}\n'
    for engine in ("helm", "eddy"):
        o = ctx.render(engine, tpl, args=["--enable-dns"])
        if o["a"] not in ("127.0.0.1", "::1") or o["b"] != "127.0.0.1":
            raise AssertionError("%s: getHostByName: %r" % (engine, o))
        o = ctx.render(engine, tpl)
        if o != {"a": "", "b": ""}:
            raise AssertionError("%s: getHostByName without --enable-dns: %r" % (engine, o))
    return "localhost resolves"


def p_random_shapes(ctx):
    tpl = ('a: {{ randBytes 24 | b64dec | len }}\nb: {{ randBytes 0 | quote }}\n'
           'c: {{ eq (randBytes 16) (randBytes 16) }}\nd: {{ randBytes 5 | len }}\n')
    h, e = ctx.render("helm", tpl), ctx.render("eddy", tpl)
    if h != e:
        raise AssertionError("randBytes: helm %r eddy %r" % (h, e))
    return "randBytes shapes"


PROPS = [("aes-cross", p_aes_cross), ("aes-random-iv", p_aes_random_iv), ("bcrypt", p_bcrypt),
         ("certificates", p_certs), ("private-keys", p_keys), ("getHostByName", p_dns),
         ("randBytes", p_random_shapes)]
