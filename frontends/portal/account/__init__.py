"""Accounts: sign up, confirm the address, log in and out, reset the password, and the email
change links.

- ``views``: log in and out (the model page of the portal).
- ``signup``: ``/join`` and its "check your email" page.
- ``links``: the pages the members API's emails link to (``/confirm-email``,
  ``/confirm-email-change``, ``/undo-email-change``): each shows a button that POSTs, so a
  mail scanner following the link uses nothing up.
- ``password``: ``/reset-password``: asking for a link, and setting a new password with it.
"""
from flask import Blueprint

blp = Blueprint("account", __name__, template_folder="templates")

from frontends.portal.account import links, password, signup, views  # noqa: E402,F401  (registers the routes)
