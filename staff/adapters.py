import hashlib
import hmac

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class StaffAccountAdapter(DefaultAccountAdapter):
    """Staff accounts are created by admins; nobody can sign up on their own."""

    def is_open_for_signup(self, request) -> bool:
        return False

    def get_client_ip(self, request) -> str:
        """allauth keys its login rate limits by client address; it gets a keyed hash instead, so no
        address is ever written to the cache (or anywhere else)."""
        address = super().get_client_ip(request)
        return hmac.new(settings.SECRET_KEY.encode(), address.encode(), hashlib.sha256).hexdigest()[:32]


class StaffMFAAdapter(DefaultMFAAdapter):
    """allauth's MFA with one more refusal: a right TOTP code that was already used (issue 13 #11)."""

    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "code_used": _(
            "This code has already been used. Each code works only once: wait for the next code in "
            "your authenticator app (a new one comes every 30 seconds) and enter that."
        ),
    }
