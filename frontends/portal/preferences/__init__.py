"""A member's settings: notification preferences and consents, my data, and unsubscribing.

- ``notifications``: ``/me/notifications``: a channel per category, SMS quiet hours, time zone
  and digest hour (notifications API) and the consents with their history (members API).
- ``data``: ``/me/data``: the export as a download, and erasing the account behind a warning.
- ``unsubscribe``: ``/unsubscribe?token=``: the portal's page for an unsubscribe link, in the
  visitor's language, with a button that POSTs the token to the members API.
"""
from flask import Blueprint

blp = Blueprint("preferences", __name__, template_folder="templates")

from frontends.portal.preferences import data, notifications, unsubscribe  # noqa: E402,F401  (registers the routes)
