"""The letter service's demo (demo/letters.py, run by seed_demo): a newcomer can write, answer,
approve and read at once."""

import io
import re

import pytest
from django.core.management import call_command

from hours.models import Channel
from letters import services
from letters.models import Letter, Thread
from staff.models import User

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_the_demo_has_letters_in_every_state_and_prints_working_codes(settings):
    output = seed()
    codes = re.findall(r"with the code ([2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4})", output)
    assert len(codes) == 2, output
    answered, in_review = (services.thread_by_code(code) for code in codes)
    assert answered.status == Thread.Status.ANSWERED and services.parent_letters(answered)[-1].author == "helpline"
    assert in_review.status == Thread.Status.WAITING and in_review.letters.filter(state=Letter.State.REVIEW).exists()
    waiting = Thread.objects.filter(status=Thread.Status.WAITING, taken_by__isnull=True)
    assert waiting.count() == 2 and any(t.is_overdue for t in waiting)
    volunteer = User.objects.get(email="vapaaehtoinen@demo.mll.fi")
    assert volunteer.role == User.Role.VOLUNTEER and in_review.taken_by == volunteer
    from allauth.mfa.models import Authenticator

    assert Authenticator.objects.filter(user=volunteer, type=Authenticator.Type.TOTP).exists()
    assert Channel.objects.get(kind=Channel.Kind.LETTER).url == settings.SITE_URL.rstrip("/") + "/letters/"


def test_running_the_demo_again_replaces_its_letters_with_new_codes():
    first = re.findall(r"with the code (\S+)", seed())
    second = re.findall(r"with the code (\S+)", seed())
    assert Thread.objects.count() == 4 and set(first).isdisjoint(second)
    assert all(services.thread_by_code(code) is None for code in first)
    assert all(services.thread_by_code(code) is not None for code in second)
