"""The report as a CSV file for a spreadsheet: aggregates only, never a row per session.

The file is written for the spreadsheets MLL uses (Finnish regional settings): fields separated by
``;``, decimals with a comma, UTF-8 with a byte-order mark so that Excel reads it. Headings and
labels are in the language that is active when it is written (the page's language).

Every cell goes through ``neutralise``: names come from the admin (topics, services), and a cell a
spreadsheet would read as a formula (``=HYPERLINK(...)``) must reach it as text.
"""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .selectors import Report

# Counts this small can point at one family when a file leaves MLL (a topic in one month).
SMALL_COUNT_LIMIT = 5

# OWASP, CSV injection: a cell starting with one of these is read as a formula (tab and carriage
# return let one hide behind a line break). Spreadsheets fold the full-width forms to ASCII too.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
DELIMITER = ";"


def neutralise(value) -> str:
    """The cell as text a spreadsheet shows and never evaluates: a leading single quote before a
    formula's first character (OWASP's advice). Leading spaces do not hide a formula."""
    text = "" if value is None else str(value)
    if text.lstrip(" ").startswith(FORMULA_STARTS):
        return "'" + text
    return text


def decimal(value: float, places: int = 3) -> str:
    """A decimal with a comma: the list separator is ';', so the decimal separator is ','."""
    return f"{value:.{places}f}".replace(".", ",")


def filename(report: Report) -> str:
    stem = pgettext("file name", "statistics")
    return f"{stem}-{report.start:%Y-%m-%d}-{report.end:%Y-%m-%d}.csv"


def report_rows(report: Report, *, hide_small: bool = False) -> list[list[str]]:
    """The rows of the CSV (headings first) in the active language, every cell neutralised."""

    def count(n: int):
        return f"<{SMALL_COUNT_LIMIT}" if hide_small and 0 < n < SMALL_COUNT_LIMIT else n

    total = _("Total")
    appointments = _("Appointments")
    rows: list[list] = [[_("Section"), _("Category"), _("Subcategory"), _("Month"), _("Count")]]
    meta = _("Report")
    rows.append([meta, _("Service"), report.service.title if report.service else _("All services"), "", ""])
    rows.append([meta, _("From"), f"{report.start:%Y-%m-%d}", "", ""])
    rows.append([meta, _("Until"), f"{report.end:%Y-%m-%d}", "", ""])

    figures = (
        ("booked", _("Booked")),
        ("held", _("Held")),
        ("cancelled", _("Cancelled")),
        ("no_show", _("No-shows")),
        ("follow_ups", _("Follow-ups")),
    )
    for m in report.by_month:
        for key, label in figures:
            rows.append([appointments, label, "", f"{m['month']:%Y-%m}", count(m[key])])
    for key, label in figures:
        rows.append([appointments, label, "", total, count(report.totals[key])])
    rate = decimal(report.totals["follow_up_rate"])
    if count(report.totals["follow_ups"]) != report.totals["follow_ups"]:
        rate = ""  # the rate and the booked total together would give the hidden count away
    rows.append([appointments, _("Follow-up rate"), "", total, rate])

    topic_sections = {"child": _("Topics about the child"), "adult": _("Topics about the adult")}
    for about, block in report.topics.items():
        section = topic_sections.get(about, block["label"])
        for row in block["rows"]:
            rows.append([section, row.label, "", total, count(row.count)])
            for child in row.children:
                rows.append([section, row.label, child.label, total, count(child.count)])
    for section, table in (
        (_("Child's age group"), report.age_groups),
        (_("Who contacted"), report.contacted_by),
        (_("Professional help"), report.help_rows),
        (_("Was the conversation helpful?"), report.feedback_helpful),
        (_("Would you recommend it?"), report.feedback_recommend),
    ):
        for row in table:
            rows.append([section, row.label, "", total, count(row.count)])
    # The channels side by side (channel-generic: every channel of stats.models.Channel): contacts by
    # month, then each table again per channel, in sections named "<table> – <channel>", after the
    # totals above (so a reader of the totals finds them where they always were).
    by_channel = _("Contacts by channel")
    for m in report.contacts_by_month:
        for channel, n in zip(report.channels, m["counts"]):
            rows.append([by_channel, channel["label"], "", f"{m['month']:%Y-%m}", count(n)])
    for channel in report.channels:
        rows.append([by_channel, channel["label"], "", total, count(channel["contacts"])])
    rows.append([by_channel, total, "", total, count(report.contacts_total)])
    for index, channel in enumerate(report.channels):
        for about, block in report.topics.items():
            section = f"{topic_sections.get(about, block['label'])} – {channel['label']}"
            for row in block["rows"]:
                rows.append([section, row.label, "", total, count(row.by_channel[index])])
                for child in row.children:
                    rows.append([section, row.label, child.label, total, count(child.by_channel[index])])
        for heading, table in (
            (_("Child's age group"), report.age_groups),
            (_("Who contacted"), report.contacted_by),
            (_("Professional help"), report.help_rows),
            (_("Was the conversation helpful?"), report.feedback_helpful),
            (_("Would you recommend it?"), report.feedback_recommend),
        ):
            for row in table:
                rows.append([f"{heading} – {channel['label']}", row.label, "", total, count(row.by_channel[index])])
    return [[neutralise(cell) for cell in row] for row in rows]


def report_csv(report: Report, *, hide_small: bool = False) -> str:
    """The whole file as text, starting with the byte-order mark."""
    out = io.StringIO()
    out.write("\ufeff")  # so that Excel reads UTF-8
    csv.writer(out, delimiter=DELIMITER).writerows(report_rows(report, hide_small=hide_small))
    return out.getvalue()
