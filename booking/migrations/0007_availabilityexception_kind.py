"""A blocked slot is a kind of time off of its own, named at display time in the reader's language.

Before, blocking a slot stored the label "Blocked time" in the blocker's language as the reason
("Estetty aika"), which then stayed Finnish on a Swedish page. Those rows become ``kind="blocked"``
with no reason.
"""

from django.db import migrations, models

# "Blocked time" as the calendar stored it in each language before this migration.
OLD_LABELS = ("Estetty aika", "Blockerad tid", "Blocked time")


def mark_blocked_slots(apps, schema_editor):
    AvailabilityException = apps.get_model("booking", "AvailabilityException")
    AvailabilityException.objects.filter(reason__in=OLD_LABELS).update(kind="blocked", reason="")


def unmark_blocked_slots(apps, schema_editor):
    AvailabilityException = apps.get_model("booking", "AvailabilityException")
    AvailabilityException.objects.filter(kind="blocked", reason="").update(reason="Estetty aika")


class Migration(migrations.Migration):
    dependencies = [
        ("booking", "0006_one_way_in"),
    ]

    operations = [
        migrations.AddField(
            model_name="availabilityexception",
            name="kind",
            field=models.CharField(
                choices=[("time_off", "Time off"), ("blocked", "Blocked")], default="time_off", max_length=16, verbose_name="kind"
            ),
        ),
        migrations.RunPython(mark_blocked_slots, unmark_blocked_slots),
    ]
