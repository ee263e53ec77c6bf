import csv
import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from booking.models import Booking

from . import charts, selectors, services
from .forms import FeedbackForm, RecordForm, ReportForm
from .models import ContactRecord, Topic


@login_required
@require_http_methods(["GET", "POST"])
def record(request, booking_id):
    """The worker's statistics record of their own held or no-show appointment."""
    booking = get_object_or_404(Booking.objects.select_related("service"), pk=booking_id, worker=request.user)
    if booking.status not in services.RECORDABLE:
        messages.info(request, _("Statistics are recorded once the appointment has ended."))
        return redirect("staff:dashboard")
    existing = ContactRecord.objects.filter(booking=booking).prefetch_related("topics").first()
    initial = {}
    if existing:
        chosen = list(existing.topics.all())
        initial = {
            "child_topics": [t for t in chosen if t.about == Topic.About.CHILD],
            "adult_topics": [t for t in chosen if t.about == Topic.About.ADULT],
            "child_age_group": existing.child_age_group,
            "contacted_by": existing.contacted_by,
            "professional_help_discussed": existing.professional_help_discussed,
            "guided_to_services": existing.guided_to_services,
        }
    form = RecordForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.record_save(
            booking=booking,
            worker=request.user,
            topics=list(data["child_topics"]) + list(data["adult_topics"]),
            child_age_group=data["child_age_group"],
            contacted_by=data["contacted_by"],
            professional_help_discussed=data["professional_help_discussed"],
            guided_to_services=data["guided_to_services"],
        )
        messages.success(request, _("Statistics saved. Thank you."))
        return redirect("stats:missing")
    return render(request, "stats/record.html", {"booking": booking, "form": form, "existing": existing})


@login_required
def missing(request):
    return render(request, "stats/missing.html", {"bookings": selectors.sessions_missing_record(worker=request.user)})


def _require_coordinator(user):
    if not getattr(user, "is_coordinator", False):
        raise PermissionDenied


def _report_from_request(request):
    today = timezone.localdate()
    default = {"start": today.replace(month=1, day=1), "end": today}
    form = ReportForm(request.GET or None, initial=default)
    if request.GET and form.is_valid():
        start, end, service = form.cleaned_data["start"], form.cleaned_data["end"], form.cleaned_data["service"]
    else:
        start, end, service = default["start"], default["end"], None
    return form, selectors.report(start=start, end=end, service=service)


# Counts this small can point at one family when a file leaves MLL (a topic in one month).
SMALL_COUNT_LIMIT = 5


@login_required
def report_page(request):
    _require_coordinator(request.user)
    form, rep = _report_from_request(request)
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
    """The same aggregates as the page, as CSV. Never a row per session."""
    _require_coordinator(request.user)
    form, rep = _report_from_request(request)
    hide_small = bool(request.GET and form.is_valid() and form.cleaned_data["hide_small"])

    def count(n: int):
        return f"<{SMALL_COUNT_LIMIT}" if hide_small and 0 < n < SMALL_COUNT_LIMIT else n

    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="tilastot-{rep.start}-{rep.end}.csv"'
    response.write("\ufeff")  # so that Excel reads UTF-8
    writer = csv.writer(response, delimiter=";")
    writer.writerow(["section", "category", "subcategory", "month", "count"])
    for m in rep.by_month:
        for key in ("booked", "held", "cancelled", "no_show", "follow_ups"):
            writer.writerow(["appointments", key, "", m["month"].strftime("%Y-%m"), count(m[key])])
    for key in ("booked", "held", "cancelled", "no_show", "follow_ups"):
        writer.writerow(["appointments", key, "", "total", count(rep.totals[key])])
    rate = f"{rep.totals['follow_up_rate']:.3f}"
    if count(rep.totals["follow_ups"]) != rep.totals["follow_ups"]:
        rate = "-"  # the rate and the booked total together would give the hidden count away
    writer.writerow(["appointments", "follow_up_rate", "", "total", rate])
    for about, block in rep.topics.items():
        for row in block["rows"]:
            writer.writerow([f"topics_{about}", row.label, "", "total", count(row.count)])
            for child in row.children:
                writer.writerow([f"topics_{about}", row.label, child.label, "total", count(child.count)])
    for section, rows in (
        ("child_age_group", rep.age_groups),
        ("contacted_by", rep.contacted_by),
        ("professional_help", rep.help_rows),
        ("feedback_helpful", rep.feedback_helpful),
        ("feedback_recommend", rep.feedback_recommend),
    ):
        for row in rows:
            writer.writerow([section, row.label, "", "total", count(row.count)])
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
