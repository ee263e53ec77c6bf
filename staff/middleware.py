from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

from .permissions import mfa_satisfied

PROTECTED = ("/staff/", "/admin/")


class RequireStaffMFAMiddleware:
    """Every staff account must have two-factor authentication (TOTP) before any staff page works."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            settings.STAFF_MFA_REQUIRED
            and user is not None
            and user.is_authenticated
            and request.path.startswith(PROTECTED)
            and not mfa_satisfied(user)
        ):
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)
