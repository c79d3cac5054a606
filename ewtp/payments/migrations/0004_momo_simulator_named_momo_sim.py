"""The mobile-money simulator is named `momo-sim` (real MTN MoMo is `mtn-momo`): its payments,
events and ledger accounts follow."""

from django.db import migrations

RENAMES = {
    "provider:momo:settlement": ("provider:momo-sim:settlement", "Settlement at momo-sim"),
    "provider:momo:payouts": ("provider:momo-sim:payouts", "Payouts in transit at momo-sim"),
}


def rename(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("payments", "Payment").objects.filter(provider="momo").update(
        provider="momo-sim"
    )
    apps.get_model("payments", "ProviderEvent").objects.filter(provider="momo").update(
        provider="momo-sim"
    )
    Account = apps.get_model("ledger", "Account")
    for old, (new, name) in RENAMES.items():
        Account.objects.filter(code=old).update(code=new, name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0003_providers_money_tasks"),
        ("ledger", "0002_tourism_payables_to_organisation_payables"),
    ]

    operations = [migrations.RunPython(rename, migrations.RunPython.noop)]
