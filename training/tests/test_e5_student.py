"""gmner.e5_student's --pretrain-extra: the extra corpora learnt alone first, then Twitter-GMNER.

Project-written fixtures only (tests/fixtures/mini, tests/fixtures/ext); the served MiniLM student (--minilm)
stands in for e5, whose weights a clone does not have.
"""

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from gmner import data as D  # noqa: E402
from gmner import e5_student  # noqa: E402

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def empty_labels(path: Path) -> None:
    """A teacher labels file with no tweet in it: every example is learnt from gold."""
    np.savez_compressed(path, s1_ids=np.array([], dtype=str), s1_words=np.array([], dtype=np.int32),
                        s1_probs=np.zeros((0, 3), np.float32), s2_ids=np.array([], dtype=str),
                        s2_spans=np.zeros((0, 2), np.int32), s2_probs=np.zeros((0, 5), np.float32))


def run(tmp_path: Path, *extra_args: str) -> dict:
    tmp_path.mkdir(parents=True, exist_ok=True)
    labels = tmp_path / "labels.npz"
    empty_labels(labels)
    work = tmp_path / "work"
    e5_student.main(["--e5", str(tmp_path / "unused"), "--minilm", "--labels", str(labels), "--data", str(FIXTURES / "mini"),
                     "--work", str(work), "--epochs1", "1", "--threads", "1", "--extra-data", "btc,wnut17",
                     "--ext-dir", str(FIXTURES / "ext"), *extra_args])
    return json.loads((work / "results.json").read_text())


def test_pretrain_extra_learns_the_corpora_alone_first_then_only_twitter_gmner(tmp_path):
    n_extra = len(D.load_ext(["btc", "wnut17"], FIXTURES / "ext"))
    results = run(tmp_path, "--pretrain-extra", "1")
    assert results["pretrain_extra"]["epochs"] == 1 and results["pretrain_extra"]["tweets"] == n_extra
    assert set(results["pretrain_extra"]["dev_span"]) >= {"p", "r", "f1"}
    # the Twitter-GMNER epochs see train alone: the corpora are not mixed in a second time
    assert len(results["epochs"]) == 1 and results["args"]["pretrain_extra"] == 1
    assert results["train_subtokens"] < run(tmp_path / "mixed")["train_subtokens"]  # without the flag: mixed in


def test_pretrain_extra_without_extra_data_is_refused(tmp_path):
    labels = tmp_path / "labels.npz"
    empty_labels(labels)
    with pytest.raises(SystemExit, match="needs --extra-data"):
        e5_student.main(["--e5", "unused", "--minilm", "--labels", str(labels), "--data", str(FIXTURES / "mini"),
                         "--work", str(tmp_path / "w"), "--epochs1", "1", "--threads", "1", "--pretrain-extra", "1"])
