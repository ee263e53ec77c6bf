"""Signal receivers of the staff app (news from allauth and from the floors below)."""

from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_added
from django.dispatch import receiver


@receiver(authenticator_added, dispatch_uid="staff.totp_set_up_counts_as_second_factor")
def totp_set_up_counts_as_second_factor(sender, request, user, authenticator, **kwargs):
    """Setting up TOTP proves the new device in this session (allauth asks for the password again and
    then for a code from the device), so the session counts as having passed the second factor:
    a new staff member is not sent to sign in once more right after the set-up."""
    if request is None or authenticator.type != Authenticator.Type.TOTP:
        return
    record_authentication(request, user, "mfa", type=authenticator.type, id=authenticator.pk)

