import datetime as dt

from django import template
from django.conf import settings
from django.utils import timezone
from django.utils import translation
from django.utils.dateparse import parse_datetime

from hours import selectors

register = template.Library()


@register.inclusion_tag("hours/_footer_status.html")
def helpline_status():
    """The channels' open/closed line for the footer of public pages (the cached status document)."""
    from hours.views import status_document

    return {"status": status_document(translation.get_language() or settings.LANGUAGE_CODE)}


@register.simple_tag
def quick_exit_url() -> str:
    return settings.QUICK_EXIT_URL


@register.filter
def relative_when(value, arg: str = "") -> str:
    """"13:00" / "tomorrow at 10:00" / "on Thursday 12.3. at 17:00", from a datetime or ISO string.

    With the argument "today", a time today reads "today at 13:00".
    """
    if isinstance(value, str):
        value = parse_datetime(value)
    if not isinstance(value, dt.datetime):
        return ""
    return selectors.when(value, now=timezone.now(), say_today=arg == "today")
