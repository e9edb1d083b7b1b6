"""The names of the notification categories, channels and choices, in the member's language
(the APIs name them with codes)."""
from __future__ import annotations

from flask_babel import lazy_gettext

CATEGORIES = {
    "account": lazy_gettext("My account and my event registrations"),
    "news": lazy_gettext("News"),
    "events": lazy_gettext("Events and reunions"),
    "mentoring": lazy_gettext("Mentoring"),
    "awards": lazy_gettext("Awards"),
    "surveys": lazy_gettext("Surveys"),
    "causes": lazy_gettext("Causes and volunteering"),
}
MARKETING = ("news", "events", "mentoring", "awards", "surveys", "causes")
CHANNELS = {"email": lazy_gettext("Email"), "sms": lazy_gettext("SMS")}
# A channel inside a sentence ("..., by email") and as a heading ("By email").
BY_CHANNEL = {"email": lazy_gettext("by email"), "sms": lazy_gettext("by SMS")}
BY_CHANNEL_HEADING = {"email": lazy_gettext("By email"), "sms": lazy_gettext("By SMS")}
CHOICES = {
    "email": lazy_gettext("Email"),
    "sms": lazy_gettext("SMS"),
    "email_and_sms": lazy_gettext("Email and SMS"),
    "digest": lazy_gettext("One email a day (digest)"),
    "none": lazy_gettext("Do not send"),
}
# Account messages always reach the member: no digest, never none (the notifications API's rule).
ACCOUNT_CHOICES = ("email", "sms", "email_and_sms")
SOURCES = {
    "signup": lazy_gettext("when you joined"),
    "profile_page": lazy_gettext("on this page"),
    "unsubscribe_link": lazy_gettext("with an unsubscribe link"),
    "admin_on_request": lazy_gettext("by the alumni office, at your request"),
}


def name(table: dict, code) -> str:
    """A code's name, or the code itself if a newer API sends one this portal does not know."""
    return str(table.get(code, code))
