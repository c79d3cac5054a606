"""The ledger's invariants: balanced postings, kept balances, bounded accounts, reversals."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from ewtp.core.models import AuditLog
from ewtp.core.money import Money
from ewtp.ledger.models import Account, Entry, Posting
from ewtp.ledger.services import (
    AccountSpec,
    InsufficientFunds,
    LedgerError,
    PostingSpec,
    account_for,
    credit,
    debit,
    ledger_verify,
    posting_record,
    posting_reverse,
    postings_record,
)

SETTLEMENT = AccountSpec(
    "provider:sandbox:settlement", Account.Kind.ASSET, "provider_settlement", "Sandbox settlement"
)
ESCROW = AccountSpec(
    "escrow:order:A1", Account.Kind.LIABILITY, "escrow", "Escrow of order A1", is_bounded=True
)
PAYABLE = AccountSpec(
    "seller:huye:payable", Account.Kind.LIABILITY, "seller_payable", "Huye payable", is_bounded=True
)


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


@pytest.mark.django_db
def test_a_balanced_posting_moves_balances_and_is_audited() -> None:
    settlement, escrow = account_for(SETTLEMENT, "EUR"), account_for(ESCROW, "EUR")
    posting = posting_record(
        kind="payment.captured",
        reference="A1",
        legs=[debit(settlement, eur("108.12")), credit(escrow, eur("108.12"))],
    )
    settlement.refresh_from_db()
    escrow.refresh_from_db()
    assert settlement.balance_minor == 10812
    assert escrow.balance_minor == -10812
    assert escrow.position_minor == 10812
    assert list(posting.entries.values_list("amount_minor", flat=True)) == [10812, -10812]
    assert AuditLog.objects.get(action="ledger.payment.captured").target_id == str(
        posting.public_id
    )
    assert ledger_verify() == {
        "balanced": True,
        "accounts": 2,
        "postings": 1,
        "problems": [],
        "provider_records": {"refunds": 0, "payouts": 0},
        "only_at_provider": [],
        "only_in_ledger": [],
    }


@pytest.mark.django_db
def test_an_unbalanced_posting_writes_nothing() -> None:
    settlement, escrow = account_for(SETTLEMENT, "EUR"), account_for(ESCROW, "EUR")
    with pytest.raises(LedgerError) as error:
        posting_record(
            kind="bad", legs=[debit(settlement, eur("10.00")), credit(escrow, eur("9.99"))]
        )
    assert error.value.code == "unbalanced_posting"
    assert Posting.objects.count() == 0
    assert Entry.objects.count() == 0
    settlement.refresh_from_db()
    assert settlement.balance_minor == 0


@pytest.mark.django_db
def test_currency_mismatch_and_sub_minor_amounts_are_refused() -> None:
    settlement, escrow = account_for(SETTLEMENT, "EUR"), account_for(ESCROW, "RWF")
    with pytest.raises(LedgerError) as error:
        posting_record(kind="bad", legs=[debit(settlement, eur("10")), credit(escrow, eur("10"))])
    assert error.value.code == "currency_mismatch"
    with pytest.raises(ValueError):
        posting_record(
            kind="bad",
            legs=[
                debit(settlement, eur("0.005")),
                credit(account_for(ESCROW, "EUR"), eur("0.005")),
            ],
        )
    assert Posting.objects.count() == 0


@pytest.mark.django_db
def test_a_bounded_account_never_goes_below_zero() -> None:
    settlement, escrow = account_for(SETTLEMENT, "RWF"), account_for(ESCROW, "RWF")
    posting_record(
        kind="payment.captured",
        legs=[debit(settlement, Money.of("5000", "RWF")), credit(escrow, Money.of("5000", "RWF"))],
    )
    payable = account_for(PAYABLE, "RWF")
    with pytest.raises(InsufficientFunds):
        posting_record(
            kind="escrow.released",
            legs=[debit(escrow, Money.of("5001", "RWF")), credit(payable, Money.of("5001", "RWF"))],
        )
    escrow.refresh_from_db()
    assert escrow.position_minor == 5000
    assert Posting.objects.count() == 1


@pytest.mark.django_db
def test_two_currencies_in_one_posting_each_sum_to_zero() -> None:
    escrow = account_for(ESCROW, "EUR")
    settlement = account_for(SETTLEMENT, "EUR")
    posting_record(
        kind="payment.captured",
        legs=[debit(settlement, eur("100.00")), credit(escrow, eur("100.00"))],
    )
    conversion = AccountSpec("fx:conversion", Account.Kind.EQUITY, "fx_conversion", "FX")
    payable = account_for(PAYABLE, "RWF")
    posting_record(
        kind="escrow.released",
        legs=[
            debit(escrow, eur("100.00")),
            credit(account_for(conversion, "EUR"), eur("100.00")),
            debit(account_for(conversion, "RWF"), Money.of("169750", "RWF")),
            credit(payable, Money.of("169750", "RWF")),
        ],
        fx=[{"from": "EUR", "to": "RWF", "rate": "1697.50", "source": "checkout quote"}],
    )
    payable.refresh_from_db()
    assert payable.position_minor == 169750
    assert ledger_verify()["balanced"] is True


@pytest.mark.django_db
def test_reversal_mirrors_a_posting_once() -> None:
    settlement, escrow = account_for(SETTLEMENT, "EUR"), account_for(ESCROW, "EUR")
    posting = posting_record(
        kind="payment.captured",
        legs=[debit(settlement, eur("20.00")), credit(escrow, eur("20.00"))],
    )
    reversal = posting_reverse(posting=posting, memo="duplicate capture")
    assert posting_reverse(posting=posting) == reversal
    assert reversal.reverses == posting
    assert sorted(reversal.entries.values_list("amount_minor", flat=True)) == [-2000, 2000]
    escrow.refresh_from_db()
    assert escrow.balance_minor == 0
    assert Posting.objects.count() == 2


@pytest.mark.django_db
def test_dedupe_key_records_once() -> None:
    settlement, escrow = account_for(SETTLEMENT, "EUR"), account_for(ESCROW, "EUR")
    legs = [debit(settlement, eur("5.00")), credit(escrow, eur("5.00"))]
    first = posting_record(kind="payment.captured", legs=legs, dedupe_key="payment:1:captured")
    again = posting_record(kind="payment.captured", legs=legs, dedupe_key="payment:1:captured")
    assert first == again
    escrow.refresh_from_db()
    assert escrow.balance_minor == -500


@pytest.mark.django_db
def test_several_postings_at_once_are_each_what_one_by_one_would_be(
    django_assert_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    settlement, escrow = account_for(SETTLEMENT, "EUR"), account_for(ESCROW, "EUR")
    payable = account_for(PAYABLE, "EUR")
    first = posting_record(
        kind="payment.captured",
        legs=[debit(settlement, eur("100.00")), credit(escrow, eur("100.00"))],
        dedupe_key="captured",
    )
    specs = [
        PostingSpec(  # recorded before: returned as it is
            kind="payment.captured",
            legs=[debit(settlement, eur("100.00")), credit(escrow, eur("100.00"))],
            dedupe_key="captured",
        ),
        PostingSpec(
            kind="escrow.released",
            legs=[debit(escrow, eur("60.00")), credit(payable, eur("60.00"))],
            memo="release A1",
            reference="A1",
            dedupe_key="released",
        ),
        PostingSpec(
            kind="escrow.released",
            legs=[debit(escrow, eur("40.00")), credit(payable, eur("40.00"))],
            reference="A1",
        ),
    ]
    # A savepoint, the dedupe look-up, the postings, the balances, the entries, the audit
    # rows, its release: whatever the number of postings.
    with django_assert_num_queries(7):
        made = postings_record(specs)
    assert made[0] == first and made[1].pk and made[2].pk and made[1] != made[2]
    assert [p.kind for p in made] == ["payment.captured", "escrow.released", "escrow.released"]
    balances = dict(Account.objects.values_list("code", "balance_minor"))
    assert balances == {SETTLEMENT.code: 10000, ESCROW.code: 0, PAYABLE.code: -10000}
    assert sorted(made[1].entries.values_list("amount_minor", flat=True)) == [-6000, 6000]
    assert AuditLog.objects.filter(action="ledger.escrow.released").count() == 2
    assert postings_record(specs[:2]) == made[:2]  # replayed: nothing moves
    assert Account.objects.get(code=PAYABLE.code).balance_minor == -10000
    assert ledger_verify()["balanced"] is True


@pytest.mark.django_db
def test_bounds_are_checked_posting_by_posting_and_a_refusal_writes_none() -> None:
    settlement, escrow = account_for(SETTLEMENT, "EUR"), account_for(ESCROW, "EUR")
    payable = account_for(PAYABLE, "EUR")
    # The escrow would be 50 below zero after the first posting, even though the second
    # brings it back: refused as the first posting alone would be.
    specs = [
        PostingSpec(
            kind="escrow.released",
            legs=[debit(escrow, eur("50.00")), credit(payable, eur("50.00"))],
        ),
        PostingSpec(
            kind="payment.captured",
            legs=[debit(settlement, eur("50.00")), credit(escrow, eur("50.00"))],
        ),
    ]
    with pytest.raises(InsufficientFunds):
        postings_record(specs)
    assert Posting.objects.count() == 0 and Entry.objects.count() == 0
    assert set(Account.objects.values_list("balance_minor", flat=True)) == {0}
    postings_record(specs[::-1])  # captured first: fine
    assert Account.objects.get(code=ESCROW.code).balance_minor == 0


@pytest.mark.django_db
def test_rows_are_append_only() -> None:
    settlement, escrow = account_for(SETTLEMENT, "EUR"), account_for(ESCROW, "EUR")
    posting = posting_record(
        kind="x", legs=[debit(settlement, eur("1.00")), credit(escrow, eur("1.00"))]
    )
    posting.memo = "changed"
    with pytest.raises(RuntimeError):
        posting.save()
    with pytest.raises(RuntimeError):
        posting.entries.first().delete()


@pytest.mark.django_db
@pytest.mark.ledger_tampered
def test_verify_command_reports_a_tampered_balance() -> None:
    settlement, escrow = account_for(SETTLEMENT, "EUR"), account_for(ESCROW, "EUR")
    posting_record(kind="x", legs=[debit(settlement, eur("1.00")), credit(escrow, eur("1.00"))])
    out = io.StringIO()
    call_command("ledger", "verify", stdout=out)
    assert json.loads(out.getvalue()) == {
        "balanced": True,
        "accounts": 2,
        "postings": 1,
        "problems": [],
        "provider_records": {"refunds": 0, "payouts": 0},
        "only_at_provider": [],
        "only_in_ledger": [],
    }
    Account.objects.filter(pk=settlement.pk).update(balance_minor=1)
    with pytest.raises(SystemExit) as exit_info:
        call_command("ledger", "verify", stdout=(out := io.StringIO()))
    assert exit_info.value.code == 1
    result = json.loads(out.getvalue())
    assert result["balanced"] is False
    assert result["problems"] == [
        "account provider:sandbox:settlement [EUR] balance 1 != sum of entries 100"
    ]


class PostingProperties(TestCase):
    """Any sequence of balanced postings keeps the ledger balanced; unbalanced ones change nothing."""

    @settings(max_examples=30, deadline=None)
    @given(
        st.lists(
            st.tuples(
                st.lists(
                    st.integers(min_value=-(10**9), max_value=10**9).filter(bool),
                    min_size=1,
                    max_size=4,
                ),
                st.booleans(),
            ),
            min_size=1,
            max_size=6,
        )
    )
    def test_ledger_stays_balanced(self, postings: list[tuple[list[int], bool]]) -> None:
        accounts = [
            account_for(
                AccountSpec(f"test:{index}", Account.Kind.ASSET, "test", f"T{index}"), "KES"
            )
            for index in range(5)
        ]
        expected = dict.fromkeys(range(5), 0)
        for amounts, make_unbalanced in postings:
            legs = [
                debit(accounts[i % 4], Money.from_minor(a, "KES")) for i, a in enumerate(amounts)
            ]
            closing = -sum(amounts) + (1 if make_unbalanced else 0)
            if closing:
                legs.append(debit(accounts[4], Money.from_minor(closing, "KES")))
            balanced_sum = sum(leg.amount.minor for leg in legs) == 0
            if balanced_sum and len(legs) >= 2:
                posting_record(kind="test", legs=legs)
                for leg in legs:
                    expected[accounts.index(leg.account)] += leg.amount.minor
            else:
                with pytest.raises(LedgerError):
                    posting_record(kind="test", legs=legs)
        for index, account in enumerate(accounts):
            account.refresh_from_db()
            assert account.balance_minor == expected[index]
        assert ledger_verify()["balanced"] is True
        assert sum(a.balance_minor for a in accounts) == 0
        assert Decimal(0) == sum(Decimal(a.balance_minor) for a in accounts)
