"""Writes the surface forms of a run's k-fold NONE examples (stage-1 false positives), one per line,
for the knowledge dump (`groundstream knowledge-dump --surfaces FILE`): with them, NONE
examples get knowledge the way serving gives it, so having knowledge does not reveal the label.

    cd training && ../.venv-training/bin/python none_surfaces.py --work runs/X --out ../.cache/knowledge/none-surfaces.txt

The training words are rebuilt exactly as gmner.train_all builds them (same seed, same #/@ joining).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from gmner import data as D


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True, help="run folder holding kfold.json and results.json")
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    work = Path(args.work)
    run_args = json.loads((work / "results.json").read_text())["args"]
    train = D.load_split(Path(run_args["data"]), "train")
    if run_args.get("max_train"):
        train = train[: run_args["max_train"]]
    if run_args.get("sigil_merge", 0) > 0:
        rng = np.random.default_rng(run_args["seed"] + 7)
        train = [D.merge_sigils(t, rng, run_args["sigil_merge"]) for t in train]
    none = json.loads((work / "kfold.json").read_text())["none"]
    surfaces = sorted({" ".join(train[i].words[s:e]) for i, s, e in none})
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(surfaces) + "\n", encoding="utf-8")
    print(f"{len(none)} NONE examples, {len(surfaces)} distinct surfaces -> {args.out}")


if __name__ == "__main__":
    main()
