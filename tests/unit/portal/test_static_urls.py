"""Static URLs carry their content's hash, so the gateway may let browsers keep them a year."""
from __future__ import annotations

import re

from flask import Blueprint, url_for

from frontends.portal import static_urls


def test_pages_link_static_files_with_their_content_version(client):
    html = client.get("/login").get_data(as_text=True)
    css = re.search(r'href="/static/portal\.css\?v=([0-9a-f]{12})"', html)
    assert css, html[:600]
    served = client.get(f"/static/portal.css?v={css.group(1)}")
    assert served.status_code == 200
    import hashlib
    assert hashlib.sha256(served.get_data()).hexdigest()[:12] == css.group(1)


def test_a_changed_file_gets_a_new_version_and_an_areas_static_files_one_too(portal, tmp_path):
    folder = tmp_path / "static"
    folder.mkdir()
    (folder / "area.js").write_text("one")
    portal.register_blueprint(Blueprint("area_x", __name__, static_folder=str(folder),
                                        static_url_path="/static/area_x"))
    with portal.test_request_context():
        first = url_for("area_x.static", filename="area.js")
        (folder / "area.js").write_text("two, longer")
        second = url_for("area_x.static", filename="area.js")
        missing = url_for("static", filename="nothing-here.css")
    assert first.startswith("/static/area_x/area.js?v=") and second != first
    assert missing == "/static/nothing-here.css"  # no version for what does not exist


def test_no_folder_no_version():
    assert static_urls.version(None, "x.css") is None
