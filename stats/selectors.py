"""Reads for statistics: sessions still lacking a record, and the report's aggregates.

Only aggregates leave this module: counts by category and by month, never a row per session.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, OrderedDict
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone

from booking import localtime
from booking.models import Booking

from .models import AgeGroup, Channel, ContactedBy, ContactRecord, Feedback, Topic


def sessions_missing_record(*, worker, limit: int = 50):
    return list(
        Booking.objects.filter(worker=worker, status__in=(Booking.Status.COMPLETED, Booking.Status.NO_SHOW), contact_record__isnull=True)
        .select_related("service")
        .order_by("-start")[:limit]
    )


def _months(start: dt.date, end: dt.date) -> list[dt.date]:
    months, cursor = [], start.replace(day=1)
    while cursor <= end:
        months.append(cursor)
        cursor = (cursor + dt.timedelta(days=32)).replace(day=1)
    return months


@dataclass
class Row:
    label: str
    count: int
    share: float = 0.0
    children: list = field(default_factory=list)
    # The same count per channel, in the order of Report.channels (appointment chat, drop-in chat,
    # letter service, ...): the report shows the channels side by side and the total beside them.
    by_channel: list = field(default_factory=list)


@dataclass
class Report:
    start: dt.date
    end: dt.date
    service: object
    totals: dict
    by_month: list
    topics: dict
    age_groups: list
    contacted_by: list
    help_rows: list
    feedback_helpful: list
    feedback_recommend: list
    # Every channel of stats.models.Channel, side by side: {"value", "label", "contacts", "by_month"}.
    # Contacts: held appointments for the appointment chat (as in ``totals``), the statistics records
    # of held contacts for the other channels (their apps record each contact once).
    channels: list = field(default_factory=list)
    contacts_by_month: list = field(default_factory=list)  # {"month", "counts": [per channel], "total"}
    contacts_total: int = 0


def _rows(counter: Counter, choices, total: int, per_channel: list[Counter] | None = None) -> list[Row]:
    return [
        Row(
            str(label), counter.get(value, 0), (counter.get(value, 0) / total) if total else 0.0,
            by_channel=[c.get(value, 0) for c in per_channel or []],
        )
        for value, label in choices
    ]


def report(*, start: dt.date, end: dt.date, service=None) -> Report:
    """Figures for appointments whose local start date is within [start, end].

    Dates outside the calendar the service keeps raise ``TimeInputError`` (never an overflow)."""
    start, end = localtime.parse_date(start), localtime.parse_date(end)
    lo = localtime.day_start(start)
    hi = localtime.day_start(end + dt.timedelta(days=1))
    bookings = Booking.objects.filter(start__gte=lo, start__lt=hi)
    records = ContactRecord.objects.filter(month__gte=start.replace(day=1), month__lte=end)
    feedback = Feedback.objects.filter(month__gte=start.replace(day=1), month__lte=end)
    if service is not None:
        bookings, records, feedback = bookings.filter(service=service), records.filter(service=service), feedback.filter(service=service)

    months = _months(start, end)
    per_month: OrderedDict[dt.date, Counter] = OrderedDict((m, Counter()) for m in months)
    for status, follow_up, moment in bookings.values_list("status", "follow_up_of_id", "start"):
        month = timezone.localtime(moment).date().replace(day=1)
        bucket = per_month.setdefault(month, Counter())
        bucket["booked"] += 1
        bucket[status] += 1
        if follow_up is not None:
            bucket["follow_ups"] += 1
    totals = Counter()
    for bucket in per_month.values():
        totals.update(bucket)
    by_month = [
        {"month": m, "booked": c["booked"], "held": c["completed"], "cancelled": c["cancelled"], "no_show": c["no_show"], "follow_ups": c["follow_ups"]}
        for m, c in per_month.items()
    ]
    held = totals["completed"]
    totals_out = {
        "booked": totals["booked"],
        "held": held,
        "cancelled": totals["cancelled"],
        "no_show": totals["no_show"],
        "follow_ups": totals["follow_ups"],
        "follow_up_rate": (totals["follow_ups"] / totals["booked"]) if totals["booked"] else 0.0,
        "records": records.count(),
    }

    held_records = records.filter(outcome=ContactRecord.Outcome.HELD)
    n_held_records = held_records.count()
    # A record counts once per sub-topic, and once per main category however many of its
    # sub-topics (or the main category itself) it names: the same topic is never counted twice.
    sub_counts = Counter(dict(held_records.values("topics").annotate(n=Count("pk", distinct=True)).values_list("topics", "n")))
    channel_values = [value for value, _label in Channel.choices]
    channel_records = [held_records.filter(channel=value) for value in channel_values]
    sub_by_channel = [
        Counter(dict(qs.values("topics").annotate(n=Count("pk", distinct=True)).values_list("topics", "n"))) for qs in channel_records
    ]
    topics_out = {}
    all_topics = list(Topic.objects.select_related("parent").order_by("ordering", "pk"))
    for about, label in Topic.About.choices:
        mains = [t for t in all_topics if t.about == about and t.parent_id is None]
        rows = []
        for main in mains:
            count = _main_count(held_records, main)
            row = Row(main.name, count, count / n_held_records if n_held_records else 0.0,
                      by_channel=[_main_count(qs, main) for qs in channel_records])
            row.children = [
                Row(sub.name, sub_counts.get(sub.pk, 0), sub_counts.get(sub.pk, 0) / n_held_records if n_held_records else 0.0,
                    by_channel=[counter.get(sub.pk, 0) for counter in sub_by_channel])
                for sub in all_topics
                if sub.parent_id == main.pk
            ]
            rows.append(row)
        topics_out[about] = {"label": str(label), "rows": rows, "total": sum(r.count for r in rows)}

    age = Counter(held_records.values_list("child_age_group", flat=True))
    who = Counter(held_records.values_list("contacted_by", flat=True))
    help_counter = Counter()
    for discussed, guided in held_records.values_list("professional_help_discussed", "guided_to_services"):
        help_counter["discussed"] += discussed
        help_counter["guided"] += guided
    from django.utils.translation import gettext as _

    help_rows = [
        Row(_("Professional help was discussed"), help_counter["discussed"], help_counter["discussed"] / n_held_records if n_held_records else 0.0),
        Row(_("Guided to other services"), help_counter["guided"], help_counter["guided"] / n_held_records if n_held_records else 0.0),
    ]
    # --- the channels side by side (topics are counted per channel where the rows are made) ----
    age_by_channel = [Counter(qs.values_list("child_age_group", flat=True)) for qs in channel_records]
    who_by_channel = [Counter(qs.values_list("contacted_by", flat=True)) for qs in channel_records]
    help_by_channel = []
    for qs in channel_records:
        counter = Counter()
        for discussed, guided in qs.values_list("professional_help_discussed", "guided_to_services"):
            counter["discussed"] += discussed
            counter["guided"] += guided
        help_by_channel.append(counter)
    help_rows[0].by_channel = [c["discussed"] for c in help_by_channel]
    help_rows[1].by_channel = [c["guided"] for c in help_by_channel]
    channels_out, month_counts = _channel_contacts(per_month=per_month, records=held_records, values=channel_values)
    fb_by_channel = [feedback.filter(channel=value) for value in channel_values]

    fb_total = feedback.count()
    return Report(
        start=start,
        end=end,
        service=service,
        totals=totals_out,
        by_month=by_month,
        topics=topics_out,
        age_groups=_rows(age, AgeGroup.choices, n_held_records, age_by_channel),
        contacted_by=_rows(who, ContactedBy.choices, n_held_records, who_by_channel),
        help_rows=help_rows,
        feedback_helpful=_rows(
            Counter(feedback.values_list("helpful", flat=True)), Feedback.Helpful.choices, fb_total,
            [Counter(qs.values_list("helpful", flat=True)) for qs in fb_by_channel],
        ),
        feedback_recommend=_rows(
            Counter(feedback.values_list("recommend", flat=True)), Feedback.Recommend.choices, fb_total,
            [Counter(qs.values_list("recommend", flat=True)) for qs in fb_by_channel],
        ),
        channels=channels_out,
        contacts_by_month=month_counts,
        contacts_total=sum(c["contacts"] for c in channels_out),
    )


def _channel_contacts(*, per_month, records, values) -> tuple[list, list]:
    """Contacts per channel and month: held appointments for the appointment chat, held records for
    every other channel (each recorded once per contact by its own app)."""
    months = list(per_month)
    by_channel_month: dict[str, Counter] = {value: Counter() for value in values}
    for month, bucket in per_month.items():
        by_channel_month[Channel.APPOINTMENT_CHAT][month] = bucket["completed"]
    for channel, month, n in records.exclude(channel=Channel.APPOINTMENT_CHAT).values("channel", "month").annotate(
        n=Count("pk")
    ).values_list("channel", "month", "n"):
        if channel in by_channel_month:
            by_channel_month[channel][month] += n
    labels = dict(Channel.choices)
    channels = [
        {
            "value": value,
            "label": str(labels[value]),
            "contacts": sum(by_channel_month[value].values()),
            "by_month": [by_channel_month[value][m] for m in months],
        }
        for value in values
    ]
    month_counts = [
        {"month": m, "counts": [by_channel_month[v][m] for v in values], "total": sum(by_channel_month[v][m] for v in values)}
        for m in months
    ]
    return channels, month_counts


def _main_count(records, main: Topic) -> int:
    return records.filter(Q(topics=main) | Q(topics__parent=main)).distinct().count()
