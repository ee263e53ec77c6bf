import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _


class Service(models.Model):
    """An appointment-chat service, e.g. the Parents' Helpline appointment chat."""

    class Audience(models.TextChoices):
        PARENTS = "parents", _("Parents")
        YOUNG_PEOPLE = "young_people", _("Young people")
        CHILDREN = "children", _("Children")

    class Theme(models.TextChoices):
        # A fixed palette rather than free colours: every theme is checked for WCAG AA contrast
        # (static/css/public.css, .theme-*).
        TEAL = "teal", _("Teal (calm)")
        VIOLET = "violet", _("Violet")
        GREEN = "green", _("Green")
        BLUE = "blue", _("Blue")

    slug = models.SlugField(_("slug"), unique=True)
    name = models.CharField(_("name"), max_length=120, help_text=_("In Finnish, the default language."))
    name_sv = models.CharField(_("name in Swedish"), max_length=120, blank=True)
    name_en = models.CharField(_("name in English"), max_length=120, blank=True)
    description = models.TextField(_("description"), blank=True, help_text=_("In Finnish, the default language."))
    description_sv = models.TextField(_("description in Swedish"), blank=True)
    description_en = models.TextField(_("description in English"), blank=True)
    audience = models.CharField(_("audience"), max_length=80, blank=True, choices=Audience.choices)
    theme = models.CharField(_("look"), max_length=16, choices=Theme.choices, default=Theme.TEAL)
    slot_minutes = models.PositiveSmallIntegerField(_("slot length (minutes)"), default=45)
    buffer_minutes = models.PositiveSmallIntegerField(_("buffer between appointments (minutes)"), default=15)
    min_notice_minutes = models.PositiveIntegerField(_("minimum notice (minutes)"), default=60)
    horizon_days = models.PositiveSmallIntegerField(_("booking horizon (days)"), default=28)
    max_per_worker_per_day = models.PositiveSmallIntegerField(
        _("maximum appointments per worker per day"), null=True, blank=True
    )
    workers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="services", blank=True, verbose_name=_("workers")
    )
    is_active = models.BooleanField(_("active"), default=True)
    ordering = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["ordering", "name"]

    def __str__(self) -> str:
        return self.name

    def _localized(self, field: str) -> str:
        language = (translation.get_language() or "fi")[:2]
        return (getattr(self, f"{field}_{language}", "") if language != "fi" else "") or getattr(self, field)

    @property
    def title(self) -> str:
        """The name in the visitor's language (Finnish when there is no translation)."""
        return self._localized("name")

    @property
    def intro(self) -> str:
        return self._localized("description")


class Availability(models.Model):
    """A weekly recurring time range in which a worker takes appointments for a service.

    Times are wall-clock times in Europe/Helsinki; slots are computed in local time.
    """

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="availabilities")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="availabilities")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start_time = models.TimeField(_("from"))
    end_time = models.TimeField(_("until"))
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    class Meta:
        verbose_name = _("weekly availability")
        verbose_name_plural = _("weekly availability")
        ordering = ["worker", "weekday", "start_time"]
        constraints = [
            models.CheckConstraint(condition=Q(end_time__gt=models.F("start_time")), name="availability_end_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}–{self.end_time:%H:%M}"


class AvailabilityException(models.Model):
    """Time off: no appointments for this worker between start and end (UTC).

    ``kind`` tells time off (hours or days) from one slot blocked in the calendar, so that pages
    name it in the reader's language ("Blocked") and offer to unblock it; ``reason`` is only the
    staff's own note, never a label.
    """

    class Kind(models.TextChoices):
        TIME_OFF = "time_off", _("Time off")
        BLOCKED = "blocked", _("Blocked")

    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exceptions")
    start = models.DateTimeField(_("from"))
    end = models.DateTimeField(_("until"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.TIME_OFF)
    reason = models.CharField(_("reason"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("time off")
        verbose_name_plural = _("time off")
        ordering = ["start"]
        constraints = [models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="exception_end_after_start")]

    def __str__(self) -> str:
        return f"{self.worker}: {timezone.localtime(self.start):%Y-%m-%d %H:%M}–{timezone.localtime(self.end):%H:%M}"


class ClosedDay(models.Model):
    """A day when nothing can be booked, on top of Finnish public holidays."""

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("closed day")
        verbose_name_plural = _("closed days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"


class Booking(models.Model):
    """One appointment. Holds no personal data: a nickname, and optional words on the topic.

    The one-time code is never stored, only its keyed hash (HMAC-SHA256 with CODE_HASH_KEY).
    """

    class Status(models.TextChoices):
        BOOKED = "booked", _("Booked")
        CANCELLED = "cancelled", _("Cancelled")
        COMPLETED = "completed", _("Held")
        NO_SHOW = "no_show", _("No-show")

    # Statuses that hold the worker's time; the unique constraint below applies to them only.
    HOLDING = (Status.BOOKED, Status.COMPLETED, Status.NO_SHOW)

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="bookings")
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings")
    start = models.DateTimeField(_("start"), db_index=True)
    end = models.DateTimeField(_("end"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.BOOKED)
    nickname = models.CharField(_("nickname"), max_length=40, blank=True)
    topic = models.TextField(_("what the parent would like to talk about"), blank=True, max_length=500)
    code_hash = models.CharField(max_length=64, unique=True, editable=False)
    follow_up_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups", verbose_name=_("follow-up of")
    )
    # Optional, for one reminder only; deleted once the reminder is sent or the time has passed.
    reminder_email = models.EmailField(_("reminder email"), blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    cancel_message = models.CharField(_("message to the parent"), max_length=300, blank=True)
    cancelled_by_staff = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # The worker ended the contact as abusive: no follow-ups from it, pending ones are cancelled.
    flagged = models.BooleanField(_("flagged as abusive"), default=False)
    # A submitted form or an API call with an Idempotency-Key: a re-post finds this booking instead
    # of booking again. Only a keyed hash of the key is kept; ``code_sealed`` is the code encrypted
    # under the client's key itself, so only the client that holds the key can have the code shown
    # again (docs/security.md, "Idempotent booking"). Both are forgotten after IDEMPOTENCY_KEEP_HOURS.
    idempotency_hash = models.CharField(max_length=64, blank=True, editable=False)
    code_sealed = models.TextField(blank=True, editable=False)
    # The random, code-free token of the parent's calendar file (.ics); cleared when the booking is
    # cancelled or purged, so the link then stops working.
    calendar_token = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["start"]
        constraints = [
            # The database's own guard against double booking, on PostgreSQL and SQLite alike.
            models.UniqueConstraint(
                fields=["worker", "start"],
                condition=Q(status__in=["booked", "completed", "no_show"]),
                name="booking_one_per_worker_start",
            ),
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="booking_end_after_start"),
            models.UniqueConstraint(
                fields=["idempotency_hash"], condition=~Q(idempotency_hash=""), name="booking_idempotency_once"
            ),
            models.UniqueConstraint(
                fields=["calendar_token"], condition=~Q(calendar_token=""), name="booking_calendar_token_once"
            ),
        ]
        indexes = [models.Index(fields=["worker", "start", "status"])]

    def __str__(self) -> str:
        return f"{self.service} {timezone.localtime(self.start):%Y-%m-%d %H:%M} ({self.get_status_display()})"

    @property
    def is_follow_up(self) -> bool:
        return self.follow_up_of_id is not None

    @property
    def chat_opens(self):
        """When the parent's code, and the worker's "open chat", start to work."""
        return self.start - dt.timedelta(minutes=settings.JOIN_EARLY_MINUTES)

    @property
    def chat_can_open(self) -> bool:
        return self.status == self.Status.BOOKED and timezone.now() >= self.chat_opens


class WorkerDigest(models.Model):
    """That a worker's daily list for ``day`` was sent: makes the digest job idempotent."""

    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["worker", "day"], name="digest_once_per_worker_day")]
