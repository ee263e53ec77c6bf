"""The parent's letter pages: write, the code shown once, read with the code (follow up, close,
print), the privacy notice. An edge: forms in, letters.services called, pages out.

After the code was entered, only the thread's id is kept in the session (as the chat's join page
does); the code itself is never stored. The new letter's code crosses the post/redirect/get in a
short-lived signed HttpOnly cookie in the parent's own browser, as a booking's does.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core import signing
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from booking.actors import Actor
from booking.ratelimit import RateLimited

from . import services
from .forms import CodeForm, ReplyForm, WriteForm
from .models import Thread

SENT_COOKIE = "letter_sent"
SENT_COOKIE_SALT = "letters.sent"
SENT_COOKIE_SECONDS = 600
SENT_COOKIE_PATH = "/letters/sent/"
SESSION_KEY = "letter_thread"


def _context(**extra) -> dict:
    return {
        "answer_days": settings.LETTER_ANSWER_DAYS,
        "keep_days": settings.LETTER_KEEP_DAYS,
        "follow_ups": settings.LETTER_FOLLOW_UPS,
        "max_chars": settings.LETTER_MAX_CHARS,
        **extra,
    }


def _add_service_error(form, exc: services.LetterError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@never_cache
@require_http_methods(["GET", "POST"])
def write(request):
    form = WriteForm(request.POST or None)
    status = 200
    error = None
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                new = services.letter_create(
                    actor=Actor.from_request(request),
                    text=data["text"],
                    nickname=data["nickname"],
                    audience=data["audience"],
                    topic=data["topic"],
                    notify_email=data["notify_email"],
                    language=translation.get_language(),
                )
            except RateLimited:
                error, status = _("You have just written several letters. You can write again in an hour."), 429
            except services.LetterError as exc:
                _add_service_error(form, exc)
                status = 400
            else:
                response = redirect("letters:sent")
                value = signing.dumps({"t": new.thread.pk, "c": new.code}, salt=SENT_COOKIE_SALT)
                response.set_cookie(
                    SENT_COOKIE, value, max_age=SENT_COOKIE_SECONDS, path=SENT_COOKIE_PATH,
                    secure=settings.SESSION_COOKIE_SECURE, httponly=True, samesite="Strict",
                )
                return response
        else:
            status = 400
    promised = timezone.now() + dt.timedelta(days=settings.LETTER_ANSWER_DAYS)
    return render(request, "letters/write.html", _context(form=form, error=error, promised=promised), status=status)


@never_cache
def sent(request):
    """The code, once: from the cookie the letter set, so a reload shows the same page (and writes
    nothing); after a few minutes, or once the parent says they have it, the cookie is gone."""
    try:
        data = signing.loads(request.COOKIES.get(SENT_COOKIE, ""), salt=SENT_COOKIE_SALT, max_age=SENT_COOKIE_SECONDS)
        thread = Thread.objects.get(pk=data["t"])
        code = data["c"]
    except (signing.BadSignature, Thread.DoesNotExist, KeyError, TypeError):
        return render(request, "letters/sent_expired.html", _context())
    if services.thread_by_code(code) != thread:
        return render(request, "letters/sent_expired.html", _context())
    response = render(request, "letters/sent.html", _context(thread=thread, code=code))
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["POST"])
def sent_done(request):
    """"I have saved the code": the cookie that holds it is deleted, and the parent goes to read."""
    response = redirect("letters:read")
    response.delete_cookie(SENT_COOKIE, path=SENT_COOKIE_PATH)
    return response


def _session_thread(request) -> Thread | None:
    pk = request.session.get(SESSION_KEY)
    thread = Thread.objects.filter(pk=pk).exclude(status=Thread.Status.FLAGGED).first() if isinstance(pk, int) else None
    if thread is None and pk is not None:
        request.session.pop(SESSION_KEY, None)
    return thread


def _thread_context(thread: Thread, **extra) -> dict:
    refusal = services.reply_refusal(thread)
    return _context(
        thread=thread,
        status=services.public_status(thread),
        letters=services.parent_letters(thread),
        reply_refusal=refusal,
        reply_refusal_message=services.LetterError(refusal).message if refusal and refusal != "not_answered" else "",
        follow_ups_left=max(0, settings.LETTER_FOLLOW_UPS - services.follow_ups_used(thread)),
        **extra,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def read(request):
    """Enter the code, then the thread: the letters, the answer, one follow-up, closing, printing."""
    if request.method == "POST" and "code" in request.POST:
        form = CodeForm(request.POST)
        code = request.POST.get("code", "")
        try:
            thread = services.find_by_code(actor=Actor.from_request(request), code=code)
        except RateLimited:
            return render(request, "letters/code.html", _context(form=form, error=_("Too many attempts. Please wait a while and try again.")), status=429)
        except services.LetterError as exc:
            return render(request, "letters/code.html", _context(form=form, error=exc.message), status=400)
        request.session.cycle_key()
        request.session[SESSION_KEY] = thread.pk
        return redirect("letters:read")

    thread = _session_thread(request)
    if thread is None:
        gone = request.method == "POST"
        return render(request, "letters/code.html", _context(form=CodeForm(), gone=gone), status=400 if gone else 200)

    reply_form = ReplyForm()
    status = 200
    notice = None
    if request.method == "POST":
        action = request.POST.get("action")
        actor = Actor.from_request(request)
        if action == "reply":
            reply_form = ReplyForm(request.POST)
            if reply_form.is_valid():
                try:
                    services.parent_reply(actor=actor, thread=thread, text=reply_form.cleaned_data["text"])
                except services.LetterError as exc:
                    if exc.field:
                        reply_form.add_error("text", exc.message)
                        status = 400
                    else:
                        notice, status = exc.message, 409
                else:
                    request.session["letter_notice"] = "replied"
                    return redirect("letters:read")
            else:
                status = 400
        elif action == "close":
            services.parent_close(actor=actor, thread=thread)
            request.session["letter_notice"] = "closed"
            return redirect("letters:read")
        elif action == "forget":
            request.session.pop(SESSION_KEY, None)
            return redirect("letters:read")
        thread.refresh_from_db()
    done = request.session.pop("letter_notice", None)
    return render(request, "letters/read.html", _thread_context(thread, reply_form=reply_form, notice=notice, done=done), status=status)


@never_cache
def print_view(request):
    """The thread as a page to print or save: the letters and the answer, nothing else."""
    thread = _session_thread(request)
    if thread is None:
        return redirect("letters:read")
    return render(request, "letters/print.html", _thread_context(thread, printed_at=timezone.now()))


def privacy(request):
    return render(request, "letters/privacy.html", _context())
