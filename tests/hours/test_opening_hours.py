"""Opening hours of the helpline's channels, as seeded from the source (shared/seeds/000)."""

import datetime as dt

import pytest
from django.utils import translation

from booking.models import AvailabilityException, ClosedDay
from hours import selectors
from hours.models import Channel, HoursException
from tests.conftest import local

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def status(slug, now):
    return selectors.channel_status(channel=Channel.objects.get(slug=slug), now=now)


def test_seeded_channels_are_phone_chat_and_letter_service():
    kinds = dict(Channel.objects.values_list("slug", "kind"))
    assert kinds == {"vanhempainpuhelin": "phone", "vanhempainchat": "chat", "nettikirje": "letter"}


def test_phone_is_open_on_monday_morning_until_one_and_reopens_at_five():
    s = status("vanhempainpuhelin", local(2026, 11, 23, 11, 15))  # Monday
    assert s.is_open
    assert s.until == local(2026, 11, 23, 13)
    assert s.next_opening == local(2026, 11, 23, 17)


def test_phone_is_closed_at_lunch_and_opens_again_at_five():
    s = status("vanhempainpuhelin", local(2026, 11, 23, 13, 0))  # closing time itself counts as closed
    assert not s.is_open
    assert s.next_opening == local(2026, 11, 23, 17)


def test_phone_on_thursday_is_open_from_two_to_eight():
    assert not status("vanhempainpuhelin", local(2026, 11, 26, 13, 59)).is_open
    s = status("vanhempainpuhelin", local(2026, 11, 26, 14, 0))
    assert s.is_open and s.until == local(2026, 11, 26, 20)


def test_chat_is_closed_on_wednesday_and_opens_on_thursday_evening():
    s = status("vanhempainchat", local(2026, 11, 25, 11))  # Wednesday
    assert not s.is_open
    assert s.next_opening == local(2026, 11, 26, 17)


def test_chat_after_friday_opens_on_monday_morning():
    s = status("vanhempainchat", local(2026, 11, 27, 13, 30))
    assert s.next_opening == local(2026, 11, 30, 10)


def test_letter_service_is_open_around_the_clock_even_on_christmas():
    s = status("nettikirje", local(2026, 12, 25, 3))
    assert s.is_open and s.always_open and s.until is None


def test_public_holidays_close_the_phone_and_chat():
    # Epiphany 2027 is a Wednesday: the phone's Wednesday hours do not apply.
    s = status("vanhempainpuhelin", local(2027, 1, 6, 11))
    assert not s.is_open
    assert s.next_opening == local(2027, 1, 7, 14)


def test_christmas_closes_until_the_next_working_day():
    s = status("vanhempainchat", local(2026, 12, 23, 12))  # Wed: no chat; Thu 24, Fri 25 are holidays
    assert s.next_opening == local(2026, 12, 28, 10)


def test_next_opening_across_easter_and_the_change_to_summer_time():
    # Thursday 25.3.2027 at 21:00 (UTC+2); Good Friday and Easter Monday are closed, and summer
    # time begins on Sunday: the phone opens on Tuesday 30.3. at 10:00 local = 07:00 UTC.
    s = status("vanhempainpuhelin", local(2027, 3, 25, 21))
    assert s.next_opening == local(2027, 3, 30, 10)
    assert s.next_opening.astimezone(UTC) == dt.datetime(2027, 3, 30, 7, tzinfo=UTC)


def test_closing_time_is_local_after_the_change_to_winter_time():
    # Monday 1.11.2027 (UTC+2 since Sunday 31.10.): 13:00 local is 11:00 UTC, not 10:00.
    s = status("vanhempainpuhelin", dt.datetime(2027, 11, 1, 9, 0, tzinfo=UTC))
    assert s.is_open
    assert s.until.astimezone(UTC) == dt.datetime(2027, 11, 1, 11, tzinfo=UTC)


def test_a_closed_day_added_by_an_admin_closes_the_phone_but_not_the_letter_service():
    ClosedDay.objects.create(date=dt.date(2026, 11, 23), name="Training day")
    assert not status("vanhempainpuhelin", local(2026, 11, 23, 11)).is_open
    assert status("nettikirje", local(2026, 11, 23, 11)).is_open


def test_an_exception_without_times_closes_the_channel_that_day():
    chat = Channel.objects.get(slug="vanhempainchat")
    HoursException.objects.create(channel=chat, date=dt.date(2026, 11, 23))
    s = status("vanhempainchat", local(2026, 11, 23, 11))
    assert not s.is_open
    assert s.next_opening == local(2026, 11, 24, 10)


def test_an_exception_with_times_replaces_the_weekly_hours_even_on_a_holiday():
    phone = Channel.objects.get(slug="vanhempainpuhelin")
    HoursException.objects.create(channel=phone, date=dt.date(2026, 12, 24), start_time=dt.time(10), end_time=dt.time(12))
    s = status("vanhempainpuhelin", local(2026, 12, 24, 11))
    assert s.is_open and s.until == local(2026, 12, 24, 12)
    assert s.next_opening == local(2026, 12, 28, 10)


def test_status_text_says_open_until_and_when_it_opens():
    now = local(2026, 11, 23, 11)
    # Finnish by default ...
    assert selectors.Status(True, local(2026, 11, 23, 13), None).text(now=now) == "Avoinna klo 13.00 asti"
    assert selectors.Status(False, None, local(2026, 11, 24, 10)).text(now=now) == "Suljettu. Avautuu huomenna klo 10.00"
    # ... and in the visitor's language.
    with translation.override("en"):
        assert selectors.Status(True, local(2026, 11, 23, 13), None).text(now=now) == "Open until 13:00"
        assert selectors.Status(False, None, local(2026, 11, 24, 10)).text(now=now) == "Closed. Opens tomorrow at 10:00"


def test_channel_statuses_use_a_fixed_number_of_queries(django_assert_max_num_queries):
    for n in range(5):
        Channel.objects.create(slug=f"extra{n}", kind="phone")
    with django_assert_max_num_queries(4):
        result = selectors.channel_statuses(now=local(2026, 11, 23, 11))
    assert len(result) == 8


def test_service_is_on_duty_while_a_worker_is_available(worker, service):
    item = selectors.service_statuses(now=local(2026, 11, 23, 11))[0]
    assert item.service == service
    assert item.status.is_open and item.status.until == local(2026, 11, 23, 13)


def test_service_next_free_time_skips_past_the_minimum_notice(worker, service):
    item = selectors.service_statuses(now=local(2026, 11, 23, 11))[0]
    # 10:00 and 11:00 are past or within the hour's notice; the next slot is 12:00.
    assert item.next_free.start == local(2026, 11, 23, 12)


def test_a_workers_time_off_takes_them_off_duty(worker, service):
    AvailabilityException.objects.create(worker=worker, start=local(2026, 11, 23, 9), end=local(2026, 11, 23, 12))
    item = selectors.service_statuses(now=local(2026, 11, 23, 11))[0]
    assert not item.status.is_open
    assert item.status.next_opening == local(2026, 11, 23, 12)


def test_service_without_free_times_has_no_next_free(service):
    item = selectors.service_statuses(now=local(2026, 11, 23, 11))[0]
    assert item.next_free is None and not item.status.is_open


def test_next_free_time_today_says_today(worker, service):
    now = local(2026, 11, 23, 8)
    item = selectors.service_statuses(now=now)[0]
    with translation.override("en"):
        assert selectors.when(item.next_free.start, now=now, say_today=True) == "today at 10:00"
    assert selectors.when(item.next_free.start, now=now, say_today=True) == "tänään klo 10.00"


def test_next_free_time_is_found_weeks_ahead(make_worker, service, add_availability):
    # Only from the 15th of December: the search goes on past the first weeks.
    w = make_worker("Later")
    add_availability(w, service, 1, valid_from=dt.date(2026, 12, 15))
    assert selectors.next_free_slot(service=service, now=local(2026, 11, 23, 8)).start == local(2026, 12, 15, 10)
