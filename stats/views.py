from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from booking.actors import Actor, session_passed_mfa
from booking.models import Booking

from . import charts, selectors, services
from .forms import FeedbackForm, RecordForm, ReportForm
from .models import ContactRecord


@login_required
@require_http_methods(["GET", "POST"])
def record(request, booking_id):
    """The worker's statistics record of their own held or no-show appointment."""
    booking = get_object_or_404(Booking.objects.select_related("service"), pk=booking_id, worker=request.user)
    if booking.status not in services.RECORDABLE:
        messages.info(request, _("Statistics are recorded once the appointment has ended."))
        return redirect("staff:dashboard")
    existing = ContactRecord.objects.filter(booking=booking).prefetch_related("topics").first()
    form = RecordForm(request.POST or None, initial=RecordForm.initial_from(existing))
    if request.method == "POST" and form.is_valid():
        services.record_save(actor=Actor.from_request(request), booking=booking, **form.record_values())
        messages.success(request, _("Statistics saved. Thank you."))
        return redirect("stats:missing")
    return render(request, "stats/record.html", {"booking": booking, "form": form, "existing": existing})


@login_required
def missing(request):
    return render(request, "stats/missing.html", {"bookings": selectors.sessions_missing_record(worker=request.user)})


def _actor(request) -> Actor:
    return Actor.staff(request.user, mfa=session_passed_mfa(request.session, request.user))


def _report_form(request) -> ReportForm:
    if not services.can_read_reports(_actor(request)):
        raise PermissionDenied
    return ReportForm.from_query(request.GET)


def _invalid(request, form):
    """An odd filter (year 1, year 9999, no date at all) is the form's error, answered with a 400."""
    return render(request, "stats/report.html", {"form": form, "report": None}, status=400)


@login_required
def report_page(request):
    form = _report_form(request)
    if not form.is_valid():
        return _invalid(request, form)
    data = form.cleaned_data
    rep = selectors.report(start=data["start"], end=data["end"], service=data["service"])
    chart = charts.bar_chart
    context = {
        "form": form,
        "report": rep,
        "chart_months": chart(
            [selectors.Row(m["month"].strftime("%m/%Y"), m["held"]) for m in rep.by_month], title=_("Held appointments by month")
        ),
        "topic_charts": {
            about: chart(block["rows"], title=block["label"]) for about, block in rep.topics.items()
        },
        "chart_age": chart(rep.age_groups, title=_("Child's age group")),
        "chart_who": chart(rep.contacted_by, title=_("Who contacted")),
        "chart_help": chart(rep.help_rows, title=_("Professional help")),
        "chart_helpful": chart(rep.feedback_helpful, title=_("Was the conversation helpful?")),
        "chart_recommend": chart(rep.feedback_recommend, title=_("Would you recommend it?")),
        "query": request.GET.urlencode(),
    }
    return render(request, "stats/report.html", context)


@login_required
def report_csv(request):
    """The same aggregates as the page, as a CSV file in the page's language (stats.exports)."""
    form = _report_form(request)
    if not form.is_valid():
        return _invalid(request, form)
    data = form.cleaned_data
    try:
        export = services.report_export(
            actor=_actor(request), start=data["start"], end=data["end"], service=data["service"],
            hide_small=data["hide_small"], language=translation.get_language(),
        )
    except services.StatsError as exc:
        if exc.code == "forbidden":
            raise PermissionDenied from None
        form.add_error(None, exc.message)
        return _invalid(request, form)
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = content_disposition_header(True, export.filename)
    return response


@require_http_methods(["GET", "POST"])
def feedback(request):
    """Two optional questions after the chat. Stored with the service and month only."""
    booking_id = request.session.get("chat_booking")
    booking = Booking.objects.select_related("service").filter(pk=booking_id).first() if booking_id else None
    if booking is None or booking.status != Booking.Status.COMPLETED:
        return render(request, "stats/feedback.html", {"unavailable": True})
    if request.session.get("feedback_given") == booking.pk:
        return render(request, "stats/feedback.html", {"thanks": True})
    form = FeedbackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.feedback_save(service=booking.service, **form.cleaned_data)
        request.session["feedback_given"] = booking.pk
        return render(request, "stats/feedback.html", {"thanks": True})
    return render(request, "stats/feedback.html", {"form": form})
