from django.db import migrations


def seed_topics(apps, schema_editor):
    from stats.topic_tree import seed

    seed(apps.get_model("stats", "Topic"))


class Migration(migrations.Migration):
    dependencies = [("stats", "0001_initial")]
    operations = [migrations.RunPython(seed_topics, migrations.RunPython.noop)]
