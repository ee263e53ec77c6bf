from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LettersConfig(AppConfig):
    name = "letters"
    verbose_name = _("Letter service")

    def ready(self):
        # The quick exit deletes the cookie that holds a just-written letter's code (hours/extensions.py).
        from hours import extensions

        from .views import SENT_COOKIE, SENT_COOKIE_PATH

        extensions.register_quick_exit_cookie(SENT_COOKIE, SENT_COOKIE_PATH)
        # The public status of the letter channel says within how many days letters are answered.
        extensions.register_channel_fields("letter", status_fields)


def status_fields(*, now):
    from django.conf import settings

    return {"answer_days": settings.LETTER_ANSWER_DAYS}
