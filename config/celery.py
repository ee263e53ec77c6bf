import logging
import logging.config
import os

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("ajanvaraus")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def use_project_logging(loglevel=None, **kwargs):
    """The worker and beat log through settings.LOGGING, not handlers of Celery's own.

    Left alone, Celery replaces the root logger's handlers with unfiltered ones, and its lines
    (task errors, connection messages) would bypass the address scrubber (config/logging.py).
    Connecting this receiver tells Celery to leave logging to us; ``--loglevel`` still applies.
    """
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
    if loglevel:
        logging.getLogger().setLevel(loglevel)
