"""The portal's Bulgarian catalogues: one per area (``<area>/translations``) and one for the
shared pages (``translations``), so people working on different areas never edit one file.

    python -m frontends.portal.catalogues update [area...]   # extract strings, merge into the .po files
    python -m frontends.portal.catalogues compile [area...]  # .po -> .mo (committed, loaded at run time)
    python -m frontends.portal.catalogues check               # exit 1 naming untranslated, stale or
                                                              # differently translated strings

English is the source language and needs no catalogue. ``tests/unit/portal`` runs ``check``.
"""
from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).parent
CORE = ""  # the shared pages: the package's own modules and templates/
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None}
METHODS = [("**/templates/**.html", "jinja2"), ("templates/**.html", "jinja2"), ("**.py", "python")]
LOCALE = "bg"


def areas() -> list[str]:
    from frontends.portal.app import AREAS
    return [CORE, *AREAS]


def _directory(area: str) -> Path:
    return ROOT / area if area else ROOT


def _po_path(area: str) -> Path:
    return _directory(area) / "translations" / LOCALE / "LC_MESSAGES" / "messages.po"


def extract(area: str) -> Catalog:
    """Every translatable string of an area (the core: outside every area's folder)."""
    own = set(areas()) - {CORE}
    base = _directory(area)

    def keep(dirpath: str) -> bool:
        relative = Path(dirpath).relative_to(base)
        return not (area == CORE and relative.parts and relative.parts[0] in own) and "__pycache__" not in dirpath

    catalog = Catalog(locale=LOCALE, project="alumnet-portal", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
            base, METHODS, keywords=KEYWORDS, directory_filter=keep, strip_comment_tags=True):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def read(area: str) -> Catalog:
    path = _po_path(area)
    if not path.exists():
        return Catalog(locale=LOCALE, project="alumnet-portal", charset="utf-8")
    with path.open("rb") as handle:
        return read_po(handle, locale=LOCALE)


def update(area: str) -> None:
    catalog = read(area)
    catalog.update(extract(area), no_fuzzy_matching=True)
    catalog.obsolete.clear()
    path = _po_path(area)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, sort_output=True, include_lineno=False)


def compile_mo(area: str) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, read(area), use_fuzzy=False)
    return buffer.getvalue()


def compile(area: str) -> None:  # noqa: A001  (the gettext verb)
    _po_path(area).with_suffix(".mo").write_bytes(compile_mo(area))


def problems(area: str) -> list[str]:
    """What is wrong with an area's catalogue: strings without a Bulgarian translation, and a
    .mo file that is not the compiled .po."""
    translated = read(area)
    found = []
    for message in extract(area):
        if not message.id:
            continue
        entry = translated.get(message.id, context=message.context)
        strings = entry.string if entry is not None else None
        missing = (not any(strings) if isinstance(strings, (list, tuple)) else not strings)
        if entry is None or missing or entry.fuzzy:
            found.append(f"{area or 'core'}: no Bulgarian for {message.id!r}")
    mo = _po_path(area).with_suffix(".mo")
    if (mo.read_bytes() if mo.exists() else b"") != compile_mo(area):
        found.append(f"{area or 'core'}: {mo.relative_to(ROOT)} is not the compiled .po (run compile)")
    return found


def disagreements(selected: list[str]) -> list[str]:
    """Strings two areas translate differently. Flask-Babel merges every area's catalogue into
    one at run time, where the last one loaded wins: one area's wording would replace the
    other's on its own pages."""
    seen: dict[tuple, tuple[str, object]] = {}
    found = []
    for area in selected:
        for message in read(area):
            if not message.id or not message.string:
                continue
            key = (message.id if isinstance(message.id, str) else tuple(message.id), message.context)
            string = message.string if isinstance(message.string, str) else tuple(message.string)
            if key in seen and seen[key][1] != string:
                found.append(f"{area or 'core'} and {seen[key][0] or 'core'} translate {key[0]!r} differently: "
                             f"{string!r} and {seen[key][1]!r}")
            seen.setdefault(key, (area, string))
    return found


def main(argv: list[str]) -> int:
    command, chosen = (argv[0] if argv else "check"), argv[1:]
    selected = [("" if a in ("core", "") else a) for a in chosen] or areas()
    if command == "update":
        for area in selected:
            update(area)
    elif command == "compile":
        for area in selected:
            compile(area)
    elif command == "check":
        found = [line for area in selected for line in problems(area)] + disagreements(selected)
        print("\n".join(found) or "every string has its Bulgarian translation")
        return 1 if found else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
