from pathlib import Path

from gmner.data import Box, bio_to_spans, iou, load_split, read_conll, repair_bio

MINI = Path(__file__).resolve().parent / "fixtures" / "mini"


def test_reads_tweets_words_and_tags():
    tweets = read_conll(MINI / "train.txt")
    assert [t.imgid for t in tweets] == ["900001", "900002", "900003"]
    assert tweets[0].words == ["Yesterday", "Marta", "Oliveira", "visited", "Lake", "Brindle", "."]
    assert tweets[0].spans() == [(1, 3, "PER"), (4, 6, "LOC")]
    assert tweets[2].spans() == []


def test_orphan_inside_tags_are_repaired():
    t = read_conll(MINI / "train.txt")[1]
    assert t.tags[4:6] == ["B-ORG", "I-ORG"]
    assert t.tags[8] == "B-LOC"
    assert t.spans() == [(4, 6, "ORG"), (8, 9, "LOC"), (10, 11, "OTHER")]


def test_repair_bio_type_change_starts_new_span():
    assert repair_bio(["I-PER", "I-PER", "I-LOC", "O", "I-ORG"]) == ["B-PER", "I-PER", "B-LOC", "O", "B-ORG"]
    assert bio_to_spans(["B-PER", "B-PER", "I-PER"]) == [(0, 1, "PER"), (1, 3, "PER")]


def test_xml_boxes_and_image_size():
    tweets = load_split(MINI, "train")
    t = tweets[0]
    assert (t.width, t.height) == (640, 480)
    assert len(t.boxes) == 2 and all(b.name == "Marta Oliveira" for b in t.boxes)
    assert (t.boxes[1].xmin, t.boxes[1].ymax) == (300.0, 240.0)
    assert tweets[1].boxes == [] and tweets[1].width is None  # no xml: ungroundable


def test_iou():
    a = Box("a", 0, 0, 10, 10)
    assert iou(a, a) == 1.0
    assert abs(iou(a, Box("b", 5, 0, 15, 10)) - 50 / 150) < 1e-9
    assert iou(a, Box("c", 20, 20, 30, 30)) == 0.0


def test_merge_sigils_joins_like_the_server_splitter():
    from gmner.data import Tweet, merge_sigils

    t = Tweet("1", ["RT", "@", "zorbex", ":", "#", "Veltmoor", "rocks", "@"], ["O", "O", "O", "O", "O", "B-LOC", "O", "O"])
    m = merge_sigils(t)
    assert m.words == ["RT", "@zorbex", ":", "#Veltmoor", "rocks", "@"]
    assert m.spans() == [(3, 4, "LOC")]
    t2 = Tweet("2", ["#", "Quillon", "Labs"], ["B-ORG", "I-ORG", "I-ORG"])
    assert merge_sigils(t2).spans() == [(0, 2, "ORG")]


EXT = Path(__file__).resolve().parent / "fixtures" / "ext"


def test_extra_corpora_map_types_and_never_tag_handles_or_hashtags():
    from gmner.data import load_ext, read_ext_conll

    btc = read_ext_conll(EXT / "btc" / "btc.train", "btc")
    assert [t.spans() for t in btc] == [[(0, 2, "PER"), (3, 5, "ORG"), (6, 8, "LOC")], []]
    wnut = read_ext_conll(EXT / "wnut17" / "wnut17train.conll", "wnut17")
    # product / creative-work -> OTHER, corporation / group -> ORG, a missing tag is O, URLs never entities
    assert [t.spans() for t in wnut] == [[(0, 2, "OTHER"), (4, 5, "ORG")], [(1, 3, "ORG"), (4, 5, "OTHER")]]
    assert len(load_ext(["btc", "wnut17"], EXT)) == 4


def test_extra_corpora_reject_unknown_tags(tmp_path):
    import pytest

    from gmner.data import read_ext_conll

    bad = tmp_path / "bad.conll"
    bad.write_text("Acme\tB-company\n\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bad tag"):
        read_ext_conll(bad, "wnut17")
