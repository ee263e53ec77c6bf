from django import forms
from django.utils.translation import gettext_lazy as _

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


class FeedbackForm(forms.Form):
    helpful = forms.ChoiceField(label=_("Was the conversation helpful?"), choices=Feedback.Helpful.choices, widget=forms.RadioSelect)
    recommend = forms.ChoiceField(
        label=_("Would you recommend the appointment chat to others?"), choices=Feedback.Recommend.choices, widget=forms.RadioSelect
    )


class ReportForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}))
    service = forms.ModelChoiceField(label=_("Service"), queryset=None, required=False, empty_label=_("All services"))
    hide_small = forms.BooleanField(
        label=_("In the CSV, show counts of 1–4 as “<5” (for sharing outside MLL)"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from booking.models import Service

        self.fields["service"].queryset = Service.objects.all()

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The end must not be before the start."))
        return data
