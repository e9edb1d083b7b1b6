"""The portal's app factory: sessions, CSRF, languages, security headers, error pages and
every area's blueprint.

``alumnet portal`` serves it with gunicorn; ``alumnet dev`` mounts it at ``/`` of the dev
gateway; the nginx gateway routes ``/`` to it and ``/api/`` to the services.
"""
from __future__ import annotations

import importlib
import logging

from flask import Flask, redirect, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from frontends.portal import i18n, options, problems, settings as portal_settings, static_urls, survey_answers, \
    survey_questions
from frontends.portal.auth import login_url, viewer
from frontends.portal.gateway import ApiDown, ApiProblem, Gateway, SignedOut
from frontends.portal.session import EncryptedCookieSessionInterface

log = logging.getLogger("alumnet.portal")

# Each area is a package ``frontends.portal.<area>`` exposing ``blp``, with its templates in
# ``<area>/templates/<area>/`` and its Bulgarian catalogue in ``<area>/translations``.
AREAS = (
    "account",            # sign up, confirm, log in and out, password reset, email change links
    "home",               # what fits me
    "profile",            # my profile and who sees each field
    "directory",          # search and a member's page
    "events",             # events, registration, tickets, calendars
    "preferences",        # notification preferences and consents, my data, unsubscribe
    "surveys",            # surveys for me, answering (also by the email's personal link), profile review
    "mentoring",          # my offer, recommendations, requests, asks (also by the email's one-click link), pairs
    "console_members",    # roster import, approvals, segments
    "console_events",     # events for the office, registrations, check-in at the door
    "console_messages",   # announcements and the delivery log
    "console_dashboard",  # the console's front page with its charts
    "console_surveys",    # surveys for the office: builder, preview, open and close, results
    "console_mentoring",  # the mentoring programme's dashboard for the office, its CSV export
    "awards",             # Alumni awards: cycles, nominating, the nominee's link, my engagement, judging, winners
    "console_awards",     # the awards for the office: cycle builder, phases, nominations, standings, results
    "causes",             # causes for me: join a role or pledge items, leave, my waitlist place, progress
    "console_causes",     # causes for the office: builder with roles, publish, close, volunteers' hours
    "ambassadors",        # the public ambassador finder and question form, applying, my programme, contacts, activities
    "console_ambassadors",  # the office's applications, roster, contact assignment and report with its CSV
)

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")


def translation_directories() -> str:
    return ";".join(["translations", *(f"{area}/translations" for area in AREAS)])


def create_app(config: portal_settings.PortalSettings | None = None, *, transport=None) -> Flask:
    """``transport``: what sends the HTTP requests (page tests pass a fake gateway)."""
    config = config or portal_settings.load()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=config.session_key,  # Flask-WTF derives its CSRF tokens' signatures from it
        SESSION_COOKIE_SECURE=config.secure_cookies,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session it is bound to
        WTF_CSRF_SSL_STRICT=False,  # the gateway terminates nothing; SameSite=Lax and the token suffice
        BABEL_TRANSLATION_DIRECTORIES=translation_directories(),
        MAX_CONTENT_LENGTH=6 * 1024 * 1024,  # roster CSV files of up to 5 MB
        PORTAL=config,
    )
    if config.trusted_proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=config.trusted_proxies, x_proto=config.trusted_proxies,
                                x_host=config.trusted_proxies, x_port=config.trusted_proxies)
    app.session_interface = EncryptedCookieSessionInterface(config.session_key)
    app.extensions["portal_gateway"] = Gateway(config.api_url, config.api_timeout_s, transport)
    CSRFProtect(app)
    i18n.init(app)
    for area in AREAS:
        app.register_blueprint(importlib.import_module(f"frontends.portal.{area}").blp)
    _error_pages(app)
    static_urls.init(app)

    app.jinja_env.globals["summary"] = problems.summary
    app.jinja_env.globals["option_tags"] = options.option_tags
    # What templates/_survey_questions.html needs (the office's preview and the members' answers).
    app.jinja_env.globals.update(
        survey_words=survey_questions.survey_words, survey_countries=survey_questions.survey_countries,
        survey_number_hint=survey_questions.survey_number_hint, survey_chosen=survey_answers.chosen,
        survey_other=survey_answers.other_text, survey_scale_points=survey_answers.scale_points)

    @app.context_processor
    def _viewer():
        return {"viewer": viewer(), "dev_mode": config.dev_mode}

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if response.mimetype == "text/html":
            # Pages hold personal data: never kept by a shared cache or the back button of the next user.
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    return app


def _error_pages(app: Flask) -> None:
    @app.errorhandler(SignedOut)
    def _signed_out(_):
        return redirect(login_url())

    @app.errorhandler(ApiDown)
    def _down(exc):
        log.warning("api unavailable", extra={"path": request.path, "error": str(exc)})
        return render_template("errors/unavailable.html"), 503

    @app.errorhandler(ApiProblem)
    def _problem(exc: ApiProblem):
        # A page that does not handle a problem itself: the status it means, in words.
        status = exc.status if exc.status in (403, 404, 409, 410, 429) else 400
        return render_template("errors/problem.html", problem=exc, status=status), status

    @app.errorhandler(CSRFError)
    def _csrf(_):
        return render_template("errors/expired_form.html"), 400

    for status in (403, 404, 405, 413):
        app.register_error_handler(status, lambda exc: (render_template("errors/http.html", status=exc.code), exc.code))

    @app.errorhandler(500)
    def _crash(_):
        return render_template("errors/http.html", status=500), 500
