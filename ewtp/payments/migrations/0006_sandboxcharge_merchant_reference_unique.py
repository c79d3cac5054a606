"""One sandbox charge per merchant reference, kept by a unique index.

The sandbox was idempotent on the merchant's reference by reading before inserting, so two
concurrent creations of one payment could both insert. Such twins (none expected) keep the
charge a payment names, or else the first; the others get their id appended to their
reference, so that the index can be built and no charge is lost.
"""

from typing import Any

from django.db import migrations, models
from django.db.models import Count


def twins_renamed(apps: Any, schema_editor: Any) -> None:
    charge_model = apps.get_model("payments", "SandboxCharge")
    payment_model = apps.get_model("payments", "Payment")
    twins = (
        charge_model.objects.values("merchant_reference")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values_list("merchant_reference", flat=True)
    )
    for merchant_reference in list(twins):
        charges = list(
            charge_model.objects.filter(merchant_reference=merchant_reference).order_by("id")
        )
        named = set(
            payment_model.objects.filter(
                provider_reference__in=[charge.reference for charge in charges]
            ).values_list("provider_reference", flat=True)
        )
        kept = next((c for c in charges if c.reference in named), charges[0])
        for charge in charges:
            if charge.pk != kept.pk:
                suffix = f"~{charge.pk}"
                charge.merchant_reference = merchant_reference[: 100 - len(suffix)] + suffix
                charge.save(update_fields=["merchant_reference"])


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0005_payout_statement_retry"),
    ]

    operations = [
        migrations.RunPython(twins_renamed, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="sandboxcharge",
            name="merchant_reference",
            field=models.CharField(max_length=100, unique=True),
        ),
    ]
