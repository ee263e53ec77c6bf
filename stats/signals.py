"""News from the statistics for the floors above. stats/ imports no app above it (staff/ is above),
so whatever must follow an event here (the audit entry) listens to these signals.

``report_exported``: the report left the system as a file. Sent by ``stats.services.report_export``
after the file is made and before it is handed out; a receiver that raises stops the export, so an
export that could not be audited is not given out. Keyword arguments:

- ``actor``: the ``booking.actors.Actor`` who exported; ``user`` is its staff user.
- ``format``: ``"csv"``.
- ``start``, ``end``: the report's period (dates, both included).
- ``service``: the ``booking.Service`` reported on, or None for all services.
- ``hide_small``: whether counts of 1-4 were shown as "<5".
"""

from django.dispatch import Signal

report_exported = Signal()
