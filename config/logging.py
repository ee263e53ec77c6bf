"""A logging filter that keeps IP addresses out of every log line.

Django's request logger and third-party libraries sometimes put a client address in a message;
we replace anything that looks like an IPv4 or IPv6 address before a handler writes it.
"""

import ipaddress
import logging
import re

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
    return _IPV6_CANDIDATE.sub(_v6, _IPV4.sub("[addr]", text))


class DropPersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not kill logging
            return True
        record.msg = scrub(message)
        record.args = ()
        return True
