"""HTTP route of the office's statistics of deliveries, for the portal's dashboard (admins
only): how the emails and SMS of the last ``days`` days went, by channel and status, in total
and per day.

A delivery counts on the day it was queued (Sofia days, the office's), in the status it has
now: a message queued yesterday and sent today is yesterday's ``sent``. The period is the
last ``days`` calendar days, today included; every day and channel is listed, with zeros.
"""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from services.notifications import stats_store
from services.notifications.routing import DEFAULT_TIMEZONE
from services.notifications.schemas import CHANNELS, STATUSES
from shared.auth import require_auth
from shared.web.app import current_service
from shared.web.inputs import Blueprint

blp = Blueprint("notification_stats", __name__, url_prefix="/api/v1/notifications/stats",
                description="Outcomes of email and SMS for the office's dashboard (admins only).")
DEFAULT_DAYS, MAX_DAYS = 30, 366


class DeliveryStatsQuerySchema(Schema):
    days = fields.Integer(load_default=DEFAULT_DAYS, validate=validate.Range(min=1, max=MAX_DAYS),
                          metadata={"description": "the last this many days, today included"})


CountsSchema = Schema.from_dict({status: fields.Integer(required=True) for status in STATUSES},
                                name="DeliveryCounts")


class ChannelTotalSchema(Schema):
    channel = fields.String(required=True)
    total = fields.Integer(required=True, metadata={"description": "every delivery of the channel in the period"})
    counts = fields.Nested(CountsSchema, required=True)


class ChannelDaySchema(Schema):
    day = fields.Date(required=True, metadata={"description": "the day queued, in Europe/Sofia"})
    channel = fields.String(required=True)
    counts = fields.Nested(CountsSchema, required=True)


class DeliveryStatsSchema(Schema):
    days = fields.Integer(required=True)
    timezone = fields.String(required=True)
    since = fields.AwareDateTime(required=True, metadata={"description": "the first day's start"})
    until = fields.AwareDateTime(required=True, metadata={"description": "now"})
    totals = fields.List(fields.Nested(ChannelTotalSchema), required=True, metadata={
        "description": "one per channel"})
    per_day = fields.List(fields.Nested(ChannelDaySchema), required=True, metadata={
        "description": "one per day and channel, oldest first"})


def summary(groups: list[dict], first: date, days: int) -> tuple[list[dict], list[dict]]:
    """Totals per channel and counts per day and channel from ``stats_store.delivery_groups``
    (no I/O); a channel outside the known ones is listed too."""
    channels = list(dict.fromkeys([*CHANNELS, *(g["channel"] for g in groups)]))
    totals: dict[str, Counter] = {channel: Counter() for channel in channels}
    per_day: dict[tuple[str, str], Counter] = {}
    for group in groups:
        totals[group["channel"]][group["status"]] += group["count"]
        per_day.setdefault((group["day"], group["channel"]), Counter())[group["status"]] += group["count"]

    def counts(counter: Counter) -> dict[str, int]:
        return {status: counter[status] for status in STATUSES}

    days_listed = [first + timedelta(days=n) for n in range(days)]
    return ([{"channel": c, "total": sum(totals[c].values()), "counts": counts(totals[c])} for c in channels],
            [{"day": day, "channel": c, "counts": counts(per_day.get((day.isoformat(), c), Counter()))}
             for day in days_listed for c in channels])


@blp.route("")
class DeliveryStats(MethodView):
    @require_auth("admin")
    @blp.arguments(DeliveryStatsQuerySchema, location="query")
    @blp.response(200, DeliveryStatsSchema)
    def get(self, query: dict):
        """Deliveries of the last `days` days (default 30, today included) by channel and
        status (queued, sending, sent, failed, unknown, skipped, held, digested), in total and
        per day queued (Sofia days)."""
        zone = ZoneInfo(DEFAULT_TIMEZONE)
        service = current_service()
        now = service.clock()
        first = now.astimezone(zone).date() - timedelta(days=query["days"] - 1)
        since = datetime.combine(first, time.min, zone)
        groups = stats_store.delivery_groups(service.store.db, since, DEFAULT_TIMEZONE)
        totals, per_day = summary(groups, first, query["days"])
        return {"days": query["days"], "timezone": DEFAULT_TIMEZONE, "since": since, "until": now,
                "totals": totals, "per_day": per_day}
