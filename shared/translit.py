"""Folding of people's names and words for search: Cyrillic and Latin spellings of one name
become the same ASCII key, so "Иванова", "Ivanova" and "IVANOVA" find the same person.

Cyrillic is transliterated by Bulgaria's official Streamlined System (the 2009 Transliteration
Act: щ → sht, ъ → a, ия at the end of a word → ia), which is also how Bulgarian passports
spell names, so the Latin form a member types is usually the one this produces. Latin
diacritics are dropped (Müller → muller). MongoDB's ``$text`` is not used anywhere (the
embedded store has none): callers index the tokens of :func:`index_tokens` in an array field
and match the tokens of :func:`query_tokens` by equality.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s",
    "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sht", "ъ": "a",
    "ь": "y", "ю": "yu", "я": "ya",
    # Russian and Ukrainian letters, for graduates whose names are spelt in those alphabets.
    "ё": "yo", "ы": "y", "э": "e", "є": "ye", "і": "i", "ї": "yi", "ґ": "g",
}
_WORD = re.compile(r"[0-9a-z]+")
# Prefixes shorter than this match too much to be worth an index entry or a query.
MIN_TOKEN = 2
# Long words are indexed by their first MAX_TOKEN letters (and so found by any longer prefix).
MAX_TOKEN = 24


def fold(text: str) -> str:
    """Lower-case ASCII: Cyrillic transliterated, diacritics dropped, other characters kept."""
    text = unicodedata.normalize("NFC", text.lower())
    # The law's one contextual rule: "ия" ending a word is "ia" (България → Bulgaria).
    text = re.sub(r"ия\b", "ia", text)
    text = "".join(_CYRILLIC.get(ch, ch) for ch in text)
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def words(text: str | None) -> list[str]:
    """The folded words of ``text``, in order (capped at ``MAX_TOKEN`` letters)."""
    return [w[:MAX_TOKEN] for w in _WORD.findall(fold(text or ""))]


def index_tokens(texts: Iterable[str | None], *, min_prefix: int = MIN_TOKEN) -> list[str]:
    """Every prefix (at least ``min_prefix`` long) of every word of ``texts``, sorted and
    unique: what a document stores so that a query word matches any word it begins."""
    tokens: set[str] = set()
    for text in texts:
        for word in words(text):
            if len(word) < MIN_TOKEN:
                continue
            tokens.add(word)
            tokens.update(word[:n] for n in range(max(min_prefix, MIN_TOKEN), len(word)))
    return sorted(tokens)


def query_tokens(text: str | None) -> list[str]:
    """The words of a search text worth matching (``MIN_TOKEN`` letters or more), unique,
    longest first (the longest is the most selective: it leads the query)."""
    unique = dict.fromkeys(w for w in words(text) if len(w) >= MIN_TOKEN)
    return sorted(unique, key=len, reverse=True)


def sort_key(*parts: str | None) -> str:
    """A key that sorts names alphabetically whatever their alphabet."""
    return " ".join(" ".join(words(p)) for p in parts if p)
