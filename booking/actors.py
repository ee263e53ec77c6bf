"""Who acts: one small value that every write service takes.

An edge (page, JSON API, WebSocket consumer, admin action, Celery task) turns its request into an
``Actor`` and passes it on; it decides nothing itself. The services check roles, limits and
eligibility against it, so the same rule holds at every edge.

- ``Actor.parent(client)``: a parent. Parents have no accounts; what they may touch is what they
  proved with a code (or the session the join page set after checking the code). ``client`` is a
  keyed hash of the client's address, used for the per-client limits and never stored.
- ``Actor.staff(user, mfa=..., client=...)``: a signed-in staff member; ``mfa`` says whether this
  session passed the second factor (allauth records it in the session).
- ``Actor.system()``: scheduled jobs and management commands.

This module is on the bottom floor (booking/) and imports no other app of the project: roles are
compared as the strings the staff user model stores.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings

PARENT = "parent"
STAFF = "staff"
SYSTEM = "system"

# Staff roles (staff.models.User.Role values). Professionals take appointments; volunteers take
# drop-in chats and letters under a professional's lead; coordinators and admins arrange.
WORKER = "worker"
VOLUNTEER = "volunteer"
COORDINATOR = "coordinator"
ADMIN = "admin"
PROFESSIONAL_ROLES = (WORKER, COORDINATOR, ADMIN)
COORDINATING_ROLES = (COORDINATOR, ADMIN)

# Where allauth keeps the authentication steps this session passed (allauth.account.internal.flows.login).
AUTH_RECORDS_SESSION_KEY = "account_authentication_methods"
AUTH_RECORDS_USER_SESSION_KEY = "account_authentication_methods_user"


def session_passed_mfa(session, user) -> bool:
    """True if this session's sign-in of ``user`` passed the second factor (or set it up just now).

    Reads what allauth records in the session: a ``{"method": "mfa"}`` entry for this user. Having a
    TOTP device is not enough; this session must have used it.
    """
    if session is None or user is None or getattr(user, "pk", None) is None:
        return False
    try:
        if str(session.get(AUTH_RECORDS_USER_SESSION_KEY)) != str(user.pk):
            return False
        records = session.get(AUTH_RECORDS_SESSION_KEY) or []
    except Exception:  # a broken or unreadable session is not a verified one
        return False
    return isinstance(records, list) and any(isinstance(r, dict) and r.get("method") == "mfa" for r in records)


@dataclass(frozen=True)
class Actor:
    kind: str
    user: Any = None
    client: str = ""
    mfa: bool = False

    # --- constructors used by the edges -------------------------------------------------------
    @classmethod
    def parent(cls, client: str = "") -> "Actor":
        return cls(kind=PARENT, client=client)

    @classmethod
    def staff(cls, user, *, mfa: bool, client: str = "") -> "Actor":
        return cls(kind=STAFF, user=user, client=client, mfa=bool(mfa))

    @classmethod
    def system(cls) -> "Actor":
        return cls(kind=SYSTEM)

    @classmethod
    def from_request(cls, request) -> "Actor":
        """The actor behind an HTTP request: a signed-in staff member, or else a parent."""
        from .ratelimit import client_for_request

        client = client_for_request(request)
        user = getattr(request, "user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            return cls.staff(user, mfa=session_passed_mfa(getattr(request, "session", None), user), client=client)
        return cls.parent(client)

    @classmethod
    def from_scope(cls, scope) -> "Actor":
        """The actor behind a WebSocket: as ``from_request``, from the ASGI scope."""
        from .ratelimit import client_for_scope

        client = client_for_scope(scope)
        user = scope.get("user")
        if user is not None and getattr(user, "is_authenticated", False):
            return cls.staff(user, mfa=session_passed_mfa(scope.get("session"), user), client=client)
        return cls.parent(client)

    # --- what the services ask ----------------------------------------------------------------
    @property
    def is_parent(self) -> bool:
        return self.kind == PARENT

    @property
    def is_system(self) -> bool:
        return self.kind == SYSTEM

    @property
    def role(self) -> str:
        return getattr(self.user, "role", "") if self.kind == STAFF else ""

    @property
    def is_verified_staff(self) -> bool:
        """A signed-in, active staff member whose session passed the second factor."""
        user = self.user
        if self.kind != STAFF or user is None or not getattr(user, "is_authenticated", False):
            return False
        if not getattr(user, "is_active", False):
            return False
        return self.mfa or not settings.STAFF_MFA_REQUIRED

    def has_role(self, *roles: str) -> bool:
        return self.is_verified_staff and self.role in roles

    @property
    def is_professional(self) -> bool:
        return self.has_role(*PROFESSIONAL_ROLES)

    @property
    def is_coordinator(self) -> bool:
        return self.has_role(*COORDINATING_ROLES)

    @property
    def user_id(self):
        return getattr(self.user, "pk", None) if self.kind == STAFF else None

    def __str__(self) -> str:  # for logs: never a client key
        if self.kind == STAFF:
            return f"staff:{self.user_id}"
        return self.kind
