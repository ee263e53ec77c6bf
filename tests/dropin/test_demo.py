"""The drop-in chat's demo (demo/dropin.py, run by seed_demo): a newcomer can try it at any hour."""

import pytest
import time_machine

from demo.dropin import create_dropin_demo
from dropin import services
from dropin.models import Contact, DutyShift
from staff.models import User
from stats.models import ContactRecord
from tests.conftest import local
from tests.dropin.conftest import actor, enter

pytestmark = pytest.mark.django_db


def test_the_demo_opens_a_shift_for_now_at_any_hour_and_a_volunteer_can_take_at_once(always_open, coordinator):
    User.objects.filter(pk=coordinator.pk).update(email="koordinaattori@demo.mll.fi")
    with time_machine.travel(local(2026, 11, 25, 23, 30), tick=False):  # a Wednesday night
        create_dropin_demo(password="demo-pass-2026")
        create_dropin_demo(password="demo-pass-2026")  # idempotent
        shift = services.current_shift()
        assert shift is not None and shift.coordinator.email == "koordinaattori@demo.mll.fi"
        aino = User.objects.get(email="aino@demo.mll.fi")
        assert aino.role == User.Role.VOLUNTEER and aino.check_password("demo-pass-2026")
        assert DutyShift.objects.count() == 8 and ContactRecord.objects.filter(channel="dropin_chat").count() > 300
        services.presence_set(actor=actor(aino), present=True)
        (contact, _code), = enter(1)
        assert services.take_next(actor=actor(aino)).pk == contact.pk
        assert services.per_place_seconds()[0] is not None  # recent chats to estimate from
        assert Contact.objects.filter(state=Contact.State.ENDED).count() == 8
