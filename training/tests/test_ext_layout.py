"""Other corpora in the Twitter-GMNER layout (gmner.ext_layout), on project-written lines in each corpus's format."""

import pytest

from gmner.ext_layout import read_germeval, read_multiconer, write_layout


def test_germeval_outer_tags_are_mapped_and_derived_forms_are_not_entities(tmp_path):
    path = tmp_path / "germeval.tsv"
    path.write_text(
        "#\thttp://example.invalid\t[2009-10-23]\n"
        "1\tSiemens\tB-ORG\tO\n2\tbaut\tO\tO\n3\tin\tO\tO\n4\tMünchen\tB-LOC\tO\n5\tdeutsche\tB-LOCderiv\tO\n6\tZüge\tO\tO\n\n"
        "#\tx\n1\tTatort\tB-OTH\tO\n",
        encoding="utf-8",
    )
    assert read_germeval(path) == [
        (["Siemens", "baut", "in", "München", "deutsche", "Züge"], ["B-ORG", "O", "O", "B-LOC", "O", "O"]),
        (["Tatort"], ["B-OTHER"]),
    ]


def test_multiconer_groups_and_companies_are_org_products_and_works_other(tmp_path):
    path = tmp_path / "tr_train.conll"
    path.write_text(
        "# id 1\tdomain=tr\nthy _ _ B-CORP\nve _ _ O\ngalatasaray _ _ B-GRP\nspor _ _ I-GRP\n\n# id 2\nsamsung _ _ B-PROD\ngalaxy _ _ I-PROD\n",
        encoding="utf-8",
    )
    assert read_multiconer(path) == [
        (["thy", "ve", "galatasaray", "spor"], ["B-ORG", "O", "B-ORG", "I-ORG"]),
        (["samsung", "galaxy"], ["B-OTHER", "I-OTHER"]),
    ]


def test_a_malformed_tag_names_its_line(tmp_path):
    path = tmp_path / "bad.conll"
    path.write_text("# id 1\nfoo _ _ X-\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.conll:2"):
        read_multiconer(path)


def test_the_layout_is_what_the_service_reads(tmp_path):
    write_layout(tmp_path / "c", "c", [(["Ada", "Lovelace"], ["B-PER", "I-PER"])])
    assert (tmp_path / "c" / "train.txt").read_text(encoding="utf-8") == "IMGID:c-0\nAda\tB-PER\nLovelace\tI-PER\n\n"
