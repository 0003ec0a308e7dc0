#!/usr/bin/env bash
# Regenerates tests/unit/sops/ with the real age and gpg (through tests/tools/sops_encrypt.py).
# The keys it writes are test keys, used nowhere else.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
out="$here/tests/unit/sops"
enc="$here/tests/tools/sops_encrypt.py"
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'gpgconf --homedir "$tmp/gnupg" --kill all >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
export GNUPGHOME="$tmp/gnupg"
mkdir -m 700 "$GNUPGHOME"

# keys: reused when present (the fuzz target embeds the age identity), else made anew
[ -f "$out/age.agekey" ] || age-keygen -o "$out/age.agekey" 2>/dev/null
[ -f "$out/other.agekey" ] || age-keygen -o "$out/other.agekey" 2>/dev/null
AGE=$(age-keygen -y "$out/age.agekey")
gpgq() { gpg --batch --pinentry-mode loopback --passphrase '' "$@" 2>/dev/null; }
if [ -f "$out/pgp.asc" ] && [ -f "$out/pgp-ecc.asc" ]; then
  gpgq --import "$out/pgp.asc" "$out/pgp-ecc.asc"
  FPR=$(cat "$out/pgp.fpr") ECC=$(cat "$out/pgp-ecc.fpr")
else
  gpgq --quick-gen-key "Eddy Test <test@eddy.invalid>" rsa2048 cert never
  FPR=$(gpg --list-keys --with-colons test@eddy.invalid | awk -F: '/^fpr/ {print $10; exit}')
  gpgq --quick-add-key "$FPR" rsa2048 encr never
  gpgq --export-secret-keys -a "$FPR" > "$out/pgp.asc"
  echo "$FPR" > "$out/pgp.fpr"
  # an ed25519 primary key with a Curve25519 (ECDH) encryption subkey
  gpgq --quick-gen-key "Eddy ECC <ecc@eddy.invalid>" ed25519 cert never
  ECC=$(gpg --list-keys --with-colons ecc@eddy.invalid | awk -F: '/^fpr/ {print $10; exit}')
  gpgq --quick-add-key "$ECC" cv25519 encr never
  gpgq --export-secret-keys -a "$ECC" > "$out/pgp-ecc.asc"
  echo "$ECC" > "$out/pgp-ecc.fpr"
fi

cat > "$tmp/secret.yaml" <<'YAML'
apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: apps
type: Opaque
stringData:
  password: s3cr3t-p@ss
  empty: ""
data:
  token: dG9rZW4tdmFsdWU=
YAML
cat > "$tmp/doc.yaml" <<'YAML'
name: app
replicas: 3
ratio: 0.25
big: 1.5e+21
enabled: true
nothing: null
nested:
  list:
    - one
    - 2
    - false
  deep:
    key: value
plain_unencrypted: visible
YAML
printf 'binary payload\nline two\n' > "$tmp/blob.txt"
printf 'USER: admin\nPASSWORD: env-s3cr3t\nPORT: "5432"\n' > "$tmp/env.yaml"

R="--encrypted-regex ^(data|stringData)$"
python3 "$enc" --age "$AGE" $R "$tmp/secret.yaml" > "$out/secret.age.yaml"
# PGP as sops' gpg call makes it (ZLIB-compressed), uncompressed (Go's openpgp) and ZIP
python3 "$enc" --pgp "$FPR" $R "$tmp/secret.yaml" > "$out/secret.pgp.yaml"
python3 "$enc" --pgp "$FPR" --pgp-compress zip $R "$tmp/secret.yaml" > "$out/secret.pgp-zip.yaml"
python3 "$enc" --pgp "$ECC" $R "$tmp/secret.yaml" > "$out/secret.pgp-ecc.yaml"
python3 "$enc" --age "$AGE" --pgp "$FPR" --pgp-compress none "$tmp/doc.yaml" > "$out/doc.yaml"
python3 "$enc" --age "$AGE" --mac-only-encrypted --unencrypted-regex '^name$' \
  "$tmp/doc.yaml" > "$out/doc.maconly.yaml"
python3 "$enc" --age "$AGE" --input-type json --output-type json <(python3 -c \
  'import yaml,json,sys; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))' "$tmp/doc.yaml") \
  > "$out/doc.json"
python3 "$enc" --age "$AGE" --input-type binary "$tmp/blob.txt" > "$out/blob.bin.json"
python3 "$enc" --age "$AGE" --output-type dotenv "$tmp/env.yaml" > "$out/secret.env"
echo "fixtures written to $out"
