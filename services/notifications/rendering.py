"""Jinja2 rendering of notification templates, one set per language.

Layout: ``templates/email/<name>/<lang>.subject.txt``, ``<lang>.txt`` and ``<lang>.html``;
``templates/sms/<name>/<lang>.txt`` for the short SMS body of notifications that may go by SMS.
HTML is autoescaped; text parts are not (they are never interpreted as markup).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from jinja2 import (
    Environment,
    PackageLoader,
    StrictUndefined,
    TemplateNotFound,
    select_autoescape,
)

LANGUAGES = ("bg", "en")
FALLBACK_LANGUAGE = "bg"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("services.notifications", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,  # a missing variable is a bug, not an empty string
        keep_trailing_newline=False,
    )


def render_email(template: str, language: str, context: dict) -> RenderedEmail:
    language = language if language in LANGUAGES else FALLBACK_LANGUAGE
    env = environment()
    base = f"email/{template}/{language}"
    return RenderedEmail(
        # A subject is one header line whatever the data holds.
        subject=" ".join(env.get_template(f"{base}.subject.txt").render(context).split()),
        text=env.get_template(f"{base}.txt").render(context),
        html=env.get_template(f"{base}.html").render(context),
    )


def render_sms(template: str, language: str, context: dict) -> str:
    """The SMS body: one paragraph, surrounding blank space removed (every character costs:
    see ``sms_text.describe``)."""
    language = language if language in LANGUAGES else FALLBACK_LANGUAGE
    text = environment().get_template(f"sms/{template}/{language}.txt").render(context)
    return " ".join(text.split())


def has_sms(template: str) -> bool:
    """Whether ``template`` has an SMS body (in the fallback language at least)."""
    try:
        environment().get_template(f"sms/{template}/{FALLBACK_LANGUAGE}.txt")
    except TemplateNotFound:
        return False
    return True
