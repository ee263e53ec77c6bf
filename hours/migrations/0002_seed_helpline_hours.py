"""The Parents' Helpline's channels and their opening hours, as given in the source
(shared/seeds/000: "Aukioloajat"): phone Mon–Tue 10–13 and 17–20, Wed 10–13, Thu 14–20, Fri 10–13;
chat Mon–Tue 10–13, Thu 17–20, Fri 10–13; the letter service 24/7. Admins edit them afterwards."""

import datetime as dt

from django.db import migrations

PHONE = [(0, "10:00", "13:00"), (0, "17:00", "20:00"), (1, "10:00", "13:00"), (1, "17:00", "20:00"),
         (2, "10:00", "13:00"), (3, "14:00", "20:00"), (4, "10:00", "13:00")]
CHAT = [(0, "10:00", "13:00"), (1, "10:00", "13:00"), (3, "17:00", "20:00"), (4, "10:00", "13:00")]


def seed(apps, schema_editor):
    Channel = apps.get_model("hours", "Channel")
    WeeklyHours = apps.get_model("hours", "WeeklyHours")
    if Channel.objects.exists():
        return
    phone = Channel.objects.create(slug="vanhempainpuhelin", kind="phone", ordering=10)
    chat = Channel.objects.create(slug="vanhempainchat", kind="chat", ordering=20)
    Channel.objects.create(slug="nettikirje", kind="letter", always_open=True, closed_on_holidays=False, ordering=30)
    for channel, rules in ((phone, PHONE), (chat, CHAT)):
        WeeklyHours.objects.bulk_create(
            WeeklyHours(channel=channel, weekday=d, start_time=dt.time.fromisoformat(s), end_time=dt.time.fromisoformat(e))
            for d, s, e in rules
        )


class Migration(migrations.Migration):
    dependencies = [("hours", "0001_channels_and_opening_hours")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
