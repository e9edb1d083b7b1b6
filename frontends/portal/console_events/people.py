"""Members' names as the office's pages show them, read from the members API (the events API
gives member ids only): exactly as the members wrote them."""
from __future__ import annotations

from frontends.portal.gateway import ApiProblem, api


def name(member_id: str | None) -> str | None:
    """The member's given and family name, or None for a member the API does not show (erased,
    or hidden from the caller)."""
    if not member_id:
        return None
    try:
        member = api().get(f"/api/v1/members/{member_id}")
    except ApiProblem:
        return None
    return full_name(member) or None


def full_name(person: dict) -> str:
    return " ".join(p for p in (person.get("given_name"), person.get("family_name")) if p)


def names(member_ids: list[str | None]) -> dict[str, str]:
    """``name`` of each member once, by id (those without one left out)."""
    found = {member_id: name(member_id) for member_id in dict.fromkeys(m for m in member_ids if m)}
    return {member_id: shown for member_id, shown in found.items() if shown}
