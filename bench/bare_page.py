"""The baseline page of bench/portal.py: bare Flask rendering one Jinja template, served by the
same gunicorn config as the portal (``gunicorn --config deploy/gunicorn.conf.py
bench.bare_page:app``). What a Flask HTML page of a given size costs on this gunicorn and
machine with no session, no CSRF, no translations and no API call behind it.

``GET /page?bytes=N`` answers about N bytes of HTML (default 8000, at most 1 MB), so that each
page of the portal has a baseline of its own size. The page is rendered on every request (a
table of escaped rows), not cached; only the rows' data is made once per size.
"""
from __future__ import annotations

import functools

from flask import Flask, render_template, request

PAGE = """<!doctype html>
<html lang="{{ lang }}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title><link rel="stylesheet" href="/static/portal.css"></head>
<body><header><nav><a href="/">{{ title }}</a></nav></header>
<main id="main"><h1>{{ title }}</h1>
<div class="table-wrap"><table><thead><tr><th>#</th><th>Name</th><th>Year</th><th>City</th></tr></thead>
<tbody>{% for row in rows %}<tr><td>{{ loop.index }}</td><td><a href="/directory/{{ row.id }}">{{ row.name }}</a></td>
<td>{{ row.year }}</td><td>{{ row.city }}</td></tr>
{% endfor %}</tbody></table></div></main>
<footer><p>{{ title }}</p></footer></body></html>
"""

app = Flask(__name__)
# Compiled once, as Flask caches a template file's compiled form; rendered on each request.
TEMPLATE = app.jinja_env.from_string(PAGE)


def _row(k: int) -> dict:
    return {"id": f"{k:032x}", "name": f"Мария Петрова <{k}>", "year": 1990 + k % 36, "city": "Пловдив"}


@functools.lru_cache(maxsize=64)
def _rows(total_bytes: int) -> list[dict]:
    """As many rows as make the rendered page about ``total_bytes`` of UTF-8."""
    def size(rows: list[dict]) -> int:
        return len(TEMPLATE.render(lang="bg", title="Alumnet", rows=rows).encode())
    empty, one = size([]), size([_row(0)])
    return [_row(k) for k in range(max(1, (total_bytes - empty) // max(1, one - empty)))]


@app.get("/page")
def page():
    size = min(request.args.get("bytes", 8000, type=int), 1_000_000)
    return render_template(TEMPLATE, lang="bg", title="Alumnet", rows=_rows(size))
