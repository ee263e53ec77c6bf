"""Forms of the drop-in chat's pages. They only read input; the rules are in dropin/services.py."""

from django import forms
from django.utils.translation import gettext_lazy as _

from stats.forms import FeedbackForm as AppointmentFeedbackForm
from stats.models import Feedback

from .models import MAX_CAPACITY, Contact
from .services import NICKNAME_MAX, NOTE_MAX, SIDE_MAX, TOPIC_MAX


class EntryForm(forms.Form):
    nickname = forms.CharField(
        label=_("Nickname (optional)"), max_length=NICKNAME_MAX, required=False,
        help_text=_("Any name you like, or none. Do not use your real name."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    topic = forms.CharField(
        label=_("What would you like to talk about? (optional, one line)"), max_length=TOPIC_MAX, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    audience = forms.ChoiceField(
        label=_("It concerns (optional)"), required=False, choices=[("", "—"), *Contact.Audience.choices]
    )
    privacy = forms.BooleanField(
        label=_("I have read the privacy notice."), required=True,
        error_messages={"required": _("Please read and accept the privacy notice first.")},
    )


class RejoinForm(forms.Form):
    code = forms.CharField(label=_("Your code"), max_length=40)


class SideForm(forms.Form):
    text = forms.CharField(label=_("Message to the duty coordinator"), max_length=SIDE_MAX, widget=forms.Textarea(attrs={"rows": 2}))


class HandOverForm(forms.Form):
    to_user = forms.TypedChoiceField(label=_("Hand the chat to"), coerce=int, choices=())
    note = forms.CharField(
        label=_("Note for the one who continues (optional)"), max_length=NOTE_MAX, required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_user"].choices = [(p.pk, p.display_name) for p in people]


CAPACITY_CHOICES = [(n, str(n)) for n in range(1, MAX_CAPACITY + 1)]


class FeedbackForm(AppointmentFeedbackForm):
    """The same two questions as after an appointment chat, about this chat."""

    recommend = forms.ChoiceField(
        label=_("Would you recommend the drop-in chat to others?"), choices=Feedback.Recommend.choices, widget=forms.RadioSelect
    )
