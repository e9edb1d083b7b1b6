"""The dashboard's charts, drawn as SVG by pygal on the server, each with the same figures
as a table for people who cannot see it.

Why ``<img src="data:image/svg+xml;base64,...">`` and not the SVG pasted into the page:
pygal styles its charts with a ``<style>`` element inside the SVG (colours, fonts, which
series is which) and one ``style="opacity: 0"`` attribute. Pasted into the page, both fall
under the page's Content-Security-Policy (``style-src 'self'``), which blocks them: the
chart turns black. An SVG shown as an *image* is a document of its own: its inner styles
apply, the page's policy is unchanged (``img-src 'self' data:`` already allows it), and an
image can run no script whatever its content. It costs no extra request (a route per chart
would ask the stats APIs again for each image) and keeps pygal's output untouched.
Charts carry no JavaScript (``js=[]``: no tooltips; pygal still writes a ``<script>`` with
its settings, which an xml filter removes) and no XML declaration.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import date, datetime

import pygal
from flask_babel import format_date, format_datetime, format_number, format_percent, gettext as _
from pygal.style import Style

from frontends.portal.console_messages.labels import FACULTIES, STATUSES, label

# The portal's own colours (portal.css), then enough more for the statuses.
ACCENT, GOOD, BAD, MUTED, INK = "#0b5cab", "#1b6e3a", "#a4161a", "#505a66", "#1c2430"
STATUS_COLOURS = {"sent": GOOD, "digested": "#4a9d5b", "failed": BAD, "unknown": "#e07b00", "skipped": MUTED,
                  "held": "#7a4fa3", "queued": ACCENT, "sending": "#5a8fd0"}
FUNNEL = ("signed_up", "email_confirmed", "verified", "awaiting_email", "awaiting_office", "rejected")


@dataclass
class Chart:
    """One chart: its title, its SVG as a data URI, what the image shows in a sentence (its
    alt text) and the figures as a table (header, rows)."""

    key: str
    title: str
    summary: str
    svg: str
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)

    @property
    def src(self) -> str:
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg.encode()).decode()


def _style(colours: tuple[str, ...] = (ACCENT,)) -> Style:
    return Style(font_family="system-ui, 'Segoe UI', Roboto, 'Noto Sans', Arial, sans-serif",
                 background="#ffffff", plot_background="#ffffff", foreground=INK, foreground_strong=INK,
                 foreground_subtle="#c9d1da", colors=colours, title_font_size=20, label_font_size=13,
                 major_label_font_size=13, legend_font_size=14, value_font_size=13)


def _config(title: str, colours: tuple[str, ...] = (ACCENT,), **extra) -> pygal.Config:
    return pygal.Config(js=[], disable_xml_declaration=True, title=title, style=_style(colours), width=800,
                        height=420, legend_at_bottom=True, no_data_text=_("No data yet"),
                        truncate_label=-1, truncate_legend=-1, print_values=False, **extra)


def _count_axis(largest: int) -> dict:
    """Whole-number ticks for a chart of counts (pygal would mark 0.1, 0.2... for a count of 1)."""
    step = max(1, -(-max(largest, 1) // 6))
    return {"y_labels": list(range(0, max(largest, 1) + step, step))}


def _without_scripts(root):
    """pygal's xml filter: drop the settings script it writes even without its JavaScript."""
    for parent in list(root.iter()):
        for child in list(parent):
            if str(child.tag).rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    return root


def _drawn(chart) -> str:
    chart.add_xml_filter(_without_scripts)
    return chart.render(is_unicode=True)


def members_by_class(stats: dict) -> Chart:
    groups = stats.get("by_graduation_year") or []
    labels = [str(g["graduation_year"]) if g.get("graduation_year") is not None else _("not given") for g in groups]
    counts = [int(g.get("count") or 0) for g in groups]
    title = _("Verified members by class")
    chart = pygal.Bar(_config(title, x_label_rotation=-45 if len(groups) > 12 else 0, show_legend=False,
                              **_count_axis(max(counts, default=0))))
    chart.x_labels = labels
    chart.add(_("Members"), counts)
    return Chart("classes", title, _("%(n)s verified members in %(classes)s classes; the largest: %(top)s.",
                                     n=format_number(sum(counts)), classes=format_number(len(groups)),
                                     top=labels[counts.index(max(counts))] if counts else "–"),
                 _drawn(chart), [_("Class"), _("Members")],
                 [[name, format_number(n)] for name, n in zip(labels, counts)])


def members_by_faculty(stats: dict) -> Chart:
    groups = stats.get("by_faculty") or []
    labels = [label(FACULTIES, g.get("faculty")) if g.get("faculty") else _("not given") for g in groups]
    counts = [int(g.get("count") or 0) for g in groups]
    title = _("Verified members by faculty")
    chart = pygal.HorizontalBar(_config(title, show_legend=False, **_count_axis(max(counts, default=0))))
    chart.x_labels = labels[::-1]  # pygal draws the first bar at the bottom: read from the top
    chart.add(_("Members"), counts[::-1])
    return Chart("faculties", title, "; ".join(f"{name}: {format_number(n)}" for name, n in zip(labels, counts))
                 or _("No data yet"), _drawn(chart), [_("Faculty"), _("Members")],
                 [[name, format_number(n)] for name, n in zip(labels, counts)])


def funnel_labels() -> dict[str, str]:
    return {"signed_up": _("Members who signed up"), "email_confirmed": _("Address confirmed"), "verified": _("Verified"),
            "awaiting_email": _("Pending: awaiting the address"), "awaiting_office": _("Pending: awaiting the office"),
            "rejected": _("Rejected")}


def verification_funnel(stats: dict) -> Chart:
    funnel = stats.get("funnel") or {}
    names = funnel_labels()
    counts = [int(funnel.get(stage) or 0) for stage in FUNNEL]
    title = _("Verification funnel")
    chart = pygal.HorizontalBar(_config(title, show_legend=False, **_count_axis(max(counts, default=0))))
    chart.x_labels = [names[stage] for stage in FUNNEL][::-1]  # signed up at the top
    chart.add(_("Members"), counts[::-1])
    return Chart("funnel", title, _("Of %(signed)s who signed up, %(confirmed)s confirmed their address and "
                                    "%(verified)s were verified; %(office)s await the office.",
                                    signed=format_number(counts[0]), confirmed=format_number(counts[1]),
                                    verified=format_number(counts[2]), office=format_number(counts[4])),
                 _drawn(chart), [_("Stage"), _("Members")],
                 [[names[stage], format_number(n)] for stage, n in zip(FUNNEL, counts)])


def _percent(value) -> str:
    return "–" if value is None else format_percent(value)


def _event_title(event: dict, language: str) -> str:
    title = event.get("title") or {}
    return title.get(language) or title.get("en") or title.get("bg") or event.get("id", "")


def event_fill(stats: dict, language: str) -> Chart:
    events = stats.get("events") or []
    titles = [_event_title(e, language) for e in events]
    title = _("Event fill and attendance")
    chart = pygal.Bar(_config(title, (ACCENT, GOOD), x_label_rotation=-30 if len(events) > 4 else 0,
                              range=(0, 1), value_formatter=lambda v: _percent(v),
                              y_labels=[0, .25, .5, .75, 1]))
    chart.x_labels = titles
    chart.add(_("Fill (seats taken of capacity)"), [e.get("fill") for e in events])
    chart.add(_("Attendance (checked in of seats taken)"), [e.get("attendance") for e in events])
    rows = []
    for e, name in zip(events, titles):
        capacity = _("unlimited") if e.get("capacity") is None else format_number(e["capacity"])
        rows.append([name, _when(e.get("starts_at")), capacity, format_number(e.get("seats_taken") or 0),
                     _percent(e.get("fill")), format_number(e.get("waitlisted_people") or 0),
                     format_number(e.get("checked_in_people") or 0), _percent(e.get("attendance"))])
    summary = _("%(n)s published events from %(day)s: how full each is and how many came.",
                n=format_number(len(events)), day=_day(stats.get("starts_from")))
    if stats.get("more"):
        summary += " " + _("More events start in this period than are shown here.")
    return Chart("events", title, summary,
                 _drawn(chart), [_("Event"), _("Starts"), _("Capacity"), _("Seats taken"), _("Fill"),
                                 _("Waitlist (people)"), _("Checked in (people)"), _("Attendance")], rows)


def email_outcomes(stats: dict) -> Chart:
    per_day = [row for row in (stats.get("per_day") or []) if row.get("channel") == "email"]
    totals = {row.get("channel"): row for row in (stats.get("totals") or [])}
    email = (totals.get("email") or {}).get("counts") or {}
    shown = [status for status in STATUSES if email.get(status)] or ["sent"]
    title = _("Email outcomes, last %(n)s days", n=format_number(stats.get("days") or len(per_day)))
    chart = pygal.StackedBar(_config(title, tuple(STATUS_COLOURS.get(s, MUTED) for s in shown),
                                     x_label_rotation=-45, show_minor_x_labels=False,
                                     x_labels_major_every=max(1, len(per_day) // 6),
                                     **_count_axis(max((sum(int(v or 0) for v in (row.get("counts") or {}).values())
                                                        for row in per_day), default=0))))
    chart.x_labels = [_day(row.get("day"), "d MMM") for row in per_day]
    for status in shown:
        chart.add(label(STATUSES, status), [int((row.get("counts") or {}).get(status) or 0) for row in per_day])
    channels = [c for c in ("email", "sms") if c in totals] + [c for c in totals if c not in ("email", "sms")]
    rows = [[label(STATUSES, status)] + [format_number((totals[c].get("counts") or {}).get(status) or 0)
                                         for c in channels] for status in STATUSES]
    rows.append([_("Total")] + [format_number(totals[c].get("total") or 0) for c in channels])
    sent, failed = email.get("sent", 0) + email.get("digested", 0), email.get("failed", 0)
    return Chart("email", title, _("%(sent)s emails sent, %(failed)s failed, %(total)s in all.",
                                   sent=format_number(sent), failed=format_number(failed),
                                   total=format_number((totals.get("email") or {}).get("total") or 0)),
                 _drawn(chart), [_("Status")] + [_("Email") if c == "email" else "SMS" if c == "sms" else c
                                                 for c in channels], rows)


def _day(value, pattern: str = "medium") -> str:
    if not value:
        return ""
    try:
        return format_date(date.fromisoformat(str(value)[:10]), pattern)
    except ValueError:
        return str(value)


def _when(value) -> str:
    try:
        return format_datetime(datetime.fromisoformat(value), "short") if value else ""
    except (TypeError, ValueError):
        return str(value)
