import datetime as dt

from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from booking import localtime
from booking.models import Availability, Service
from chatrooms.models import SavedReply


class LocalDateTimeField(forms.CharField):
    """A date and time typed in a staff form: Helsinki time unless an offset is given, within the
    calendar the service keeps (booking.localtime), so no odd year reaches the services."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"})

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return localtime.parse_instant(value, require_offset=False)
        except localtime.TimeInputError as exc:
            raise forms.ValidationError(exc.message) from None


class AvailabilityForm(forms.Form):
    service = forms.ModelChoiceField(label=_("Service"), queryset=Service.objects.filter(is_active=True))
    weekday = forms.TypedChoiceField(label=_("Weekday"), choices=Availability.Weekday.choices, coerce=int)
    start_time = forms.TimeField(label=_("From"), widget=forms.TimeInput(attrs={"type": "time"}))
    end_time = forms.TimeField(label=_("Until"), widget=forms.TimeInput(attrs={"type": "time"}))

    def clean(self):
        data = super().clean()
        if data.get("start_time") and data.get("end_time") and data["end_time"] <= data["start_time"]:
            self.add_error("end_time", _("The end must be after the start."))
        return data


class TimeOffForm(forms.Form):
    start = LocalDateTimeField(label=_("From"))
    end = LocalDateTimeField(label=_("Until"))
    reason = forms.CharField(label=_("Note (only staff see it)"), max_length=120, required=False)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            self.add_error("end", _("The end must be after the start."))
        return data


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("keep", _("Keep the appointments")), ("cancel", _("Cancel them"))], required=False)
    message = forms.CharField(
        label=_("Message to the parents (shown when they look up their code)"), max_length=300, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class FreeTimeField(forms.ChoiceField):
    """One of the worker's free times, chosen from a list grouped by day (no free typing). A value
    that is not in the list (typed into the request, or gone since the page was shown) is refused
    at the field, saying it is not a free time of the worker."""

    default_error_messages = {
        "not_free": _("This is not a free time of the worker. Please choose a time from the list."),
    }

    def __init__(self, *args, **kwargs):
        self.free: set[dt.datetime] = set()
        super().__init__(*args, **kwargs)

    def set_free(self, starts) -> None:
        """The offered times: aware datetimes, shown grouped by local day in the page's language."""
        starts = sorted({s.astimezone(localtime.TZ) for s in starts})
        self.free = set(starts)
        groups: dict[dt.date, list] = {}
        for start in starts:
            groups.setdefault(start.date(), []).append((start.isoformat(), formats.time_format(start, "TIME_FORMAT")))
        self.choices = [("", _("Choose a time"))] + [
            (formats.date_format(day, "l j.n."), times) for day, times in groups.items()
        ]

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return localtime.parse_instant(value, require_offset=False)
        except localtime.TimeInputError as exc:
            raise forms.ValidationError(exc.message) from None

    def validate(self, value):
        if value is None:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return
        if value not in self.free:
            raise forms.ValidationError(self.error_messages["not_free"], code="not_free")


class MoveForm(forms.Form):
    start = FreeTimeField(label=_("New time"))
    message = forms.CharField(label=_("Message to the parent"), max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, free_times=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["start"].set_free(free_times)


class HandOverForm(forms.Form):
    worker = forms.ModelChoiceField(label=_("Worker"), queryset=None, empty_label=None)
    message = forms.CharField(label=_("Message to the parent"), max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        from .models import User

        self.fields["worker"].queryset = User.objects.filter(pk__in=[w.pk for w in candidates]).order_by("pseudonym")
        self.fields["worker"].label_from_instance = lambda w: w.display_name


class CancelForm(forms.Form):
    message = forms.CharField(label=_("Message to the parent"), max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class SavedReplyForm(forms.ModelForm):
    shared = forms.BooleanField(label=_("Shared with all workers"), required=False)

    class Meta:
        model = SavedReply
        fields = ["title", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}
