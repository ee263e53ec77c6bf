"""Forms of the letter pages. They read the input; the rules (lengths, choices, control characters)
are checked once, in letters/services.py, and its refusals come back as field errors."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from stats.models import Topic

from . import services
from .models import Thread


def _topic_choices():
    """The statistics' main topics, grouped by whom they are about (child, adult)."""
    groups: dict[str, list] = {}
    for topic in services.topic_choices():
        groups.setdefault(topic.about, []).append((str(topic.pk), topic.name))
    labels = dict(Topic.About.choices)
    return [("", _("I would rather not say"))] + [(str(labels[about]), items) for about, items in groups.items()]


class WriteForm(forms.Form):
    text = forms.CharField(
        label=_("Your letter"),
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "true"}),
        help_text=_("Write in your own words, as much or as little as you like. Please leave out names and other details that could identify you or your family."),
        error_messages={"required": _("Please write your letter first.")},
        strip=False,
    )
    nickname = forms.CharField(
        label=_("Nickname (optional)"),
        required=False,
        max_length=200,
        help_text=_("How we address you in the answer. Please do not use your real name."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "off", "spellcheck": "false", "maxlength": services.NICKNAME_MAX}),
    )
    audience = forms.ChoiceField(
        label=_("Who is the letter mostly about? (optional)"),
        required=False,
        choices=[("", _("I would rather not say"))] + Thread.Audience.choices,
        widget=forms.RadioSelect,
    )
    topic = forms.ChoiceField(label=_("Topic (optional)"), required=False, choices=())
    notify_email = forms.CharField(
        label=_("Email for one notice (optional)"),
        required=False,
        max_length=400,
        help_text=_(
            "If you wish, we send one short message when the answer is ready, and then delete the address. "
            "The message does not contain your letter or your code."
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    privacy = forms.BooleanField(
        label=_("I have read the privacy notice."),
        error_messages={"required": _("Please accept the privacy notice to send the letter.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].choices = _topic_choices()
        self.fields["text"].widget.attrs["maxlength"] = settings.LETTER_MAX_CHARS


class CodeForm(forms.Form):
    code = forms.CharField(label=_("Your code"), max_length=40)


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Your new letter"),
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": _("Please write your letter first.")},
        strip=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].widget.attrs["maxlength"] = settings.LETTER_MAX_CHARS


class AnswerForm(forms.Form):
    text = forms.CharField(
        label=_("Your answer"),
        widget=forms.Textarea(attrs={"rows": 14}),
        error_messages={"required": _("Please write the answer first.")},
        strip=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].widget.attrs["maxlength"] = settings.LETTER_MAX_CHARS


class ReturnForm(forms.Form):
    note = forms.CharField(
        label=_("What should be changed? (the writer sees this)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": services.NOTE_MAX}),
    )


class AssignForm(forms.Form):
    to = forms.ModelChoiceField(label=_("Give to"), queryset=None, empty_label=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = services.assignable_staff()
        self.fields["to"].label_from_instance = lambda user: f"{user.display_name} ({user.get_role_display()})"
