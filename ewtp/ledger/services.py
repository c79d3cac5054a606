"""Every write to the ledger: accounts, balanced postings, reversals; and the invariants check."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, Sum

from ewtp.core import clock
from ewtp.core.errors import DomainError
from ewtp.core.money import Money
from ewtp.core.services import audit_record, audit_records
from ewtp.ledger.models import Account, Entry, Posting


class LedgerError(DomainError):
    code = "ledger_error"
    http_status = 422


class InsufficientFunds(DomainError):
    code = "insufficient_funds"
    http_status = 409


@dataclass(frozen=True)
class AccountSpec:
    """What an account is; `account_for` finds or opens it in a currency."""

    code: str
    kind: str
    purpose: str
    name: str
    owner_ref: str = ""
    is_bounded: bool = False


def account_for(spec: AccountSpec, currency: str) -> Account:
    """The account of `spec` in `currency`, opened on first use."""
    account, _ = Account.objects.get_or_create(
        code=spec.code,
        currency=currency,
        defaults={
            "kind": spec.kind,
            "purpose": spec.purpose,
            "name": spec.name,
            "owner_ref": spec.owner_ref,
            "is_bounded": spec.is_bounded,
            "created_at": clock.now(),
        },
    )
    return account


def accounts_for(wanted: Sequence[tuple[AccountSpec, str]]) -> list[Account]:
    """The accounts of several (spec, currency) pairs, in their order: one SELECT, and one
    INSERT for those opened now (a concurrent opener's row is taken as it is)."""
    pairs = list(dict.fromkeys((spec.code, currency) for spec, currency in wanted))
    lookup = Q()
    for code, currency in pairs:
        lookup |= Q(code=code, currency=currency)
    found = {(a.code, a.currency): a for a in Account.objects.filter(lookup)} if pairs else {}
    specs = {(spec.code, currency): spec for spec, currency in wanted}
    missing = [pair for pair in pairs if pair not in found]
    if missing:
        now = clock.now()
        created = Account.objects.bulk_create(
            [
                Account(
                    code=code,
                    currency=currency,
                    kind=specs[code, currency].kind,
                    purpose=specs[code, currency].purpose,
                    name=specs[code, currency].name,
                    owner_ref=specs[code, currency].owner_ref,
                    is_bounded=specs[code, currency].is_bounded,
                    created_at=now,
                )
                for code, currency in missing
            ],
            update_conflicts=True,
            unique_fields=["code", "currency"],
            update_fields=["code"],
        )
        found.update({(a.code, a.currency): a for a in created})
    return [found[spec.code, currency] for spec, currency in wanted]


@dataclass(frozen=True)
class Leg:
    """One side of a posting: debit when the amount is positive, credit when negative."""

    account: Account
    amount: Money


def debit(account: Account, amount: Money) -> Leg:
    return Leg(account, amount)


def credit(account: Account, amount: Money) -> Leg:
    return Leg(account, -amount)


def _check_legs(legs: Sequence[Leg]) -> dict[int, int]:
    if len(legs) < 2:
        raise LedgerError("unbalanced_posting", "A posting needs at least two entries.")
    per_currency: dict[str, int] = defaultdict(int)
    per_account: dict[int, int] = defaultdict(int)
    for leg in legs:
        if leg.account.currency != leg.amount.currency:
            raise LedgerError(
                "currency_mismatch",
                f"Account {leg.account} holds {leg.account.currency}, not {leg.amount.currency}.",
            )
        minor = leg.amount.minor  # raises if not on the minor unit
        per_currency[leg.amount.currency] += minor
        per_account[leg.account.pk] += minor
    unbalanced = {currency: total for currency, total in per_currency.items() if total}
    if unbalanced:
        raise LedgerError(
            "unbalanced_posting",
            f"Entries must sum to zero in each currency; off by {unbalanced}.",
        )
    return {account_id: total for account_id, total in per_account.items() if total}


# The balances of a posting's accounts move in ONE statement: on PostgreSQL the rows are
# locked first in primary-key order (the global order of locks; a plain UPDATE may lock them
# in any order), then moved; the new balances come back for the bounds check.
_MOVE_POSTGRESQL = """
WITH moves (id, delta) AS MATERIALIZED (
    SELECT * FROM unnest(%(ids)s::bigint[], %(deltas)s::bigint[])
), locked AS MATERIALIZED (
    SELECT a.id FROM {table} a WHERE a.id = ANY(%(ids)s) ORDER BY a.id FOR NO KEY UPDATE
)
UPDATE {table} AS a SET balance_minor = a.balance_minor + moves.delta
FROM moves, locked WHERE a.id = moves.id AND locked.id = moves.id
RETURNING a.id, a.balance_minor
"""
# SQLite serialises writers: one UPDATE with the deltas in a CASE.
_MOVE_SQLITE = """
UPDATE {table} SET balance_minor = balance_minor + CASE id {cases} END
WHERE id IN ({ids}) RETURNING id, balance_minor
"""


def _balances_move(movements: dict[int, int]) -> dict[int, int]:
    """Add each account's movement to its balance in one statement; the new balances."""
    table = Account._meta.db_table
    ids = sorted(movements)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                _MOVE_POSTGRESQL.format(table=table),
                {"ids": ids, "deltas": [movements[pk] for pk in ids]},
            )
        else:
            cursor.execute(
                _MOVE_SQLITE.format(
                    table=table,
                    cases=" ".join("WHEN %s THEN %s" for _pk in ids),
                    ids=", ".join("%s" for _pk in ids),
                ),
                [value for pk in ids for value in (pk, movements[pk])] + ids,
            )
        moved = {int(pk): int(balance) for pk, balance in cursor.fetchall()}
    if set(moved) != set(ids):
        raise LedgerError("unknown_account", "A posting names an account that does not exist.")
    return moved


def _entries_write(legs: Iterable[tuple[Posting, Leg]]) -> None:
    """The entries of postings just written, one INSERT (a zero leg writes no entry)."""
    Entry.objects.bulk_create(
        [
            Entry(
                posting=posting,
                account=leg.account,
                amount_minor=leg.amount.minor,
                currency=leg.amount.currency,
            )
            for posting, leg in legs
            if leg.amount.minor != 0
        ]
    )


def _bounds_check(legs: Sequence[Leg], movements: dict[int, int], balances: dict[int, int]) -> None:
    """A bounded account may not go below zero (seen from its normal side)."""
    for account in {leg.account.pk: leg.account for leg in legs}.values():
        if not account.is_bounded or account.pk not in balances:
            continue
        sign = 1 if account.is_debit_normal else -1
        if balances[account.pk] * sign < 0:
            held = (balances[account.pk] - movements[account.pk]) * sign
            raise InsufficientFunds(
                "insufficient_funds",
                f"{account.name} holds {Money.from_minor(held, account.currency)};"
                f" this would take it below zero.",
            )


def posting_record(
    *,
    kind: str,
    legs: Sequence[Leg],
    memo: str = "",
    reference: str = "",
    dedupe_key: str | None = None,
    actor: Any = None,
    fx: list[dict[str, str]] | None = None,
    reverses: Posting | None = None,
) -> Posting:
    """Record one balanced posting and move the balances with it, or nothing at all.

    With a `dedupe_key`, recording the same posting again returns the first one (also when a
    concurrent twin recorded it first: its INSERT fails, the posting's savepoint is rolled
    back, and the twin's posting is returned).
    """
    try:
        return _posting_write(
            kind=kind,
            legs=legs,
            memo=memo,
            reference=reference,
            dedupe_key=dedupe_key,
            actor=actor,
            fx=fx,
            reverses=reverses,
        )
    except IntegrityError:
        if dedupe_key:
            existing = Posting.objects.filter(dedupe_key=dedupe_key).first()
            if existing is not None:
                return existing
        raise


@transaction.atomic
def _posting_write(
    *,
    kind: str,
    legs: Sequence[Leg],
    memo: str,
    reference: str,
    dedupe_key: str | None,
    actor: Any,
    fx: list[dict[str, str]] | None,
    reverses: Posting | None,
) -> Posting:
    """Five statements whatever the number of legs: the dedupe look-up, the posting, the
    balances (locked in key order and moved at once), the entries, the audit row."""
    if dedupe_key:
        existing = Posting.objects.filter(dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
    movements = _check_legs(legs)
    posting = Posting(
        kind=kind,
        memo=memo[:300],
        reference=reference,
        dedupe_key=dedupe_key or None,
        reverses=reverses,
        fx=fx or [],
        actor_label=(getattr(actor, "email", "") or str(actor)) if actor is not None else "system",
        created_at=clock.now(),
    )
    posting.save(force_insert=True)
    _bounds_check(legs, movements, _balances_move(movements))
    _entries_write((posting, leg) for leg in legs)
    audit_record(
        actor=actor,
        action=f"ledger.{kind}",
        target=posting,
        data={"reference": reference, "memo": memo[:300]},
    )
    return posting


@dataclass(frozen=True)
class PostingSpec:
    """One posting of several recorded at once by `postings_record`."""

    kind: str
    legs: Sequence[Leg]
    memo: str = ""
    reference: str = ""
    dedupe_key: str | None = None


def postings_record(specs: Sequence[PostingSpec], *, actor: Any = None) -> list[Posting]:
    """Record several balanced postings, each as `posting_record` would, in their order: all
    or nothing, in five statements whatever their number (inside one savepoint).

    A posting whose dedupe key was recorded before is returned as it is. When a concurrent
    twin records one of them first, the batch's savepoint is rolled back and each is recorded
    on its own (finding the twin's). The bounds of bounded accounts are checked posting by
    posting, in order, as if they had been recorded one after the other.
    """
    if not specs:
        return []
    try:
        return _postings_write(specs, actor)
    except IntegrityError:
        if not any(spec.dedupe_key for spec in specs):
            raise
    return [
        posting_record(
            kind=spec.kind,
            legs=spec.legs,
            memo=spec.memo,
            reference=spec.reference,
            dedupe_key=spec.dedupe_key,
            actor=actor,
        )
        for spec in specs
    ]


def _bounds_check_in_order(
    specs: Sequence[PostingSpec], movements: list[dict[int, int]], balances: dict[int, int]
) -> None:
    """`_bounds_check` of each posting in turn, from the balances before the first."""
    running = dict(balances)
    for moves in movements:
        for pk, delta in moves.items():
            running[pk] -= delta
    for spec, moves in zip(specs, movements, strict=True):
        for pk, delta in moves.items():
            running[pk] += delta
        _bounds_check(spec.legs, moves, running)


@transaction.atomic
def _postings_write(specs: Sequence[PostingSpec], actor: Any) -> list[Posting]:
    """The dedupe look-up, the postings, the balances (locked in key order and moved at once),
    the entries, the audit rows."""
    keys = [spec.dedupe_key for spec in specs if spec.dedupe_key]
    existing = (
        {p.dedupe_key: p for p in Posting.objects.filter(dedupe_key__in=keys)} if keys else {}
    )
    fresh = [spec for spec in specs if not (spec.dedupe_key and spec.dedupe_key in existing)]
    movements = [_check_legs(spec.legs) for spec in fresh]
    label = (getattr(actor, "email", "") or str(actor)) if actor is not None else "system"
    now = clock.now()
    written = Posting.objects.bulk_create(
        [
            Posting(
                kind=spec.kind,
                memo=spec.memo[:300],
                reference=spec.reference,
                dedupe_key=spec.dedupe_key or None,
                fx=[],
                actor_label=label,
                created_at=now,
            )
            for spec in fresh
        ]
    )
    if fresh:
        total: dict[int, int] = defaultdict(int)
        for moves in movements:
            for pk, delta in moves.items():
                total[pk] += delta
        # An account whose moves cancel out is still locked and read (moved by 0): the
        # bounds are checked on its balance between the postings.
        _bounds_check_in_order(fresh, movements, _balances_move(dict(total)))
        _entries_write(
            (posting, leg)
            for posting, spec in zip(written, fresh, strict=True)
            for leg in spec.legs
        )
        audit_records(
            [
                {
                    "actor": actor,
                    "action": f"ledger.{spec.kind}",
                    "target": posting,
                    "data": {"reference": spec.reference, "memo": spec.memo[:300]},
                }
                for posting, spec in zip(written, fresh, strict=True)
            ]
        )
    made = iter(written)
    return [
        existing[spec.dedupe_key] if spec.dedupe_key and spec.dedupe_key in existing else next(made)
        for spec in specs
    ]


@transaction.atomic
def posting_reverse(*, posting: Posting, actor: Any = None, memo: str = "") -> Posting:
    """Undo a posting with its mirror image; a posting is reversed at most once."""
    if hasattr(posting, "reversed_by"):
        return posting.reversed_by
    legs = [
        Leg(entry.account, -Money.from_minor(entry.amount_minor, entry.currency))
        for entry in posting.entries.select_related("account")
    ]
    return posting_record(
        kind="reversal",
        legs=legs,
        memo=memo or f"Reversal of {posting.kind}",
        reference=posting.reference,
        dedupe_key=f"reversal:{posting.public_id}",
        actor=actor,
        reverses=posting,
    )


_OUTSIDE_CHECKS: list[Callable[[], dict[str, Any]]] = []


def register_outside_check(check: Callable[[], dict[str, Any]]) -> None:
    """A comparison of the ledger with records kept outside it (the payments app registers
    the provider-side refunds and payouts). It answers extra fields for the verdict, with
    ``only_at_provider`` and ``only_in_ledger`` lists that count as problems."""
    if check not in _OUTSIDE_CHECKS:
        _OUTSIDE_CHECKS.append(check)


def _outside_checks(problems: list[str]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for check in _OUTSIDE_CHECKS:
        found = check()
        for name in ("only_at_provider", "only_in_ledger"):
            side = "the provider" if name == "only_at_provider" else "the ledger"
            problems += [f"only in {side}: {item}" for item in found.get(name, [])]
            fields[name] = fields.get(name, []) + list(found.get(name, []))
        fields.update({key: value for key, value in found.items() if not key.startswith("only_")})
    return fields


def ledger_verify() -> dict[str, Any]:
    """Check every invariant of the ledger; `balanced` is true only when none is broken."""
    problems: list[str] = []
    unbalanced = (
        Entry.objects.values("posting_id", "currency")
        .annotate(total=Sum("amount_minor"))
        .exclude(total=0)
    )
    for row in unbalanced[:100]:
        problems.append(
            f"posting {row['posting_id']} does not sum to zero in {row['currency']}: {row['total']}"
        )
    entry_totals = dict(
        Entry.objects.values("account_id")
        .annotate(total=Sum("amount_minor"))
        .values_list("account_id", "total")
    )
    accounts = 0
    for account in Account.objects.all().iterator():
        accounts += 1
        total = entry_totals.get(account.pk, 0) or 0
        if total != account.balance_minor:
            problems.append(
                f"account {account} balance {account.balance_minor} != sum of entries {total}"
            )
        if account.is_bounded and account.position_minor < 0:
            problems.append(f"account {account} is below zero: {account.position_minor}")
    mismatched = Entry.objects.exclude(currency=F("account__currency")).count()
    if mismatched:
        problems.append(f"{mismatched} entries in another currency than their account")
    lonely = Posting.objects.filter(entries__isnull=True).count()
    if lonely:
        problems.append(f"{lonely} postings without entries")
    outside = _outside_checks(problems)
    return {
        "balanced": not problems,
        "accounts": accounts,
        "postings": Posting.objects.count(),
        "problems": problems,
        **outside,
    }
