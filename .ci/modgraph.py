#!/usr/bin/env python3
"""Fails if the crate's top-level modules depend on each other in a cycle.

usage: .ci/modgraph.py [SRC] [--edges]

A top-level module is a file `SRC/x.rs` or a directory `SRC/x/` (not lib.rs). Module
`a` depends on `b` when non-test code under `a` names `crate::b` (also inside
`use crate::{b, ...}`) or reaches `b` through `super::` (resolved from the file's own
module path). A file is read up to its first `#[cfg(test)]`; comment lines, doc
comments included, are skipped. Prints every cycle (a strongly connected component of
more than one module) and exits 1 if there is one; `--edges` also prints each edge
with the first file that makes it.
"""
import os
import re
import sys

args = [a for a in sys.argv[1:] if not a.startswith("--")]
src = args[0] if args else "src"
show_edges = "--edges" in sys.argv

mods = set()
for name in os.listdir(src):
    path = os.path.join(src, name)
    if name.endswith(".rs") and name not in ("lib.rs", "main.rs"):
        mods.add(name[:-3])
    elif os.path.isdir(path):
        mods.add(name)


def files_of(mod):
    """(file, module path) of every file of a top-level module."""
    out = []
    single = os.path.join(src, mod + ".rs")
    if os.path.exists(single):
        out.append((single, [mod]))
    root = os.path.join(src, mod)
    if os.path.isdir(root):
        for here, _, files in os.walk(root):
            rel = os.path.relpath(here, src).split(os.sep)
            for f in files:
                if not f.endswith(".rs"):
                    continue
                path = rel if f == "mod.rs" else rel + [f[:-3]]
                out.append((os.path.join(here, f), path))
    return out


def strip(text):
    text = text.split("#[cfg(test)]")[0]
    return "\n".join(l for l in text.splitlines() if not l.lstrip().startswith("//"))


def group_heads(body):
    """The first segment of each path in a `{...}` use group (top level of it only)."""
    heads, depth, token = [], 0, ""
    for ch in body:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if depth == 0 and ch == ",":
            heads.append(token)
            token = ""
        elif depth == 0:
            token += ch
    heads.append(token)
    return [m.group(1) for m in (re.match(r"\s*(\w+)", h) for h in heads) if m]


path_re = re.compile(r"\b(crate|(?:super::)+)(?:::)?(\{|\w+)")
edges = {m: {} for m in mods}
for mod in mods:
    for path, modpath in files_of(mod):
        with open(path, encoding="utf-8") as f:
            text = strip(f.read())
        for m in path_re.finditer(text):
            base, nxt = m.group(1), m.group(2)
            if base == "crate":
                prefix = []
            else:
                ups = base.count("super::")
                # super:: in a file is relative to the file's module.
                prefix = modpath[: max(len(modpath) - ups, 0)] if ups <= len(modpath) else None
                if prefix is None:
                    continue
            if nxt == "{":
                end = text.find(";", m.end())
                names = group_heads(text[m.end(): end].rsplit("}", 1)[0])
            else:
                names = [nxt]
            for name in names:
                top = prefix[0] if prefix else name
                if top in mods and top != mod:
                    edges[mod].setdefault(top, path)

index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]


def strong(v):
    index[v] = low[v] = counter[0]
    counter[0] += 1
    stack.append(v)
    on.add(v)
    for w in sorted(edges[v]):
        if w not in index:
            strong(w)
            low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop()
            on.discard(w)
            comp.append(w)
            if w == v:
                break
        sccs.append(comp)


sys.setrecursionlimit(10000)
for v in sorted(mods):
    if v not in index:
        strong(v)
if show_edges:
    for a in sorted(edges):
        for b, why in sorted(edges[a].items()):
            print(f"{a} -> {b}  ({why})")
cycles = [sorted(c) for c in sccs if len(c) > 1]
for c in cycles:
    members = set(c)
    print("cycle: " + " ".join(c))
    for a in c:
        for b, why in sorted(edges[a].items()):
            if b in members:
                print(f"  {a} -> {b}  ({why})")
print(f"{len(mods)} modules, {sum(len(e) for e in edges.values())} edges, {len(cycles)} cycles")
sys.exit(1 if cycles else 0)
