from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from booking.actors import Actor
from booking.models import Booking

from . import services
from .services import ChatError


@never_cache
@require_http_methods(["GET", "POST"])
def join(request):
    """The parent enters the code. On success only the booking id is kept in the session."""
    context = {}
    if request.method == "POST":
        code = request.POST.get("code", "")
        try:
            booking = services.parent_booking_for_code(actor=Actor.from_request(request), code=code)
        except ChatError as exc:
            context["error"] = exc.message
            context["code"] = code  # a mistyped code stays in the box to be mended, not typed again
            if "opens" in exc.extra:
                context["opens"] = timezone.localtime(exc.extra["opens"])
            return render(request, "chatrooms/join.html", context, status=429 if exc.code == "rate_limited" else 400)
        request.session.cycle_key()
        request.session["chat_booking"] = booking.pk
        return redirect("chatrooms:room")
    return render(request, "chatrooms/join.html", context)


@never_cache
def room(request):
    booking_id = request.session.get("chat_booking")
    booking = Booking.objects.select_related("worker", "service").filter(pk=booking_id).first() if booking_id else None
    if booking is None:
        return redirect("chatrooms:join")
    return render(request, "chatrooms/room.html", {"booking": booking, "role": "parent"})


@require_http_methods(["POST"])
def leave(request):
    request.session.pop("chat_booking", None)
    return redirect("hours:home")
