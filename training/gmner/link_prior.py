"""Fits stage 2's link prior: a multinomial logistic layer over stage 2's five
probabilities and the knowledge cache's link evidence (src/stages/link-prior.ts):

    logit_k = scale * log p_k + bias_k + sum_j weights[k][j] * evidence_j

The candidates come from `groundstream eval --split train --dump-candidates FILE`
(stage 2's raw probabilities with the prior off, the evidence features computed
by the service itself, and each candidate's gold label). The fit starts from the
identity (scale 1, no bias, no weights), an L2 penalty keeps weights of rare
features near zero, and only candidates with link evidence are fitted on: the
service applies the prior to those only.

    python -m gmner.link_prior --train /tmp/train.jsonl --extra /tmp/germeval.jsonl ... \\
        --dev /tmp/dev.jsonl --out ../models/stage2/link-prior.json
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

LABELS = ("PER", "LOC", "ORG", "OTHER", "NONE")
FLOOR = 1e-9


@dataclass(frozen=True)
class Candidates:
    features: list[str]
    log_p: np.ndarray  # [n, 5]
    evidence: np.ndarray  # [n, F]
    labels: np.ndarray  # [n] label index


@dataclass(frozen=True)
class Prior:
    scale: float
    bias: np.ndarray  # [5]
    weights: np.ndarray  # [5, F]


def read_candidates(path: Path, min_span_score: float) -> Candidates:
    """Candidates at or above stage 1's span threshold (the ones stage 2 would see) that the prior applies to: those with
    link evidence (the dump's `linked`, decided by the service's hasLinkEvidence)."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not lines or "features" not in json.loads(lines[0]):
        raise ValueError(f"{path}: not a candidate dump (its first line must name the features)")
    features = list(json.loads(lines[0])["features"])
    log_p, evidence, labels = [], [], []
    for line in lines[1:]:
        row = json.loads(line)
        if "linked" not in row:
            raise ValueError(f"{path}: candidates without `linked`; dump them again with this version of groundstream")
        if row["spanScore"] < min_span_score or not row["linked"]:
            continue
        if len(row["evidence"]) != len(features):
            raise ValueError(f"{path}: {len(row['evidence'])} evidence values, the feature list has {len(features)}")
        log_p.append([math.log(max(p, FLOOR)) for p in row["scores"]])
        evidence.append(row["evidence"])
        labels.append(LABELS.index(row["label"]))
    if not labels:
        raise ValueError(f"{path}: no candidates at span score >= {min_span_score}")
    return Candidates(features, np.array(log_p), np.array(evidence, dtype=float), np.array(labels))


def logits(prior: Prior, data: Candidates) -> np.ndarray:
    return prior.scale * data.log_p + prior.bias[None, :] + data.evidence @ prior.weights.T


def log_loss(prior: Prior, data: Candidates) -> float:
    z = logits(prior, data)
    z = z - z.max(axis=1, keepdims=True)
    log_softmax = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-log_softmax[np.arange(len(data.labels)), data.labels].mean())


def identity(features: int) -> Prior:
    return Prior(1.0, np.zeros(len(LABELS)), np.zeros((len(LABELS), features)))


def fit(domains: list[Candidates], l2: float) -> list[Prior]:
    """Shared evidence weights, a scale and bias per domain (data set).

    Minimises the mean over domains of each one's mean cross-entropy, plus
    l2 * (|weights|^2 + sum over domains of |bias|^2 + (scale - 1)^2). Other
    corpora teach what a catalogue or GeoNames link says about a mention's
    type; each keeps its own calibration, so their conventions (lower-cased
    text, German nouns) do not move the shipped domain's probabilities.
    """
    k = len(LABELS)
    features = domains[0].evidence.shape[1]
    per_domain = 1 + k
    onehots = []
    for data in domains:
        onehot = np.zeros((len(data.labels), k))
        onehot[np.arange(len(data.labels)), data.labels] = 1
        onehots.append(onehot)

    def unpack(theta: np.ndarray) -> tuple[np.ndarray, list[tuple[float, np.ndarray]]]:
        weights = theta[: k * features].reshape(k, features)
        calibrations = []
        for d in range(len(domains)):
            at = k * features + d * per_domain
            calibrations.append((float(theta[at]), theta[at + 1 : at + per_domain]))
        return weights, calibrations

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        weights, calibrations = unpack(theta)
        loss = l2 * np.sum(weights**2)
        grad = np.zeros_like(theta)
        grad[: k * features] = (2 * l2 * weights).ravel()
        for d, (data, onehot) in enumerate(zip(domains, onehots, strict=True)):
            scale, bias = calibrations[d]
            n = len(data.labels)
            z = scale * data.log_p + bias[None, :] + data.evidence @ weights.T
            z = z - z.max(axis=1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(axis=1, keepdims=True)
            loss += -np.log(np.maximum(p[np.arange(n), data.labels], 1e-300)).mean() / len(domains)
            loss += l2 * (np.sum(bias**2) + (scale - 1) ** 2)
            g = (p - onehot) / (n * len(domains))
            grad[: k * features] += (g.T @ data.evidence).ravel()
            at = k * features + d * per_domain
            grad[at] = float(np.sum(g * data.log_p)) + 2 * l2 * (scale - 1)
            grad[at + 1 : at + per_domain] = g.sum(axis=0) + 2 * l2 * bias
        return float(loss), grad

    theta0 = np.zeros(k * features + len(domains) * per_domain)
    for d in range(len(domains)):
        theta0[k * features + d * per_domain] = 1.0
    bounds = [(None, None)] * (k * features)
    for _ in domains:
        bounds += [(0.05, 20.0)] + [(None, None)] * k
    result = minimize(objective, theta0, jac=True, method="L-BFGS-B", bounds=bounds)
    if not result.success:
        raise RuntimeError(f"link prior fit did not converge: {result.message}")
    weights, calibrations = unpack(result.x)
    return [Prior(scale, bias, weights) for scale, bias in calibrations]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", type=Path, required=True, help="eval --dump-candidates on the Twitter-GMNER training split")
    parser.add_argument("--extra", type=Path, nargs="*", default=[], help="dumps of other corpora: shared evidence weights, own calibration")
    parser.add_argument("--dev", type=Path, help="the same on the dev split, to report its log loss (not fitted on)")
    parser.add_argument("--calibration", choices=("fitted", "identity"), default="fitted", help="ship the fitted scale and bias of --train, or none")
    parser.add_argument("--min-span-score", type=float, default=0.3)
    parser.add_argument("--l2", type=float, default=1e-3)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    train = read_candidates(args.train, args.min_span_score)
    features = train.features
    extra = [read_candidates(path, args.min_span_score) for path in args.extra]
    for path, data in zip(args.extra, extra, strict=True):
        if data.features != features:
            raise ValueError(f"{path} has other features than {args.train}")
    fitted = fit([train, *extra], args.l2)[0]
    prior = fitted if args.calibration == "fitted" else Prior(1.0, np.zeros(len(LABELS)), fitted.weights)
    training: dict[str, object] = {
        "fitted_on": [str(args.train.name), *(path.name for path in args.extra)],
        "about": "eval --dump-candidates of the Twitter-GMNER train split (and of --extra corpora, each with its own calibration)",
        "candidates": len(train.labels) + sum(len(data.labels) for data in extra),
        "calibration": args.calibration,
        "min_span_score": args.min_span_score,
        "l2": args.l2,
        "feature_counts": {name: int(count) for name, count in zip(features, train.evidence.sum(axis=0), strict=True)},
        "train_log_loss": {"before": round(log_loss(identity(len(features)), train), 5), "after": round(log_loss(prior, train), 5)},
    }
    if args.dev is not None:
        dev = read_candidates(args.dev, args.min_span_score)
        if dev.features != features:
            raise ValueError(f"{args.dev} has other features than {args.train}")
        training["dev_log_loss"] = {"before": round(log_loss(identity(len(features)), dev), 5), "after": round(log_loss(prior, dev), 5)}
    out = {
        "features": features,
        "labels": list(LABELS),
        "scale": round(prior.scale, 6),
        "bias": [round(float(b), 6) for b in prior.bias],
        "weights": [[round(float(w), 6) for w in row] for row in prior.weights],
        "training": training,
    }
    args.out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(training, indent=1))


if __name__ == "__main__":
    main()
