"""The default email backend (the embedded default, `make run`) says that a mail went out, never to
whom and never what it said (issue 10, finding 11)."""

import datetime as dt
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.mail import get_connection, send_mail
from django.utils import timezone

from booking import codes
from booking.models import Booking
from booking.notifications import send_due_reminders

ROOT = Path(__file__).resolve().parents[2]
ADDRESS = "vanhempi.virtanen@example.com"


@pytest.fixture(scope="module")
def default_backend():
    """EMAIL_BACKEND as the settings make it when nothing is configured (the tests' own conftest
    swaps in locmem, so ask a fresh process)."""
    env = {k: v for k, v in os.environ.items() if k != "EMAIL_BACKEND"}
    probe = "import django; django.setup(); from django.conf import settings; print(settings.EMAIL_BACKEND)"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True)
    return out.stdout.strip().splitlines()[-1]


def test_the_default_backend_says_a_mail_went_out_without_address_or_text(default_backend, capfd, caplog):
    caplog.set_level(logging.DEBUG)
    with get_connection(default_backend) as connection:
        sent = send_mail("Muistutus", "Salainen viesti vanhemmalle", "ajanvaraus@localhost", [ADDRESS], connection=connection)
    assert sent == 1
    out = capfd.readouterr()
    shown = out.out + out.err + caplog.text
    assert ADDRESS not in shown and "virtanen" not in shown
    assert "Salainen viesti" not in shown
    assert "Muistutus" in shown  # the subject: a newcomer sees that a reminder went out


@pytest.mark.django_db
def test_a_reminder_on_the_default_backend_leaves_no_address_code_or_text_in_the_output(
    default_backend, settings, service, worker, capfd, caplog
):
    settings.EMAIL_BACKEND = default_backend
    caplog.set_level(logging.DEBUG)
    code = codes.generate()
    start = timezone.now() + dt.timedelta(minutes=30)
    Booking.objects.create(service=service, worker=worker, start=start, end=start + dt.timedelta(minutes=45),
                           nickname="Nimimerkki-M", code_hash=codes.hash_code(code), reminder_email=ADDRESS)
    assert send_due_reminders() == 1
    out = capfd.readouterr()
    shown = out.out + out.err + caplog.text
    assert ADDRESS not in shown and code not in shown and "/join/" not in shown
    assert "1 recipient" in shown


def test_the_smtp_server_is_read_from_the_environment():
    """Production mail goes through the SMTP server the environment names (not a hidden default)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = dict(os.environ, EMAIL_HOST="smtp.example.fi", EMAIL_PORT="587", EMAIL_USE_TLS="1", EMAIL_HOST_USER="mll")
    probe = "import django; django.setup(); from django.conf import settings as s; print(s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS, s.EMAIL_HOST_USER)"
    out = subprocess.run([sys.executable, "-c", probe], cwd=Path(__file__).resolve().parents[2], env=env,
                         capture_output=True, text=True, timeout=60, check=True).stdout.split()
    assert out[-4:] == ["smtp.example.fi", "587", "True", "mll"]
