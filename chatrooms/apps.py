from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatroomsConfig(AppConfig):
    name = "chatrooms"
    verbose_name = _("Chats")

    def ready(self):
        from . import receivers  # noqa: F401  (connects the signal receivers)
