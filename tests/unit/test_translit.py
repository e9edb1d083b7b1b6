"""Search folding: Bulgarian's official transliteration, diacritics, tokens and prefixes."""
from __future__ import annotations

import pytest

from shared import translit


@pytest.mark.parametrize(("cyrillic", "latin"), [
    # Examples of the Transliteration Act (2009) and of Bulgarian passports.
    ("Щерю Жечев", "shteryu zhechev"),
    ("Цветелина Чолакова", "tsvetelina cholakova"),
    ("Йордан Хаджиев", "yordan hadzhiev"),
    ("Ъглен", "aglen"),
    ("Юлия Янева", "yulia yaneva"),          # "ия" ending a word is "ia"
    ("Илиян", "iliyan"),                    # ... but not inside one
    ("Стефан Стамболов", "stefan stambolov"),
])
def test_bulgarian_cyrillic_is_transliterated_by_the_official_system(cyrillic, latin):
    assert translit.fold(cyrillic) == latin


def test_latin_diacritics_and_case_are_dropped():
    assert translit.words("Anna-Lena MÜLLER, Ñúñez") == ["anna", "lena", "muller", "nunez"]


def test_index_tokens_hold_every_prefix_from_two_letters_and_text_words_from_four():
    assert translit.index_tokens(["Иван"]) == ["iv", "iva", "ivan"]
    assert translit.index_tokens(["кардиология"], min_prefix=4) == [
        "kard", "kardi", "kardio", "kardiol", "kardiolo", "kardiolog", "kardiologi", "kardiologia"]
    assert translit.index_tokens(["УМБАЛ", "a"], min_prefix=4) == ["umba", "umbal"]


def test_query_tokens_drop_one_letter_words_and_put_the_longest_first():
    assert translit.query_tokens("д-р Иван Петров а") == ["petrov", "ivan"]  # "д-р" is two 1-letter words
    assert translit.query_tokens("!! ?") == []


def test_sort_keys_order_both_alphabets_together():
    names = [("Petrova", "Maria"), ("Иванов", "Георги"), ("Angelov", "Boris")]
    assert sorted(translit.sort_key(*n) for n in names) == ["angelov boris", "ivanov georgi", "petrova maria"]


def test_long_words_are_capped():
    word = "а" * 40
    assert translit.words(word) == ["a" * translit.MAX_TOKEN]
