"""Money going out through the real providers' protocols: payouts (scheduled, polled, only
completed on the provider's word), refunds (always booked, once), and the reconciliation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from ewtp.accounts.models import Membership, Organisation, User
from ewtp.core import clock
from ewtp.core.money import Money
from ewtp.ledger import accounts as chart
from ewtp.ledger.models import Posting
from ewtp.ledger.services import account_for, credit, debit, ledger_verify, posting_record
from ewtp.payments import services
from ewtp.payments.models import (
    MoneyTask,
    Payment,
    Payout,
    ProviderDifference,
    Refund,
    SandboxCharge,
)
from ewtp.payments.payouts import (
    payable_account,
    payout_destination_set,
    payouts_poll_pending,
    payouts_run,
    payouts_scheduled,
)
from ewtp.payments.reconcile import reconcile_day
from ewtp.payments.retry import money_tasks_run_due
from ewtp.payments.services import payment_refund, payment_start, payments_poll_pending
from ewtp.payments.tests import simulators

pytestmark = pytest.mark.django_db(transaction=True)


def _owed(
    slug: str, msisdn: str, amount: str = "169750", provider: str = "momo-sim"
) -> Organisation:
    owner = User.objects.create_user(f"{slug}@example.org", "x" * 12)
    seller = Organisation.objects.create(slug=slug, name=slug.title(), kind="seller", country="RW")
    Membership.objects.create(user=owner, organisation=seller, role="owner")
    payout_destination_set(actor=owner, organisation=seller, msisdn=msisdn)
    posting_record(
        kind="escrow.released",
        legs=[
            debit(account_for(chart.provider_settlement(provider), "RWF"), Money.of(amount, "RWF")),
            credit(payable_account(seller, "RWF"), Money.of(amount, "RWF")),
        ],
    )
    return seller


@pytest.mark.parametrize(
    ("provider", "number"),
    [("mtn-momo", "0788123456"), ("airtel-money", "0731234567"), ("flutterwave", "0788123456")],
)
def test_a_payout_is_completed_only_when_the_provider_says_so(
    sim: simulators.Simulator,
    settings,
    provider: str,
    number: str,  # type: ignore[no-untyped-def]
) -> None:
    settings.EWTP_PAYOUT_PROVIDER = provider
    seller = _owed("huye", number, provider=provider)
    sim.state.slow_next = 1  # the transfer request times out: unknown, retried, not doubled
    [payout] = payouts_run()
    assert (payout.provider, payout.status, payout.amount_minor) == (provider, "pending", 169750)
    assert payable_account(seller, "RWF").position_minor == 0
    for _ in range(4):
        payouts_poll_pending()
        money_tasks_run_due()
        MoneyTask.objects.filter(status="pending").update(next_attempt_at=clock.now())
    payout.refresh_from_db()
    assert payout.status == "succeeded"
    assert Posting.objects.filter(kind="payout.completed").count() == 1
    transfers = (
        len(sim.state.flw_transfers) if provider == "flutterwave" else len(sim.state.records)
    )
    assert transfers == 1
    assert ledger_verify()["balanced"] is True


def test_a_payout_pending_for_ever_stays_in_transit_and_a_refused_one_is_given_back(
    sim: simulators.Simulator,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    settings.EWTP_PAYOUT_PROVIDER = "mtn-momo"
    waiting = _owed("huye", "0788123459")
    refused = _owed("gahaya", "0788123450")
    _owed("inyange", "0788123458")  # no active MoMo account: refused before any transfer
    payouts_run()
    for _ in range(3):
        payouts_poll_pending()
    statuses = dict(Payout.objects.values_list("organisation__slug", "status"))
    assert statuses == {"huye": "pending", "gahaya": "failed", "inyange": "failed"}
    assert Payout.objects.get(organisation__slug="inyange").failure_reason == (
        "The payment provider refused: the payee has no active MoMo account"
    )
    assert len(sim.state.records) == 2
    assert payable_account(waiting, "RWF").position_minor == 0
    assert payable_account(refused, "RWF").position_minor == 169750
    # In transit (credited when booked, debited when completed): the pending payout's amount.
    assert account_for(chart.payouts_in_transit("mtn-momo"), "RWF").balance_minor == -169750
    settings.EWTP_AIRTEL_PIN = "0000"  # a wrong PIN: Airtel refuses, the money goes back
    settings.EWTP_PAYOUT_PROVIDER = "airtel-money"
    payouts_run()
    reasons = list(
        Payout.objects.filter(provider="airtel-money").values_list("status", "failure_reason")
    )
    assert reasons == [("failed", "The payment provider refused: DP00900001013 Invalid PIN")] * 2


def test_payouts_are_made_once_a_period_above_the_minimum(settings) -> None:  # type: ignore[no-untyped-def]
    settings.EWTP_PAYOUT_MINIMUM = ["100000 RWF"]
    _owed("huye", "0788123456")
    _owed("gahaya", "0788123457", amount="5000")
    assert payouts_scheduled() == 1
    assert payouts_scheduled() == 0  # the same week: no second batch
    assert list(Payout.objects.values_list("organisation__slug", "amount_minor")) == [
        ("huye", 169750)
    ]
    settings.EWTP_PAYOUT_EVERY_DAYS = 0
    assert payouts_scheduled() == 0


def test_no_payout_without_a_provider_that_pays_out(settings) -> None:  # type: ignore[no-untyped-def]
    settings.EWTP_PAYMENT_PROVIDERS = ["sandbox"]
    _owed("huye", "0788123456")
    with pytest.raises(Exception) as error:
        payouts_run()
    assert getattr(error.value, "code", "") == "no_payout_provider"
    assert payouts_scheduled() == 0
    settings.EWTP_PAYOUT_PROVIDER = "momo-sim"  # a simulator not named does not exist
    with pytest.raises(Exception) as error:
        payouts_run()
    assert getattr(error.value, "code", "") == "no_payout_provider"
    assert Payout.objects.count() == 0


def _paid(provider: str, msisdn: str, sim: simulators.Simulator | None = None) -> Payment:
    payment = payment_start(
        subject_type="sim",
        subject_ref="S1",
        amount=Money.of("15000", "RWF"),
        email="buyer@example.org",
        description="Baskets",
        provider_name=provider,
        payer_msisdn=msisdn,
    )
    if provider == "flutterwave" and sim is not None:
        sim.flutterwave_pay(payment.provider_reference)
    for _ in range(2):
        payments_poll_pending()
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    return payment


@pytest.mark.parametrize(
    ("provider", "number", "amount"),
    [
        ("mtn-momo", "0788123456", "5000"),
        ("airtel-money", "0731234567", "15000"),
        ("flutterwave", "", "5000"),
    ],
)
def test_refunds_through_each_provider_are_booked_once(
    sim: simulators.Simulator, provider: str, number: str, amount: str
) -> None:
    payment = _paid(provider, number, sim)
    refund = payment_refund(
        payment=payment, amount=Money.of(amount, "RWF"), reason="returned", actor=None
    )
    assert refund.status == "succeeded"
    assert refund.provider_reference
    assert Posting.objects.filter(kind="payment.refunded").count() == 1
    assert account_for(chart.provider_settlement(provider), "RWF").balance_minor == 15000 - int(
        amount
    )


def test_a_refund_done_at_the_provider_is_booked_even_when_booking_crashes(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from ewtp.payments import sandbox

    payment = payment_start(
        subject_type="sim",
        subject_ref="S1",
        amount=Money.of("100.00", "EUR"),
        email="buyer@example.org",
        description="Coffee",
    )
    sandbox.charge_decide(reference=payment.provider_reference, approve=True)
    payment.refresh_from_db()
    real_book = services.refund_book
    crashes = []

    def crash_once(*, refund: Refund) -> None:
        if not crashes:
            crashes.append(refund.pk)
            raise ConnectionError("database went away while booking")
        real_book(refund=refund)

    monkeypatch.setattr(services, "refund_book", crash_once)
    refund = payment_refund(
        payment=payment, amount=Money.of("30.00", "EUR"), reason="one bag", actor=None
    )
    assert (refund.status, refund.provider_reference.startswith("re_")) == ("pending", True)
    charge = SandboxCharge.objects.get()
    assert charge.refunded_minor == 3000  # the provider refunded
    verdict = ledger_verify()
    assert verdict["balanced"] is False
    assert verdict["only_at_provider"] == [
        f"refund {refund.public_id} ({refund.provider_reference})"
    ]
    task = MoneyTask.objects.get(key=f"refund:{refund.public_id}")
    assert (task.status, task.attempts, task.last_error) == (
        "pending",
        1,
        "ConnectionError: database went away while booking",
    )
    assert money_tasks_run_due() == 0  # not due yet: back-off
    MoneyTask.objects.filter(pk=task.pk).update(next_attempt_at=clock.now())
    assert money_tasks_run_due() == 1
    refund.refresh_from_db()
    charge.refresh_from_db()
    assert (refund.status, charge.refunded_minor) == ("succeeded", 3000)  # refunded once
    assert Posting.objects.filter(kind="payment.refunded").count() == 1
    assert ledger_verify()["only_at_provider"] == []


def test_a_refund_during_an_outage_stays_pending_and_finishes_later(settings) -> None:  # type: ignore[no-untyped-def]
    from ewtp.payments import sandbox

    payment = payment_start(
        subject_type="sim",
        subject_ref="S1",
        amount=Money.of("10.00", "EUR"),
        email="b@example.org",
        description="x",
    )
    sandbox.charge_decide(reference=payment.provider_reference, approve=True)
    payment.refresh_from_db()
    settings.EWTP_SANDBOX_OUTAGE = True
    refund = payment_refund(
        payment=payment, amount=Money.of("10.00", "EUR"), reason="r", actor=None
    )
    assert (refund.status, refund.provider_reference) == ("pending", "")
    settings.EWTP_SANDBOX_OUTAGE = False
    MoneyTask.objects.update(next_attempt_at=clock.now())
    assert money_tasks_run_due() == 1
    refund.refresh_from_db()
    assert refund.status == "succeeded"


def test_a_task_that_keeps_failing_is_parked_and_shown_to_the_operator(settings) -> None:  # type: ignore[no-untyped-def]
    from ewtp.accounts.tests.factories import make_operator

    settings.EWTP_MONEY_TASK_MAX_ATTEMPTS = 3
    settings.EWTP_PAYMENT_PROVIDERS = ["sandbox", "momo-sim"]
    settings.EWTP_PAYOUT_PROVIDER = "momo-sim"
    settings.EWTP_MOMO_TOKEN = "rotated"  # our token no longer matches: every call is refused
    seller = _owed("huye", "0788123456")
    settings.EWTP_MOMO_TOKEN = "sandbox-token"
    from ewtp.payments.providers import MomoSimProvider

    def down(self, **kwargs):  # type: ignore[no-untyped-def]
        from ewtp.payments.transport import ProviderUnavailable

        raise ProviderUnavailable("momo answered 503")

    import ewtp.payments.providers as providers_module

    original = providers_module.MomoSimProvider.payout_send
    MomoSimProvider.payout_send = down  # type: ignore[method-assign]
    try:
        payouts_run()
        for _ in range(3):
            MoneyTask.objects.filter(status="pending").update(next_attempt_at=clock.now())
            money_tasks_run_due()
    finally:
        MomoSimProvider.payout_send = original  # type: ignore[method-assign]
    task = MoneyTask.objects.get(name="payments.payout_send")
    assert (task.status, task.attempts, task.last_error) == (
        "parked",
        3,
        "ProviderUnavailable: momo answered 503",
    )
    operator = make_operator()
    client = Client()
    client.force_login(operator)
    page = client.get("/pay/operator/")
    assert page.status_code == 200
    assert "ProviderUnavailable: momo answered 503" in page.content.decode()
    assert client.post("/pay/operator/", {"task": task.pk}).status_code == 302
    task.refresh_from_db()
    assert (task.status, task.attempts) == ("pending", 0)
    money_tasks_run_due()
    payouts_poll_pending()
    payouts_poll_pending()
    assert Payout.objects.get().status == "succeeded"
    assert payable_account(seller, "RWF").position_minor == 0
    stranger = User.objects.create_user("s@example.org", "x" * 12)
    client.force_login(stranger)
    assert client.get("/pay/operator/").status_code == 404


def test_the_daily_reconciliation_lists_every_difference(settings) -> None:  # type: ignore[no-untyped-def]
    settings.EWTP_PAYOUT_PROVIDER = "momo-sim"
    payment = payment_start(
        subject_type="sim",
        subject_ref="S1",
        amount=Money.of("15000", "RWF"),
        email="b@example.org",
        description="x",
        provider_name="momo-sim",
        payer_msisdn="0788123456",
    )
    payments_poll_pending()
    payments_poll_pending()
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    # A request the platform knows nothing about, paid at the provider:
    stray = "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d"
    Client().post(
        "/sim/momo/collection/v1_0/requesttopay",
        {
            "amount": "700",
            "currency": "RWF",
            "externalId": "?",
            "payer": {"partyIdType": "MSISDN", "partyId": "250788000001"},
        },
        content_type="application/json",
        headers={"Authorization": "Bearer sandbox-token", "X-Reference-Id": stray},
    )
    from ewtp.payments.models import MomoRequest

    MomoRequest.objects.filter(reference_id=stray).update(status="SUCCESSFUL")
    # ... and one the platform settled for more than the provider took:
    Payment.objects.filter(pk=payment.pk).update(amount_minor=16000)
    today = clock.today()
    assert reconcile_day(provider_name="momo-sim", day=today) == 2
    assert reconcile_day(provider_name="momo-sim", day=today) == 0  # stored once
    found = sorted(ProviderDifference.objects.values_list("kind", "reference", "ours", "theirs"))
    assert found == [
        ("amount", payment.provider_reference, "16000 RWF", "15000 RWF"),
        ("only_provider", stray, "", "700 RWF"),
    ]
    Payment.objects.filter(pk=payment.pk).update(amount_minor=15000)


def test_the_sandbox_statement_matches_its_payments_and_refunds() -> None:
    from ewtp.payments import sandbox

    payment = payment_start(
        subject_type="sim",
        subject_ref="S1",
        amount=Money.of("20.00", "EUR"),
        email="b@example.org",
        description="x",
    )
    sandbox.charge_decide(reference=payment.provider_reference, approve=True)
    payment.refresh_from_db()
    payment_refund(payment=payment, amount=Money.of("5.00", "EUR"), reason="r", actor=None)
    assert reconcile_day(provider_name="sandbox", day=clock.today()) == 0
    Refund.objects.update(provider_reference="re_lost")  # our record disagrees with theirs
    assert reconcile_day(provider_name="sandbox", day=clock.today()) == 2
    assert sorted(ProviderDifference.objects.values_list("kind", flat=True)) == [
        "only_here",
        "only_provider",
    ]
    assert clock.today() - timedelta(days=1) < clock.today()


def test_the_payments_command_makes_a_batch_and_reconciles(settings) -> None:  # type: ignore[no-untyped-def]
    import io
    import json

    from django.core.management import call_command

    settings.EWTP_PAYOUT_PROVIDER = "momo-sim"
    _owed("huye", "0788123456")
    out = io.StringIO()
    call_command("payments", "payouts", stdout=out)
    [made] = json.loads(out.getvalue())
    assert (made["organisation"], made["amount"], made["status"]) == (
        "Huye",
        {"amount": "169750", "currency": "RWF"},
        "pending",
    )
    out = io.StringIO()
    call_command("payments", "reconcile", "--day", clock.today().isoformat(), stdout=out)
    assert json.loads(out.getvalue()) == []  # the transfer is on the statement, still pending
    out = io.StringIO()
    call_command("payments", "tasks", stdout=out)
    assert json.loads(out.getvalue()) == []


def test_the_mobile_money_simulator_answers_in_process_as_under_a_real_server(settings) -> None:  # type: ignore[no-untyped-def]
    """In process, the simulator is asked as the platform itself (``localhost``): it was asked
    as the test suite's ``testserver``, a host no real server allows, so its payments never
    settled under `ewtp serve`."""
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    payment = payment_start(
        subject_type="sim",
        subject_ref="S2",
        amount=Money.of("15000", "RWF"),
        email="b@example.org",
        description="x",
        provider_name="momo-sim",
        payer_msisdn="0788123456",
    )
    assert payment.provider_reference and not payment.failure_reason
    payments_poll_pending()
    payments_poll_pending()
    payment.refresh_from_db()
    assert payment.status == "succeeded"
