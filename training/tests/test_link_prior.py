"""The link prior's fit (gmner.link_prior) on project-made candidates: evidence that names the type is learned, other
corpora share the evidence weights but keep their own calibration, and a file that is not a candidate dump is refused."""

import json

import numpy as np
import pytest

from gmner.link_prior import LABELS, Candidates, fit, identity, log_loss, main, read_candidates


def synthetic(n, rng, brand_says_org=True, temperature=1.0):
    """Stage 2 unsure between ORG and NONE; feature 0 (a catalogue brand) marks the ORG ones when brand_says_org."""
    labels = rng.choice([2, 4], size=n)
    evidence = np.zeros((n, 3))
    evidence[:, 0] = (labels == 2) if brand_says_org else rng.integers(0, 2, size=n)
    p = np.full((n, 5), 0.05)
    p[:, 2] = 0.4
    p[:, 4] = 0.45
    log_p = np.log(p) * temperature
    return Candidates(["brand", "b", "c"], log_p, evidence, labels)


def test_evidence_that_names_the_type_is_learned():
    rng = np.random.default_rng(1)
    data = synthetic(400, rng)
    (prior,) = fit([data], 1e-3)
    assert prior.weights[LABELS.index("ORG"), 0] - prior.weights[LABELS.index("NONE"), 0] > 2
    assert log_loss(prior, data) < 0.5 * log_loss(identity(3), data)


def test_other_corpora_share_weights_but_not_calibration():
    rng = np.random.default_rng(2)
    gmner, other = synthetic(300, rng), synthetic(300, rng, temperature=3.0)
    priors = fit([gmner, other], 1e-3)
    assert np.array_equal(priors[0].weights, priors[1].weights)
    assert priors[0].scale != pytest.approx(priors[1].scale, abs=0.05)


def test_a_dump_from_before_linked_is_refused(tmp_path):
    path = tmp_path / "old.jsonl"
    path.write_text(json.dumps({"features": ["a"]}) + "\n" + json.dumps({"spanScore": 1, "scores": [0.2] * 5, "evidence": [1], "label": "ORG"}) + "\n")
    with pytest.raises(ValueError, match="without `linked`"):
        read_candidates(path, 0.3)


def test_a_dump_without_its_feature_header_is_refused(tmp_path):
    path = tmp_path / "dump.jsonl"
    path.write_text(json.dumps({"spanScore": 1, "scores": [0.2] * 5, "evidence": [0], "linked": True, "label": "ORG"}) + "\n")
    with pytest.raises(ValueError, match="not a candidate dump"):
        read_candidates(path, 0.3)


def test_main_writes_a_prior_the_service_can_read(tmp_path):
    rng = np.random.default_rng(3)
    lines = [json.dumps({"features": ["brand", "b", "c"]})]
    for _ in range(200):
        org = bool(rng.integers(0, 2))
        lines.append(
            json.dumps(
                {
                    "post": "p",
                    "text": "t",
                    "spanScore": 0.9,
                    "scores": [0.05, 0.05, 0.4, 0.05, 0.45],
                    "evidence": [int(org), 0, 1],
                    "linked": True,
                    "label": "ORG" if org else "NONE",
                }
            )
        )
    lines.append(json.dumps({"post": "p", "text": "t", "spanScore": 0.1, "scores": [0.2] * 5, "evidence": [0, 0, 1], "linked": True, "label": "PER"}))
    lines.append(json.dumps({"post": "p", "text": "t", "spanScore": 0.9, "scores": [0.2] * 5, "evidence": [0, 0, 0], "linked": False, "label": "PER"}))
    dump = tmp_path / "train.jsonl"
    dump.write_text("\n".join(lines) + "\n")
    out = tmp_path / "link-prior.json"
    main(["--train", str(dump), "--out", str(out), "--calibration", "identity"])
    prior = json.loads(out.read_text())
    assert prior["features"] == ["brand", "b", "c"] and prior["labels"] == list(LABELS)
    assert prior["scale"] == 1.0 and prior["bias"] == [0.0] * 5
    assert len(prior["weights"]) == 5 and all(len(row) == 3 for row in prior["weights"])
    assert prior["training"]["candidates"] == 200, "neither the candidate under the span threshold nor the unlinked one is fitted on"
