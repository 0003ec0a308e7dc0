set -e
python3 - "$1" <<'PY'
import io, sys, tarfile
out = sys.argv[1] + "/bomb.tgz"
with tarfile.open(out, "w:gz") as t:
    def add(name, data):
        ti = tarfile.TarInfo(name); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
    add("c/Chart.yaml", b"apiVersion: v2\nname: c\nversion: 0.1.0\n")
    for i in range(30):
        add("c/files/zero%d.bin" % i, bytes(4 * 1024 * 1024))
PY
