from django.apps import AppConfig


class ProjectConfig(AppConfig):
    """The project itself (settings, ASGI, Celery, URLs) as an app, so that its system checks are registered."""

    name = "config"
    label = "project"
    verbose_name = "Ajanvarauschat"

    def ready(self):
        from . import checks  # noqa: F401  (registers the checks)
