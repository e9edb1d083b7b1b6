"""My own page as others see it: the API shows me all of my record, so the portal hides what
an audience would not see, by the effective visibility the API returns with it.

The rule mirrors the members API's (services/members/profiles/rules.py ``view``): names go by the
``names`` level, every other field by its own; verified members see ``members`` and
``public`` fields, visitors only ``public`` ones. It only previews: what others get is
decided by the API every time.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

NAME_FIELDS = ("given_name", "family_name", "given_name_latin", "family_name_latin")
AUDIENCES = {"members": {"public", "members"}, "public": {"public"}}
AUDIENCE_NAMES = {"members": _l("verified members"), "public": _l("visitors of the site")}


def as_seen_by(member: dict, audience: str) -> dict:
    visibility = member.get("visibility") or {}
    levels = AUDIENCES[audience]

    def shown(field: str) -> bool:
        return visibility.get("names" if field in NAME_FIELDS else field) in levels

    return {"id": member["id"], **{field: value for field, value in member.items() if shown(field)}}
