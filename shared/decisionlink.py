"""One-click decision links: a signed token that lets one person make one decision about one
object straight from an email, without logging in, until a deadline.

A ``DecisionLinks`` is one kind of link (its purpose, its header, the decisions it allows and
the portal page it opens). Notifications makes the tokens when it renders the email; the
owning service reads them on its decision route (the kind's header). Both hold
``LINK_SIGNING_KEY``; each kind signs for its own purpose (``shared.signedtoken``), so no other
link can pass for it.

Payload: ``{"v": 1, "k": kind, "p": person_id, "o": object_id, "d": decision, "exp":
unix_seconds}``. ``person_id`` is the member who decides, or an empty string when the person
is not a member (an asker of the ambassador finder confirming their address). A genuine token
past ``exp`` is still read (``DecisionLink.expired``), so the owner can answer it with what
happened to the object (410), which a forged one never learns.

Kinds in use: ``ASKER_CONFIRMATION`` (the finder's asker confirms their email address),
``NOMINATION_DECISION`` (a nominee confirms or declines an award nomination). The mentoring
decision keeps its own ``shared.mentoringlink`` (older, the same idea).

This module imports no service code.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import quote

from shared import signedtoken

VERSION = 1


class BadDecisionLink(signedtoken.BadToken):
    """Malformed, tampered with, or signed with another key or purpose."""


@dataclass(frozen=True)
class DecisionLink:
    person_id: str
    object_id: str
    decision: str
    expires_at: datetime

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at


@dataclass(frozen=True)
class DecisionLinks:
    """One kind of decision link. ``page`` is the portal path with ``{id}`` for the object."""

    kind: str
    header: str
    decisions: tuple[str, ...]
    page: str

    @property
    def purpose(self) -> bytes:
        return f"alumnet-{self.kind}-v{VERSION}".encode()

    def make_token(self, key: str, person_id: str, object_id: str, decision: str, deadline: datetime) -> str:
        """The token of one ``decision`` about ``object_id`` by ``person_id``, valid until ``deadline``."""
        if deadline.tzinfo is None:
            raise ValueError("deadline must be timezone-aware")
        if not object_id or decision not in self.decisions:
            raise ValueError(f"an object id and a decision ({', '.join(self.decisions)}) are required")
        return signedtoken.sign(key, self.purpose, {"v": VERSION, "k": self.kind, "p": person_id or "",
                                                    "o": object_id, "d": decision,
                                                    "exp": int(deadline.timestamp())})

    def read_token(self, key: str, token: str) -> DecisionLink:
        """What a genuine token says, expired or not, or ``BadDecisionLink``."""
        try:
            payload = signedtoken.verify(key, self.purpose, token)
        except signedtoken.BadToken as bad:
            raise BadDecisionLink(str(bad)) from None
        person_id, object_id, decision, exp = (payload.get(k) for k in ("p", "o", "d", "exp"))
        if payload.get("v") != VERSION or payload.get("k") != self.kind or not isinstance(person_id, str) \
                or not isinstance(object_id, str) or not object_id or decision not in self.decisions \
                or not isinstance(exp, int) or isinstance(exp, bool):
            raise BadDecisionLink("malformed payload")
        try:
            expires_at = datetime.fromtimestamp(exp, timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise BadDecisionLink("malformed payload") from None
        return DecisionLink(person_id, object_id, decision, expires_at)

    def portal_link(self, public_base_url: str, object_id: str, token: str) -> str:
        """The portal page the email links to: it shows the object and posts the decision."""
        path = self.page.format(id=quote(object_id, safe=""))
        return f"{public_base_url.rstrip('/')}{path}?t={quote(token, safe='')}"


# The finder's asker confirms their address (the question reaches the ambassador only then).
ASKER_CONFIRMATION = DecisionLinks("ambassador-question", "X-Question-Token", ("confirm",),
                                   "/ambassadors/questions/{id}/confirm")
# A nominee confirms (with details, on the page) or declines an award nomination.
NOMINATION_DECISION = DecisionLinks("award-nomination", "X-Nomination-Token", ("confirm", "decline"),
                                    "/awards/nominations/{id}/decide")
