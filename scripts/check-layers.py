#!/usr/bin/env python3
"""Fails when libcommon's layers are broken: a layer that includes a header of a layer it does
not use (directly or through the layers it uses), an include that names no known header, a folder
of libcommon/src that is not a layer, or layers that use each other in a cycle.

The layers and what each uses are written once, in libcommon/layers.txt (CMake reads the same
file). Usage: check-layers.py [ROOT]   (ROOT defaults to the checkout this script is in)."""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def read_layers(path):
    layers = {}  # name -> list of direct uses, in file order
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        m = re.match(r"^([a-z]+):([^|]*)\|(.*)$", line)
        if not m:
            continue
        uses = [u for u in m.group(2).split() if u != "-"]
        layers[m.group(1)] = (uses, n)
    return layers


def check_graph(layers, problems):
    """Every used layer exists and is written above its user, so the file order is a
    topological order and no cycle can form."""
    order = list(layers)
    for name, (uses, n) in layers.items():
        for u in uses:
            if u not in layers:
                problems.append(f"layers.txt:{n}: {name} uses unknown layer {u}")
            elif order.index(u) >= order.index(name):
                problems.append(f"layers.txt:{n}: {name} uses {u}, which is not below it "
                                f"(a cycle or an upward use)")


def closure(layers, name, seen=None):
    seen = set() if seen is None else seen
    for u in layers.get(name, ([], 0))[0]:
        if u not in seen and u in layers:
            seen.add(u)
            closure(layers, u, seen)
    return seen


def public_headers(root, layers):
    owner = {}  # "eddy/x.h" -> layer
    for layer in layers:
        d = os.path.join(root, "libcommon", "include", layer, "eddy")
        for h in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            owner["eddy/" + h] = layer
    return owner


def sources(base):
    for dirpath, _, files in os.walk(base):
        for f in sorted(files):
            if f.endswith((".c", ".h")):
                yield os.path.join(dirpath, f)


def check_file(root, path, layer, allowed, owner, layers, problems):
    rel = os.path.relpath(path, root)
    for n, line in enumerate(open(path, encoding="utf-8", errors="replace"), 1):
        m = INCLUDE.match(line)
        if not m:
            continue
        inc = m.group(1)
        if inc.startswith("eddy/"):
            target = owner.get(inc)
            if target is None:
                problems.append(f"{rel}:{n}: includes {inc}, which no layer provides")
                continue
        elif os.path.exists(os.path.join(os.path.dirname(path), inc)):
            target = layer  # beside the including file
        elif inc.split("/")[0] in layers:
            target = inc.split("/")[0]  # an internal header of a layer, from src/
        else:
            problems.append(f"{rel}:{n}: includes \"{inc}\", which is not a libcommon header")
            continue
        if target != layer and target not in allowed:
            problems.append(f"{rel}:{n}: layer {layer} includes {inc} of layer {target}, "
                            f"which {layer} does not use (see libcommon/layers.txt)")


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                           os.path.join(os.path.dirname(__file__), ".."))
    lib = os.path.join(root, "libcommon")
    layers = read_layers(os.path.join(lib, "layers.txt"))
    problems = []
    check_graph(layers, problems)
    for d in sorted(os.listdir(os.path.join(lib, "src"))):
        if os.path.isdir(os.path.join(lib, "src", d)) and d not in layers:
            problems.append(f"libcommon/src/{d}: a folder that is not a layer in layers.txt")
    for f in sorted(os.listdir(os.path.join(lib, "src"))):
        if f.endswith((".c", ".h")):
            problems.append(f"libcommon/src/{f}: a source outside every layer's folder")
    owner = public_headers(root, layers)
    for layer in layers:
        allowed = closure(layers, layer)
        for base in (os.path.join(lib, "src", layer), os.path.join(lib, "include", layer)):
            for path in sources(base):
                check_file(root, path, layer, allowed, owner, layers, problems)
    if problems:
        print("check-layers: libcommon's layers are broken:", file=sys.stderr)
        for p in problems:
            print("  " + p, file=sys.stderr)
        return 1
    print(f"check-layers: {len(layers)} layers, every include goes to the layer itself or below")
    return 0


if __name__ == "__main__":
    sys.exit(main())
