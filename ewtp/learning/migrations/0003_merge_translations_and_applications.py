# Joins two migrations written side by side.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('learning', '0002_application_withdraw_edit_and_shared_lessons'),
        ('learning', '0002_programme_translations'),
    ]

    operations = [
    ]
