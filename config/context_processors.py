"""Numbers the pages mention, from the settings (so no page says "10 minutes" when it is not)."""

from django.conf import settings


def service_numbers(request):
    return {"JOIN_EARLY_MINUTES": settings.JOIN_EARLY_MINUTES}
