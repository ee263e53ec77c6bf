"""Opening hours of the helpline's channels: phone, drop-in chat, appointment chat, letter service.

Weekly rules are wall-clock times in Europe/Helsinki. Finnish public holidays and the closed days
in booking.ClosedDay close every channel that is not open around the clock, unless an exception
for that date says otherwise.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from booking.models import Availability


class Channel(models.Model):
    class Kind(models.TextChoices):
        PHONE = "phone", _("Phone")
        CHAT = "chat", _("Drop-in chat")
        APPOINTMENT_CHAT = "appointment_chat", _("Appointment chat")
        LETTER = "letter", _("Letter service")

    slug = models.SlugField(_("slug"), unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(
        _("name"), max_length=120, blank=True, help_text=_("Shown instead of the kind, if given (not translated).")
    )
    url = models.URLField(_("link"), blank=True, help_text=_("Where the public can use this channel."))
    always_open = models.BooleanField(_("open around the clock"), default=False)
    closed_on_holidays = models.BooleanField(
        _("closed on public holidays"), default=True, help_text=_("Finnish public holidays and the closed days.")
    )
    is_active = models.BooleanField(_("shown"), default=True)
    ordering = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["ordering", "slug"]

    def __str__(self) -> str:
        return self.name or str(self.get_kind_display())

    @property
    def label(self) -> str:
        return self.name or str(self.get_kind_display())


class WeeklyHours(models.Model):
    """A channel is open on this weekday between these wall-clock times (Europe/Helsinki)."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="weekly_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Availability.Weekday.choices)
    start_time = models.TimeField(_("opens"))
    end_time = models.TimeField(_("closes"))
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    class Meta:
        verbose_name = _("weekly opening hours")
        verbose_name_plural = _("weekly opening hours")
        ordering = ["channel", "weekday", "start_time"]
        constraints = [
            models.CheckConstraint(condition=Q(end_time__gt=models.F("start_time")), name="weeklyhours_end_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}–{self.end_time:%H:%M}"


class HoursException(models.Model):
    """Different hours on one date (e.g. Christmas Eve 10–12), or closed all day if no times are given.

    An exception replaces the weekly rules of that date entirely, and beats a public holiday: several
    rows on one date add up (10–12 and 17–19).
    """

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="exceptions")
    date = models.DateField(_("date"))
    start_time = models.TimeField(_("opens"), null=True, blank=True)
    end_time = models.TimeField(_("closes"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("exception to the opening hours")
        verbose_name_plural = _("exceptions to the opening hours")
        ordering = ["date", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(start_time__isnull=True) & Q(end_time__isnull=True))
                | Q(start_time__isnull=False, end_time__isnull=False, end_time__gt=models.F("start_time")),
                name="hoursexception_closed_or_valid_range",
            )
        ]

    def __str__(self) -> str:
        if self.start_time is None:
            return f"{self.date:%Y-%m-%d} {_('closed')}"
        return f"{self.date:%Y-%m-%d} {self.start_time:%H:%M}–{self.end_time:%H:%M}"

    @property
    def is_closed(self) -> bool:
        return self.start_time is None
