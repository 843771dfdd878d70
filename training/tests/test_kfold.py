import json
from types import SimpleNamespace

from gmner.training import kfold_none_examples


def test_kfold_resumes_from_finished_folds_without_training(tmp_path):
    # Every fold is already in the progress file: nothing is trained (the tweets here could not be), the folds'
    # NONE examples and span scores come back in fold order, as tuples.
    progress = tmp_path / "kfold-progress.json"
    score = {"p": 1.0, "r": 1.0, "f1": 1.0, "tp": 1, "pred": 1, "gold": 1}
    progress.write_text(json.dumps({"0": {"none": [[2, 0, 1]], "spans": [score]}, "1": {"none": [[1, 3, 5], [3, 0, 2]], "spans": [score, score]}}))
    args = SimpleNamespace(seed=13, folds=2, fold_epochs=1)
    none, spans = kfold_none_examples([object()] * 4, [object()] * 4, args, progress=progress)
    assert none == [(2, 0, 1), (1, 3, 5), (3, 0, 2)]
    assert spans == [score, score, score]
