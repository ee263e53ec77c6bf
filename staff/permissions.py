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


def has_mfa(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def mfa_satisfied(user) -> bool:
    return not settings.STAFF_MFA_REQUIRED or has_mfa(user)


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
