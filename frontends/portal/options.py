"""The ``<option>`` tags of a form's ``<select>`` (``_forms.html``'s ``select`` macro).

Built here rather than in a Jinja loop because some lists are long: the directory's search
form offers every country and language (about 440 options, half of the page's HTML), which
as a template loop cost about a millisecond a page. The tags of a list and its chosen value
are kept (a few dozen lists: the per-language country, language and faculty lists).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Iterable

from markupsafe import Markup, escape

SEPARATOR = "\n    "


def option_tags(options: Iterable[tuple[Any, Any]], value: Any = "") -> Markup:
    # Lazy strings become the request's language's words before they make the key.
    return _tags(tuple((str(code), str(label)) for code, label in options), str(value))


@lru_cache(maxsize=128)
def _tags(options: tuple[tuple[str, str], ...], value: str) -> Markup:
    return Markup(SEPARATOR.join(
        f'<option value="{escape(code)}"{" selected" if code == value else ""}>{escape(label)}</option>'
        for code, label in options))
