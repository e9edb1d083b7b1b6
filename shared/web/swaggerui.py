"""Swagger UI's files, served by each service from the pinned ``swagger-ui-bundle`` package.

No page loads code from a CDN: the docs page (flask-smorest's template) takes its script and
styles from ``<prefix>/docs/assets/``, so the gateway's Content-Security-Policy can allow
scripts from this origin only, and the docs work without internet access.
"""
from __future__ import annotations

from flask import Blueprint, abort, send_from_directory
from swagger_ui_bundle import swagger_ui_path

# The only files flask-smorest's swagger_ui.html asks for.
ASSETS = frozenset({"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"})


def assets_url(prefix: str) -> str:
    return f"{prefix}/docs/assets/"


def blueprint(name: str, prefix: str) -> Blueprint:
    assets = Blueprint(f"{name}_swagger_ui", __name__, url_prefix=assets_url(prefix).rstrip("/"))

    @assets.get("/<filename>")
    def asset(filename: str):
        if filename not in ASSETS:
            abort(404)
        return send_from_directory(swagger_ui_path, filename, max_age=86400)

    return assets
