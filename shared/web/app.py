"""The app factory every service builds on.

``create_service_app`` returns a Flask app with a flask-smorest ``Api`` whose OpenAPI document
and Swagger UI live under the service's gateway prefix (``/api/v1/<service>/openapi.json`` and
``/docs``), problem+json for every error, ``X-Request-ID`` in and out, JSON logs, request
metrics, and the ``/healthz``, ``/readyz`` and ``/metrics`` endpoints. Bad input is refused the
same way on every route (``shared.web.inputs``): only its ``Blueprint`` may be registered.
"""
from __future__ import annotations

import logging
import random
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Iterable

from flask import Blueprint, Flask, Response, g, jsonify, request
from flask_smorest import Api
from werkzeug.exceptions import HTTPException, InternalServerError

from shared import clock
from shared.auth import TokenVerifier
from shared.config import Config
from shared.logs import reset_correlation_id, set_correlation_id
from shared.web import inputs, metrics, swaggerui
from shared.web.proxies import TrustedProxies
from shared.web.problems import from_http_exception, problem_response

log = logging.getLogger(__name__)
REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9_.-]{1,128}")


class ProblemApi(Api):
    """flask-smorest's Api answering every HTTP error with problem+json."""

    def handle_http_exception(self, error: HTTPException):
        return from_http_exception(error)

    def register_blueprint(self, blp, **options):
        if not isinstance(blp, inputs.Blueprint):
            raise TypeError(f"blueprint {blp.name!r}: build routes on shared.web.inputs.Blueprint, "
                            "so they refuse bad input as every route does")
        super().register_blueprint(blp, **options)


@dataclass
class ServiceContext:
    """Per-app objects views reach through ``current_service()``."""

    name: str
    config: Config
    store: object
    verifier: TokenVerifier | None
    ready_checks: dict[str, Callable[[], bool]] = field(default_factory=dict)
    extras: dict = field(default_factory=dict)
    # What "now" is for the service's rules; tests replace it with a clock.FixedClock.
    clock: Callable[[], datetime] = clock.now


def current_service() -> ServiceContext:
    from flask import current_app
    return current_app.extensions["alumnet"]


def _request_id() -> str:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    # Accept a caller's id only if it is a sane token, so logs cannot be forged with it.
    if REQUEST_ID_PATTERN.fullmatch(incoming):
        return incoming
    # A version-4 UUID from the PRNG (reseeded in each forked worker): an id is unique, not
    # secret, and uuid4's os.urandom is a system call per request.
    return str(uuid.UUID(int=random.getrandbits(128), version=4))


def create_service_app(name: str, config: Config, store, *, blueprints: Iterable[Blueprint],
                       ready_checks: dict[str, Callable[[], bool]] | None = None,
                       verifier: TokenVerifier | None = None, title: str | None = None,
                       description: str = "") -> Flask:
    app = Flask(name)
    prefix = f"/api/v1/{name}"
    app.config.update(
        API_TITLE=title or f"Alumnet {name} API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=prefix,
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL=swaggerui.assets_url(prefix),
        MAX_CONTENT_LENGTH=config.max_content_length,
        JSON_SORT_KEYS=False,
        API_SPEC_OPTIONS={
            "info": {"description": description},
            "servers": [{"url": "/"}],
            "components": {"securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
        },
    )
    app.json.ensure_ascii = False
    app.json.sort_keys = False  # problem fields read best in RFC order
    context = ServiceContext(name, config, store, verifier, dict(ready_checks or {}))
    app.extensions["alumnet"] = context
    api = ProblemApi(app)
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
    app.register_blueprint(_operations_blueprint(context))
    app.register_blueprint(swaggerui.blueprint(name, prefix))
    app.wsgi_app = TrustedProxies(app.wsgi_app, config.trusted_proxies)
    _install_request_hooks(app, name)
    _install_teardown(app)
    _install_error_handlers(app)
    return app


def _operations_blueprint(context: ServiceContext) -> Blueprint:
    ops = Blueprint(f"{context.name}_ops", __name__)

    @ops.get("/healthz")
    def healthz():
        return jsonify(status="ok", service=context.name)

    @ops.get("/readyz")
    def readyz():
        checks = {name: bool(check()) for name, check in context.ready_checks.items()}
        ready = all(checks.values())
        return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503

    @ops.get("/metrics")
    def metrics_endpoint():
        body, content_type = metrics.render()
        return Response(body, content_type=content_type)

    return ops


# Path parts that are credentials (a calendar feed's secret, a one-time token) never reach logs.
SECRET_VIEW_ARGS = ("secret", "token")


def loggable_path() -> str:
    path = request.path
    for name in SECRET_VIEW_ARGS:
        value = (request.view_args or {}).get(name)
        if isinstance(value, str) and value:
            path = path.replace(value, "[secret]")
    return path


def _install_request_hooks(app: Flask, service: str) -> None:
    @app.before_request
    def start():
        g.request_started = time.perf_counter()
        g.request_id = _request_id()
        g.correlation_token = set_correlation_id(g.request_id)
        inputs.refuse_unreadable_json()

    @app.after_request
    def finish(response: Response):
        response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
        route = request.url_rule.rule if request.url_rule else "unmatched"
        started = g.get("request_started")
        elapsed = None if started is None else time.perf_counter() - started
        metrics.observe(service, request.method, route, response.status_code, elapsed)
        if elapsed is not None:
            log.info("%s %s %s", request.method, loggable_path(), response.status_code,
                     extra={"status": response.status_code, "duration_ms": round(elapsed * 1000, 2)})
        return response


def _install_teardown(app: Flask) -> None:
    @app.teardown_request
    def forget_request_id(_error):
        token = g.pop("correlation_token", None)
        if token is not None:
            reset_correlation_id(token)  # the thread's next work must not inherit this id


def _install_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return from_http_exception(error)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem_response(InternalServerError.code, "An unexpected error occurred.")
