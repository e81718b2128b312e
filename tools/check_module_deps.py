#!/usr/bin/env python3
"""Fails when src/'s top-level modules import each other in a circle.

Every `crate::<module>` path (plain, or inside a `use crate::{...}` group) in a module's files is
an edge from that module to the named one. The modules must form a chain without cycles; the
order found is printed (lowest first), so a newcomer sees the layering at a glance. CI runs it.

usage: tools/check_module_deps.py [src]
"""
import os
import re
import sys


def modules(src):
    out = {}
    for name in sorted(os.listdir(src)):
        path = os.path.join(src, name)
        if os.path.isdir(path):
            out[name] = [os.path.join(d, f) for d, _, fs in os.walk(path) for f in fs if f.endswith(".rs")]
        elif name.endswith(".rs") and name not in ("lib.rs", "main.rs", "build.rs"):
            out[name[:-3]] = [path]
    return out


def uses(text, names):
    # Comments name modules without depending on them.
    text = re.sub(r"//[^\n]*", "", text)
    found = set(re.findall(r"\bcrate::([a-z_][a-z0-9_]*)", text))
    for group in re.findall(r"\bcrate::\{([^}]*)\}", text):
        found |= set(re.findall(r"(?:^|[\s,{])([a-z_][a-z0-9_]*)", group))
    return found & names


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "src"
    mods = modules(src)
    names = set(mods)
    deps = {}
    for m, files in mods.items():
        d = set()
        for f in files:
            with open(f) as fh:
                d |= uses(fh.read(), names)
        deps[m] = d - {m}
    order, done, stack = [], set(), []

    def visit(m):
        if m in done:
            return None
        if m in stack:
            return stack[stack.index(m):] + [m]
        stack.append(m)
        for d in sorted(deps[m]):
            cycle = visit(d)
            if cycle:
                return cycle
        stack.pop()
        done.add(m)
        order.append(m)
        return None

    for m in sorted(mods):
        cycle = visit(m)
        if cycle:
            print("import cycle among src/'s top-level modules: " + " -> ".join(cycle))
            for a, b in zip(cycle, cycle[1:]):
                where = [f for f in mods[a] if b in uses(open(f).read(), names)]
                print(f"  {a} uses {b} in: {', '.join(sorted(where))}")
            return 1
    print("module layers (each uses only those before it): " + " -> ".join(order))
    return 0


if __name__ == "__main__":
    sys.exit(main())
