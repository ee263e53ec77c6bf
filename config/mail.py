"""The email backend of the embedded default (``make run``): says that a mail went out, never to whom.

Django's console backend prints every message whole, recipient and text included: a parent's
reminder address in a terminal or a log file. This one logs one line per message, with its subject
(the app's own words: "Reminder: your appointment chat …") and how many recipients it had, so a
newcomer sees that a reminder went out, and nothing else. Production sets EMAIL_BACKEND to SMTP.
"""

import logging

from django.core.mail.backends.base import BaseEmailBackend

from .logging import scrub

logger = logging.getLogger("ajanvaraus.mail")


class NoticeEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        sent = 0
        for message in email_messages or ():
            recipients = len(message.recipients())
            if not recipients:
                continue
            logger.info(
                "Email (development backend, not delivered): %r to %d recipient%s (address and text not shown)",
                scrub(str(message.subject)), recipients, "" if recipients == 1 else "s",
            )
            sent += 1
        return sent
