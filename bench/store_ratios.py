#!/usr/bin/env python3
"""Prints the sealed-store figures as ratios measured in one run of store_bench (JSON output).

  store_ratios.py results.json
  commit_1k_us=... commit_100k_us=... commit_100k_over_1k=...
  interleaved_commit_100k_over_1k=...   (target: <= 1.2; both sizes measured alternately)
"""
import json
import sys


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as f:
        runs = {b["name"]: b for b in json.load(f)["benchmarks"] if b.get("run_type") != "aggregate"}

    def us(name: str) -> float | None:
        b = runs.get(name)
        if b is None:
            return None
        scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}[b["time_unit"]]
        return b["real_time"] * scale

    figures = [
        ("commit", "BM_SqliteSealedCommit/value:256/records:1000/real_time",
         "BM_SqliteSealedCommit/value:256/records:100000/real_time"),
        ("append", "BM_SqliteSealedAppend/records:1000/real_time",
         "BM_SqliteSealedAppend/records:100000/real_time"),
        ("plain_commit", "BM_SqlitePlainCommit/records:1000/real_time",
         "BM_SqlitePlainCommit/records:100000/real_time"),
    ]
    for label, small, large in figures:
        a, b = us(small), us(large)
        if a is None or b is None:
            continue
        print(f"{label}_1k_us={a:.0f} {label}_100k_us={b:.0f} {label}_100k_over_1k={b / a:.2f}")
    inter = runs.get("BM_SqliteSealedCommitInterleaved/real_time")
    if inter is not None:
        print(f"interleaved_commit_1k_us={inter['commit_1k_us']:.0f} "
              f"interleaved_commit_100k_us={inter['commit_100k_us']:.0f} "
              f"interleaved_commit_100k_over_1k={inter['ratio_100k_over_1k']:.2f}   (target <= 1.2)")
    sealed, plain = us(figures[0][2]), us(figures[2][2])
    if sealed is not None and plain is not None:
        print(f"sealed_over_plain_commit_100k={sealed / plain:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
