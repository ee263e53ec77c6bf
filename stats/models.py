"""Anonymous contact statistics, as MLL's Parents' Helpline records them.

A record holds categories only: no free text, no nickname, no chat content, and it copies what it
needs (service, month, outcome, follow-up) from the booking so it survives the purge of chat data.
"""

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _


class Topic(models.Model):
    """A contact topic: a main category (parent is null) or one of its sub-topics."""

    class About(models.TextChoices):
        CHILD = "child", _("About the child")
        ADULT = "adult", _("About the adult")

    about = models.CharField(_("about"), max_length=8, choices=About.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children", verbose_name=_("main category")
    )
    name_fi = models.CharField(_("name (Finnish)"), max_length=160)
    name_sv = models.CharField(_("name (Swedish)"), max_length=160, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=160, blank=True)
    ordering = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["about", "parent__ordering", "ordering", "pk"]
        constraints = [models.UniqueConstraint(fields=["about", "parent", "name_fi"], name="topic_unique_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        lang = (translation.get_language() or "fi")[:2]
        return getattr(self, f"name_{lang}", "") or self.name_fi


class AgeGroup(models.TextChoices):
    EXPECTING = "expecting", _("Expecting a baby")
    AGE_0_2 = "0-2", _("0–2 years")
    AGE_3_6 = "3-6", _("3–6 years")
    AGE_7_12 = "7-12", _("7–12 years")
    AGE_13_17 = "13-17", _("13–17 years")
    AGE_18 = "18+", _("18 years or older")
    UNKNOWN = "unknown", _("Not known")


class ContactedBy(models.TextChoices):
    MOTHER = "mother", _("Mother")
    FATHER = "father", _("Father")
    OTHER = "other", _("Other adult")


class Channel(models.TextChoices):
    """The helpline's online channels whose contacts are recorded (source 000)."""

    APPOINTMENT_CHAT = "appointment_chat", _("Appointment chat")
    DROPIN_CHAT = "dropin_chat", _("Drop-in chat")
    LETTER = "letter", _("Letter service")


class ContactRecord(models.Model):
    """The statistics record of one contact: an appointment, a drop-in chat or a letter."""

    class Outcome(models.TextChoices):
        HELD = "held", _("Held")
        NO_SHOW = "no_show", _("No-show")

    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.APPOINTMENT_CHAT)
    booking = models.OneToOneField(
        "booking.Booking", null=True, blank=True, on_delete=models.SET_NULL, related_name="contact_record"
    )
    # The contact of another channel this record belongs to ("dropin:17", "letter:5"): the channels'
    # apps are above stats and say which item a record is of; the key holds no personal data, and
    # makes a record once per contact.
    source_key = models.CharField(max_length=40, blank=True, editable=False)
    service = models.ForeignKey(
        "booking.Service", null=True, blank=True, on_delete=models.PROTECT, related_name="contact_records"
    )
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    month = models.DateField(_("month"), help_text=_("First day of the month of the appointment."))
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices, default=Outcome.HELD)
    is_follow_up = models.BooleanField(_("follow-up"), default=False)
    child_age_group = models.CharField(_("child's age group"), max_length=10, choices=AgeGroup.choices, blank=True)
    contacted_by = models.CharField(_("who contacted"), max_length=8, choices=ContactedBy.choices, blank=True)
    professional_help_discussed = models.BooleanField(_("professional help was discussed"), default=False)
    guided_to_services = models.BooleanField(_("guided to other services"), default=False)
    topics = models.ManyToManyField(Topic, blank=True, related_name="records", verbose_name=_("topics"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("contact record")
        verbose_name_plural = _("contact records")
        ordering = ["-month", "-pk"]
        indexes = [models.Index(fields=["service", "month"]), models.Index(fields=["channel", "month"])]
        constraints = [
            models.UniqueConstraint(fields=["source_key"], condition=~models.Q(source_key=""), name="record_once_per_source")
        ]

    def __str__(self) -> str:
        return f"{self.service} {self.month:%Y-%m}"


class Feedback(models.Model):
    """A parent's anonymous two-question feedback: only the service, the month and the answers."""

    class Helpful(models.TextChoices):
        YES = "yes", _("Yes")
        PARTLY = "partly", _("Partly")
        NO = "no", _("No")

    class Recommend(models.TextChoices):
        YES = "yes", _("Yes")
        MAYBE = "maybe", _("Maybe")
        NO = "no", _("No")

    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.APPOINTMENT_CHAT)
    service = models.ForeignKey("booking.Service", null=True, blank=True, on_delete=models.PROTECT, related_name="feedback")
    month = models.DateField()
    helpful = models.CharField(_("Was the conversation helpful?"), max_length=8, choices=Helpful.choices)
    recommend = models.CharField(_("Would you recommend the appointment chat to others?"), max_length=8, choices=Recommend.choices)

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
