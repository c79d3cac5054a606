"""Writes of customs: submitting a parcel's declarations, officers' decisions, traders'
customs numbers, and the shipped reference data (SDR rates, restricted goods).

A submission builds every declaration the route needs from the stored order, refuses the lot
(422, every field named) if any breaks its field rules, and otherwise records them with their
risk flags. A decision checks the officer's authority and the declaration's state (409 for a
forbidden move), is recorded with an audit entry, and moves the parcel through logistics:
release lets it go on, hold stops it, rejection returns it to the seller with the reason.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ewtp.accounts.models import Membership, Organisation, User
from ewtp.accounts.selectors import is_platform_operator, require_role, role_in
from ewtp.core import clock
from ewtp.core.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from ewtp.core.locks import lock_rows
from ewtp.core.services import audit_record
from ewtp.customs import dossier
from ewtp.customs.models import (
    Decision,
    Declaration,
    Jurisdiction,
    RestrictedGoods,
    SdrRate,
    TraderProfile,
)
from ewtp.logistics.models import Clearance, Parcel
from ewtp.logistics.services import clearance

WORK_ROLES = (Membership.Role.OWNER, Membership.Role.STAFF)
DATA_DIR = Path(__file__).resolve().parent / "data"
S = Declaration.Status
A = Decision.Action

# Which decision may follow which state, and where it leads.
DECISIONS: dict[str, tuple[frozenset[str], str]] = {
    A.RELEASE: (frozenset({S.SUBMITTED, S.HELD, S.INSPECTION}), S.RELEASED),
    A.HOLD: (frozenset({S.SUBMITTED, S.INSPECTION}), S.HELD),
    A.INSPECT: (frozenset({S.SUBMITTED, S.HELD}), S.INSPECTION),
    A.REJECT: (frozenset({S.SUBMITTED, S.HELD, S.INSPECTION}), S.REJECTED),
}
CLEARANCE_OF: dict[str, str] = {
    S.SUBMITTED: Clearance.SUBMITTED,
    S.LODGED: Clearance.LODGED,
    S.RELEASED: Clearance.RELEASED,
    S.HELD: Clearance.HELD,
    S.INSPECTION: Clearance.INSPECTION,
    S.REJECTED: Clearance.REJECTED,
}
SUBMITTABLE = frozenset(
    {
        Parcel.Status.PACKED,
        Parcel.Status.HANDED_OVER,
        Parcel.Status.RECEIVED,
        Parcel.Status.CONSOLIDATED,
    }
)


class DeclarationInvalid(InvalidRequest):
    code = "declaration_invalid"


class InvalidTransition(Conflict):
    code = "invalid_transition"


# Submission -------------------------------------------------------------------------------


@transaction.atomic
def declarations_submit(
    *, actor: object, parcel: Parcel, is_origin_statement_made: bool = False
) -> list[Declaration]:
    """Build, check and lodge the parcel's export and import declarations.

    Raises DeclarationInvalid (422) naming every field at fault, prefixed by the declaration
    (``export.items.0.commodity_code``), and writes nothing; Conflict (409) when they are
    submitted already or the parcel has left. The seller's members submit.
    """
    require_role(actor, parcel.seller, WORK_ROLES)
    assert isinstance(actor, User)
    parcel = Parcel.objects.select_related(
        "order__checkout", "seller", "origin_hub", "destination_hub", "shipment__lane__carrier"
    ).get(pk=parcel.pk)
    _check_submittable(parcel)
    papers = dossier.papers_for(parcel)
    _check_drafts(papers)
    now = clock.now()
    made = bool(is_origin_statement_made and papers.origin_statement)
    return [_lodge(actor, parcel, papers, draft, made=made, now=now) for draft in papers.drafts]


def _check_submittable(parcel: Parcel) -> None:
    if parcel.status not in SUBMITTABLE:
        raise InvalidTransition(
            message=_("Parcel %(code)s is %(status)s: its declarations can no longer be submitted.")
            % {"code": parcel.code, "status": parcel.get_status_display().lower()},
            extra={"status": parcel.status},
        )
    if Declaration.objects.filter(parcel=parcel).exists():
        raise Conflict("already_submitted", _("The declarations of this parcel are submitted."))
    if parcel.is_local:
        raise Conflict(
            "no_declarations_needed",
            _("Parcel %(code)s is delivered inside the country: it needs no declarations.")
            % {"code": parcel.code},
        )


def _check_drafts(papers: dossier.Papers) -> None:
    """Every field at fault, prefixed by its declaration; nothing is written when any is."""
    errors = {
        f"{draft.kind}.{path}": message
        for draft in papers.drafts
        for path, message in draft.errors.items()
    }
    if errors:
        raise DeclarationInvalid(
            message=_("The declarations do not pass their field rules: %(problems)s")
            % {
                "problems": "; ".join(
                    f"{path}: {message}" for path, message in list(errors.items())[:8]
                )
            },
            fields=errors,
        )


def _lodge(
    actor: User,
    parcel: Parcel,
    papers: dossier.Papers,
    draft: dossier.Draft,
    *,
    made: bool,
    now: datetime,
) -> Declaration:
    """Write one declaration, its audit record, and the parcel's clearance step."""
    status = S.SUBMITTED if draft.authority is not None else S.LODGED
    declaration = Declaration(
        reference=dossier.lrn_for(parcel, draft.kind),
        parcel=parcel,
        order=parcel.order,
        kind=draft.kind,
        dataset=draft.dataset,
        authority=draft.authority,
        country=draft.country,
        status=status,
        data=draft.data,
        value_minor=draft.value.minor,
        currency=draft.value.currency,
        risk_flags=dossier.flags_for(papers, draft, is_origin_statement_made=made),
        origin_statement=papers.origin_statement if draft.kind == "import" else "",
        is_origin_statement_made=made and draft.kind == "import",
        submitted_by=actor,
        submitted_at=now,
    )
    try:
        with transaction.atomic():
            declaration.save()
    except IntegrityError:
        raise Conflict(
            "already_submitted", _("The declarations of this parcel are submitted.")
        ) from None
    audit_record(
        actor=actor,
        action="customs.declaration.submitted",
        target=declaration,
        organisation_ref=str(parcel.seller.public_id),
        data={
            "reference": declaration.reference,
            "kind": draft.kind,
            "dataset": draft.dataset,
            "authority": draft.authority.slug if draft.authority else "",
            "flags": [flag["code"] for flag in declaration.risk_flags],
        },
    )
    clearance.parcel_clearance_set(
        parcel=parcel,
        kind=draft.kind,
        state=CLEARANCE_OF[status],
        actor=actor,
        authority=draft.authority.name if draft.authority else parcel.seller.name,
        note=f"{declaration.get_dataset_display()} {declaration.reference}",
    )
    return declaration


# Decisions --------------------------------------------------------------------------------


def require_officer(actor: object, declaration: Declaration) -> User:
    """Owners and staff of the declaration's authority; a non-member does not see it."""
    if declaration.authority is None:
        raise NotFound("not_found", _("No such declaration."))
    role = role_in(actor, declaration.authority)
    if role is None:
        raise NotFound("not_found", _("No such declaration."))
    if role not in WORK_ROLES:
        raise PermissionDenied("permission_denied", _("Your role does not allow decisions."))
    assert isinstance(actor, User)
    return actor


@transaction.atomic
def declaration_decide(
    *, actor: object, declaration: Declaration, action: str, reason: str = "", note: str = ""
) -> Declaration:
    """Release, hold (with a reason), inspect or reject (with a reason) a declaration."""
    user = require_officer(actor, declaration)
    reason = (reason or "").strip()
    note = (note or "").strip()[:2000]
    _check_decision(action, reason, note)
    locked = lock_rows(
        Declaration.objects.filter(pk=declaration.pk).select_related("authority", "parcel")
    )[0]
    sources, target = DECISIONS[action]
    if locked.status not in sources:
        raise InvalidTransition(
            message=_(
                "Declaration %(reference)s is %(status)s: it cannot be given the decision "
                "%(decision)s."
            )
            % {
                "reference": locked.reference,
                "status": locked.get_status_display().lower(),
                "decision": str(Decision.Action(action).label).lower(),
            },
            extra={"status": locked.status},
        )
    _record_decision(user, locked, action, target, reason=reason, note=note)
    declaration.status = locked.status
    return locked


def _check_decision(action: str, reason: str, note: str) -> None:
    if action not in DECISIONS:
        raise InvalidRequest(
            "invalid_request",
            _("Unknown decision %(action)s.") % {"action": repr(action)},
            fields={"action": "unknown"},
        )
    if action in {A.HOLD, A.REJECT} and reason not in Decision.Reason.values:
        raise InvalidRequest(
            "invalid_request",
            _("A hold or a rejection needs a reason."),
            fields={"reason": "one of " + ", ".join(Decision.Reason.values)},
        )
    if reason and reason not in Decision.Reason.values:
        raise InvalidRequest("invalid_request", _("Unknown reason."), fields={"reason": "unknown"})
    if action == A.REJECT and not note:
        raise InvalidRequest(
            "invalid_request",
            _("Say why, for the seller: the parcel returns with this note."),
            fields={"note": "what the seller must know"},
        )


def _record_decision(
    user: User, locked: Declaration, action: str, target: str, *, reason: str, note: str
) -> None:
    """The decision row, the declaration's new status, the audit and the parcel's clearance."""
    now = clock.now()
    source = locked.status
    Decision.objects.create(
        declaration=locked,
        action=action,
        reason=reason,
        note=note,
        from_status=source,
        to_status=target,
        actor=user,
        actor_label=user.email,
        created_at=now,
    )
    locked.status = target
    locked.decided_at = now
    if target == S.RELEASED:
        locked.released_at = now
    if target == S.HELD:
        locked.hold_reason = reason
    locked.decision_note = note
    locked.save(
        update_fields=["status", "decided_at", "released_at", "hold_reason", "decision_note"]
    )
    assert locked.authority is not None
    audit_record(
        actor=user,
        action=f"customs.declaration.{target}",
        target=locked,
        organisation_ref=str(locked.authority.public_id),
        data={"reference": locked.reference, "from": source, "reason": reason, "note": note},
    )
    reason_label = str(Decision.Reason(reason).label) if reason else ""
    clearance.parcel_clearance_set(
        parcel=locked.parcel,
        kind=locked.kind,
        state=CLEARANCE_OF[target],
        actor=user,
        authority=locked.authority.name,
        note=": ".join(part for part in (reason_label, note) if part),
    )


# Traders' customs numbers -------------------------------------------------------------------


@dataclass(frozen=True)
class ProfileData:
    tin: str | None = None
    eori: str | None = None
    ioss_number: str | None = None
    cn_registration_code: str | None = None
    us_importer_number: str | None = None
    address: str | None = None
    city: str | None = None


_PROFILE_PATTERNS = {
    "tin": (r"\d{9}", "9 digits (Rwanda TIN)"),
    "eori": (r"[A-Z]{2}[A-Z0-9]{1,15}", "2 letters and up to 15 letters or digits"),
    "ioss_number": (r"IM\d{10}", "IM and 10 digits"),
    "cn_registration_code": (r"[0-9A-Z]{10}", "10 letters or digits"),
    "us_importer_number": (r"\d{2}-\d{7}(\d{2})?|\d{6}-\d{5}", "12-3456789 or YYDDPP-NNNNN"),
}


@transaction.atomic
def trader_profile_set(
    *, actor: object, organisation: Organisation, data: ProfileData
) -> TraderProfile:
    """Set an organisation's customs numbers (its owners and staff, or the platform operator).
    Only the values given change; an empty string clears one."""
    if not is_platform_operator(actor):
        require_role(actor, organisation, WORK_ROLES)
    values = {k: v for k, v in data.__dict__.items() if v is not None}
    errors: dict[str, str] = {}
    cleaned: dict[str, str] = {}
    for name, value in values.items():
        text = str(value).strip()
        if name in _PROFILE_PATTERNS:
            text = text.upper().replace(" ", "")
            pattern, expect = _PROFILE_PATTERNS[name]
            if text and not re.fullmatch(pattern, text):
                errors[name] = expect
        cleaned[name] = text[:500]
    if errors:
        raise InvalidRequest(
            "invalid_request", _("Please correct the fields shown."), fields=errors
        )
    profile, _created = TraderProfile.objects.get_or_create(
        organisation=organisation, defaults={"updated_at": clock.now()}
    )
    for name, value in cleaned.items():
        setattr(profile, name, value)
    profile.updated_at = clock.now()
    profile.full_clean()
    profile.save()
    audit_record(
        actor=actor,
        action="customs.trader_profile.updated",
        target=profile,
        organisation_ref=str(organisation.public_id),
        data={"fields": sorted(cleaned)},
    )
    return profile


# Reference data ---------------------------------------------------------------------------


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@transaction.atomic
def reference_data_ensure() -> dict[str, int]:
    """Load the shipped SDR rates and restricted goods that are missing (idempotent)."""
    loaded = {"sdr_rates": 0, "restricted_goods": 0}
    for row in _rows("sdr_rates.csv"):
        _rate, created = SdrRate.objects.get_or_create(
            currency=row["currency"],
            valid_on=date.fromisoformat(row["valid_on"]),
            defaults={"units_per_sdr": Decimal(row["units_per_sdr"]), "source": row["source"]},
        )
        loaded["sdr_rates"] += created
    for row in _rows("restricted_hs.csv"):
        _goods, created = RestrictedGoods.objects.get_or_create(
            hs_prefix=row["hs_prefix"],
            applies_to=row["applies_to"],
            countries=row["countries"],
            valid_from=date.fromisoformat(row["valid_from"]),
            defaults={
                "reason": row["reason"],
                "valid_to": date.fromisoformat(row["valid_to"]) if row["valid_to"] else None,
                "source": row["source"],
            },
        )
        loaded["restricted_goods"] += created
    return loaded


def reference_data_on_migrate(using: str = "default", **_kwargs: Any) -> None:
    """post_migrate hook: a fresh or flushed database gets the shipped reference data."""
    from django.db import connection

    if using != "default":
        return
    tables = set(connection.introspection.table_names())
    if {SdrRate._meta.db_table, RestrictedGoods._meta.db_table} <= tables:
        reference_data_ensure()


@transaction.atomic
def jurisdiction_set(
    *, authority: Organisation, country: str, kind: str, office_code: str, office_name: str
) -> Jurisdiction:
    """Which authority handles exports from / imports into a country (demo and admin set-up)."""
    if authority.kind != Organisation.Kind.CUSTOMS_AUTHORITY:
        raise InvalidRequest("invalid_request", _("Only a customs authority has a jurisdiction."))
    jurisdiction, _created = Jurisdiction.objects.update_or_create(
        country=country,
        kind=kind,
        defaults={"authority": authority, "office_code": office_code, "office_name": office_name},
    )
    return jurisdiction
