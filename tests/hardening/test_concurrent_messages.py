"""Both sides of a chat (and several tabs) writing at the same instant on PostgreSQL: every message
is stored once and numbered 1..n in its chat with no gap and no number twice, because a client
that sees a gap asks for the missing message (docs/protocol.md)."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from booking import codes
from booking.models import Booking
from chatrooms import services
from chatrooms.models import Message

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 12
EACH = 5


def test_messages_written_at_once_are_numbered_without_gaps_or_twins(service, worker):
    start = timezone.now() + dt.timedelta(minutes=5)
    booking = Booking.objects.create(
        service=service, worker=worker, start=start, end=start + dt.timedelta(minutes=45), code_hash=codes.hash_code(codes.generate())
    )
    session = services.session_join(booking=booking, role="worker")
    services.session_join(booking=booking, role="parent")
    barrier = threading.Barrier(THREADS)
    results, errors = [], []
    lock = threading.Lock()

    def write(i):
        role = "parent" if i % 2 else "worker"
        try:
            barrier.wait()
            for k in range(EACH):
                message, created = services.message_post(session=session, role=role, text=f"{i}-{k}", client_id=f"{i}-{k}")
                with lock:
                    results.append((message.pk, message.seq, created))
        except Exception as exc:  # noqa: BLE001 - any error fails the test below
            with lock:
                errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert not errors, errors
    assert len(results) == THREADS * EACH and all(created for _, _, created in results)
    stored = list(Message.objects.filter(session=session).order_by("seq").values_list("pk", "seq"))
    assert [seq for _, seq in stored] == list(range(1, THREADS * EACH + 1))
    assert sorted(results)[:: 1] == sorted((pk, seq, True) for pk, seq in stored)  # what each writer was told
    # Within the chat, seq order is id order: "after <id>" from a client's gap-free prefix fetches the gap.
    assert [pk for pk, _ in stored] == sorted(pk for pk, _ in stored)
