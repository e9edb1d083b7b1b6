"""Who is signed in, and the decorators that keep pages to the people they are for.

The portal decides only what to show; every API call is authorised again by the service.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

from flask import abort, redirect, request, session, url_for


@dataclass(frozen=True)
class Viewer:
    member_id: str
    roles: frozenset[str]
    name: str

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @property
    def at_the_door(self) -> bool:
        """Admins and staff: the check-in page."""
        return bool(self.roles & {"admin", "staff"})


def viewer() -> Viewer | None:
    auth = session.get("auth")
    if not auth:
        return None
    return Viewer(auth["member_id"], frozenset(auth.get("roles", ())), auth.get("name", ""))


def login_url() -> str:
    """The login page, coming back here afterwards (only a path of this site: no open redirect)."""
    return url_for("account.login", next=request.full_path.rstrip("?"))


def signed_in(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if viewer() is None:
            return redirect(login_url())
        return view(*args, **kwargs)
    return wrapped


def with_role(*roles: str):
    """Signed in with one of ``roles``; others get a 403 page (admins have every role)."""
    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            who = viewer()
            if who is None:
                return redirect(login_url())
            if not (who.is_admin or who.roles & set(roles)):
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorate


def safe_next(target: str | None, default: str) -> str:
    """``target`` if it is a path on this site, else ``default``."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default
