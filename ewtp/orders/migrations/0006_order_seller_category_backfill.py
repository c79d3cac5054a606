"""Orders placed before they kept their seller's category, and not yet settled, take the
category their seller has now (what their fee would have been worked out from)."""

from django.db import migrations

SETTLED = ["completed", "refunded", "cancelled", "expired"]


def backfill(apps, schema_editor):  # type: ignore[no-untyped-def]
    Order = apps.get_model("orders", "Order")
    for order in (
        Order.objects.filter(seller_category="")
        .exclude(status__in=SETTLED)
        .exclude(seller__seller_category="")
        .select_related("seller")
        .iterator()
    ):
        order.seller_category = order.seller.seller_category
        order.save(update_fields=["seller_category"])


class Migration(migrations.Migration):
    dependencies = [("orders", "0005_order_returned_mailed_at")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
