"""The drop-in chat (päivystävä chat): parents queue anonymously and are taken, one by one, by the
volunteers and workers on duty in a group led by a duty coordinator (source 000).

What is stored about a parent is what the chat needs while it lasts: an optional nickname, an
optional one-line topic and who it concerns, the keyed hash of the one-time code, and times. The
nickname, topic, code hash, the side channel and the hand-over notes are deleted with the chat's
messages (dropin/retention.py); what stays are times and states for the wait estimates, and the
anonymous statistics record (stats).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chatrooms.models import ChatSession

MAX_CAPACITY = 3


class DutyShift(models.Model):
    """One opening of the drop-in chat on a date (hours), with its duty coordinator and the people
    on duty (``members``)."""

    date = models.DateField(_("date"), db_index=True)
    starts_at = models.DateTimeField(_("opens"))
    ends_at = models.DateTimeField(_("closes"))
    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("duty coordinator"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("duty shift")
        verbose_name_plural = _("duty shifts")
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["starts_at"], name="dutyshift_one_per_opening"),
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="dutyshift_ends_after_start"),
        ]

    def __str__(self) -> str:
        start, end = timezone.localtime(self.starts_at), timezone.localtime(self.ends_at)
        return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"


class DutyMember(models.Model):
    """A person on duty in a shift: how many chats they take at once, and whether they are here."""

    shift = models.ForeignKey(DutyShift, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dropin_duties")
    capacity = models.PositiveSmallIntegerField(_("chats at once"), default=1)
    present_since = models.DateTimeField(_("present since"), null=True, blank=True)

    class Meta:
        verbose_name = _("person on duty")
        verbose_name_plural = _("people on duty")
        ordering = ["shift", "user__pseudonym"]
        constraints = [
            models.UniqueConstraint(fields=["shift", "user"], name="dutymember_once_per_shift"),
            models.CheckConstraint(
                condition=Q(capacity__gte=1, capacity__lte=MAX_CAPACITY), name="dutymember_capacity_1_to_3"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.shift}"

    @property
    def is_present(self) -> bool:
        return self.present_since is not None


class Contact(models.Model):
    """A parent in the drop-in chat: in the queue, then in a chat with exactly one person on duty."""

    class State(models.TextChoices):
        WAITING = "waiting", _("In the queue")
        TAKEN = "taken", _("In a chat")
        ENDED = "ended", _("Chat ended")
        LEFT = "left", _("Left the queue")
        CLOSED = "closed", _("Still in the queue at closing")

    class Audience(models.TextChoices):
        # The two halves of the statistics' topics (stats.models.Topic.About).
        CHILD = "child", _("My child")
        ADULT = "adult", _("Me or another adult")

    code_hash = models.CharField(max_length=64, unique=True, editable=False)
    nickname = models.CharField(_("nickname"), max_length=40, blank=True)
    topic = models.CharField(_("topic"), max_length=200, blank=True)
    audience = models.CharField(_("it concerns"), max_length=8, choices=Audience.choices, blank=True)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.WAITING)
    arrived_at = models.DateTimeField(_("arrived"), default=timezone.now)
    session = models.OneToOneField(ChatSession, on_delete=models.CASCADE, related_name="dropin_contact")
    # Who has the chat now: exactly one person (set in one conditional UPDATE, dropin/services.py).
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="dropin_contacts",
        verbose_name=_("taken by"),
    )
    taken_at = models.DateTimeField(_("taken"), null=True, blank=True)
    shift = models.ForeignKey(DutyShift, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts")
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    # The parent's last socket closed at this time (None while connected): after the rejoin grace,
    # a parent who did not come back leaves the queue (or their chat ends).
    away_since = models.DateTimeField(null=True, blank=True)
    # The person on duty asked the coordinator for support with this chat: only then may the
    # coordinator read it (every read audited; docs/security.md).
    support_requested_at = models.DateTimeField(_("support asked"), null=True, blank=True)
    flagged = models.BooleanField(_("flagged as abusive"), default=False)
    purged_at = models.DateTimeField(_("content deleted"), null=True, blank=True)

    class Meta:
        verbose_name = _("drop-in contact")
        verbose_name_plural = _("drop-in contacts")
        ordering = ["id"]
        indexes = [models.Index(fields=["state", "id"], name="dropin_contact_queue")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="taken") | Q(taken_by__isnull=False, taken_at__isnull=False),
                name="dropin_taken_has_one_taker",
            )
        ]

    def __str__(self) -> str:
        return f"drop-in contact {self.pk} ({self.state})"

    @property
    def source_key(self) -> str:
        """The statistics record's key (stats.services.channel_record_save)."""
        return f"dropin:{self.pk}"

    @property
    def display_name(self) -> str:
        return self.nickname or str(_("Parent %(number)s") % {"number": self.pk})


class SideMessage(models.Model):
    """"Ask the coordinator": a message between the person on duty and the coordinator about one
    chat. Never reaches the parent (it is not a chat message and never enters the chat's group)."""

    class Role(models.TextChoices):
        HELPER = "helper", _("On duty")
        COORDINATOR = "coordinator", _("Duty coordinator")

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="side_messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    role = models.CharField(max_length=12, choices=Role.choices)
    text = models.TextField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def as_frame(self) -> dict:
        return {
            "type": "side",
            "id": self.pk,
            "contact": self.contact_id,
            "role": self.role,
            "author": self.author.display_name if self.author_id else "",
            "text": self.text,
            "sent_at": self.created_at.isoformat(),
        }


class HandOverNote(models.Model):
    """A chat handed from one person to another (or taken over by the coordinator), with a note for
    the one who continues."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="hand_overs")
    from_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    by_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
