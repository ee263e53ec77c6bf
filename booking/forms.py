import secrets

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from . import localtime
from .models import Service
from .services import NICKNAME_MAX, TOPIC_MAX


class BookingForm(forms.Form):
    """Input of a booking, for the HTML page and the JSON API alike."""

    service = forms.SlugField(required=False)
    start = forms.CharField(label=_("Time"), max_length=64, error_messages={"required": _("Please choose a time from the calendar.")})
    worker = forms.CharField(required=False, max_length=16)
    nickname = forms.CharField(
        label=_("Nickname"),
        max_length=NICKNAME_MAX,
        help_text=_("Any name you like. Please do not use your real name."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "off", "spellcheck": "false"}),
    )
    topic = forms.CharField(
        label=_("What would you like to talk about? (optional)"),
        required=False,
        max_length=TOPIC_MAX,
        help_text=_("A few words help the worker prepare. Please leave out names and other identifying details."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    follow_up_of = forms.CharField(required=False, max_length=40)
    reminder_email = forms.EmailField(
        label=_("Email for a reminder (optional)"),
        required=False,
        help_text=_(
            "If you wish, we send one reminder before your time and then delete the address. "
            "Leave empty if you prefer: nothing is sent and nothing is stored."
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    # A random token made with the form: posting the same form again (a reload, a double tap, a
    # repeated API call) finds the booking the first post made instead of booking again.
    idempotency_key = forms.CharField(required=False, max_length=128, widget=forms.HiddenInput)
    privacy = forms.BooleanField(
        label=_("I have read the privacy notice."),
        error_messages={"required": _("Please accept the privacy notice to book.")},
    )

    def __init__(self, *args, service: Service | None = None, require_privacy: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.service_obj = service
        if not require_privacy:
            self.fields["privacy"].required = False
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", secrets.token_urlsafe(24))

    def clean_start(self):
        # Only an ISO 8601 time with an offset, within the calendar the service keeps
        # (booking/localtime.py); the service then checks it against the booking period.
        try:
            return localtime.parse_instant(self.cleaned_data["start"])
        except localtime.TimeInputError as exc:
            raise forms.ValidationError(exc.message) from None

    def clean_service(self):
        slug = self.cleaned_data.get("service")
        if self.service_obj is not None:
            return self.service_obj
        service = Service.objects.filter(slug=slug, is_active=True).first() if slug else None
        if service is None:
            raise forms.ValidationError(_("Unknown service."))
        return service

    def clean_worker(self):
        public_id = self.cleaned_data.get("worker")
        if not public_id:
            return None
        worker = get_user_model().objects.filter(public_id=public_id, is_active=True).exclude(pseudonym="").first()
        if worker is None:
            raise forms.ValidationError(_("Unknown worker."))
        return worker

    def clean(self):
        data = super().clean()
        service, worker = data.get("service"), data.get("worker")
        if service and worker and not service.workers.filter(pk=worker.pk).exists():
            self.add_error("worker", _("This worker does not take appointments for this service."))
        return data


class ManageForm(forms.Form):
    """One step of the look-up page (/booking/): look up, change the time, or cancel.

    Every step is a POST that carries the code in a hidden field (never in a URL) and proves it
    again through the code-entry limit. ``action`` says which step; ``start`` is a chosen time and
    ``week`` the Monday of the free times shown. Unknown actions fall back to the look-up, and a
    bad ``start`` or ``week`` is a field error, never a 5xx.
    """

    LOOKUP, TIMES, MOVE, CANCEL, CANCEL_CONFIRMED = "lookup", "times", "move", "cancel", "cancel_confirmed"
    ACTIONS = (LOOKUP, TIMES, MOVE, CANCEL, CANCEL_CONFIRMED)

    code = forms.CharField(max_length=64, strip=True)
    action = forms.CharField(required=False, max_length=32)
    start = forms.CharField(required=False, max_length=64)
    week = forms.CharField(required=False, max_length=16)

    def clean_action(self):
        action = self.cleaned_data.get("action")
        return action if action in self.ACTIONS else self.LOOKUP

    def clean_start(self):
        value = self.cleaned_data.get("start")
        if not value:
            return None
        try:
            return localtime.parse_instant(value)
        except localtime.TimeInputError:
            raise forms.ValidationError(_("Please choose a time from the list.")) from None

    def clean_week(self):
        value = self.cleaned_data.get("week")
        if not value:
            return None
        try:
            return localtime.parse_date(value)
        except localtime.TimeInputError as exc:
            raise forms.ValidationError(exc.message) from None
