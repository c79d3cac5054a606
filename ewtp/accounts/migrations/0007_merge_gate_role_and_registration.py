# Joins two migrations written side by side.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0006_membership_gate_role'),
        ('accounts', '0006_organisation_registration'),
    ]

    operations = [
    ]
