"""gmner.teacher (4-bit pack, labels files) and gmner.distil (placing a teacher's labels for the students).

Synthetic inputs only: no MPNet weights, no Twitter-GMNER data.
"""

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
tokenizers = pytest.importorskip("tokenizers")

from gmner import distil  # noqa: E402
from gmner import teacher as T  # noqa: E402
from gmner.data import Tweet, load_ext  # noqa: E402
from gmner.distil import load_labels, stage1_targets, stage2_targets  # noqa: E402
from gmner.encoding import WordTokenizer  # noqa: E402


def test_nf4_round_trip_is_close_and_keeps_zeros_and_extremes():
    rng = np.random.default_rng(0)
    w = rng.normal(0, 0.05, size=(8, 96)).astype(np.float32)
    w[0, :32] = 0.0
    packed, scale = T.quantise_4bit(w)
    assert packed.dtype == np.uint8 and packed.size == w.size // 2
    assert scale.dtype == np.float16 and scale.size == w.size // T.GROUP
    back = T.dequantise_4bit(packed, scale, w.shape)
    assert np.all(back[0, :32] == 0.0)
    # each group's largest magnitude is one of the two end codes, so it comes back up to fp16 rounding
    g, gb = w.reshape(-1, T.GROUP), back.reshape(-1, T.GROUP)
    idx = np.abs(g).argmax(1)
    assert np.allclose(gb[np.arange(len(g)), idx], g[np.arange(len(g)), idx], rtol=1e-3)
    rel = np.linalg.norm(back - w) / np.linalg.norm(w)
    assert rel < 0.12, rel


def test_pack_and_unpack_restore_a_state_dict(tmp_path):
    from safetensors.numpy import save_file

    rng = np.random.default_rng(1)
    src = tmp_path / "src"
    src.mkdir()
    weights = {
        "embeddings.word_embeddings.weight": rng.normal(size=(64, 64)).astype(np.float32),
        "encoder.layer.0.attention.attn.q.weight": rng.normal(size=(64, 64)).astype(np.float32),
        "encoder.layer.0.attention.attn.q.bias": rng.normal(size=(64,)).astype(np.float32),
        "pooler.dense.weight": rng.normal(size=(64, 64)).astype(np.float32),
    }
    save_file(weights, str(src / "model.safetensors"))
    for f in ("config.json", "tokenizer.json"):
        (src / f).write_text("{}")
    info = T.pack(src, tmp_path / "pack", None)
    assert info["tensors"] == 3  # the pooler is left out
    sd = T.unpack(tmp_path / "pack")
    assert set(sd) == {k for k in weights if not k.startswith("pooler.")}
    assert torch.equal(sd["encoder.layer.0.attention.attn.q.bias"], torch.from_numpy(weights["encoder.layer.0.attention.attn.q.bias"]))
    for k in ("embeddings.word_embeddings.weight", "encoder.layer.0.attention.attn.q.weight"):
        err = (sd[k].numpy() - weights[k]).std() / weights[k].std()
        assert 0 < err < 0.12


def tiny_tokenizer(path):
    from tokenizers import Tokenizer, models, pre_tokenizers

    vocab = {t: i for i, t in enumerate(["<s>", "<pad>", "</s>", "[UNK]", "[unused1]", "hello", "world", "<mask>"])}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.save(str(path))
    return path


def test_word_tokenizer_takes_another_vocabularys_special_tokens(tmp_path):
    wt = WordTokenizer(tiny_tokenizer(tmp_path / "tok.json"), T.MPNET_SPECIALS)
    assert (wt.cls_id, wt.pad_id, wt.sep_id, wt.unk_id, wt.obj_id, wt.mask_id) == (0, 1, 2, 3, 4, 7)
    assert wt.word_ids("world") == [6]
    with pytest.raises(KeyError):
        WordTokenizer(tmp_path / "tok.json")  # BERT's [CLS] is not in this vocabulary


def test_word_probs_take_first_sub_tokens_and_truncated_words_are_o():
    feat = {"first": [1, 3, -1]}
    probs = np.array([[1, 0, 0], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6], [0.3, 0.3, 0.4], [1, 0, 0]], dtype=np.float32)
    out = T.word_probs(feat, probs)
    assert out.tolist() == [pytest.approx([0.1, 0.8, 0.1]), pytest.approx([0.3, 0.3, 0.4]), [1.0, 0.0, 0.0]]


def write_labels(path, ids, words, s1, s2_ids, s2_spans, s2):
    np.savez_compressed(
        path, s1_ids=np.array(ids), s1_words=np.array(words, dtype=np.int32), s1_probs=np.array(s1, dtype=np.float32),
        s2_ids=np.array(s2_ids), s2_spans=np.array(s2_spans, dtype=np.int32).reshape(-1, 2),
        s2_probs=np.array(s2, dtype=np.float32).reshape(-1, 5),
    )


def test_students_get_the_teachers_labels_word_by_word_and_gold_where_absent(tmp_path):
    train = [Tweet("a", ["Hi", "Bob"], ["O", "B-PER"]), Tweet("b", ["Paris"], ["B-LOC"])]
    p = tmp_path / "labels.npz"
    write_labels(p, ["a"], [2], [[0.9, 0.05, 0.05], [0.2, 0.7, 0.1]], ["a"], [(1, 2)], [[0.6, 0.1, 0.1, 0.1, 0.1]])
    s1, s2 = load_labels(p, train)
    assert s1[1] is None and s1[0].shape == (2, 3)
    feats = [{"ids": [101, 7, 8, 9, 102], "first": [1, 2], "labels": [-100, 0, 1, -100, -100]},
             {"ids": [101, 5, 6, 102], "first": [1], "labels": [-100, 1, -100, -100]}]
    t1 = stage1_targets(feats, s1)
    assert t1[0][2].tolist() == pytest.approx([0.2, 0.7, 0.1]) and t1[0][3].tolist() == [0, 0, 0]
    assert t1[1][1].tolist() == [0, 1, 0]  # no label: gold one-hot, so TYT's alpha is 1 and the loss is plain CE
    tr2 = [{"span": (1, 2), "label": 0}, {"span": (0, 1), "label": 1}, {"span": (1, 2), "label": 3}]
    t2, found = stage2_targets(tr2, ["a", "b", None], s2)  # None: an extra corpus's span, which the teacher never saw
    assert found == 1 and t2[0].tolist() == pytest.approx([0.6, 0.1, 0.1, 0.1, 0.1]) and t2[1].tolist() == [0, 1, 0, 0, 0]
    assert t2[2].tolist() == [0, 0, 0, 1, 0]


def test_labels_for_other_word_splits_are_refused(tmp_path):
    p = tmp_path / "labels.npz"
    write_labels(p, ["a"], [3], [[1, 0, 0]] * 3, [], [], [])
    with pytest.raises(ValueError, match="sigil-merge"):
        load_labels(p, [Tweet("a", ["#", "tag"], ["O", "O"])])


def test_merge_joins_disjoint_parts_and_refuses_overlap(tmp_path):
    parts = []
    for name, ids in (("p1", ["a"]), ("p2", ["b"])):
        write_labels(tmp_path / f"{name}.npz", ids, [1], [[1, 0, 0]], ids, [(0, 1)], [[0, 0, 0, 0, 1]])
        (tmp_path / f"{name}.json").write_text(json.dumps({"part": name}))
        parts.append(tmp_path / f"{name}.npz")
    assert T.merge(parts, tmp_path / "all.npz") == {"tweets": 2, "stage2_examples": 2}
    assert json.loads((tmp_path / "all.json").read_text())["parts"] == [{"part": "p1"}, {"part": "p2"}]
    with pytest.raises(ValueError, match="overlap"):
        T.merge([parts[0], parts[0]], tmp_path / "bad.npz")


def test_distil_pretrain_extra_gives_stage_2_the_extra_spans_first_and_not_again(tmp_path):
    # project fixtures only: Twitter-GMNER layout in fixtures/mini, BTC/WNUT-17 layout in fixtures/ext
    fixtures = Path(__file__).resolve().parent / "fixtures"
    work = tmp_path / "work"
    work.mkdir()
    (work / "kfold.json").write_text(json.dumps({"none": [], "spans": [{"tp": 0, "pred": 0, "gold": 0}]}))
    labels = tmp_path / "labels.npz"
    write_labels(labels, [], [], np.zeros((0, 3)), [], [], [])
    args = ["--labels", str(labels), "--only", "s2", "--data", str(fixtures / "mini"), "--work", str(work),
            "--epochs2", "1", "--threads", "1", "--extra-data", "btc,wnut17", "--ext-dir", str(fixtures / "ext")]
    distil.main([*args, "--pretrain-extra", "1"])
    results = json.loads((work / "results.json").read_text())
    n_extra = sum(len(t.spans()) for t in load_ext(["btc", "wnut17"], fixtures / "ext"))
    assert results["s2_pretrain_extra"]["examples"] == n_extra
    n_train_examples = int(results["teacher_labels"]["stage2_examples_labelled"].split("/")[1])
    (work / "s2_student.pt").unlink()  # the same run mixing them in (--extra-for s2) has more examples
    distil.main([*args, "--extra-for", "s2"])
    mixed = json.loads((work / "results.json").read_text())
    assert int(mixed["teacher_labels"]["stage2_examples_labelled"].split("/")[1]) == n_train_examples + n_extra
