#!/usr/bin/env python3
"""Checks the relative links and images of the project's Markdown files (README.md, docs/*.md,
the module READMEs, flink-jobs/docs/*.md): each target exists, and each #anchor names a heading of
its target file, slugged as GitHub does. Links out of the repository (../shared/SPEC.md) are
checked on disk as they are. Usage: python3 docs/check-links.py [REPO]; exit code 1 if any is broken."""
import glob
import os
import re
import sys


def slug(heading):
    s = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return s.replace(" ", "-")


def without_code(text):
    return re.sub(r"```.*?```", "", text, flags=re.S)


def anchors(path):
    seen, out = {}, set()
    for m in re.finditer(r"^#{1,6} +(.*?) *#*$", without_code(open(path).read()), flags=re.M):
        s = slug(m.group(1))
        n = seen.get(s, 0)
        seen[s] = n + 1
        out.add(s if n == 0 else f"{s}-{n}")
    return out


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
    files = ["README.md"] + sorted(
        glob.glob("docs/*.md", root_dir=root)
        + glob.glob("*/README.md", root_dir=root)
        + glob.glob("flink-jobs/docs/*.md", root_dir=root)
    )
    broken = links = 0
    for f in files:
        for m in re.finditer(r"!?\[[^\]]*\]\(([^)\s]+)\)", without_code(open(os.path.join(root, f)).read())):
            target = m.group(1)
            if re.match(r"^[a-z]+:", target):
                continue
            links += 1
            path, _, anchor = target.partition("#")
            full = os.path.normpath(os.path.join(root, os.path.dirname(f), path)) if path else os.path.join(root, f)
            if not os.path.exists(full):
                print(f"{f}: no such file: {target}")
                broken += 1
            elif anchor and (not full.endswith(".md") or anchor not in anchors(full)):
                print(f"{f}: no such heading: {target}")
                broken += 1
    print(f"{len(files)} files, {links} relative links, {broken} broken")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
