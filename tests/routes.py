"""Every API route of an app, discovered from its URL map, and a route's URL with its path
variables filled: what the role and authorisation tests play, so that a route added later is
checked without a test naming it."""
from __future__ import annotations

import re
from collections.abc import Mapping

# A path variable of a Flask rule, with or without a converter: <id>, <any(png, svg):fmt>.
VARIABLE = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def api_routes(app) -> list[tuple[str, str]]:
    """(method, rule) of every API route of ``app`` (the rules under ``/api/v1/``)."""
    return [(method, rule.rule) for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")
            for method in sorted(rule.methods - IGNORED_METHODS)]


def variables(rule: str) -> list[str]:
    return VARIABLE.findall(rule)


def plain(rule: str) -> str:
    """The rule without converters (``<any(png, svg):fmt>`` is ``<fmt>``): how a person writes it."""
    return VARIABLE.sub(lambda m: f"<{m.group(1)}>", rule)


def fill(rule: str, values: Mapping[str, str], default: str | None = None) -> str:
    """The URL of ``rule`` with each path variable taken from ``values`` (``default`` if absent)."""
    def value(match: re.Match) -> str:
        name = match.group(1)
        if name in values:
            return values[name]
        if default is None:
            raise KeyError(f"no value for <{name}> of {rule}")
        return default
    return VARIABLE.sub(value, rule)
