"""Two-factor once: a staff session counts only when it passed the second factor.

allauth records each sign-in step in the session; a ``{"method": "mfa"}`` entry for the signed-in user
(``booking.actors.session_passed_mfa``) is what "passed the second factor" means here. A device
that exists is not enough, and a password alone (a session signed in any other way) is never
enough. The same flag is checked by:

- ``RequireStaffMFAMiddleware``: every staff page (everything under ``STAFF_PATHS``: /staff/, the
  statistics pages under it, and /admin/);
- ``StaffMFAChannelsMiddleware``: both sockets (/ws/chat/ and /ws/staff/), wired in config/asgi.py;
- ``staff.permissions.actor_for_request``: the actor the staff views hand to the services.
"""

from urllib.parse import urlencode

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.models import AnonymousUser
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from booking.actors import session_passed_mfa

from .permissions import has_mfa, mfa_satisfied

# Every staff-only page lives under one of these (docs/security.md, "Two-factor authentication").
STAFF_PATHS = ("/staff/", "/admin/")


class RequireStaffMFAMiddleware:
    """No staff page for a session that did not pass the second factor.

    - An account with a TOTP device whose session lacks the flag (signed in with a password alone,
      however that happened) is signed out on any page; a staff page sends it to sign in again, this
      time with the code, and then back to the page it asked for. It is not left signed in anywhere,
      so it cannot, say, swap the TOTP device under /accounts/ with the password alone.
    - An account without a device (a new staff member) is sent to set one up before any staff page;
      setting it up passes the second factor for the session (staff.receivers).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not mfa_satisfied(request):
            staff_page = request.path.startswith(STAFF_PATHS)
            if has_mfa(user):
                logout(request)  # anywhere else the request goes on as a visitor's
                if staff_page:
                    messages.info(request, _("Please sign in again with your authenticator app's code."))
                    return redirect(f"{reverse('account_login')}?{urlencode({'next': request.get_full_path()})}")
            elif staff_page:
                return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)


class StaffMFAChannelsMiddleware(BaseMiddleware):
    """Both sockets: a session that did not pass the second factor is nobody.

    Runs inside ``AuthMiddlewareStack`` (which has read the session and the user). Puts
    ``scope["staff_mfa"]`` (True when this session passed the second factor) for the consumers' actor,
    and replaces ``scope["user"]`` with ``AnonymousUser`` when it did not and the deployment requires
    it, so no consumer can mistake a password-only session for a signed-in worker.
    """

    async def __call__(self, scope, receive, send):
        scope = dict(scope)
        user = scope.get("user")  # already resolved by AuthMiddleware
        passed = False
        if user is not None and user.is_authenticated:  # parents' sockets skip the thread hop
            passed = await database_sync_to_async(session_passed_mfa)(scope.get("session"), user)
        if not passed and settings.STAFF_MFA_REQUIRED:
            scope["user"] = AnonymousUser()
        scope["staff_mfa"] = passed
        return await super().__call__(scope, receive, send)
