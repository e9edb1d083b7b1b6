"""RFC 9457 problem details: every error any service returns is ``application/problem+json``.

Validation failures carry an ``errors`` map of field name to messages, so a client can point
at the offending fields; unknown routes, wrong methods and oversized bodies are problems too.
"""
from __future__ import annotations

from typing import Any

from flask import Response, current_app, json, request
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from shared.logs import current_correlation_id

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_BASE = "https://alumnet.dev/problems/"


class Problem(HTTPException):
    """Raise from a view to answer with a problem; ``kind`` becomes the ``type`` URI."""

    def __init__(self, status: int, detail: str, *, kind: str | None = None,
                 errors: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
                 **extra: Any):
        super().__init__(description=detail)
        self.code = status
        self.kind = kind
        self.errors = errors
        self.extra_headers = headers or {}
        self.extra = extra


def problem_response(status: int, detail: str | None = None, *, kind: str | None = None,
                     errors: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
                     **extra: Any) -> Response:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + kind if kind else "about:blank",
        "title": HTTP_STATUS_CODES.get(status, "Error"),
        "status": status,
    }
    if detail:
        body["detail"] = detail
    body["instance"] = request.path
    if errors:
        body["errors"] = errors
    request_id = current_correlation_id()
    if request_id:
        body["request_id"] = request_id
    body.update(extra)
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _field_errors(error: HTTPException) -> dict[str, Any] | None:
    """flask-smorest puts marshmallow's messages in ``error.data['messages']`` keyed by the
    request part (json, query, headers...); flatten to one map of field -> messages."""
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    if not isinstance(messages, dict):
        return None
    merged: dict[str, Any] = {}
    for part in messages.values():
        if isinstance(part, dict):
            merged.update(part)
        else:
            merged.setdefault("_schema", part)
    return merged


def from_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    if isinstance(error, Problem):
        return problem_response(status, error.description, kind=error.kind, errors=error.errors,
                                headers=error.extra_headers, **error.extra)
    errors = _field_errors(error)
    headers = {}
    if status == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    if errors:
        return problem_response(status, "The request has invalid fields.", kind="validation",
                                errors=errors, headers=headers)
    detail = error.description if status != 500 else "An unexpected error occurred."
    if status == 400 and "Failed to decode JSON" in (error.description or ""):
        detail = "The request body is not valid JSON."
    return problem_response(status, detail, headers=headers)
