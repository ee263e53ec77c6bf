from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from booking.models import Booking


class ChatSession(models.Model):
    """One live conversation: when the helper opened it and when it ended.

    An appointment chat belongs to its booking; a chat of another channel (the drop-in chat, the
    dropin app) has no booking: its own app keeps the link (e.g. dropin.Contact.session) and the
    rules of who may join. Numbering, history, typing, presence, ending and the purge are the same.
    """

    class Channel(models.TextChoices):
        APPOINTMENT = "appointment", _("Appointment chat")
        DROPIN = "dropin", _("Drop-in chat")

    booking = models.OneToOneField(Booking, null=True, blank=True, on_delete=models.CASCADE, related_name="chat")
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.APPOINTMENT)
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    parent_joined_at = models.DateTimeField(_("parent joined"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    ended_by = models.CharField(_("ended by"), max_length=16, blank=True)  # worker, parent, system
    flagged = models.BooleanField(_("flagged as abusive"), default=False)
    purged_at = models.DateTimeField(_("content deleted"), null=True, blank=True)
    # The seq of the session's last message: the counter that numbers messages 1, 2, 3 without gaps.
    last_seq = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("chat session")
        verbose_name_plural = _("chat sessions")
        constraints = [
            # An appointment chat always has its booking; another channel's chat never has one.
            models.CheckConstraint(
                condition=models.Q(channel="appointment", booking__isnull=False)
                | (~models.Q(channel="appointment") & models.Q(booking__isnull=True)),
                name="chatsession_booking_iff_appointment",
            )
        ]

    def __str__(self) -> str:
        if self.booking_id is not None:
            return f"chat #{self.booking_id}"
        return f"{self.channel} chat session {self.pk}"


class Message(models.Model):
    """One chat message. Deleted by the retention job a set time after the chat closes."""

    class Role(models.TextChoices):
        PARENT = "parent", _("Parent")
        WORKER = "worker", _("Worker")
        SYSTEM = "system", _("System")

    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="messages")
    role = models.CharField(max_length=8, choices=Role.choices)
    text = models.TextField()
    # Chosen by the sending client, so a message resent after a dropped connection is stored once.
    client_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # 1, 2, 3, ... within the session, without gaps (unique): a client that holds seq n but not n-1
    # knows a message is missing and asks for it (docs/protocol.md, "Gaps"). Ids increase too, but
    # ids are shared by all chats, so only seq tells a client that something is missing.
    seq = models.PositiveIntegerField(null=True, editable=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "role", "client_id"], condition=~models.Q(client_id=""), name="message_client_id_once"
            ),
            models.UniqueConstraint(fields=["session", "seq"], name="message_seq_once_per_session"),
        ]

    def save(self, *args, **kwargs):
        # The chat stores messages with services.message_post, which numbers them with the session's
        # counter in the same statement; this covers messages made through the ORM (admin, tests).
        if self.seq is not None:
            return super().save(*args, **kwargs)
        with transaction.atomic():
            session = ChatSession.objects.select_for_update().get(pk=self.session_id)
            session.last_seq += 1
            session.save(update_fields=["last_seq"])
            self.seq = session.last_seq
            super().save(*args, **kwargs)

    def as_frame(self) -> dict:
        return {
            "type": "message",
            "id": self.pk,
            "seq": self.seq,
            "role": self.role,
            "text": self.text,
            "sent_at": self.created_at.isoformat(),
            "client_id": self.client_id or None,
        }


class SavedReply(models.Model):
    """A ready text a worker can put in the chat: their own (owner set) or shared (owner empty)."""

    owner = models.ForeignKey(
        "staff.User", null=True, blank=True, on_delete=models.CASCADE, related_name="saved_replies", verbose_name=_("owner")
    )
    title = models.CharField(_("title"), max_length=80)
    text = models.TextField(_("text"), max_length=2000)
    ordering = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("saved reply")
        verbose_name_plural = _("saved replies")
        ordering = ["ordering", "title"]

    def __str__(self) -> str:
        return self.title
