"""Accounts: sign up, confirm the address, log in and out, reset the password, and the email
change links."""
from flask import Blueprint

blp = Blueprint("account", __name__, template_folder="templates")

from frontends.portal.account import views  # noqa: E402,F401  (registers the routes)
