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

rm -f "$out/age.agekey" "$out/other.agekey"
age-keygen -o "$out/age.agekey" 2>/dev/null
age-keygen -o "$out/other.agekey" 2>/dev/null
AGE=$(age-keygen -y "$out/age.agekey")

gpg --batch --pinentry-mode loopback --passphrase '' --quick-gen-key \
  "Eddy Test <test@eddy.invalid>" rsa2048 cert never 2>/dev/null
FPR=$(gpg --list-keys --with-colons test@eddy.invalid | awk -F: '/^fpr/ {print $10; exit}')
gpg --batch --pinentry-mode loopback --passphrase '' --quick-add-key "$FPR" rsa2048 encr never \
  2>/dev/null
gpg --batch --pinentry-mode loopback --passphrase '' --export-secret-keys -a "$FPR" > "$out/pgp.asc"
echo "$FPR" > "$out/pgp.fpr"
# an ed25519 primary key with a Curve25519 (ECDH) encryption subkey
gpg --batch --pinentry-mode loopback --passphrase '' --quick-gen-key \
  "Eddy ECC <ecc@eddy.invalid>" ed25519 cert never 2>/dev/null
ECC=$(gpg --list-keys --with-colons ecc@eddy.invalid | awk -F: '/^fpr/ {print $10; exit}')
gpg --batch --pinentry-mode loopback --passphrase '' --quick-add-key "$ECC" cv25519 encr never \
  2>/dev/null
gpg --batch --pinentry-mode loopback --passphrase '' --export-secret-keys -a "$ECC" \
  > "$out/pgp-ecc.asc"
echo "$ECC" > "$out/pgp-ecc.fpr"

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
python3 "$enc" --pgp "$FPR" $R "$tmp/secret.yaml" > "$out/secret.pgp.yaml"
python3 "$enc" --pgp "$ECC" $R "$tmp/secret.yaml" > "$out/secret.pgp-ecc.yaml"
python3 "$enc" --age "$AGE" --pgp "$FPR" "$tmp/doc.yaml" > "$out/doc.yaml"
python3 "$enc" --age "$AGE" --mac-only-encrypted --unencrypted-regex '^name$' \
  "$tmp/doc.yaml" > "$out/doc.maconly.yaml"
python3 "$enc" --age "$AGE" --input-type json --output-type json <(python3 -c \
  'import yaml,json,sys; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))' "$tmp/doc.yaml") \
  > "$out/doc.json"
python3 "$enc" --age "$AGE" --input-type binary "$tmp/blob.txt" > "$out/blob.bin.json"
python3 "$enc" --age "$AGE" --output-type dotenv "$tmp/env.yaml" > "$out/secret.env"
echo "fixtures written to $out"
