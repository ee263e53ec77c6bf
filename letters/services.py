"""The letter service's rules, once: writing, reading with the code, following up and closing
(parents); taking, drafting, sending, reviewing, assigning and flagging (staff); the statistics
record; the notice and the purge (the system).

Every edge (the parent pages, the JSON API, the staff pages, the Celery tasks) calls these with an
``Actor`` (booking.actors) and only translates input and output.

- Codes are booking.codes codes (same strength, same keyed hash), and every code entry goes through
  ``booking.ratelimit.check_code``: wrong letter codes count against the same per-client limit as
  every other code of every channel.
- A letter is taken by exactly one person: ``take`` is one conditional UPDATE (``WHERE taken_by IS
  NULL``), which the database runs atomically whatever the number of concurrent takers.
- A parent sees only letters that are SENT: a volunteer's answer (and, with LETTER_REVIEW_WORKERS,
  a worker's) waits in REVIEW until another professional approves it.
- Staff actions that matter (assign, approve, flag) leave as ``signals.letter_changed``; the staff
  app writes the audit log (this floor does not import staff).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import EmailValidator
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from booking import codes, ratelimit
from booking.actors import ADMIN, COORDINATOR, VOLUNTEER, WORKER, Actor
from booking.ratelimit import RateLimited
from booking.services import clean_text
from stats import services as stats_services
from stats.models import Channel, ContactRecord, Topic

from .models import Letter, Thread
from .signals import send_letter_changed

__all__ = ["LetterError", "RateLimited", "NewThread"]

NICKNAME_MAX = 40
EMAIL_MAX = 254
NOTE_MAX = 1000
LETTER_ROLES = (WORKER, VOLUNTEER, COORDINATOR, ADMIN)
OPEN = (Thread.Status.WAITING, Thread.Status.ANSWERED)


def text_max() -> int:
    return settings.LETTER_MAX_CHARS


class LetterError(Exception):
    """A refusal the user can act on. ``code`` is stable (API), ``message`` is for people."""

    MESSAGES = {
        "empty": _("Please write your letter first."),
        "too_long": _("The letter is too long: at most %(max)s characters."),
        "invalid_nickname": _("Please keep the nickname under 40 characters."),
        "invalid_audience": _("Please choose who the letter is about from the list."),
        "invalid_topic": _("Please choose a topic from the list."),
        "invalid_email": _("Please check the email address, or leave it empty."),
        "invalid_code": _("The code was not recognised. Please check it and try again."),
        "not_answered": _("You can write again once you have read the answer."),
        "no_more_letters": _("This conversation has all the letters it can have. You are welcome to write a new letter."),
        "closed": _("This conversation is closed."),
        "taken": _("Someone else has already taken this letter."),
        "not_waiting": _("This letter is not waiting for an answer."),
        "not_yours": _("This letter has been taken by someone else."),
        "in_review": _("The answer is waiting for approval."),
        "not_in_review": _("This answer is not waiting for approval."),
        "own_answer": _("Another professional approves your answer."),
        "no_answer": _("Write the answer first."),
        "not_recordable": _("Statistics are recorded once the answer has been sent."),
        "cannot_take_letters": _("This person cannot answer letters."),
        "forbidden": _("You may not do this."),
    }

    def __init__(self, code: str, *, field: str | None = None):
        self.code = code
        self.field = field
        super().__init__(code)

    @property
    def message(self) -> str:
        if self.code == "too_long":
            return str(self.MESSAGES["too_long"]) % {"max": text_max()}
        return str(self.MESSAGES.get(self.code, self.code))


@dataclass
class NewThread:
    thread: Thread
    code: str = field(repr=False)


# --- input ------------------------------------------------------------------------------------------
def validate_text(text, *, field_name: str = "text", limit: int | None = None) -> str:
    """Control characters stripped as in chat messages; empty or over-long refused."""
    limit = limit or text_max()
    cleaned = clean_text(text, max_length=limit, single_line=False)
    if not cleaned:
        raise LetterError("empty", field=field_name)
    if len(cleaned) > limit:
        raise LetterError("too_long", field=field_name)
    return cleaned


def validate_nickname(nickname) -> str:
    cleaned = clean_text(nickname or "", max_length=NICKNAME_MAX, single_line=True)
    if len(cleaned) > NICKNAME_MAX:
        raise LetterError("invalid_nickname", field="nickname")
    return cleaned


def validate_audience(audience) -> str:
    audience = audience or ""
    if audience and audience not in Thread.Audience.values:
        raise LetterError("invalid_audience", field="audience")
    return audience


def topic_choices():
    """The main categories of the statistics' topic trees a parent may choose from."""
    return Topic.objects.filter(is_active=True, parent__isnull=True).order_by("about", "ordering", "pk")


def validate_topic(topic) -> Topic | None:
    if topic in (None, ""):
        return None
    if isinstance(topic, Topic):
        pk = topic.pk
    elif isinstance(topic, int) and not isinstance(topic, bool):
        pk = topic
    elif isinstance(topic, str) and topic.isascii() and topic.isdigit() and len(topic) < 10:
        pk = int(topic)
    else:
        raise LetterError("invalid_topic", field="topic")
    found = topic_choices().filter(pk=pk).first() if 0 < pk < 2**31 else None
    if found is None:
        raise LetterError("invalid_topic", field="topic")
    return found


def validate_email(value) -> str:
    value = clean_text(value or "", max_length=EMAIL_MAX, single_line=True)
    if not value:
        return ""
    try:
        if len(value) > EMAIL_MAX:
            raise ValidationError("too long")
        EmailValidator()(value)
    except ValidationError:
        raise LetterError("invalid_email", field="notify_email") from None
    return value


def _dead_code() -> str:
    # Unique like a real hash, but no code can ever hash to it (real hashes are 64 hex digits).
    return "closed-" + secrets.token_hex(16)


# --- parents ----------------------------------------------------------------------------------------
def letter_create(
    *,
    actor: Actor,
    text,
    nickname="",
    audience="",
    topic=None,
    notify_email="",
    language: str = "",
    now: dt.datetime | None = None,
) -> NewThread:
    """A parent's new letter: a thread waiting for an answer, and its one-time code (shown once).

    Uses one of the client's new-letter allowance (LETTERS_PER_CLIENT_PER_HOUR), taken atomically
    and given back when nothing was written (a refused letter costs nothing).
    """
    now = now or timezone.now()
    text = validate_text(text)
    nickname = validate_nickname(nickname)
    audience = validate_audience(audience)
    topic = validate_topic(topic)
    notify_email = validate_email(notify_email)
    language = language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    allowance = None
    if not actor.is_system:
        allowance = ratelimit.take("letters", actor.client, limit=settings.LETTERS_PER_CLIENT_PER_HOUR, window=3600)
    try:
        code = codes.generate()
        with transaction.atomic():
            thread = Thread.objects.create(
                code_hash=codes.hash_code(code),
                nickname=nickname,
                audience=audience,
                topic=topic,
                language=language,
                created_at=now,
                answer_by=now + dt.timedelta(days=settings.LETTER_ANSWER_DAYS),
                notify_email=notify_email,
            )
            Letter.objects.create(thread=thread, author=Letter.Author.PARENT, text=text, created_at=now, sent_at=now)
    except BaseException:
        if allowance:
            ratelimit.give_back(allowance)
        raise
    send_letter_changed(thread=thread, change="written", actor=actor)
    return NewThread(thread=thread, code=code)


def thread_by_code(code) -> Thread | None:
    """The live thread of a code (never a flagged one: its code is closed), or None."""
    hashed = codes.hash_code(code if isinstance(code, str) else "")
    if not hashed:
        return None
    return Thread.objects.filter(code_hash=hashed).exclude(status=Thread.Status.FLAGGED).first()


def find_by_code(*, actor: Actor, code) -> Thread:
    """The thread a code belongs to, under the client's code-entry limit shared by every channel.

    Raises ``RateLimited`` when the client has used up its attempts, ``LetterError("invalid_code")``
    for a code that is not a live thread's.
    """
    thread = ratelimit.check_code(actor.client, lambda: thread_by_code(code))
    if thread is None:
        raise LetterError("invalid_code", field="code")
    return thread


def parent_letters(thread: Thread) -> list[Letter]:
    """What the parent sees: their own letters and the helpline's SENT answers, never a draft or an
    answer waiting for approval."""
    return list(
        thread.letters.filter(Q(author=Letter.Author.PARENT) | Q(state=Letter.State.SENT)).select_related("written_by")
    )


def public_status(thread: Thread) -> str:
    """The status a parent sees: "waiting", "answered" or "closed" (an answer in review is waiting)."""
    return thread.status if thread.status in (Thread.Status.WAITING, Thread.Status.ANSWERED) else Thread.Status.CLOSED


def follow_ups_used(thread: Thread) -> int:
    return max(0, thread.letters.filter(author=Letter.Author.PARENT).count() - 1)


def reply_refusal(thread: Thread) -> str | None:
    """Why the parent may not write again now (None: they may). One rule for the page and the API:
    after an answer, up to LETTER_FOLLOW_UPS more letters in the same thread."""
    if thread.status not in OPEN:
        return "closed"
    if follow_ups_used(thread) >= settings.LETTER_FOLLOW_UPS:
        return "no_more_letters"
    if thread.status != Thread.Status.ANSWERED:
        return "not_answered"
    return None


def parent_reply(*, actor: Actor, thread: Thread, text, now: dt.datetime | None = None) -> Letter:
    """A follow-up letter in the same thread. It goes back to whoever answered (continuity), with a
    new promised date; the deletion waits for the next answer."""
    now = now or timezone.now()
    text = validate_text(text)
    with transaction.atomic():
        thread = Thread.objects.select_for_update().get(pk=thread.pk)
        refusal = reply_refusal(thread)
        if refusal:
            raise LetterError(refusal)
        letter = Letter.objects.create(thread=thread, author=Letter.Author.PARENT, text=text, created_at=now, sent_at=now)
        thread.status = Thread.Status.WAITING
        thread.answer_by = now + dt.timedelta(days=settings.LETTER_ANSWER_DAYS)
        thread.delete_after = None
        thread.save(update_fields=["status", "answer_by", "delete_after"])
    send_letter_changed(thread=thread, change="follow_up", actor=actor)
    return letter


def parent_close(*, actor: Actor, thread: Thread, now: dt.datetime | None = None) -> Thread:
    """The parent closes the thread: no more letters either way; it is deleted LETTER_KEEP_DAYS
    later (the code still opens it until then). Closing a closed thread changes nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        thread = Thread.objects.select_for_update().get(pk=thread.pk)
        if thread.status not in OPEN:
            return thread
        _close(thread, status=Thread.Status.CLOSED, now=now)
    send_letter_changed(thread=thread, change="closed", actor=actor)
    return thread


def _close(thread: Thread, *, status: str, now: dt.datetime) -> None:
    """No answer will be sent any more: unsent drafts go, and so does the notice address."""
    Letter.objects.filter(thread=thread, author=Letter.Author.HELPLINE).exclude(state=Letter.State.SENT).delete()
    thread.status = status
    thread.closed_at = now
    thread.delete_after = now + dt.timedelta(days=settings.LETTER_KEEP_DAYS)
    thread.notify_email = ""
    thread.save(update_fields=["status", "closed_at", "delete_after", "notify_email"])


# --- staff: who may do what --------------------------------------------------------------------------
def can_handle_letters(actor: Actor) -> bool:
    """Workers, volunteers, coordinators and admins whose session passed the second factor."""
    return actor.has_role(*LETTER_ROLES)


def _require(condition: bool, code: str = "forbidden") -> None:
    if not condition:
        raise LetterError(code)


def open_answer(thread: Thread) -> Letter | None:
    """The thread's unsent answer (a draft, or one waiting for approval), if any."""
    return thread.letters.filter(author=Letter.Author.HELPLINE).exclude(state=Letter.State.SENT).first()


def can_read(actor: Actor, thread: Thread) -> bool:
    """Who may open a thread: anyone who answers letters while it waits untaken (to choose one), its
    taker, a coordinator, and a professional while an answer in it waits for approval."""
    if not can_handle_letters(actor) or thread.status == Thread.Status.FLAGGED and not actor.is_coordinator:
        return False
    if actor.is_coordinator or thread.taken_by_id == actor.user_id:
        return True
    if thread.status == Thread.Status.WAITING and thread.taken_by_id is None:
        return True
    return actor.is_professional and thread.letters.filter(state=Letter.State.REVIEW).exists()


def can_read_draft(actor: Actor, letter: Letter) -> bool:
    """An unsent answer is its writer's: a colleague does not read another's draft. A coordinator
    may; an answer waiting for approval is read by the professionals who may approve it."""
    if letter.state == Letter.State.SENT:
        return True
    if actor.is_coordinator or (letter.written_by_id is not None and letter.written_by_id == actor.user_id):
        return True
    return letter.state == Letter.State.REVIEW and actor.is_professional


def needs_review(actor: Actor) -> bool:
    """Volunteers' answers are approved by a professional; workers' too when LETTER_REVIEW_WORKERS."""
    if actor.role == VOLUNTEER:
        return True
    return actor.role == WORKER and settings.LETTER_REVIEW_WORKERS


def may_flag(actor: Actor, thread: Thread) -> bool:
    """Flagging closes the parent's code for good: a professional who took the letter, or a coordinator."""
    return actor.is_coordinator or (actor.is_professional and thread.taken_by_id == actor.user_id)


# --- staff: taking and answering ----------------------------------------------------------------------
def take(*, actor: Actor, thread: Thread, now: dt.datetime | None = None) -> Thread:
    """Take a waiting letter to answer it. One statement (``UPDATE ... WHERE taken_by IS NULL``):
    of any number of concurrent takers exactly one gets it, the others get ``taken``."""
    _require(can_handle_letters(actor))
    now = now or timezone.now()
    won = Thread.objects.filter(pk=thread.pk, status=Thread.Status.WAITING, taken_by__isnull=True).update(
        taken_by=actor.user, taken_at=now
    )
    thread.refresh_from_db()
    if not won:
        raise LetterError("taken" if thread.taken_by_id not in (None, actor.user_id) else "not_waiting")
    send_letter_changed(thread=thread, change="taken", actor=actor)
    return thread


def release(*, actor: Actor, thread: Thread) -> Thread:
    """Give a letter back to the inbox: its taker or a coordinator, while it waits and no answer
    of it waits for approval. The taker's draft goes with it (a draft is its writer's)."""
    with transaction.atomic():
        thread = Thread.objects.select_for_update().get(pk=thread.pk)
        _require(thread.taken_by_id is not None and (actor.is_coordinator or thread.taken_by_id == actor.user_id))
        if thread.status != Thread.Status.WAITING:
            raise LetterError("not_waiting")
        if thread.letters.filter(state=Letter.State.REVIEW).exists():
            raise LetterError("in_review")
        Letter.objects.filter(thread=thread, state=Letter.State.DRAFT).delete()
        thread.taken_by, thread.taken_at = None, None
        thread.save(update_fields=["taken_by", "taken_at"])
    send_letter_changed(thread=thread, change="released", actor=actor)
    return thread


def assignable_staff():
    """Who can be given a letter: active staff who answer letters."""
    return get_user_model().objects.filter(is_active=True, role__in=LETTER_ROLES).order_by("pseudonym", "email")


def assign(*, actor: Actor, thread: Thread, to, now: dt.datetime | None = None) -> Thread:
    """The coordinator gives a letter to someone (or to someone else): an unsent draft moves with
    it, so a colleague's half-written answer is not lost. Audited."""
    _require(actor.is_coordinator)
    now = now or timezone.now()
    if to is None or not assignable_staff().filter(pk=to.pk).exists():
        raise LetterError("cannot_take_letters", field="to")
    with transaction.atomic():
        thread = Thread.objects.select_for_update().get(pk=thread.pk)
        if thread.status not in OPEN:
            raise LetterError("closed")
        if thread.letters.filter(state=Letter.State.REVIEW).exists():
            raise LetterError("in_review")
        previous = thread.taken_by
        if previous is not None and previous.pk == to.pk:
            return thread
        thread.taken_by, thread.taken_at = to, now
        thread.save(update_fields=["taken_by", "taken_at"])
        Letter.objects.filter(thread=thread, state=Letter.State.DRAFT).update(written_by=to)
        send_letter_changed(thread=thread, change="assigned", actor=actor, previous=previous, to=to)
    return thread


def _taker_thread(actor: Actor, thread: Thread) -> Thread:
    """The thread locked for its taker's change; refusals for anyone else and for a closed thread."""
    _require(can_handle_letters(actor))
    thread = Thread.objects.select_for_update().get(pk=thread.pk)
    if thread.taken_by_id != actor.user_id:
        raise LetterError("not_yours")
    if thread.status != Thread.Status.WAITING:
        raise LetterError("not_waiting")
    return thread


def draft_save(*, actor: Actor, thread: Thread, text, now: dt.datetime | None = None) -> Letter:
    """The taker writes (and rewrites) the answer; nothing reaches the parent yet."""
    now = now or timezone.now()
    text = validate_text(text)
    with transaction.atomic():
        thread = _taker_thread(actor, thread)
        current = open_answer(thread)
        if current is not None and current.state == Letter.State.REVIEW:
            raise LetterError("in_review")
        if current is None:
            return Letter.objects.create(
                thread=thread, author=Letter.Author.HELPLINE, state=Letter.State.DRAFT, text=text, written_by=actor.user,
                created_at=now,
            )
        current.text, current.written_by = text, actor.user
        current.save(update_fields=["text", "written_by", "updated_at"])
        return current


def answer_send(*, actor: Actor, thread: Thread, text=None, now: dt.datetime | None = None) -> Letter:
    """The taker sends the answer (``text`` saves it first). A professional's answer reaches the
    parent at once; a volunteer's (and with LETTER_REVIEW_WORKERS a worker's) waits for a
    professional's approval, and until then the parent sees the thread as waiting."""
    now = now or timezone.now()
    with transaction.atomic():
        if text is not None:
            letter = draft_save(actor=actor, thread=thread, text=text, now=now)
        thread = _taker_thread(actor, thread)
        letter = open_answer(thread)
        if letter is None:
            raise LetterError("no_answer")
        if letter.state == Letter.State.REVIEW:
            raise LetterError("in_review")
        letter.written_by = actor.user
        if needs_review(actor):
            letter.state, letter.review_note = Letter.State.REVIEW, ""
            letter.save(update_fields=["state", "review_note", "written_by", "updated_at"])
            send_letter_changed(thread=thread, change="submitted", actor=actor)
            return letter
        letter.save(update_fields=["written_by"])
        _publish(thread, letter, approved_by=None, now=now)
        send_letter_changed(thread=thread, change="answered", actor=actor)
    return letter


def _publish(thread: Thread, letter: Letter, *, approved_by, now: dt.datetime, from_state: str = Letter.State.DRAFT) -> None:
    """The answer reaches the parent: the thread is answered and deleted LETTER_KEEP_DAYS later.
    One conditional UPDATE moves the letter from ``from_state`` to SENT: of two reviewers
    approving at once, one wins and the other is told it is no longer waiting."""
    won = Letter.objects.filter(pk=letter.pk, state=from_state).update(state=Letter.State.SENT, sent_at=now, approved_by=approved_by)
    if not won:
        raise LetterError("not_in_review" if from_state == Letter.State.REVIEW else "no_answer")
    letter.refresh_from_db()
    thread.status = Thread.Status.ANSWERED
    thread.answered_at = now
    thread.delete_after = now + dt.timedelta(days=settings.LETTER_KEEP_DAYS)
    thread.save(update_fields=["status", "answered_at", "delete_after"])


def review_queue():
    """Answers waiting for a professional's approval, the most urgent first."""
    return (
        Letter.objects.filter(state=Letter.State.REVIEW, thread__status=Thread.Status.WAITING)
        .select_related("thread", "written_by")
        .order_by("thread__answer_by", "pk")
    )


def answer_approve(*, actor: Actor, letter: Letter, now: dt.datetime | None = None) -> Letter:
    """A professional approves an answer waiting for approval (never their own): it reaches the
    parent. One conditional UPDATE decides, so two reviewers cannot both approve."""
    _require(actor.is_professional)
    now = now or timezone.now()
    if letter.written_by_id == actor.user_id:
        raise LetterError("own_answer")
    with transaction.atomic():
        thread = Thread.objects.select_for_update().get(pk=letter.thread_id)
        if thread.status != Thread.Status.WAITING:
            raise LetterError("not_in_review")
        _publish(thread, letter, approved_by=actor.user, now=now, from_state=Letter.State.REVIEW)
        send_letter_changed(thread=thread, change="approved", actor=actor, writer=letter.written_by)
    return letter


def answer_return(*, actor: Actor, letter: Letter, note="") -> Letter:
    """A professional sends an answer back to its writer with a note; it is a draft again."""
    _require(actor.is_professional)
    if letter.written_by_id == actor.user_id:
        raise LetterError("own_answer")
    note = clean_text(note or "", max_length=NOTE_MAX, single_line=False)[:NOTE_MAX]
    won = Letter.objects.filter(pk=letter.pk, state=Letter.State.REVIEW).update(state=Letter.State.DRAFT, review_note=note)
    if not won:
        raise LetterError("not_in_review")
    letter.refresh_from_db()
    send_letter_changed(thread=letter.thread, change="returned", actor=actor)
    return letter


def flag(*, actor: Actor, thread: Thread, now: dt.datetime | None = None) -> Thread:
    """An abusive letter: no answer, the parent's code is closed at once (it opens nothing any
    more), and the thread is deleted on the normal schedule (LETTER_KEEP_DAYS). Audited."""
    now = now or timezone.now()
    with transaction.atomic():
        thread = Thread.objects.select_for_update().get(pk=thread.pk)
        _require(may_flag(actor, thread))
        if thread.status == Thread.Status.FLAGGED:
            return thread
        _close(thread, status=Thread.Status.FLAGGED, now=now)
        thread.code_hash = _dead_code()
        thread.save(update_fields=["code_hash"])
        send_letter_changed(thread=thread, change="flagged", actor=actor)
    return thread


# --- statistics ------------------------------------------------------------------------------------
def answered_by(thread: Thread) -> set:
    return set(
        thread.letters.filter(author=Letter.Author.HELPLINE, state=Letter.State.SENT).values_list("written_by_id", flat=True)
    )


def can_record(actor: Actor, thread: Thread) -> bool:
    """The statistics of a letter are recorded by the one who answered it, once it is answered."""
    return can_handle_letters(actor) and actor.user_id in answered_by(thread)


def record_of(thread: Thread) -> ContactRecord | None:
    return ContactRecord.objects.filter(source_key=thread.source_key).prefetch_related("topics").first()


def record_save(
    *,
    actor: Actor,
    thread: Thread,
    topics,
    child_age_group: str = "",
    contacted_by: str = "",
    professional_help_discussed: bool = False,
    guided_to_services: bool = False,
) -> ContactRecord:
    """The anonymous statistics record of an answered letter (channel "letter", the month only),
    by the one who answered it. Kept once per thread, and it outlives the thread."""
    if not answered_by(thread):
        raise LetterError("not_recordable")
    _require(can_record(actor, thread))
    return stats_services.channel_record_save(
        actor=actor,
        channel=Channel.LETTER,
        source_key=thread.source_key,
        when=thread.created_at,
        topics=list(topics),
        child_age_group=child_age_group,
        contacted_by=contacted_by,
        professional_help_discussed=professional_help_discussed,
        guided_to_services=guided_to_services,
    )


def records_missing(actor: Actor):
    """Answered threads of this person's without a statistics record yet."""
    mine = Thread.objects.filter(
        letters__author=Letter.Author.HELPLINE, letters__state=Letter.State.SENT, letters__written_by_id=actor.user_id
    ).distinct()
    recorded = set(
        ContactRecord.objects.filter(source_key__in=[t.source_key for t in mine]).values_list("source_key", flat=True)
    )
    return [t for t in mine.order_by("answered_at") if t.source_key not in recorded]


# --- the inbox -----------------------------------------------------------------------------------------
def inbox(*, actor: Actor, view: str):
    """The staff inbox, oldest promise first: "open" (waiting, untaken), "mine" (taken by me and
    waiting), "all" (coordinators: every waiting letter, taken or not)."""
    _require(can_handle_letters(actor))
    qs = Thread.objects.filter(status=Thread.Status.WAITING).select_related("taken_by", "topic")
    qs = qs.annotate(parent_letters=Count("letters", filter=Q(letters__author=Letter.Author.PARENT)))
    if view == "open":
        qs = qs.filter(taken_by__isnull=True)
    elif view == "mine":
        qs = qs.filter(taken_by_id=actor.user_id)
    elif view == "all":
        _require(actor.is_coordinator)
    else:
        raise LetterError("forbidden")
    return qs.order_by("answer_by", "pk")


def inbox_counts(actor: Actor) -> dict:
    waiting = Thread.objects.filter(status=Thread.Status.WAITING)
    counts = {
        "open": waiting.filter(taken_by__isnull=True).count(),
        "mine": waiting.filter(taken_by_id=actor.user_id).count(),
        "overdue": waiting.filter(answer_by__lt=timezone.now()).count(),
    }
    if actor.is_professional:
        counts["review"] = review_queue().count()
    return counts


# --- the system: the one notice and the purge ----------------------------------------------------------
def _send_notice(thread: Thread) -> None:
    read_url = settings.SITE_URL.rstrip("/") + reverse("letters:read")
    with translation.override(thread.language or settings.LANGUAGE_CODE):
        subject = gettext("Your answer is ready – MLL Parents' Helpline")
        body = gettext(
            "Hello,\n\nthe answer to your letter is ready. Read it at %(url)s with the code you got "
            "when you wrote the letter.\n\nThis address has now been deleted from our system.\n\nMLL"
        ) % {"url": read_url}
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [thread.notify_email])


def send_due_notices(*, now: dt.datetime | None = None) -> int:
    """One notice "your answer is ready" to each answered thread that asked for it; then the address
    is deleted. Claimed with a conditional update first, so two runs never send twice. Addresses of
    threads that will get no answer (closed, flagged) are deleted without sending."""
    now = now or timezone.now()
    Thread.objects.exclude(status__in=OPEN).exclude(notify_email="").update(notify_email="")
    sent = 0
    due = Thread.objects.filter(status=Thread.Status.ANSWERED, notice_sent_at__isnull=True).exclude(notify_email="")
    for thread in due:
        if not Thread.objects.filter(pk=thread.pk, notice_sent_at__isnull=True).update(notice_sent_at=now):
            continue  # another worker is sending this one
        try:
            _send_notice(thread)
        except Exception:
            Thread.objects.filter(pk=thread.pk).update(notice_sent_at=None)  # let the retry send it
            raise
        Thread.objects.filter(pk=thread.pk).update(notify_email="")
        sent += 1
    return sent


def purge_due(*, now: dt.datetime | None = None) -> int:
    """Delete every thread whose time is up (LETTER_KEEP_DAYS after the answer, the closing or the
    flag), with all its letters. The statistics record stays: it holds no link to the thread.
    Returns how many threads were deleted."""
    now = now or timezone.now()
    due = Thread.objects.filter(delete_after__isnull=False, delete_after__lte=now).exclude(status=Thread.Status.WAITING)
    deleted = 0
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            # Re-checked under the lock: a follow-up written meanwhile keeps the thread.
            thread = Thread.objects.select_for_update().filter(pk=pk, delete_after__lte=now).exclude(status=Thread.Status.WAITING).first()
            if thread is None:
                continue
            Letter.objects.filter(thread=thread).delete()
            thread.delete()
            deleted += 1
    return deleted
