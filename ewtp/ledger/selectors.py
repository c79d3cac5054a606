"""Reads of the ledger, for the platform operator and for the parties themselves."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from ewtp.accounts.selectors import require_platform_operator
from ewtp.core.errors import NotFound
from ewtp.ledger.models import Account, Entry, Posting


def account_list_for(actor: object, *, purpose: str = "", query: str = "") -> QuerySet[Account]:
    require_platform_operator(actor)
    accounts = Account.objects.all()
    if purpose:
        accounts = accounts.filter(purpose=purpose)
    if query:
        accounts = accounts.filter(code__icontains=query)
    return accounts.order_by("code", "currency")


def account_get_for(actor: object, public_id: str) -> Account:
    require_platform_operator(actor)
    account = Account.objects.filter(public_id=public_id).first()
    if account is None:
        raise NotFound("not_found", _("No such account."))
    return account


def entries_of(account: Account) -> QuerySet[Entry]:
    return account.entries.select_related("posting").order_by("-posting__created_at", "-id")


def postings_for_reference(actor: object, reference: str) -> QuerySet[Posting]:
    """Every posting about one order, booking or payment (drill-down from the thing)."""
    require_platform_operator(actor)
    return Posting.objects.filter(reference=reference).prefetch_related("entries__account")


def statement_of(owner_refs: list[str], purposes: set[str]) -> QuerySet[Entry]:
    """The movements of a party's own accounts (a seller's payable, an operator's share)."""
    return (
        Entry.objects.filter(account__owner_ref__in=owner_refs, account__purpose__in=purposes)
        .select_related("posting", "account")
        .order_by("-posting__created_at", "-id")
    )
