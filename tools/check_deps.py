#!/usr/bin/env python3
"""Checks #include lines in src/ against tools/source-dependencies.json.

Each file belongs to the longest listed folder that contains it. A project include
("folder/file.h") must name the file's own folder or an allowed dependency; a system include
(<x>) from a third-party library must match one of the folder's allowed prefixes. Standard
headers, fmt and tl/expected are allowed everywhere. Exit 1 and one line per violation.
"""
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "src")
ALWAYS = ("fmt/", "tl/", "sys/", "arpa/", "netinet/", "unistd.h", "fcntl.h", "dirent.h",
          "signal.h", "poll.h", "errno.h", "dlfcn.h", "pwd.h", "spawn.h", "termios.h")
# Third-party prefixes that must be allowed explicitly. Anything else in <> is the standard library.
THIRD_PARTY = ("openssl/", "nlohmann/", "spdlog/", "sqlite3.h", "grpc", "google/protobuf",
               "httplib.h", "CLI/", "prometheus/", "gtest/", "gmock/", "benchmark/")

def main():
    with open(os.path.join(ROOT, "tools", "source-dependencies.json")) as f:
        modules = json.load(f)["modules"]
    names = sorted(modules, key=len, reverse=True)
    problems = []
    include_re = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
    for dirpath, _, files in os.walk(SRC):
        rel_dir = os.path.relpath(dirpath, SRC)
        parts = rel_dir.split(os.sep)
        if "test" in parts or "testing" in parts:
            continue
        for name in files:
            if not name.endswith((".h", ".cpp", ".hpp", ".cc")):
                continue
            rel = os.path.join(rel_dir, name).replace(os.sep, "/")
            owner = next((m for m in names if rel.startswith(m + "/")), None)
            if owner is None:
                problems.append(f"src/{rel}: folder is not listed in tools/source-dependencies.json")
                continue
            allowed = [owner] + modules[owner]["deps"]
            third = modules[owner]["third_party"]
            with open(os.path.join(dirpath, name), encoding="utf-8", errors="replace") as f:
                for lineno, line in enumerate(f, 1):
                    m = include_re.match(line)
                    if not m:
                        continue
                    kind, path = m.groups()
                    if kind == '"':
                        if "/" not in path:
                            continue  # same-folder include
                        target = next((n for n in names if path.startswith(n + "/")), None)
                        if target is None:
                            problems.append(f"src/{rel}:{lineno}: includes unknown folder: {path}")
                        elif target not in allowed:
                            problems.append(f"src/{rel}:{lineno}: {owner} may not depend on {target} ({path})")
                    else:
                        if path.startswith(ALWAYS):
                            continue
                        if path.startswith(THIRD_PARTY) and not any(path.startswith(t) for t in third):
                            problems.append(f"src/{rel}:{lineno}: {owner} may not include <{path}>")
    for p in problems:
        print(p)
    if problems:
        print(f"check_deps: {len(problems)} dependency violation(s)", file=sys.stderr)
        return 1
    print("check_deps: include graph follows tools/source-dependencies.json")
    return 0

if __name__ == "__main__":
    sys.exit(main())
