"""Writing the audit log. Call from services and views after a change that matters."""

from .models import AuditEntry


def log(*, actor, action: str, summary: str = "", target_worker=None) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        target_worker=target_worker,
        summary=summary[:300],
    )
