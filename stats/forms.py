from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from booking import localtime

from . import services
from .models import AgeGroup, ContactedBy, Feedback, Topic


class TopicChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class RecordForm(forms.Form):
    child_topics = TopicChoiceField(
        label=_("Topics about the child"), queryset=Topic.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    adult_topics = TopicChoiceField(
        label=_("Topics about the adult"), queryset=Topic.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    child_age_group = forms.ChoiceField(label=_("Child's age group"), choices=[("", "—")] + AgeGroup.choices, required=False)
    contacted_by = forms.ChoiceField(label=_("Who contacted"), choices=[("", "—")] + ContactedBy.choices, required=False)
    professional_help_discussed = forms.BooleanField(label=_("Professional help was discussed"), required=False)
    guided_to_services = forms.BooleanField(label=_("The parent was guided to other services"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        active = Topic.objects.filter(is_active=True, parent__isnull=False).select_related("parent").order_by("parent__ordering", "ordering")
        self.fields["child_topics"].queryset = active.filter(about=Topic.About.CHILD)
        self.fields["adult_topics"].queryset = active.filter(about=Topic.About.ADULT)

    @staticmethod
    def initial_from(record) -> dict:
        """The form's initial values from an existing record (or {} for none), for every channel."""
        if record is None:
            return {}
        chosen = list(record.topics.all())
        return {
            "child_topics": [t for t in chosen if t.about == Topic.About.CHILD],
            "adult_topics": [t for t in chosen if t.about == Topic.About.ADULT],
            "child_age_group": record.child_age_group,
            "contacted_by": record.contacted_by,
            "professional_help_discussed": record.professional_help_discussed,
            "guided_to_services": record.guided_to_services,
        }

    def record_values(self) -> dict:
        """The cleaned form as the keyword arguments of the record services."""
        data = self.cleaned_data
        return {
            "topics": list(data["child_topics"]) + list(data["adult_topics"]),
            "child_age_group": data["child_age_group"],
            "contacted_by": data["contacted_by"],
            "professional_help_discussed": data["professional_help_discussed"],
            "guided_to_services": data["guided_to_services"],
        }


class FeedbackForm(forms.Form):
    helpful = forms.ChoiceField(label=_("Was the conversation helpful?"), choices=Feedback.Helpful.choices, widget=forms.RadioSelect)
    recommend = forms.ChoiceField(
        label=_("Would you recommend the appointment chat to others?"), choices=Feedback.Recommend.choices, widget=forms.RadioSelect
    )


class CalendarDateField(forms.DateField):
    """A date as ``<input type=date>`` sends and shows it (ISO, YYYY-MM-DD, in every language),
    read by ``booking.localtime.parse_date``: a date outside the calendar the service keeps (year 1,
    year 9999) or one that is no date is a field error, never an overflow further on."""

    widget = forms.DateInput(
        format="%Y-%m-%d",
        attrs={"type": "date", "min": f"{localtime.EARLIEST_DATE:%Y-%m-%d}", "max": f"{localtime.LATEST_DATE:%Y-%m-%d}"},
    )

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return localtime.parse_date(value)
        except localtime.TimeInputError as exc:
            raise ValidationError(exc.message, code=exc.code) from None


class ReportForm(forms.Form):
    """The report's filter, read from the query string. A missing or empty date is the default
    period (this year so far); anything else must be a date the service keeps."""

    start = CalendarDateField(label=_("From"))
    end = CalendarDateField(label=_("Until"))
    service = forms.ModelChoiceField(label=_("Service"), queryset=None, required=False, empty_label=_("All services"))
    hide_small = forms.BooleanField(
        label=_("In the CSV, show counts of 1–4 as “<5” (for sharing outside MLL)"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from booking.models import Service

        self.fields["service"].queryset = Service.objects.all()

    @classmethod
    def from_query(cls, query) -> "ReportForm":
        today = localtime.today()
        data = {"start": f"{today.replace(month=1, day=1):%Y-%m-%d}", "end": f"{today:%Y-%m-%d}"}
        data.update({key: value for key, value in query.items() if key in cls.base_fields and value != ""})
        return cls(data)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end"):
            try:
                data["start"], data["end"] = services.report_period(start=data["start"], end=data["end"])
            except services.StatsError as exc:
                self.add_error("end", exc.message)
            except localtime.TimeInputError as exc:
                self.add_error(None, exc.message)
        return data
