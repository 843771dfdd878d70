"""MQSPN's set prediction: Hungarian matching and the set loss on hand-made cases, and the decoding rule."""
import numpy as np
import torch

from gmner.mqspn import NO_ENTITY, decode_post, hungarian_match, set_loss


def one_hot_rows(n, width, hot):
    p = np.full((n, width), 0.01)
    for row, col in hot.items():
        p[row, col] = 0.9
    return p


def test_matching_assigns_each_gold_entity_to_the_query_that_predicts_it():
    # query 2 predicts (1..2, LOC), query 0 predicts (4..4, PER); query 1 is background
    type_prob = one_hot_rows(3, 5, {0: 0, 1: NO_ENTITY, 2: 1})
    start = one_hot_rows(3, 6, {0: 4, 1: 0, 2: 1})
    end = one_hot_rows(3, 6, {0: 4, 1: 0, 2: 2})
    gold = [(1, 2, 1), (4, 4, 0)]
    rows, cols = hungarian_match(type_prob, start, end, gold)
    assert dict(zip(rows.tolist(), cols.tolist(), strict=True)) == {2: 0, 0: 1}


def test_matching_is_one_to_one_even_when_one_query_fits_both_entities_best():
    # query 0 fits both gold entities better than query 1; the assignment still uses both queries
    type_prob = one_hot_rows(2, 5, {0: 0, 1: 0})
    start = np.array([[0.1, 0.8, 0.1], [0.3, 0.4, 0.3]])
    end = np.array([[0.1, 0.8, 0.1], [0.3, 0.4, 0.3]])
    rows, cols = hungarian_match(type_prob, start, end, [(1, 1, 0), (2, 2, 0)])
    assert sorted(rows.tolist()) == [0, 1]
    assert sorted(cols.tolist()) == [0, 1]
    assert hungarian_match(type_prob, start, end, [])[0].size == 0


def test_set_loss_is_low_for_a_right_set_and_high_for_a_wrong_one():
    word_mask = torch.tensor([[0, 1, 1, 1, 0]])
    gold = [[(1, 2, 0)]]

    def logits(query_type, start, end):
        t = torch.full((1, 2, 5), -5.0)
        t[0, 0, query_type] = 5.0
        t[0, 1, NO_ENTITY] = 5.0
        s = torch.full((1, 2, 5), -5.0)
        e = torch.full((1, 2, 5), -5.0)
        s[0, :, start] = 5.0
        e[0, :, end] = 5.0
        return t, s, e

    right = set_loss(*logits(0, 1, 2), word_mask, gold)
    wrong_type = set_loss(*logits(2, 1, 2), word_mask, gold)
    wrong_span = set_loss(*logits(0, 3, 3), word_mask, gold)
    assert right.item() < 0.05
    assert wrong_type.item() > 1.0
    assert wrong_span.item() > 1.0
    # a post without entities: every query should say no-entity
    empty = set_loss(*logits(NO_ENTITY, 1, 1), word_mask, [[]])
    assert empty.item() < 0.05


def test_decoding_keeps_confident_queries_and_the_better_of_two_overlapping_spans():
    first = [1, 2, 3, 4]  # four words, one sub-token each
    big = 8.0
    type_prob = np.array([[0.9, 0.02, 0.02, 0.02, 0.04],   # PER
                          [0.02, 0.6, 0.02, 0.02, 0.34],   # LOC, overlaps query 0, less sure
                          [0.1, 0.1, 0.1, 0.1, 0.6],       # no entity
                          [0.02, 0.02, 0.7, 0.02, 0.24]])  # ORG
    start = np.zeros((4, 6))
    end = np.zeros((4, 6))
    for q, (s, e) in enumerate([(1, 2), (2, 2), (1, 1), (4, 4)]):
        start[q, s] = big
        end[q, e] = big
    got = decode_post(type_prob, start, end, first)
    assert [(s, e, t) for s, e, t, _ in got] == [(0, 2, "PER"), (3, 4, "ORG")]
    # a query whose best type is below min_type is dropped even when NONE is lower still
    weak = np.array([[0.4, 0.35, 0.05, 0.05, 0.15]])
    assert decode_post(weak, start[:1], end[:1], first) == []
