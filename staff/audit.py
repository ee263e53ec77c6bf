"""Writing and reading the audit log. Call ``log`` from services (or a signal receiver) after a
change that matters.

An entry has a free English ``summary`` (for searching, written by the caller, kept whole) and, where
the caller gives them, structured ``details``: action-specific keys with JSON values (dates as ISO
strings). ``describe`` renders the details in the reader's language for the admin; an entry without
details is described by its summary.
"""

from __future__ import annotations

import datetime as dt

from django.utils import formats
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry

# What a detail key means, per key (the same key means the same thing in every action).
DETAIL_LABELS = {
    "format": _("Format"),
    "start": _("From"),
    "end": _("Until"),
    "service": _("Service"),
    "hide_small": _("Small counts hidden"),
}
DATE_KEYS = {"start", "end"}


def log(*, actor, action: str, summary: str = "", target_worker=None, details: dict | None = None) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        target_worker=target_worker,
        summary=summary,
        details=details or {},
    )


def _value(key: str, value) -> str:
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if key in DATE_KEYS and isinstance(value, str):
        try:
            return formats.date_format(dt.date.fromisoformat(value), "j.n.Y")  # as the staff pages write dates
        except ValueError:
            return value
    if key == "format" and isinstance(value, str):
        return value.upper()
    if key == "service" and not value:
        return str(_("All services"))
    return str(value)


def describe(entry: AuditEntry) -> str:
    """The entry's details in the active language ("Muoto: CSV · Alkaen: 1.1.2026 · ..."), or its
    summary when it has none. Never clipped."""
    if not entry.details:
        return entry.summary
    return " · ".join(f"{DETAIL_LABELS.get(key, key)}: {_value(key, value)}" for key, value in entry.details.items())
