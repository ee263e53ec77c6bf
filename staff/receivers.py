"""Signal receivers of the staff app (news from allauth and from the floors below)."""

from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_added
from django.dispatch import receiver

from stats.signals import report_exported


@receiver(authenticator_added, dispatch_uid="staff.totp_set_up_counts_as_second_factor")
def totp_set_up_counts_as_second_factor(sender, request, user, authenticator, **kwargs):
    """Setting up TOTP proves the new device in this session (allauth asks for the password again and
    then for a code from the device), so the session counts as having passed the second factor:
    a new staff member is not sent to sign in once more right after the set-up."""
    if request is None or authenticator.type != Authenticator.Type.TOTP:
        return
    record_authentication(request, user, "mfa", type=authenticator.type, id=authenticator.pk)


# --- the booking floor: staff actions on appointments go to the audit log ------------------------
from django.utils import timezone  # noqa: E402

from booking.signals import booking_changed  # noqa: E402

from . import audit  # noqa: E402

_BOOKING_AUDIT = {"cancelled": "cancel", "moved": "move", "handed_over": "hand_over", "flagged": "flag"}


@receiver(booking_changed, dispatch_uid="staff.audit_booking_changes")
def audit_booking_changes(sender, booking, change, actor, details, **kwargs):
    """Every change a staff member makes to an appointment is audited, whichever page made it. A
    parent's own changes and the system's are not staff actions and are not logged here."""
    action = _BOOKING_AUDIT.get(change)
    if action is None or actor is None or actor.user_id is None:
        return
    if change == "moved":
        old, new = timezone.localtime(details["old_start"]), timezone.localtime(booking.start)
        summary = f"booking {booking.pk}: {old:%Y-%m-%d %H:%M} → {new:%Y-%m-%d %H:%M}"
    elif change == "handed_over":
        summary = f"booking {booking.pk}: {details['previous_worker'].display_name} → {booking.worker.display_name}"
    elif change == "flagged":
        summary = f"booking {booking.pk}; {details.get('follow_ups_cancelled', 0)} follow-ups cancelled"
    else:
        reason = details.get("reason")
        summary = f"booking {booking.pk}" + (" (availability change)" if reason == "availability" else "")
    target = details.get("previous_worker") if change == "handed_over" else booking.worker
    audit.log(actor=actor.user, action=action, target_worker=target, summary=summary)


@receiver(report_exported, dispatch_uid="staff.audit_report_exported")
def audit_report_exported(sender, *, user, format, start, end, service=None, hide_small=False, **kwargs):
    """Every statistics export is in the audit log, with the one who exported it as the actor."""
    from . import audit
    from .models import AuditEntry

    scope = service.name if service is not None else "all services"
    audit.log(
        actor=user,
        action=AuditEntry.Action.EXPORT,
        summary=f"Statistics exported as {format.upper()}: {start:%Y-%m-%d} to {end:%Y-%m-%d}, {scope}"
        + (", counts of 1-4 shown as <5" if hide_small else ""),
        details={
            "format": format,
            "start": f"{start:%Y-%m-%d}",
            "end": f"{end:%Y-%m-%d}",
            "service": service.name if service is not None else "",
            "hide_small": bool(hide_small),
        },
    )


# --- the letter service: staff actions on letters go to the audit log (letters.signals) ---------------
from letters.signals import letter_changed  # noqa: E402

_LETTER_AUDIT = {"assigned": "letter_assign", "approved": "letter_approve", "flagged": "letter_flag"}


@receiver(letter_changed, dispatch_uid="staff.audit_letter_changes")
def audit_letter_changes(sender, thread, change, actor, details, **kwargs):
    """Assigning, approving and flagging a letter are audited: who, which thread, whose work. Never
    what anybody wrote."""
    action = _LETTER_AUDIT.get(change)
    if action is None or actor is None or actor.user_id is None:
        return
    if change == "assigned":
        previous = details.get("previous")
        summary = f"letter {thread.pk}: {previous.display_name if previous else '(inbox)'} → {details['to'].display_name}"
        target = details["to"]
    elif change == "approved":
        target = details.get("writer")
        summary = f"letter {thread.pk}: answer by {target.display_name if target else '?'} approved"
    else:
        target = thread.taken_by
        summary = f"letter {thread.pk} flagged: no answer, the code is closed"
    audit.log(actor=actor.user, action=action, target_worker=target, summary=summary)


# --- the drop-in chat: the coordinator's reads, hand-overs and flags go to the audit log ---------
from dropin.signals import dropin_audit  # noqa: E402

_DROPIN_AUDIT = {"read": "dropin_read", "hand_over": "dropin_handover", "flag": "flag"}


@receiver(dropin_audit, dispatch_uid="staff.audit_dropin")
def audit_dropin(sender, *, actor, action, contact, summary, details, **kwargs):
    """Sent inside the action's transaction (dropin.services): if this entry cannot be written, the
    read (or hand-over) does not happen."""
    audit.log(actor=actor.user, action=_DROPIN_AUDIT[action], target_worker=contact.taken_by, summary=summary, details=details)
