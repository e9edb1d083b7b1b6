"""Portal area `console_messages`: the office's announcements (write one in both languages,
watch it go out, stop it) and the delivery log (admins only; URLs under ``/office/``)."""
from flask import Blueprint

blp = Blueprint("console_messages", __name__, template_folder="templates", static_folder="static",
                static_url_path="/static/console_messages")

from frontends.portal.console_messages import deliveries, labels, views  # noqa: E402,F401  (registers the routes)


@blp.app_template_filter("cm_when")
def _when(value):
    return labels.when(value)


@blp.app_template_filter("cm_number")
def _number(value):
    return labels.number(value)


@blp.app_template_filter("cm_status")
def _status(value):
    return labels.label(labels.STATUSES, value)


@blp.app_template_filter("cm_state")
def _state(value):
    return labels.label(labels.ANNOUNCEMENT_STATES, value)


@blp.app_template_filter("cm_channel")
def _channel(value):
    return labels.label(labels.CHANNELS, value)
