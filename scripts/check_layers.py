#!/usr/bin/env python3
"""Checks that the files of src/ depend on each other down the layers only.

    check_layers.py [BUILDDIR [SRCDIR]]

BUILDDIR (default .) is a configured and built tree: its src/<layer>/
holds the objects of the internal library (libmetalog_internal_la-<file>.o,
or only under .libs/ when the build is shared-only). SRCDIR (default: the
tree this script is in) holds the sources.

The graph has one node per file. A call or a data reference is an edge
from the object that leaves the symbol undefined to the object that defines
it; an `#include "..."` of src/**/*.c and *.h is an edge from the including
file to the header. The layers, top to bottom:

    core > async > pipeline > handler > render > config > record > util

Fails (exit 1), printing every offending edge with its symbols, on
  1. an edge from a file to a file in a higher layer;
  2. a cycle between files (a strongly connected component of more than
     one file), inside one folder or across folders;
  3. a source file directly in src/ or in a folder that is not a layer.
A lower layer may reach up only through a function pointer set from above:
that leaves no symbol, hence no edge. Exit 2 when there is nothing to check.
"""

import os
import re
import subprocess
import sys
from collections import defaultdict

LAYERS = ["core", "async", "pipeline", "handler", "render", "config", "record", "util"]
RANK = {name: len(LAYERS) - i for i, name in enumerate(LAYERS)}  # higher is higher
OBJ_PREFIX = "libmetalog_internal_la-"
SOURCE_EXTS = (".c", ".h")


def layer_of(path):
    """The layer of a path relative to src/, or None (directly in src/, or
    a folder that is not a layer)."""
    parts = path.split("/")
    if len(parts) < 2 or parts[0] not in RANK:
        return None
    return parts[0]


def find_objects(builddir, srcdir):
    """{source path relative to src/: object path}. Prefers the non-PIC
    object; ignores objects whose source is gone (left over from a move)."""
    top = os.path.join(builddir, "src")
    found = {}
    stale = []
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames.sort()
        rel_dir = os.path.relpath(dirpath, top)
        pic = os.path.basename(rel_dir) == ".libs"
        if pic:
            rel_dir = os.path.dirname(rel_dir)
        for name in sorted(filenames):
            if not (name.startswith(OBJ_PREFIX) and name.endswith(".o")):
                continue
            source = name[len(OBJ_PREFIX):-2] + ".c"
            rel = os.path.normpath(os.path.join(rel_dir, source))
            if not os.path.isfile(os.path.join(srcdir, "src", rel)):
                stale.append(os.path.join(dirpath, name))
                continue
            if rel not in found or not pic:
                found[rel] = os.path.join(dirpath, name)
    return found, stale


def read_symbols(obj, nm):
    """(defined globals, undefined) of one object, from nm -P."""
    out = subprocess.run(nm + ["-P", obj], capture_output=True, text=True, check=True).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        fields = line.split()
        if len(fields) < 2:
            continue
        sym, kind = fields[0], fields[1]
        if kind in ("U", "w", "v"):
            if kind == "U" or len(fields) == 2:
                undefined.add(sym)
        elif kind.isupper() or kind == "u":
            defined.add(sym)
    return defined, undefined


def symbol_edges(objects, nm):
    """{(from, to): {symbols}} between the sources of the objects."""
    defined_by = defaultdict(set)
    uses = {}
    for src, obj in objects.items():
        defined, undefined = read_symbols(obj, nm)
        for sym in defined:
            defined_by[sym].add(src)
        uses[src] = undefined
    edges = defaultdict(set)
    for src, undefined in uses.items():
        for sym in undefined:
            for target in defined_by.get(sym, ()):
                if target != src:
                    edges[(src, target)].add(sym)
    return edges


INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')


def source_files(srcdir):
    top = os.path.join(srcdir, "src")
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith(SOURCE_EXTS):
                yield os.path.relpath(os.path.join(dirpath, name), top)


def include_edges(srcdir, files):
    """{(from, to): {"#include"}} for the quoted includes that name a file
    of src/ (searched beside the includer, then from src/ as -I does)."""
    top = os.path.join(srcdir, "src")
    edges = defaultdict(set)
    for rel in files:
        path = os.path.join(top, rel)
        with open(path, encoding="utf-8", errors="replace") as f:
            for lineno, line in enumerate(f, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                for base in (os.path.dirname(path), top):
                    target = os.path.normpath(os.path.join(base, m.group(1)))
                    if os.path.isfile(target):
                        break
                else:
                    continue  # a public or system header
                target = os.path.relpath(target, top)
                if target.startswith("..") or target == rel:
                    continue
                edges[(rel, target)].add('#include "%s" (line %d)' % (m.group(1), lineno))
    return edges


def strongly_connected(nodes, succ):
    """Tarjan's algorithm, iterative: the components of more than one node."""
    index, low, on_stack, stack, comps = {}, {}, set(), [], []
    counter = 0
    for root in sorted(nodes):
        if root in index:
            continue
        work = [(root, iter(sorted(succ.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(succ.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    comp.append(member)
                    if member == node:
                        break
                if len(comp) > 1:
                    comps.append(sorted(comp))
    return sorted(comps)


def describe(edge, what):
    return "%s -> %s: %s" % (edge[0], edge[1], ", ".join(sorted(what)))


def main(argv):
    builddir = argv[1] if len(argv) > 1 else "."
    srcdir = argv[2] if len(argv) > 2 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    nm = os.environ.get("NM", "nm").split()

    objects, stale = find_objects(builddir, srcdir)
    if not objects:
        print("check_layers: no %s*.o under %s/src: build first" % (OBJ_PREFIX, builddir))
        return 2
    for obj in stale:
        print("note: ignoring %s: its source is gone" % obj)
    files = list(source_files(srcdir))
    unbuilt = [f for f in files if f.endswith(".c") and f not in objects]
    for f in unbuilt:
        print("note: src/%s has no object in %s (not built?)" % (f, builddir))

    edges = symbol_edges(objects, nm)
    for edge, what in include_edges(srcdir, files).items():
        edges[edge] |= what

    problems = 0
    misplaced = sorted(set(f for f in files if layer_of(f) is None)
                       | set(f for f in objects if layer_of(f) is None))
    if misplaced:
        print("Files outside the layer folders (%s):" % ", ".join(LAYERS))
        for f in misplaced:
            print("  src/%s" % f)
        problems += len(misplaced)

    upward = [(e, w) for e, w in sorted(edges.items())
              if layer_of(e[0]) and layer_of(e[1]) and RANK[layer_of(e[0])] < RANK[layer_of(e[1])]]
    if upward:
        print("Edges up the layers (%s):" % " > ".join(LAYERS))
        for edge, what in upward:
            print("  %s  [%s below %s]" % (describe(edge, what), layer_of(edge[0]), layer_of(edge[1])))
        problems += len(upward)

    succ = defaultdict(set)
    for a, b in edges:
        succ[a].add(b)
    nodes = set(objects) | set(files)
    cycles = strongly_connected(nodes, succ)
    if cycles:
        print("Cycles between files:")
        for comp in cycles:
            members = set(comp)
            print("  cycle of %d files: %s" % (len(comp), " ".join(comp)))
            for edge, what in sorted(edges.items()):
                if edge[0] in members and edge[1] in members:
                    print("    %s" % describe(edge, what))
        problems += len(cycles)

    print("check_layers: %d objects, %d source files, %d edges; %d misplaced files, "
          "%d upward edges, %d cycles"
          % (len(objects), len(files), len(edges), len(misplaced), len(upward), len(cycles)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
