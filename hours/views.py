"""Public status (JSON and an embeddable widget) and the quick-exit beacon.

Neither the status nor the widget reads or writes the session, so no cookie is ever set on them:
they can be cached by browsers and proxies and embedded by other sites without tracking anyone.
"""

from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from csp.constants import NONE
from csp.decorators import csp_replace

from booking import views as booking_views

from . import extensions, selectors

CACHE_SECONDS = 30  # server-side; the JSON says max-age=STATUS_MAX_AGE to browsers


def home(request):
    """The landing page: every appointment-chat service with its audience and next free time, and
    whether the helpline's other channels are open now."""
    now = timezone.now()
    context = {
        "services": selectors.service_statuses(now=now),
        "channels": selectors.channel_statuses(now=now),
        "now": now,
        # What the channels' own apps put on the landing page (the drop-in chat's "Start a chat").
        "landing_blocks": extensions.landing_blocks(request, now=now),
    }
    return render(request, "hours/home.html", context)


def _language(request) -> str:
    """?lang=sv wins (the widget's embedder chooses); else what LocaleMiddleware decided."""
    wanted = request.GET.get("lang", "")
    if wanted in dict(settings.LANGUAGES):
        return wanted
    return translation.get_language() or settings.LANGUAGE_CODE


def status_document(language: str) -> dict:
    """The public status in ``language``, computed at most every CACHE_SECONDS."""
    key = f"hours:status:{language}"
    document = cache.get(key)
    if document is None:
        with translation.override(language):
            document = selectors.public_status(base_url=settings.SITE_URL.rstrip("/"))
        cache.set(key, document, CACHE_SECONDS)
    return document


def _cors(request, response):
    origins = settings.EMBED_ORIGINS
    origin = request.headers.get("Origin")
    if "*" in origins:
        response["Access-Control-Allow-Origin"] = "*"
    else:
        if origin and origin in origins:
            response["Access-Control-Allow-Origin"] = origin
        response["Vary"] = "Origin"
    response["Access-Control-Allow-Methods"] = "GET, OPTIONS"
    response["Access-Control-Max-Age"] = "86400"
    return response


def _public_cache(response):
    response["Cache-Control"] = f"public, max-age={settings.STATUS_MAX_AGE}"
    return response


@require_http_methods(["GET", "HEAD", "OPTIONS"])
def status_json(request):
    if request.method == "OPTIONS":
        return _cors(request, HttpResponse(status=204, content_type="application/json"))
    language = _language(request)
    response = JsonResponse(status_document(language), json_dumps_params={"ensure_ascii": False})
    response["Content-Language"] = language
    return _public_cache(_cors(request, response))


@require_http_methods(["GET", "HEAD"])
@xframe_options_exempt
@csp_replace({"frame-ancestors": settings.EMBED_ORIGINS or [NONE]})  # never "anyone" by omission
def widget(request):
    """A small page meant for an <iframe> on vanhempainnetti.fi or mll.fi. Framing is allowed only for
    EMBED_ORIGINS (CSP frame-ancestors); X-Frame-Options cannot list origins, so it is left out here."""
    language = _language(request)
    with translation.override(language):
        response = render(
            request, "hours/widget.html", {"status": status_document(language), "language": language}
        )
    response["Content-Language"] = language
    return _public_cache(response)


@csrf_exempt
@require_POST
def quick_exit(request):
    """The quick-exit button's beacon: forget what this browser holds of the visit.

    The session (e.g. the chat it had joined) is flushed, and the CSRF and language cookies are
    deleted, so nothing of ours is left in the browser's cookie jar; ``Clear-Site-Data`` asks the
    browser to drop this origin's cached pages and storage too (the script clears storage as well).
    CSRF-exempt because navigator.sendBeacon cannot send a token; forgetting one's own visit is the
    only effect, and cross-site requests are refused where the browser says so (Sec-Fetch-Site).
    """
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        return HttpResponseForbidden()
    request.session.flush()
    response = HttpResponse(status=204)
    response["Clear-Site-Data"] = '"cache", "storage"'
    response.delete_cookie(settings.CSRF_COOKIE_NAME, path=settings.CSRF_COOKIE_PATH, domain=settings.CSRF_COOKIE_DOMAIN)
    response.delete_cookie(
        settings.LANGUAGE_COOKIE_NAME, path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN
    )
    response.delete_cookie(booking_views.DONE_COOKIE, path="/book/")  # the code of a booking just made
    for name, path in extensions.quick_exit_cookies():  # the channels' own (the drop-in chat's code)
        response.delete_cookie(name, path=path)
    return response


# --- robots.txt and /favicon.ico ---------------------------------------------------------------------
# Search engines may index the landing page, the services' booking pages, the drop-in chat's and the
# letter service's start pages and the privacy notices. Everything else is private or useless to
# them: staff and admin pages, sign-in, every chat and its code entry, the look-up page, the booking
# steps (a chosen time, the confirmation), sent and read letters, the API, the widget, the
# quick-exit beacon, the feedback forms and the language switch. (robots.txt is a request to polite
# crawlers, not protection: those pages have their own access rules.) A new private page under a
# new path belongs here.
ROBOTS_DISALLOW = [
    "/staff/", "/admin/", "/accounts/", "/chat/", "/join/", "/booking/", "/api/", "/book/*/confirm/",
    "/book/*/done/", "/dropin/chat/", "/dropin/rejoin/", "/dropin/leave/", "/dropin/feedback/",
    "/letters/sent/", "/letters/read/", "/widget/", "/quick-exit/", "/feedback/", "/i18n/",
]


@require_http_methods(["GET", "HEAD"])
def robots_txt(request):
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in ROBOTS_DISALLOW), "Allow: /", ""]
    response = HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    return response


@lru_cache(maxsize=1)
def _favicon_bytes() -> bytes:
    from django.contrib.staticfiles import finders

    return Path(finders.find("favicon.ico")).read_bytes()


@require_http_methods(["GET", "HEAD"])
def favicon(request):
    """/favicon.ico, which browsers and tools ask for without reading the page's <link rel=icon>:
    the same file as static/favicon.ico (made from static/favicon.svg), answered here with 200."""
    response = HttpResponse(_favicon_bytes(), content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response
