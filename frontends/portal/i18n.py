"""Language and formats: Bulgarian or English for every page.

The language is the one chosen with the switch on every page, else the signed-in member's
preferred language (kept at login), else the browser's ``Accept-Language``. Dates and
numbers are formatted for it by Flask-Babel (Babel's CLDR data), in Europe/Sofia time unless
a page says otherwise. Names are shown as members entered them, never transliterated.
"""
from __future__ import annotations

from flask import g, redirect, request, session
from flask_babel import Babel

from frontends.portal.auth import safe_next
from frontends.portal.settings import LANGUAGES

DEFAULT_TIMEZONE = "Europe/Sofia"


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or "bg"


def init(app) -> Babel:
    babel = Babel(app, locale_selector=select_locale, timezone_selector=lambda: DEFAULT_TIMEZONE)

    @app.before_request
    def _remember_locale():
        g.locale = select_locale()

    @app.get("/language/<code>")
    def switch_language(code: str):
        """The switch on every page: a link, so it works without JavaScript and with keys."""
        if code in LANGUAGES:
            session["lang"] = code
        return redirect(safe_next(request.args.get("next"), "/"))

    @app.context_processor
    def _language():
        return {"current_language": g.get("locale", "bg"), "languages": LANGUAGES}

    return babel
