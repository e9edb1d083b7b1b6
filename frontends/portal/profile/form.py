"""The profile form: a member record as the form's strings, and the form back as the
partial update (``PATCH``) of only what changed.

Sending only the changed fields keeps an edit from overwriting what changed elsewhere
meanwhile, and never touches the fields verification locked (the API answers 409 when a
verified member changes them).
"""
from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l

NAMES = ("given_name", "family_name", "given_name_latin", "family_name_latin")
REQUIRED = ("given_name", "family_name")
TEXTS = ("programme", "specialty", "position", "employer", "city", "phone")
CHOICES = ("faculty", "country", "preferred_language")
LISTS = ("languages", "interests")
FLAGS = ("international_graduate", "open_to_mentoring", "open_to_ambassador", "open_to_volunteer")
SETTINGS_FLAGS = ("in_directory",)
# What verification vouches for: the alumni office corrects it once a member is verified.
LOCKED_WHEN_VERIFIED = ("graduation_year", "faculty")

# Who-sees-this groups (the API's visibility fields), in the form's order, each with its heading.
GROUPS = {
    "names": _l("Names"),
    "email": _l("Email"),
    "phone": _l("Phone"),
    "graduation_year": _l("Graduation year"),
    "faculty": _l("Faculty"),
    "programme": _l("Degree programme"),
    "international_graduate": _l("English-taught programme"),
    "specialty": _l("Specialty"),
    "position": _l("Position"),
    "employer": _l("Employer"),
    "city": _l("City"),
    "country": _l("Country"),
    "languages": _l("Languages I speak"),
    "interests": _l("Interests"),
    "open_to_mentoring": _l("Open to mentoring"),
    "open_to_ambassador": _l("Open to being an ambassador"),
    "open_to_volunteer": _l("Open to volunteering"),
}
# The fields the home page asks a member to fill in when they are empty.
KEY_FIELDS = ("graduation_year", "faculty", "specialty", "position", "city", "country")

_SPLIT = re.compile(r"[,;\n]+")


def values(member: dict) -> dict[str, str]:
    """The form's values for a member record."""
    shown = {name: "" if member.get(name) is None else str(member[name])
             for name in (*NAMES, *TEXTS, *CHOICES, "graduation_year")}
    shown["languages"] = ", ".join(member.get("languages") or [])
    shown["interests"] = ", ".join(member.get("interests") or [])
    for name in (*FLAGS, *SETTINGS_FLAGS):
        shown[name] = "on" if member.get(name, name == "in_directory") else ""
    visibility = member.get("visibility") or {}
    for group in GROUPS:
        shown[f"visibility.{group}"] = visibility.get(group, "")
    return shown


def posted(form) -> dict[str, str]:
    """The submitted form as the same strings ``values`` gives (to show it again)."""
    shown = {name: form.get(name, "").strip() for name in (*NAMES, *TEXTS, *CHOICES, "graduation_year", *LISTS)}
    for name in (*FLAGS, *SETTINGS_FLAGS):
        shown[name] = "on" if form.get(name) else ""
    for group in GROUPS:
        shown[f"visibility.{group}"] = form.get(f"visibility.{group}", "")
    return shown


def _typed(name: str, text: str) -> Any:
    """What the API takes for a field, from its text: empty optional fields are cleared
    (``null``); a year that is not a number goes as typed, so the API names the mistake."""
    if name in REQUIRED:
        return text
    if not text:
        return None
    if name == "graduation_year":
        return int(text) if text.isdigit() else text
    if name == "languages":
        return [code.strip().lower() for code in _SPLIT.split(text) if code.strip()] or None
    if name == "interests":
        return [interest.strip() for interest in _SPLIT.split(text) if interest.strip()] or None
    return text


def _same(before: Any, after: Any) -> bool:
    return (before in (None, "", [], False) and after in (None, "", [], False)) or before == after


def patch(member: dict, shown: dict[str, str], *, locked: tuple[str, ...] = ()) -> dict[str, Any]:
    """The changes of the posted form ``shown`` to ``member``; fields in ``locked`` are left out."""
    changes: dict[str, Any] = {}
    for name in (*NAMES, *TEXTS, *CHOICES, "graduation_year", *LISTS):
        if name in locked or name not in shown:
            continue
        value = _typed(name, shown[name])
        if not _same(member.get(name), value):
            changes[name] = value
    for name in (*FLAGS, *SETTINGS_FLAGS):
        value = shown[name] == "on"
        before = member.get(name, name == "in_directory")
        if bool(before) != value:
            changes[name] = value
    visibility = member.get("visibility") or {}
    chosen = {group: shown[f"visibility.{group}"] for group in GROUPS
              if shown.get(f"visibility.{group}") and shown[f"visibility.{group}"] != visibility.get(group)}
    if chosen:
        changes["visibility"] = chosen
    return changes


def missing_key_fields(member: dict) -> list[str]:
    """The key fields a member has not filled in, by their label."""
    return [str(GROUPS[name]) for name in KEY_FIELDS if member.get(name) in (None, "", [])]
