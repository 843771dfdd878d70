"""score_ext_dev's gold offsets: UTF-16 code units of the space-joined tokens, as the service's documents count them."""
from gmner.data import Tweet
from score_ext_dev import gold_spans, prf


def test_gold_offsets_count_utf16_units_past_emoji():
    tweet = Tweet("t0", ["I", "😀", "met", "Ana", "Lopez", "in", "Zürich"], ["O", "O", "O", "B-PER", "I-PER", "O", "B-LOC"])
    posts, gold = gold_spans([tweet])
    text = posts[0]["text"]
    assert text == "I 😀 met Ana Lopez in Zürich"
    units = text.encode("utf-16-le")
    spans = {typ: units[2 * s: 2 * e].decode("utf-16-le") for _, s, e, typ in gold}
    assert spans == {"PER": "Ana Lopez", "LOC": "Zürich"}


def test_prf():
    assert prf(3, 4, 6) == {"p": 75.0, "r": 50.0, "f1": 60.0, "tp": 3, "pred": 4, "gold": 6}
    assert prf(0, 0, 5)["f1"] == 0.0
