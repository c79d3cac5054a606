"""Tour operators' money was credited to `payable:<uuid>`, an account payouts never read; it
moves, with a balanced posting per account, to `payable:org:<uuid>`, the account payouts read."""

import re

from django.db import migrations
from django.utils import timezone

BARE = re.compile(r"^payable:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")


def move(apps, schema_editor):  # type: ignore[no-untyped-def]
    Account = apps.get_model("ledger", "Account")
    Posting = apps.get_model("ledger", "Posting")
    Entry = apps.get_model("ledger", "Entry")
    now = timezone.now()
    for old in Account.objects.filter(purpose="party_payable", code__startswith="payable:"):
        match = BARE.match(old.code)
        if match is None:
            continue
        party = f"org:{match.group(1)}"
        new, _created = Account.objects.get_or_create(
            code=f"payable:{party}",
            currency=old.currency,
            defaults={
                "kind": old.kind,
                "purpose": "party_payable",
                "owner_ref": party,
                "name": old.name,
                "is_bounded": True,
                "created_at": now,
            },
        )
        old.refresh_from_db()
        if old.balance_minor == 0:
            continue
        posting = Posting.objects.create(
            kind="ledger.payable_moved",
            memo=f"Moved from {old.code} to the account payouts read",
            reference=match.group(1),
            dedupe_key=f"payable-moved:{old.code}:{old.currency}",
            created_at=now,
        )
        Entry.objects.create(
            posting=posting, account=old, amount_minor=-old.balance_minor, currency=old.currency
        )
        Entry.objects.create(
            posting=posting, account=new, amount_minor=old.balance_minor, currency=old.currency
        )
        Account.objects.filter(pk=new.pk).update(balance_minor=new.balance_minor + old.balance_minor)
        Account.objects.filter(pk=old.pk).update(balance_minor=0)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [migrations.RunPython(move, migrations.RunPython.noop)]
