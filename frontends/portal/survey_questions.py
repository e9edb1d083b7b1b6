"""What the survey question macros (``templates/_survey_questions.html``) show besides the
survey's own texts, in the SURVEY's language rather than the page's: the office previews a
survey in Bulgarian and English side by side, and a member answers in their language.
Registered as Jinja globals by the app factory."""
from __future__ import annotations

from functools import lru_cache

from flask_babel import force_locale, gettext as _

from frontends.portal.profile.labels import country_list

LANGUAGES = ("bg", "en")


def survey_words(lang: str) -> dict[str, str]:
    """The macros' own words in ``lang``."""
    lang = lang if lang in LANGUAGES else "bg"
    with force_locale(lang):
        return {
            "other": _("Other"),
            "other_text": _("Other, in your words"),
            "yes": _("Yes"),
            "no": _("No"),
            "required": _("required"),
            "choose_country": _("Choose a country"),
            "nps": _("0 = not at all likely, 10 = extremely likely"),
            "scale": _("1 = the lowest, the highest number = the best"),
            "between": _("From %(low)s to %(high)s"),
            "at_least": _("At least %(low)s"),
            "at_most": _("At most %(high)s"),
            "conditional": _("Asked only after some earlier answers."),
        }


@lru_cache(maxsize=4)
def survey_countries(lang: str) -> tuple[tuple[str, str], ...]:
    """Every country, by its name in ``lang``, with an empty choice first."""
    return (("", survey_words(lang)["choose_country"]), *country_list(lang if lang in LANGUAGES else "bg"))


def _number(value) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) else str(value)


def survey_number_hint(question, lang: str) -> str | None:
    """A number question's limits as a sentence: "From 0 to 80", "At least 1"."""
    low, high = question.get("minimum"), question.get("maximum")
    words = survey_words(lang)
    if low is not None and high is not None:
        return words["between"] % {"low": _number(low), "high": _number(high)}
    if low is not None:
        return words["at_least"] % {"low": _number(low)}
    if high is not None:
        return words["at_most"] % {"high": _number(high)}
    return None
