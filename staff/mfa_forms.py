"""allauth's TOTP code forms, saying so when a right code was already used (MFA_FORMS).

allauth accepts each TOTP code once and answers a second use with "Incorrect code", which sends a
worker looking for a typo. When the refused code is the authenticator's current code, it was
right but used already: say that a code works once and to wait for the next one.
"""

from allauth.mfa.base import forms as allauth_forms
from allauth.mfa.adapter import get_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import validate_totp_code
from allauth.mfa.utils import decrypt
from django.core.exceptions import ValidationError


class _SaysWhenACodeWasUsed:
    def clean_code(self) -> str:
        try:
            return super().clean_code()
        except ValidationError as error:
            if error.code == "incorrect_code" and self._is_current_totp_code(self.cleaned_data.get("code", "")):
                raise get_adapter().validation_error("code_used") from None
            raise

    def _is_current_totp_code(self, code: str) -> bool:
        return any(
            validate_totp_code(decrypt(totp.data["secret"]), code)
            for totp in Authenticator.objects.filter(user=self.user, type=Authenticator.Type.TOTP)
        )


class AuthenticateForm(_SaysWhenACodeWasUsed, allauth_forms.AuthenticateForm):
    pass


class ReauthenticateForm(_SaysWhenACodeWasUsed, allauth_forms.ReauthenticateForm):
    pass
