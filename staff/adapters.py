import hashlib
import hmac

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings


class StaffAccountAdapter(DefaultAccountAdapter):
    """Staff accounts are created by admins; nobody can sign up on their own."""

    def is_open_for_signup(self, request) -> bool:
        return False

    def get_client_ip(self, request) -> str:
        """allauth keys its login rate limits by client address; it gets a keyed hash instead, so no
        address is ever written to the cache (or anywhere else)."""
        address = super().get_client_ip(request)
        return hmac.new(settings.SECRET_KEY.encode(), address.encode(), hashlib.sha256).hexdigest()[:32]
