"""Language and formats: Bulgarian or English for every page.

The language is the one chosen with the switch on every page, else the signed-in member's
preferred language (kept at login), else the browser's ``Accept-Language``; a browser that asks
for neither gets Bulgarian, or English on the pages made for visitors from abroad (a view
marked ``@for_visitors_from_abroad``: the ambassador finder). Dates and
numbers are formatted for it by Flask-Babel (Babel's CLDR data), in Europe/Sofia time unless
a page says otherwise. Names are shown as members entered them, never transliterated.
"""
from __future__ import annotations

from babel import support
from flask import current_app, g, redirect, request, session
from flask_babel import Babel, Domain, get_locale

from frontends.portal.auth import safe_next
from frontends.portal.settings import LANGUAGES

DEFAULT_TIMEZONE = "Europe/Sofia"


def for_visitors_from_abroad(view):
    """Mark a page whose visitors mostly come from abroad: English when the browser asks for
    neither language."""
    view.language_for_others = "en"
    return view


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    view = current_app.view_functions.get(request.endpoint or "")
    return request.accept_languages.best_match(LANGUAGES) or getattr(view, "language_for_others", "bg")


class RequestDomain(Domain):
    """Flask-Babel's domain, with the request's catalogue found once per request.

    Flask-Babel merges the catalogues of every translation directory once per language and
    keeps the result (``Domain.cache``); but each ``_()`` still finds the request's locale and
    its cache key (``str(locale)``) again, about 15 µs a call, and a page makes 30 to 200 of
    them. The memo is keyed by the locale object, so ``force_locale`` and ``refresh`` still
    take effect."""

    def get_translations(self) -> support.NullTranslations:
        if not g:
            return super().get_translations()
        locale = get_locale()
        memo = g.get("_translations")
        if memo is None or memo[0] is not locale:
            memo = g._translations = (locale, super().get_translations())
        return memo[1]


def init(app) -> Babel:
    babel = Babel(app, locale_selector=select_locale, timezone_selector=lambda: DEFAULT_TIMEZONE)
    # Flask-Babel builds its domain lazily (a cached property): give it the memoizing one.
    babel.domain_instance = RequestDomain(domain=app.extensions["babel"].default_domain)

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
