import datetime as dt

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def minutes(value) -> int:
    """Whole minutes of a timedelta (or since a datetime), for waits and chat durations."""
    if isinstance(value, dt.datetime):
        value = timezone.now() - value
    if not isinstance(value, dt.timedelta):
        return 0
    return max(0, int(value.total_seconds() // 60))
