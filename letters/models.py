"""The letter service (nettikirje): a parent's letters and the helpline's answers, in one thread.

A thread holds no personal data: an optional nickname, what the letter is about, the letters
themselves, and, only until the one notice "your answer is ready" is sent, an optional email
address. The parent's one-time code is stored only as its keyed hash (booking.codes). Everything
here is deleted LETTER_KEEP_DAYS after the answer or the closing (letters/services.py,
``purge_due``); the anonymous statistics record (stats.ContactRecord, source key "letter:<id>")
outlives it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Thread(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting for an answer")
        ANSWERED = "answered", _("Answered")
        CLOSED = "closed", _("Closed")
        FLAGGED = "flagged", _("Flagged")

    class Audience(models.TextChoices):
        # The statistics' two halves (stats.Topic.About): a letter about the child or about the adult.
        CHILD = "child", _("My child")
        ADULT = "adult", _("Me as a parent, or us adults")

    # HMAC of the one-time code (booking.codes.hash_code); replaced by a dead value when flagged.
    code_hash = models.CharField(max_length=64, unique=True, editable=False)
    nickname = models.CharField(_("nickname"), max_length=40, blank=True)
    audience = models.CharField(_("who it concerns"), max_length=8, choices=Audience.choices, blank=True)
    topic = models.ForeignKey(
        "stats.Topic", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("topic")
    )
    # The language the parent wrote in: the one notice is sent in it.
    language = models.CharField(max_length=8, default="fi", editable=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.WAITING, db_index=True)
    created_at = models.DateTimeField(_("written"), default=timezone.now, editable=False)
    # The promised answer date: LETTER_ANSWER_DAYS after the parent's latest letter.
    answer_by = models.DateTimeField(_("answer promised by"))
    # Who answers. Set by one conditional UPDATE (services.take): exactly one person takes a letter.
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="letters_taken",
        verbose_name=_("taken by"),
    )
    taken_at = models.DateTimeField(null=True, blank=True, editable=False)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    # When the thread and everything in it are deleted; set at the answer, the closing or the flag.
    delete_after = models.DateTimeField(_("deleted after"), null=True, blank=True, db_index=True)
    # Optional, for one notice only; deleted once the notice is sent (or the thread is closed).
    notify_email = models.EmailField(_("email for the notice"), blank=True)
    notice_sent_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("letter thread")
        verbose_name_plural = _("letter threads")
        ordering = ["answer_by", "pk"]
        indexes = [models.Index(fields=["status", "taken_by", "answer_by"])]

    def __str__(self) -> str:
        return f"letter {self.pk} ({self.get_status_display()})"

    @property
    def source_key(self) -> str:
        """The statistics record's key: the record is kept once per thread and outlives it."""
        return f"letter:{self.pk}"

    @property
    def is_overdue(self) -> bool:
        return self.status == self.Status.WAITING and timezone.now() > self.answer_by


class Letter(models.Model):
    """One letter: the parent's, or the helpline's answer (a draft, in review, or sent)."""

    class Author(models.TextChoices):
        PARENT = "parent", _("Parent")
        HELPLINE = "helpline", _("Helpline")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        REVIEW = "review", _("Waiting for approval")
        SENT = "sent", _("Sent")

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="letters")
    author = models.CharField(max_length=10, choices=Author.choices)
    text = models.TextField()
    # A parent's letter is sent when it is written; only SENT letters are ever shown to the parent.
    state = models.CharField(max_length=8, choices=State.choices, default=State.SENT)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("written by")
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("approved by")
    )
    # The reviewer's words to the writer when an answer is sent back for changes (staff only).
    review_note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            # At most one unsent answer per thread: the draft (or the one in review) is the answer.
            models.UniqueConstraint(
                fields=["thread"], condition=Q(author="helpline", state__in=["draft", "review"]), name="letter_one_open_answer"
            ),
            models.CheckConstraint(
                condition=Q(author="helpline") | Q(state="sent", written_by__isnull=True), name="letter_parent_letters_sent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_author_display()} {self.get_state_display()} ({self.thread_id})"
