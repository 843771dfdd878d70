from gmner.metrics import bio_labels, decode_bio, mner_prf, prf, span_prf


def test_span_prf_hand_computed():
    pred = [[(0, 1), (2, 4)], [(1, 2)]]
    gold = [[(0, 1), (2, 3)], [(1, 2), (3, 5)]]
    m = span_prf(pred, gold)
    assert (m["tp"], m["pred"], m["gold"]) == (2, 3, 4)
    assert abs(m["p"] - 2 / 3) < 1e-12 and abs(m["r"] - 0.5) < 1e-12
    assert abs(m["f1"] - 2 * (2 / 3) * 0.5 / (2 / 3 + 0.5)) < 1e-12


def test_mner_prf_requires_type_match():
    pred = [[(0, 1, "PER"), (2, 4, "LOC")], [(1, 2, "ORG")]]
    gold = [[(0, 1, "PER"), (2, 4, "ORG")], [(1, 2, "ORG")]]
    m = mner_prf(pred, gold)
    assert (m["tp"], m["pred"], m["gold"]) == (2, 3, 3)
    assert m["per_type"]["PER"]["f1"] == 1.0
    assert m["per_type"]["LOC"]["p"] == 0.0 and m["per_type"]["LOC"]["gold"] == 0
    assert m["per_type"]["ORG"]["p"] == 1.0 and m["per_type"]["ORG"]["r"] == 0.5
    assert m["per_type"]["OTHER"]["f1"] == 0.0


def test_prf_empty():
    assert prf(0, 0, 0)["f1"] == 0.0


def test_decode_bio_contract_repair():
    # O B I O I I B  -> spans (1,3), (4,6), (6,7); an I after O starts a span
    assert [(s, e) for s, e, _ in decode_bio([0, 1, 2, 0, 2, 2, 1])] == [(1, 3), (4, 6), (6, 7)]
    probs = [[0.1, 0.8, 0.1], [0.2, 0.2, 0.6]]
    (s, e, score), = decode_bio([1, 2], probs)
    assert (s, e) == (0, 2) and abs(score - 0.7) < 1e-12


def test_bio_labels_never_leaves_an_orphan_i():
    # argmax would be O I: the I may not start the text, so the best legal path decides between B and O
    assert bio_labels([[0.6, 0.3, 0.1], [0.2, 0.1, 0.7]]) == [1, 2]  # B I: 0.3*0.7 > O B 0.6*0.1, O O 0.6*0.2
    assert bio_labels([[0.9, 0.05, 0.05], [0.4, 0.15, 0.45]]) == [0, 0]  # O O 0.36 > B I 0.0225, O B 0.135
    assert bio_labels([[0.1, 0.8, 0.1], [0.1, 0.2, 0.7], [0.6, 0.1, 0.3]]) == [1, 2, 0]  # argmax already legal
    assert bio_labels([]) == []
    assert bio_labels([[0.0, 0.0, 1.0]]) == [0]  # a lone I-only word: O and B tie at the floor, O wins
