"""Segments: the office's saved member filters (announcements and event audiences refer to
them), listed, created, edited and deleted, with a live count of the members a filter finds.

The live count is the members API's preview of the unsaved filter, answered by the same query
as the saved segment's count, so it is the number the segment will hold (every verified member,
on all their fields, in the directory or not), with the first few of them by name.
``segments.js`` posts the form to ``/office/segments/count`` as the admin types (debounced);
without JavaScript the "Count" button does the same with a full page.

A new segment's form can come filled in from its link's query string, so that a page of
results links "make a segment of these" (``/office/segments/new?interest=research&
open_to_volunteer=yes&name=...``): the office then sees the count at once and saves.
"""
from __future__ import annotations

import re
import uuid
from urllib.parse import quote

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from frontends.portal import problems
from frontends.portal.auth import with_role
from frontends.portal.console_members import blp, labels
from frontends.portal.console_members.common import collapse, form_status, has_next, page_number
from frontends.portal.gateway import ApiProblem, api

SEGMENTS = "/api/v1/members/segments"
PREVIEW = f"{SEGMENTS}/preview"
FLAGS = ("open_to_mentoring", "open_to_ambassador", "open_to_volunteer", "international_graduate")
TEXTS = ("q", "interest", "city", "language")
# A flag in a link may say yes or no; the form's own values are true and false.
LINK_FLAGS = {"yes": "true", "true": "true", "no": "false", "false": "false"}
YEARS = ("graduation_year_from", "graduation_year_to")


def _path(segment_id: str) -> str:
    return f"{SEGMENTS}/{quote(segment_id, safe='')}"


def filter_from_form(form) -> dict:
    """The filter the form describes; empty fields are no condition. Values the API will refuse
    (a year that is not a number) are sent as typed, so its problem names the field."""
    spec: dict = {}
    for name in TEXTS:
        value = form.get(name, "").strip()
        if value:
            spec[name] = value.lower() if name == "language" else value
    for name in YEARS:
        value = form.get(name, "").strip()
        if value:
            spec[name] = int(value) if value.isdigit() else value
    faculties = [f for f in form.getlist("faculty") if f]
    if faculties:
        spec["faculty"] = faculties
    countries = [c for c in re.split(r"[\s,;]+", form.get("country", "")) if c]
    if countries:
        spec["country"] = countries
    for name in FLAGS:
        if form.get(name) in ("true", "false"):
            spec[name] = form.get(name) == "true"
    return spec


def form_from_filter(spec: dict) -> dict:
    """A saved filter as the form's fields."""
    form = {name: str(spec.get(name, "")) for name in (*TEXTS, *YEARS)}
    form["faculty"] = list(spec.get("faculty", []))
    form["country"] = ", ".join(spec.get("country", []))
    for name in FLAGS:
        form[name] = "" if spec.get(name) is None else ("true" if spec[name] else "false")
    return form


def _typed(form) -> dict:
    typed = {name: form.get(name, "") for name in ("name", *TEXTS, *YEARS, "country", *FLAGS)}
    typed["faculty"] = form.getlist("faculty")
    return typed


def prefilled(args) -> MultiDict:
    """A link's query string as the form it fills in; a flag it does not understand is "either"."""
    form = MultiDict(args)
    for name in FLAGS:
        form[name] = LINK_FLAGS.get(args.get(name, "").strip().lower(), "")
    return form


def _count(spec: dict) -> tuple[dict | None, str | None, dict]:
    """The live count (the API's preview: ``count`` and a ``sample`` of members), or the
    problem that stops it (a sentence, field errors by the form's fields)."""
    try:
        return api().post(PREVIEW, {"filter": spec}), None, {}
    except ApiProblem as problem:
        return None, problems.summary(problem), collapse(problems.field_errors(problem), "filter.")


def _form_page(segment: dict | None, form: dict, *, preview=None, message=None, errors=None, status=200):
    return render_template("console_members/segment_form.html", segment=segment, form=form, preview=preview,
                           message=message, errors=errors or {},
                           faculties=labels.FACULTIES, idempotency_key=uuid.uuid4().hex), status


def _save_or_count(segment: dict | None):
    """The form's POST: count with these filters, or save them."""
    form, spec = _typed(request.form), filter_from_form(request.form)
    if request.form.get("action") == "count":
        preview, message, errors = _count(spec)
        return _form_page(segment, form, preview=preview, message=message, errors=errors,
                          status=200 if message is None else 400)
    name = request.form.get("name", "").strip()
    if not name:
        return _form_page(segment, form, message=_("Please correct the fields marked below."),
                          errors={"name": [_("Give the segment a name.")]}, status=400)
    body = {"name": name, "filter": spec}
    try:
        if segment is None:
            key = request.form.get("idempotency_key", "")[:255]
            saved = api().post(SEGMENTS, body, headers={"Idempotency-Key": key} if key else None)
        else:
            saved = api().put(_path(segment["id"]), body)
    except ApiProblem as problem:
        return _form_page(segment, form, message=problems.summary(problem),
                          errors=collapse(problems.field_errors(problem), "filter."), status=form_status(problem))
    flash(_("The segment “%(name)s” is saved.", name=saved.get("name", name)), "success")
    return redirect(url_for("console_members.segment", segment_id=saved["id"]))


@blp.get("/office/segments")
@with_role("admin")
def segments():
    listing = api().get(SEGMENTS, params={"page": page_number(), "per_page": 50})
    return render_template("console_members/segments.html", listing=listing, page=page_number(), has_next=has_next)


@blp.route("/office/segments/new", methods=["GET", "POST"])
@with_role("admin")
def segment_new():
    if request.method == "GET":
        prefill = prefilled(request.args)
        spec = filter_from_form(prefill)
        if not spec:
            return _form_page(None, form_from_filter({}) | {"name": prefill.get("name", "")})
        preview, message, errors = _count(spec)
        return _form_page(None, _typed(prefill), preview=preview, message=message, errors=errors)
    return _save_or_count(None)


@blp.route("/office/segments/<segment_id>", methods=["GET", "POST"])
@with_role("admin")
def segment(segment_id: str):
    saved = api().get(_path(segment_id))
    if request.method == "GET":
        return _form_page(saved, form_from_filter(saved.get("filter") or {}) | {"name": saved.get("name", "")})
    return _save_or_count(saved)


@blp.route("/office/segments/<segment_id>/delete", methods=["GET", "POST"])
@with_role("admin")
def segment_delete(segment_id: str):
    saved = api().get(_path(segment_id))
    if request.method == "GET":
        return render_template("console_members/segment_delete.html", segment=saved)
    api().call("DELETE", _path(segment_id))
    flash(_("The segment “%(name)s” is deleted.", name=saved.get("name", "")), "success")
    return redirect(url_for("console_members.segments"))


@blp.post("/office/segments/count")
@with_role("admin")
def segment_count():
    """The live count's fragment, for ``segments.js``."""
    preview, message, errors = _count(filter_from_form(request.form))
    return render_template("console_members/_count.html", preview=preview, message=message, errors=errors), 200
