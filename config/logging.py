"""A logging filter that keeps IP and email addresses out of every log line.

Django's request logger, Celery and third-party libraries sometimes put a client address or a
reminder's recipient in a message or an exception; we replace anything that looks like an email
address, an IPv4 or an IPv6 address before a handler writes it. The filter sits on the one console
handler of settings.LOGGING, which Celery's worker and beat use too (config/celery.py).
"""

import ipaddress
import logging
import re

# local@domain.tld; the domain must end in letters, so a Celery node name such as celery@localhost
# or worker@10.0.0.5 is left to the address rules.
_EMAIL = re.compile(r"[\w.%+-]+@(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,63}\b")
_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
# Anything made of hex groups and colons; each candidate is checked with ipaddress, so clock times
# such as 12:08:56 stay as they are while 2001:db8::1 and fe80::1 are caught.
_IPV6_CANDIDATE = re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")


def _v6(match: re.Match) -> str:
    try:
        ipaddress.IPv6Address(match.group())
    except ValueError:
        return match.group()
    return "[addr]"


def scrub(text: str) -> str:
    if "@" in text:
        text = _EMAIL.sub("[email]", text)
    return _IPV6_CANDIDATE.sub(_v6, _IPV4.sub("[addr]", text))


class DropPersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not kill logging
            return True
        record.msg = scrub(message)
        record.args = ()
        if record.exc_info and not record.exc_text:
            # Exception messages carry addresses too (SMTPRecipientsRefused, connection errors):
            # format the traceback now, scrubbed; handlers use exc_text as it is.
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True
