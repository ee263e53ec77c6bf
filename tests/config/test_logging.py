"""No IP address reaches a log line."""

import logging

from config.logging import DropPersonalDataFilter, scrub


def test_addresses_are_scrubbed_from_log_messages():
    assert scrub("GET / from 192.168.10.23:5050") == "GET / from [addr]:5050"
    assert "2001:db8::1" not in scrub("client 2001:db8:0:0:0:0:0:1 and 2001:db8::1 connected")
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "Forbidden from %s", ("10.0.0.7",), None)
    assert DropPersonalDataFilter().filter(record) is True
    assert record.getMessage() == "Forbidden from [addr]"


def test_the_console_handler_uses_the_filter(settings):
    assert "no_ip" in settings.LOGGING["handlers"]["console"]["filters"]
    assert settings.LOGGING["loggers"]["daphne.access"]["handlers"] == []


def test_clock_times_are_left_alone():
    assert scrub("[2026-11-22 12:08:56,046: INFO] done at 10:00") == "[2026-11-22 12:08:56,046: INFO] done at 10:00"
    assert scrub("fe80::1%eth0 and ::1") .count("[addr]") == 2


def test_email_addresses_are_scrubbed_too():
    assert scrub("reminder to Vanhempi.Virtanen+x@example.co.uk sent") == "reminder to [email] sent"
    assert scrub("SMTPRecipientsRefused({'isa@mll.fi': (550, b'no')})") == "SMTPRecipientsRefused({'[email]': (550, b'no')})"
    assert scrub("celery@localhost ready.") == "celery@localhost ready."  # a worker's node name is no address


def test_addresses_in_a_logged_exception_are_scrubbed():
    import io

    try:
        raise ValueError("refused isa@example.fi from 10.1.2.3")
    except ValueError:
        import sys

        record = logging.LogRecord("celery.app.trace", logging.ERROR, __file__, 1, "Task failed", (), sys.exc_info())
    assert DropPersonalDataFilter().filter(record) is True
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.emit(record)
    assert "isa@example.fi" not in stream.getvalue() and "10.1.2.3" not in stream.getvalue()
    assert "refused [email] from [addr]" in stream.getvalue()


def test_the_logging_config_scrubs_what_any_logger_writes(settings):
    """The filter sits on the one handler every logger (Django, Celery, ours) reaches."""
    assert settings.LOGGING["root"]["handlers"] == ["console"]
    assert settings.LOGGING["handlers"]["console"]["filters"] == ["no_ip"]
