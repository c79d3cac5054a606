"""Payouts: what the platform owes each organisation, sent in its currency to mobile money.

A batch books, per organisation owed at least the minimum, Dr its payable / Cr payouts in
transit and commits; then asks the payout provider to transfer (a money task, outside any
transaction, retried under the same reference). The provider's final word, polled (callbacks
only hint), moves Dr payouts in transit / Cr provider settlement, or reverses the first
posting. A payout is completed only when the provider says so. The worker makes a batch every
EWTP_PAYOUT_EVERY_DAYS days.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Any

import phonenumbers
from babel import Locale
from django.db import transaction
from django.db.models import Max
from django.utils import translation
from django.utils.translation import gettext as _

from ewtp.accounts.models import Organisation
from ewtp.core import clock, conf
from ewtp.core.errors import Conflict, DomainError, InvalidRequest, PermissionDenied
from ewtp.core.money import Money
from ewtp.core.services import audit_record
from ewtp.ledger import accounts as chart
from ewtp.ledger.models import Account, Entry, Posting
from ewtp.ledger.services import account_for, credit, debit, posting_record, posting_reverse
from ewtp.payments import providers
from ewtp.payments.models import MoneyTask, Payout, PayoutDestination
from ewtp.payments.providers import PaymentProvider, ProviderUnavailable
from ewtp.payments.retry import money_task_enqueue
from ewtp.payments.services import msisdn_normalise


def party_of(organisation: Organisation) -> str:
    """The ledger's name for an organisation as a party that is owed money."""
    return chart.organisation_party(organisation.public_id)


def payable_account(organisation: Organisation, currency: str) -> Account:
    return account_for(
        chart.organisation_payable(organisation.public_id, organisation.name), currency
    )


@transaction.atomic
def payout_destination_set(
    *, actor: Any, organisation: Organisation, msisdn: str, currency: str = "RWF"
) -> PayoutDestination:
    from ewtp.accounts.selectors import require_role

    require_role(actor, organisation, {"owner"})
    number = payout_msisdn_check(msisdn, organisation.country or "RW")
    destination, _created = PayoutDestination.objects.update_or_create(
        organisation=organisation,
        defaults={"msisdn": number, "currency": currency, "updated_at": clock.now()},
    )
    audit_record(
        actor=actor,
        action="payments.payout_destination.set",
        target=organisation,
        organisation_ref=str(organisation.public_id),
        data={"msisdn": number[-4:]},
    )
    return destination


def country_name(country: str) -> str:
    """A country's name in the current language ("Rwanda", "Kenya")."""
    language = (translation.get_language() or "en").replace("-", "_")
    try:
        locale = Locale.parse(language)
    except (ValueError, LookupError):
        locale = Locale.parse("en")
    return str(locale.territories.get(country.upper(), country.upper()))


_MOBILE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


def payout_msisdn_check(number: str, country: str) -> str:
    """A payout number in E.164 digits: a valid mobile number of the payout country, or a clear
    error saying which country's mobile number is wanted (with an example)."""
    normalised = msisdn_normalise(number, country)  # a valid number at all, or invalid_msisdn
    parsed = phonenumbers.parse("+" + normalised)
    region = phonenumbers.region_code_for_number(parsed)
    if region != country.upper() or phonenumbers.number_type(parsed) not in _MOBILE_TYPES:
        example = phonenumbers.example_number_for_type(
            country.upper(), phonenumbers.PhoneNumberType.MOBILE
        )
        shown = (
            phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
            if example is not None
            else ""
        )
        raise InvalidRequest(
            "not_a_mobile_number_of_country",
            _(
                "Payouts go to a mobile-money number in %(country)s: this is not a mobile "
                "number of %(country)s (for example %(example)s)."
            )
            % {"country": country_name(country), "example": shown},
            fields={"msisdn": "not a mobile number of the payout country"},
        )
    return normalised


def _in_transit(provider: str, currency: str) -> Account:
    return account_for(chart.payouts_in_transit(provider), currency)


def minimum_minor(currency: str) -> int:
    """The smallest payout in a currency (EWTP_PAYOUT_MINIMUM); 1 where none is set."""
    for text in conf.PAYOUT_MINIMUM():
        amount, _space, code = text.strip().partition(" ")
        if code.strip().upper() == currency:
            return max(Money.of(amount, currency).minor, 1)
    return 1


def _provider() -> PaymentProvider:
    adapter = providers.payout_provider()
    if adapter is None:
        raise DomainError(
            "no_payout_provider",
            _("No payout provider is configured (EWTP_PAYOUT_PROVIDER or EWTP_PAYMENT_PROVIDERS)."),
            http_status=503,
        )
    return adapter


def payouts_run(*, actor: Any = None) -> list[Payout]:
    """Pay every organisation with a destination what is available to it (at least the
    minimum of its currency); one payout each."""
    adapter = _provider()
    batch = "po_" + clock.now().strftime("%Y%m%d%H%M%S") + secrets.token_hex(2)
    created: list[Payout] = []
    for destination in PayoutDestination.objects.select_related("organisation"):
        payout = _payout_book(
            destination=destination, batch=batch, actor=actor, provider=adapter.name
        )
        if payout is not None:
            created.append(payout)
    if actor is not None:
        audit_record(
            actor=actor,
            action="payments.payouts.run",
            target=None,
            data={"batch": batch, "payouts": len(created)},
        )
    _send_all(created)
    return [Payout.objects.get(pk=payout.pk) for payout in created]


def _send_all(payouts: list[Payout]) -> None:
    for payout in payouts:
        money_task_enqueue(
            "payments.payout_send", key=f"payout:{payout.public_id}", args={"payout_id": payout.pk}
        )


def payout_retry(*, actor: Any, payout: Payout) -> Payout:
    """The operator sends a failed payout again: a new payout of what the organisation has
    available now (the failed one's money went back to it), to its number as it is now."""
    from ewtp.accounts.selectors import is_platform_operator

    if not is_platform_operator(actor):
        raise PermissionDenied("permission_denied", _("Only the platform's operator may do this."))
    adapter = _provider()
    with transaction.atomic():
        payout = Payout.objects.select_for_update().get(pk=payout.pk)
        if payout.status != Payout.Status.FAILED or Payout.objects.filter(retry_of=payout).exists():
            raise Conflict("not_retriable", _("Only a failed payout can be sent again, once."))
        destination = PayoutDestination.objects.filter(organisation=payout.organisation).first()
        if destination is None:
            raise Conflict("no_destination", _("This organisation has no payout number."))
        again = _payout_book(
            destination=destination,
            batch=payout.batch,
            actor=actor,
            provider=adapter.name,
            minimum=1,
            retry_of=payout,
        )
        if again is None:
            raise Conflict("nothing_to_pay", _("Nothing is available to pay this organisation."))
        audit_record(
            actor=actor,
            action="payments.payout.retry",
            target=again,
            organisation_ref=str(payout.organisation.public_id),
            data={"failed": str(payout.public_id), "amount": str(again.amount)},
        )
    _send_all([again])
    return Payout.objects.get(pk=again.pk)


@transaction.atomic
def _payout_book(
    *,
    destination: PayoutDestination,
    batch: str,
    actor: Any,
    provider: str,
    minimum: int | None = None,
    retry_of: Payout | None = None,
) -> Payout | None:
    payable = payable_account(destination.organisation, destination.currency)
    payable = Account.objects.select_for_update().get(pk=payable.pk)
    available = payable.position_minor
    floor = minimum_minor(destination.currency) if minimum is None else minimum
    if available <= 0 or available < floor:
        return None
    amount = Money.from_minor(available, destination.currency)
    # What the payout covers: the payable's movements since the last payout that was not
    # given back (the payable is locked, so none of its movements is still being written).
    previous = (
        Payout.objects.filter(organisation=destination.organisation, currency=amount.currency)
        .exclude(status=Payout.Status.FAILED)
        .order_by("-created_at", "-id")
        .first()
    )
    through = Entry.objects.filter(account=payable).aggregate(last=Max("id"))["last"] or 0
    payout = Payout.objects.create(
        organisation=destination.organisation,
        batch=batch,
        provider=provider,
        amount_minor=available,
        currency=destination.currency,
        msisdn=destination.msisdn,
        created_at=clock.now(),
        statement_from=previous.statement_through if previous else 0,
        statement_through=through,
        retry_of=retry_of,
    )
    posting_record(
        kind="payout.initiated",
        legs=[debit(payable, amount), credit(_in_transit(provider, amount.currency), amount)],
        memo=f"Payout to {destination.organisation.name}",
        reference=str(payout.public_id),
        dedupe_key=f"payout:{payout.public_id}:initiated",
        actor=actor,
    )
    return payout


def payout_send(*, payout_id: int) -> None:
    """A money task: ask the provider to transfer, under the payout's own reference (so a
    retry after a timeout finds the first request instead of paying twice)."""
    payout = Payout.objects.select_related("organisation").get(pk=payout_id)
    if payout.status != Payout.Status.PENDING or payout.provider_reference:
        return
    adapter = providers.provider(payout.provider)
    try:
        reference = adapter.payout_send(
            key=str(payout.public_id),
            msisdn=payout.msisdn,
            amount=payout.amount,
            name=payout.organisation.name,
        )
    except DomainError as refusal:  # the provider (or our own check) said no: nothing moved
        payout_settle(payout_id=payout.pk, state="failed", reason=str(refusal.message))
        return
    Payout.objects.filter(pk=payout.pk).update(provider_reference=reference[:100])


@transaction.atomic(durable=True)
def payout_settle(*, payout_id: int, state: str, reason: str = "") -> Payout:
    payout = Payout.objects.select_for_update().select_related("organisation").get(pk=payout_id)
    if payout.status != Payout.Status.PENDING or state not in {"succeeded", "failed"}:
        return payout
    amount = payout.amount
    if state == "succeeded":
        posting_record(
            kind="payout.completed",
            legs=[
                debit(_in_transit(payout.provider, amount.currency), amount),
                credit(
                    account_for(chart.provider_settlement(payout.provider), amount.currency),
                    amount,
                ),
            ],
            memo=f"Payout to {payout.organisation.name}",
            reference=str(payout.public_id),
            dedupe_key=f"payout:{payout.public_id}:completed",
        )
        payout.status = Payout.Status.SUCCEEDED
        payout.settled_at = clock.now()
    else:
        initiated = Posting.objects.get(dedupe_key=f"payout:{payout.public_id}:initiated")
        posting_reverse(posting=initiated, memo=f"Payout failed: {reason}"[:300])
        payout.status = Payout.Status.FAILED
        payout.failure_reason = reason[:300]
    payout.save(update_fields=["status", "settled_at", "failure_reason"])
    audit_record(
        actor=None,
        action=f"payments.payout.{payout.status}",
        target=payout,
        organisation_ref=str(payout.organisation.public_id),
        data={"amount": str(amount)},
    )
    return payout


def payout_refresh(*, payout_id: int) -> Payout:
    """Ask the provider about one payout; settle it when final; send it again under the same
    reference when the provider never got it."""
    payout = Payout.objects.get(pk=payout_id)
    if payout.status != Payout.Status.PENDING:
        return payout
    if not payout.provider_reference:
        payout_send(payout_id=payout.pk)
        return Payout.objects.get(pk=payout.pk)
    status = providers.provider(payout.provider).payout_status(payout.provider_reference)
    if status.state == "missing":
        Payout.objects.filter(pk=payout.pk).update(provider_reference="")
        payout_send(payout_id=payout.pk)
        return Payout.objects.get(pk=payout.pk)
    return payout_settle(payout_id=payout.pk, state=status.state, reason=status.reason)


def payouts_poll_pending() -> int:
    """The worker's job: ask the provider about every pending payout; returns how many ended."""
    settled = 0
    for payout_id in list(
        Payout.objects.filter(status=Payout.Status.PENDING)
        .order_by("created_at")
        .values_list("pk", flat=True)[:200]
    ):
        try:
            payout = payout_refresh(payout_id=payout_id)
        except ProviderUnavailable:
            continue  # unknown for now: asked again at the next poll
        settled += payout.status != Payout.Status.PENDING
    return settled


def payout_for_reference(provider: str, reference: str) -> Payout | None:
    """The payout a callback is about (by the provider's reference or our payout id)."""
    found = Payout.objects.filter(provider=provider, provider_reference=reference).first()
    if found is not None:
        return found
    try:
        public_id = uuid.UUID(reference.split(":")[-1])
    except ValueError:
        return None
    return Payout.objects.filter(provider=provider, public_id=public_id).first()


def payout_refresh_later(payout: Payout, *, event_key: str) -> None:
    money_task_enqueue(
        "payments.payout_refresh", key=f"event:{event_key}", args={"payout_id": payout.pk}
    )


def payout_period(now: datetime) -> int:
    """The number of the payout period ``now`` falls in (periods of EWTP_PAYOUT_EVERY_DAYS)."""
    return now.date().toordinal() // max(conf.PAYOUT_EVERY_DAYS(), 1)


def payouts_scheduled() -> int:
    """The worker's job: one payout batch per period, made once (a money task keyed by the
    period) and retried if it fails; returns 1 when a batch was asked for."""
    if conf.PAYOUT_EVERY_DAYS() <= 0 or providers.payout_provider() is None:
        return 0
    key = f"payout-batch:{payout_period(clock.now())}"
    if MoneyTask.objects.filter(key=key).exists():
        return 0
    money_task_enqueue("payments.payout_batch", key=key, args={})
    return 1


def payout_batch() -> None:
    payouts_run()
