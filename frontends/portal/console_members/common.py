"""What the office's member pages share: the problem status a re-rendered form answers with,
and the page number of a list."""
from __future__ import annotations

from flask import request

from frontends.portal.gateway import ApiProblem


def form_status(problem: ApiProblem) -> int:
    """The status of a form shown again with an API's problem: the API's own where it says
    something the browser may use (conflict, too large, invalid, too many), else 400."""
    return problem.status if problem.status in (403, 404, 409, 413, 422, 429) else 400


def page_number() -> int:
    try:
        return max(1, min(int(request.args.get("page", 1)), 10_000))
    except ValueError:
        return 1


def has_next(result: dict) -> bool:
    return result.get("page", 1) * result.get("per_page", 20) < result.get("total", 0)


def collapse(errors: dict[str, list[str]], prefix: str = "") -> dict[str, list[str]]:
    """Field errors by the form's field: ``filter.country.0`` -> ``country`` (with prefix
    ``filter.``), ``roles.1`` -> ``roles``; a list item's messages go to the list's field."""
    collapsed: dict[str, list[str]] = {}
    for name, messages in errors.items():
        field = name.removeprefix(prefix).split(".", 1)[0]
        collapsed.setdefault(field, []).extend(m for m in messages if m not in collapsed.get(field, []))
    return collapsed
