"""Upward news of the drop-in chat (the staff app, above, listens).

``dropin_audit``: a staff action on a drop-in chat that belongs in the audit log: ``action`` is
"read" (the coordinator read a chat on a support request), "hand_over" or "flag"; sent with the
``actor``, the ``contact``, an English ``summary`` and ``details``. Sent inside the action's
transaction, so an action whose audit entry cannot be written does not happen.
"""

from django.dispatch import Signal

dropin_audit = Signal()
