"""The staff's letter pages under /staff/letters/ (the two-factor middleware covers /staff/): the
inbox, one thread (take, draft, send, review, assign, release, flag) and the statistics record.
An edge: every decision is in letters/services.py, made with the request's actor."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from booking.actors import Actor
from chatrooms.models import SavedReply
from stats.forms import RecordForm

from . import services
from .forms import AnswerForm, AssignForm, ReturnForm
from .models import Letter, Thread

VIEWS = ("open", "mine", "review", "all")


def _actor(request) -> Actor:
    actor = Actor.from_request(request)
    if not services.can_handle_letters(actor):
        raise PermissionDenied
    return actor


@login_required
def inbox(request):
    """Letters oldest promise first, overdue ones marked: waiting for someone to take them, mine,
    answers waiting for approval (professionals), and every waiting letter (coordinators)."""
    actor = _actor(request)
    view = request.GET.get("view", "open")
    if view not in VIEWS or (view == "review" and not actor.is_professional) or (view == "all" and not actor.is_coordinator):
        view = "open"
    context = {"view": view, "counts": services.inbox_counts(actor), "actor": actor}
    if view == "review":
        context["answers"] = list(services.review_queue())
    else:
        context["threads"] = list(services.inbox(actor=actor, view=view))
        if view == "mine":
            answers = {a.thread_id: a for a in Letter.objects.filter(thread__in=context["threads"], author=Letter.Author.HELPLINE).exclude(state=Letter.State.SENT)}
            for thread in context["threads"]:
                thread.open_answer = answers.get(thread.pk)
            context["to_record"] = services.records_missing(actor)
    return render(request, "letters/staff_inbox.html", context)


def _thread_page(request, actor: Actor, thread: Thread, *, answer_form=None, return_form=None, status=200):
    if not services.can_read(actor, thread):
        raise PermissionDenied
    letters = [letter for letter in thread.letters.select_related("written_by", "approved_by") if services.can_read_draft(actor, letter)]
    answer = services.open_answer(thread)
    is_taker = thread.taken_by_id == actor.user_id
    if answer_form is None and is_taker and thread.status == Thread.Status.WAITING:
        answer_form = AnswerForm(initial={"text": answer.text if answer and answer.state == Letter.State.DRAFT else ""})
    context = {
        "thread": thread,
        "letters": [letter for letter in letters if letter.state == Letter.State.SENT],
        "answer": answer if answer is not None and services.can_read_draft(actor, answer) else None,
        "is_taker": is_taker,
        "can_write": is_taker and thread.status == Thread.Status.WAITING and not (answer and answer.state == Letter.State.REVIEW),
        "needs_review": services.needs_review(actor),
        "can_review": answer is not None and answer.state == Letter.State.REVIEW and actor.is_professional and answer.written_by_id != actor.user_id,
        "can_take": thread.status == Thread.Status.WAITING and thread.taken_by_id is None,
        "can_release": thread.status == Thread.Status.WAITING and thread.taken_by_id is not None
        and (is_taker or actor.is_coordinator) and not (answer and answer.state == Letter.State.REVIEW),
        "can_flag": thread.status in services.OPEN and services.may_flag(actor, thread),
        "can_assign": actor.is_coordinator and thread.status in services.OPEN and not (answer and answer.state == Letter.State.REVIEW),
        "can_record": services.can_record(actor, thread),
        "record": services.record_of(thread),
        "answer_form": answer_form,
        "return_form": return_form or ReturnForm(),
        "assign_form": AssignForm(initial={"to": thread.taken_by_id}),
        "saved_replies": SavedReply.objects.filter(owner=actor.user) | SavedReply.objects.filter(owner__isnull=True),
        "actor": actor,
    }
    return render(request, "letters/staff_thread.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def thread_page(request, thread_id):
    actor = _actor(request)
    thread = get_object_or_404(Thread.objects.select_related("taken_by", "topic"), pk=thread_id)
    if request.method == "GET":
        return _thread_page(request, actor, thread)
    action = request.POST.get("action", "")
    if action != "take" and not services.can_read(actor, thread):
        raise PermissionDenied
    answer_form = return_form = None
    try:
        if action == "take":
            services.take(actor=actor, thread=thread)
            messages.success(request, _("The letter is yours to answer."))
        elif action in ("save", "send"):
            answer_form = AnswerForm(request.POST)
            if not answer_form.is_valid():
                return _thread_page(request, actor, thread, answer_form=answer_form, status=400)
            text = answer_form.cleaned_data["text"]
            if action == "save":
                services.draft_save(actor=actor, thread=thread, text=text)
                messages.success(request, _("The draft is saved. Only you can see it."))
            else:
                letter = services.answer_send(actor=actor, thread=thread, text=text)
                if letter.state == Letter.State.REVIEW:
                    messages.success(request, _("The answer is waiting for a professional's approval. The parent sees it once it is approved."))
                else:
                    messages.success(request, _("The answer is sent. Please record the statistics."))
                    return redirect("letters:record", thread_id=thread.pk)
        elif action == "release":
            services.release(actor=actor, thread=thread)
            messages.success(request, _("The letter is back in the inbox."))
            return redirect("letters:inbox")
        elif action == "assign":
            form = AssignForm(request.POST)
            if not form.is_valid():
                raise services.LetterError("cannot_take_letters")
            services.assign(actor=actor, thread=thread, to=form.cleaned_data["to"])
            messages.success(request, _("The letter is given to %(name)s.") % {"name": form.cleaned_data["to"].display_name})
        elif action in ("approve", "return"):
            letter = get_object_or_404(Letter, thread=thread, state=Letter.State.REVIEW)
            if action == "approve":
                services.answer_approve(actor=actor, letter=letter)
                messages.success(request, _("The answer is approved and sent to the parent."))
                return redirect(f"{_inbox_url()}?view=review")
            return_form = ReturnForm(request.POST)
            return_form.is_valid()
            services.answer_return(actor=actor, letter=letter, note=return_form.cleaned_data.get("note", ""))
            messages.success(request, _("The answer is returned to its writer."))
            return redirect(f"{_inbox_url()}?view=review")
        elif action == "flag":
            if request.POST.get("confirm") != "yes":
                messages.error(request, _("Tick the box to confirm that the letter is abusive."))
                return redirect("letters:thread", thread_id=thread.pk)
            services.flag(actor=actor, thread=thread)
            messages.success(request, _("The letter is flagged. It gets no answer and its code no longer works."))
            return redirect("letters:inbox")
        else:
            messages.error(request, _("Unknown action."))
    except services.LetterError as exc:
        if exc.code == "forbidden":
            raise PermissionDenied from None
        thread.refresh_from_db()
        if answer_form is not None and exc.field == "text":
            answer_form.add_error("text", exc.message)
            return _thread_page(request, actor, thread, answer_form=answer_form, status=400)
        messages.error(request, exc.message)
        if not services.can_read(actor, thread):
            return redirect("letters:inbox")
    return redirect("letters:thread", thread_id=thread.pk)


def _inbox_url() -> str:
    return reverse("letters:inbox")


@login_required
@require_http_methods(["GET", "POST"])
def record(request, thread_id):
    """The anonymous statistics record of an answered letter, by the one who answered it (the
    statistics' own form and topic trees)."""
    actor = _actor(request)
    thread = get_object_or_404(Thread, pk=thread_id)
    if not services.can_record(actor, thread):
        raise PermissionDenied
    existing = services.record_of(thread)
    form = RecordForm(request.POST or None, initial=RecordForm.initial_from(existing))
    if request.method == "POST" and form.is_valid():
        services.record_save(actor=actor, thread=thread, **form.record_values())
        messages.success(request, _("Statistics saved. Thank you."))
        return redirect(f"{_inbox_url()}?view=mine")
    return render(request, "letters/staff_record.html", {"thread": thread, "form": form, "existing": existing}, status=400 if form.errors else 200)
