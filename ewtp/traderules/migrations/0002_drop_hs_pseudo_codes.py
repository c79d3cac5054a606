"""Databases seeded before the pseudo-codes were filtered lose them: 99, 9999 and 999999 are
Comtrade's "not specified according to kind", not HS 2022 (data/hs/SOURCE.txt)."""

from django.db import migrations

PSEUDO = ["999999", "9999", "99"]  # children first


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    HsCode = apps.get_model("traderules", "HsCode")
    for code in PSEUDO:
        HsCode.objects.filter(code=code).delete()


class Migration(migrations.Migration):
    dependencies = [("traderules", "0001_initial")]

    operations = [migrations.RunPython(drop, migrations.RunPython.noop)]
