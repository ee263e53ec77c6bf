"""Who may see what. Checked on every staff page, API call and WebSocket join.

- worker: their own calendar, appointments and chats.
- coordinator: every worker's calendar and availability, moving and cancelling appointments,
  statistics; never chat content.
- admin: all of the coordinator's, plus the Django admin (services, staff, roles, closed days, audit log).
"""

from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from booking.actors import Actor, session_passed_mfa


def has_mfa(user) -> bool:
    """Whether the account has a TOTP device set up. Says nothing about this session: see
    ``mfa_satisfied``."""
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def mfa_satisfied(request) -> bool:
    """Whether this request's session passed the second factor for its signed-in user.

    ``request`` is an ``HttpRequest`` (or anything with ``session`` and ``user``). The flag is what
    allauth records in the session when the TOTP step (or the first TOTP set-up, staff.receivers)
    passed; having a device is not enough.
    """
    if not settings.STAFF_MFA_REQUIRED:
        return True
    return session_passed_mfa(getattr(request, "session", None), getattr(request, "user", None))


def actor_for_request(request) -> Actor:
    """Who acts, for the services: a signed-in staff member (with whether this session passed the
    second factor) or else a parent, keyed by a hash of their address for the limits. The staff
    views use this; the rule itself is ``Actor.from_request``."""
    return Actor.from_request(request)


def coordinator_required(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_coordinator:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def can_manage_worker(user, worker) -> bool:
    return user.pk == worker.pk or user.is_coordinator
