"""The chart of accounts: one function per kind of account, so codes are spelled in one place."""

from __future__ import annotations

from ewtp.ledger.models import Account
from ewtp.ledger.services import AccountSpec

A, L, R, Q = (
    Account.Kind.ASSET,
    Account.Kind.LIABILITY,
    Account.Kind.REVENUE,
    Account.Kind.EQUITY,
)


def provider_settlement(provider: str) -> AccountSpec:
    """Money held for the platform by a payment provider."""
    return AccountSpec(
        f"provider:{provider}:settlement", A, "provider_settlement", f"Settlement at {provider}"
    )


def payments_clearing() -> AccountSpec:
    """Buyer payments received and not yet allocated to orders, bookings or courses."""
    return AccountSpec(
        "clearing:payments", L, "payments_clearing", "Buyer payments clearing", is_bounded=True
    )


def escrow(subject: str) -> AccountSpec:
    """The buyer's money held for one order (or booking) until delivery is confirmed."""
    return AccountSpec(
        f"escrow:{subject}", L, "escrow", f"Escrow {subject}", owner_ref=subject, is_bounded=True
    )


def party_payable(party: str, name: str) -> AccountSpec:
    """What the platform owes a seller, an operator or a provider of services."""
    return AccountSpec(
        f"payable:{party}",
        L,
        "party_payable",
        f"Payable to {name}",
        owner_ref=party,
        is_bounded=True,
    )


def organisation_party(public_id: object) -> str:
    """The ledger's name for an organisation (a seller, a tour operator) as a party."""
    return f"org:{public_id}"


def organisation_payable(public_id: object, name: str) -> AccountSpec:
    """What the platform owes an organisation: the account payouts read and empty."""
    return party_payable(organisation_party(public_id), name)


def community_share(party: str, name: str) -> AccountSpec:
    """The community share of tourism revenue, held for the communities around a park."""
    return AccountSpec(
        f"community:{party}",
        L,
        "community_share",
        f"Community share: {name}",
        owner_ref=party,
        is_bounded=True,
    )


def authority_payable(authority: str) -> AccountSpec:
    """Duties, taxes and fees collected for a customs authority."""
    return AccountSpec(
        f"authority:{authority}:payable",
        L,
        "authority_payable",
        f"Duties and taxes payable to {authority}",
        owner_ref=authority,
        is_bounded=True,
    )


def platform_fees() -> AccountSpec:
    return AccountSpec("platform:fees", R, "platform_fee_revenue", "Platform fee revenue")


def fx_conversion() -> AccountSpec:
    """The bridge between currencies: a conversion posts to it in both currencies."""
    return AccountSpec("fx:conversion", Q, "fx_conversion", "Currency conversion")


def payouts_in_transit(provider: str) -> AccountSpec:
    """Payouts sent to a provider (mobile money) and not yet confirmed."""
    return AccountSpec(
        f"provider:{provider}:payouts", A, "payouts_in_transit", f"Payouts in transit at {provider}"
    )
