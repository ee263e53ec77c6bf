from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DropinConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "dropin"
    verbose_name = _("Drop-in chat")

    def ready(self):
        # What the drop-in chat adds to the opening hours' pages and status (hours/extensions.py).
        from hours import extensions

        from . import status

        extensions.register_channel_fields("chat", status.status_fields)
        extensions.register_status_override("chat", status.always_open_status)
        extensions.register_landing_block(status.landing_block)
        extensions.register_quick_exit_cookie("dropin_code", "/dropin/")  # dropin.views.CODE_COOKIE
