"""Fixtures of the letter service's tests: the people who answer letters, and letters written the
way a parent writes them (through the service, so the code is known only to the test)."""

import pytest

from booking.actors import Actor
from letters import services
from staff.models import User
from tests.conftest import staff_actor

PARENT = Actor.parent("letters-test-client")


@pytest.fixture
def volunteer(make_worker):
    return make_worker("Veera", role=User.Role.VOLUNTEER)


@pytest.fixture
def coordinator(make_worker):
    return make_worker("Koordinaattori", role=User.Role.COORDINATOR)


@pytest.fixture
def letter_worker(make_worker):
    """A worker (a professional) who answers letters; no appointment service needed."""
    return make_worker("Tuija")


@pytest.fixture
def write_letter(db):
    def write(text="Lapsi ei nuku ja olen väsynyt.", **extra):
        new = services.letter_create(actor=Actor.system(), text=text, **extra)
        return new.thread, new.code

    return write


@pytest.fixture
def answered(write_letter, letter_worker):
    """A letter a worker has answered: (thread, code)."""
    thread, code = write_letter(nickname="Väsynyt")
    actor = staff_actor(letter_worker)
    services.take(actor=actor, thread=thread)
    services.answer_send(actor=actor, thread=thread, text="Kiitos kirjeestäsi. Väsymys on raskasta.")
    thread.refresh_from_db()
    return thread, code


def as_staff(user):
    return staff_actor(user)
