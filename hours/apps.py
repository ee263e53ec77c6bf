from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HoursConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "hours"
    verbose_name = _("Opening hours")
