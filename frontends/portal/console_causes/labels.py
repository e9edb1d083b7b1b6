"""The words the office sees for the causes API's codes (kinds, statuses of a cause and of a
volunteer); audiences and faculties are the events pages' (a cause has an event's audience)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from frontends.portal.causes.present import KINDS  # noqa: F401  (one list of kinds for both sides)
from frontends.portal.console_events.labels import AUDIENCES, FACULTIES, label, options  # noqa: F401

STATUSES = {"draft": _l("Draft"), "published": _l("Published"), "closed": _l("Closed")}
VOLUNTEER_STATUSES = {"joined": _l("In"), "waitlisted": _l("On the waitlist"), "left": _l("Left")}
