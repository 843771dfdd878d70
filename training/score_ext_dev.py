"""Scores the service on the dev splits of the extra corpora (BTC, WNUT-17) through `groundstream run`.

Each dev tweet becomes a post whose text is its tokens joined by spaces; the run's entity documents (text mentions
only: @handles and #hashtags are outside these corpora's conventions, as in gmner.data.read_ext_conll) are compared
with the gold spans by exact character offsets: span P/R/F1 (type-agnostic, what stage 1 contributes) and typed
P/R/F1 (types mapped as for training: WNUT-17's group/corporation -> ORG, product/creative-work -> OTHER; BTC has
no OTHER, so an OTHER prediction there is a false positive). The posts and documents are written to a temporary
folder only (the corpora are third-party data).

    cd training && ../.venv-training/bin/python score_ext_dev.py [--models ../models] [--ext-dir DIR] [--json FILE]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
from pathlib import Path

from gmner import data as D

ROOT = Path(__file__).resolve().parents[1]
DEV_FILES = {"btc": "btc/btc.dev", "wnut17": "wnut17/emerging.dev.conll"}


def gold_spans(tweets) -> tuple[list[dict], set[tuple[str, int, int, str]]]:
    """Posts (text = tokens joined by single spaces) and the gold (post id, start, end, type), offsets in UTF-16 code
    units as the service's documents give them."""
    posts, gold = [], set()
    units = lambda text: len(text.encode("utf-16-le")) // 2  # noqa: E731
    for i, tweet in enumerate(tweets):
        post_id = f"ext-{i}"
        starts, pos = [], 0
        for word in tweet.words:
            starts.append(pos)
            pos += units(word) + 1
        text = " ".join(tweet.words)
        posts.append({"id": post_id, "text": text, "created_at": "2026-12-07T00:00:00Z", "image_urls": []})
        for s, e, typ in tweet.spans():
            gold.add((post_id, starts[s], starts[e - 1] + units(tweet.words[e - 1]), typ))
    return posts, gold


def prf(tp: int, pred: int, gold: int) -> dict:
    p = tp / pred if pred else 0.0
    r = tp / gold if gold else 0.0
    return {"p": round(100 * p, 2), "r": round(100 * r, 2), "f1": round(200 * p * r / (p + r), 2) if p + r else 0.0,
            "tp": tp, "pred": pred, "gold": gold}


def score(corpus: str, ext_dir: Path, models: Path) -> dict:
    tweets = D.read_ext_conll(ext_dir / DEV_FILES[corpus], corpus)
    posts, gold = gold_spans(tweets)
    with tempfile.TemporaryDirectory() as tmp:
        posts_file, out = Path(tmp) / "posts.jsonl", Path(tmp) / "entities.jsonl"
        posts_file.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in posts), encoding="utf-8")
        subprocess.run(["node", str(ROOT / "dist" / "src" / "cli" / "main.js"), "run", "--input", str(posts_file),
                        "--output", str(out), "--dead-letters", str(Path(tmp) / "dead.jsonl"), "--no-progress", "--quiet"],
                       check=True, cwd=ROOT, env={**os.environ, "GS_MODELS_DIR": str(models.resolve())})
        pred = set()
        for line in out.read_text(encoding="utf-8").splitlines():
            doc = json.loads(line)
            entity = doc["entity"]
            if entity.get("mention_kind", "text") == "text":
                pred.add((doc["post_id"], entity["start"], entity["end"], entity["type"]))
    strip = lambda spans: {s[:3] for s in spans}  # noqa: E731
    return {"tweets": len(tweets), "span": prf(len(strip(pred) & strip(gold)), len(strip(pred)), len(strip(gold))),
            "typed": prf(len(pred & gold), len(pred), len(gold))}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=str(ROOT / "models"))
    ap.add_argument("--ext-dir", default=str(D.DEFAULT_EXT_DIR))
    ap.add_argument("--json", help="also write the scores here")
    args = ap.parse_args(argv)
    ext_dir = Path(args.ext_dir)
    if not all((ext_dir / f).exists() for f in DEV_FILES.values()):
        raise SystemExit(f"score_ext_dev: the dev files {', '.join(DEV_FILES.values())} are not under {ext_dir}")
    if not (ROOT / "dist" / "src" / "cli" / "main.js").exists():
        raise SystemExit("score_ext_dev: build the service first (npm run build)")
    results = {corpus: score(corpus, ext_dir, Path(args.models)) for corpus in DEV_FILES}
    for corpus, r in results.items():
        print(f"{corpus:7s} {r['tweets']:5d} tweets  span P/R/F1 {r['span']['p']:.2f} / {r['span']['r']:.2f} / "
              f"{r['span']['f1']:.2f}   typed {r['typed']['p']:.2f} / {r['typed']['r']:.2f} / {r['typed']['f1']:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps({"models": args.models, **results}, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
