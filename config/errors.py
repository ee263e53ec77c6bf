"""Friendly error answers with no stack trace. A lost database becomes a 503 "try again in a moment"
(HTML for pages, JSON for the API) and the next request after it is back simply works: nothing is
cached about the outage. Wired in config/urls.py as handler500."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.http import HttpResponse


def _is_database_down(exc) -> bool:
    while exc is not None:
        if isinstance(exc, (OperationalError, InterfaceError)):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _answer(request, status: int, code: str, title: str, text: str):
    if request.path.startswith("/api/"):
        response = JsonResponse({"error": {"code": code, "message": text}}, status=status)
    else:
        # A template of its own: no base.html, no session, no database, nothing that can fail again.
        html = loader.get_template("errors/error.html").render({"title": title, "text": text})
        response = HttpResponse(html, status=status)
    if status == 503:
        response["Retry-After"] = "10"
    response["Cache-Control"] = "no-store"
    return response


def server_error(request, *args, **kwargs):
    if _is_database_down(sys.exc_info()[1]):
        return _answer(
            request, 503, "unavailable", _("Service temporarily unavailable"),
            _("The service is having a short break. Please try again in a moment; nothing you saved has been lost."),
        )
    return _answer(
        request, 500, "server_error", _("Something went wrong"),
        _("Something went wrong on our side. Please try again in a moment."),
    )
