import pytest

from gmner.shapes import word_shape


@pytest.mark.parametrize("word,shape", [
    ("#ThrowbackThursday", 1), ("#", 1), ("@zorbex", 2), ("@", 2),
    ("https://example.org/x", 3), ("http://a.b", 3), ("www.example.org", 3), ("HTTPS://EXAMPLE.ORG", 3),
    ("NASA", 4), ("U.S.", 4), ("NASA's", 7), ("Paris", 5), ("I", 5), ("A", 5), ("Élodie", 5),
    ("paris", 6), ("café", 6), ("McDonald", 7), ("McD", 7), ("iPhone", 7),
    ("2015", 8), ("3:45", 8), ("٣", 8), (".", 9), ("😀", 9), ("—", 9), ("東京", 9), ("", 9),
    ("ß", 6), ("Straße", 5),
])
def test_shapes(word, shape):
    assert word_shape(word) == shape
