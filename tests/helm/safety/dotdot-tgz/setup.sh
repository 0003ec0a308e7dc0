set -e
python3 - "$1" <<'PY'
import io, sys, tarfile
out = sys.argv[1] + "/dotdot.tgz"
with tarfile.open(out, "w:gz") as t:
    def add(name, data):
        ti = tarfile.TarInfo(name); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
    add("c/Chart.yaml", b"apiVersion: v2\nname: c\nversion: 0.1.0\n")
    add("c/../../evil.yaml", b"x: 1\n")
PY
