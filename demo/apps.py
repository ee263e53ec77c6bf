from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for a fresh install (`manage.py seed_demo`, run by `make run`).

    The top floor: it may import every other app, and no app imports it. It refuses to run on a
    production installation (a public https SITE_URL): its staff share a published password and
    TOTP secret.
    """

    name = "demo"
    verbose_name = "Demo data"
