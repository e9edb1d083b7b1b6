"""Swagger UI's files, served by each service from the pinned ``swagger-ui-bundle`` package.

No page loads code from a CDN: the docs page (flask-smorest's template) takes its script and
styles from ``<prefix>/docs/assets/``, so the gateway's Content-Security-Policy can allow
scripts from this origin only, and the docs work without internet access.

``<prefix>/docs/platform`` is one page over the whole platform: Swagger UI with a selector of
every service's OpenAPI document (``/api/v1/<service>/openapi.json``, the gateway's routes).
The gateway serves it at ``/docs`` (nginx and the dev gateway ask the members api for it).
"""
from __future__ import annotations

import html
import json

from flask import Blueprint, Response, abort, send_from_directory
from swagger_ui_bundle import swagger_ui_path

from shared.config import SERVICES

# The only files flask-smorest's swagger_ui.html asks for.
ASSETS = frozenset({"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"})


def assets_url(prefix: str) -> str:
    return f"{prefix}/docs/assets/"


def platform_page(assets: str) -> str:
    """Swagger UI over every service's document, its files from ``assets`` (this origin)."""
    urls = json.dumps([{"url": f"/api/v1/{s}/openapi.json", "name": s} for s in SERVICES])
    base = html.escape(assets, quote=True)
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Alumnet API</title>
  <link rel="stylesheet" href="{base}swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{base}swagger-ui-bundle.js"></script>
  <script src="{base}swagger-ui-standalone-preset.js"></script>
  <script>
    window.ui = SwaggerUIBundle({{
      urls: {urls}, "urls.primaryName": "members", dom_id: "#swagger-ui", deepLinking: true,
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: "StandaloneLayout"
    }});
  </script>
</body>
</html>
"""


def blueprint(name: str, prefix: str) -> Blueprint:
    docs = Blueprint(f"{name}_swagger_ui", __name__, url_prefix=f"{prefix}/docs")
    page = platform_page(assets_url(prefix))

    @docs.get("/assets/<filename>")
    def asset(filename: str):
        if filename not in ASSETS:
            abort(404)
        return send_from_directory(swagger_ui_path, filename, max_age=86400)

    @docs.get("/platform")
    def platform():
        return Response(page, mimetype="text/html")

    return docs
