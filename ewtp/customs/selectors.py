"""Reads of customs with their permission checks: an authority's queue, a declaration, the
figures of a desk, and a parcel's papers for its seller."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from ewtp.accounts.models import Organisation
from ewtp.accounts.selectors import is_platform_operator, organisations_of, role_in
from ewtp.core.errors import NotFound
from ewtp.customs.dossier import Papers, papers_for
from ewtp.customs.models import Decision, Declaration
from ewtp.logistics.models import Parcel
from ewtp.logistics.selectors import parcel_get_for

OPEN = (Declaration.Status.SUBMITTED, Declaration.Status.HELD, Declaration.Status.INSPECTION)
FLAG_CODES = ("undervalued", "weight_mismatch", "restricted_goods", "preference_without_proof")


def authorities_of(actor: object) -> QuerySet[Organisation]:
    return organisations_of(actor, kind=Organisation.Kind.CUSTOMS_AUTHORITY).order_by("name")


def declaration_queue_for(
    actor: object,
    *,
    authority: str = "",
    status: str = "open",
    kind: str = "",
    flag: str = "",
    country: str = "",
    query: str = "",
) -> QuerySet[Declaration]:
    """Declarations lodged with the actor's authorities (only theirs), oldest open first.

    ``status``: "open" (submitted, held, under inspection), "all", or one status; ``flag``:
    a risk flag code, or "any" for every flagged one.
    """
    authorities = authorities_of(actor)
    if authority:
        authorities = authorities.filter(slug=authority)
    declarations = Declaration.objects.select_related(
        "authority", "parcel", "parcel__seller", "order"
    ).filter(authority__in=authorities)
    if status == "open":
        declarations = declarations.filter(status__in=OPEN)
    elif status in Declaration.Status.values:
        declarations = declarations.filter(status=status)
    if kind in Declaration.Kind.values:
        declarations = declarations.filter(kind=kind)
    if country.strip():  # the declaring country, or the parcel's destination
        code = country.strip().upper()[:2]
        declarations = declarations.filter(Q(country=code) | Q(parcel__destination_country=code))
    if query.strip():
        text = query.strip()
        declarations = declarations.filter(
            Q(reference__icontains=text.replace("-", ""))
            | Q(parcel__code__icontains=text)
            | Q(parcel__seller__name__icontains=text)
        )
    rows = declarations.order_by("submitted_at", "id")
    if flag == "any":
        return rows.exclude(risk_flags=[])
    if flag in FLAG_CODES:
        # JSON containment differs between databases: filter on the stored text instead.
        return rows.filter(
            pk__in=[d.pk for d in rows if any(f["code"] == flag for f in d.risk_flags)]
        )
    return rows


def next_in_queue(actor: object, *, after: Declaration) -> Declaration | None:
    """The oldest open declaration the actor may decide, other than ``after``."""
    return declaration_queue_for(actor).exclude(pk=after.pk).first()


def declaration_get_for(actor: object, public_id: Any) -> Declaration:
    """Officers of its authority, the seller's members and the platform operator see it."""
    try:
        declaration = (
            Declaration.objects.select_related(
                "authority",
                "parcel",
                "parcel__seller",
                "parcel__origin_hub",
                "parcel__destination_hub",
                "parcel__shipment__lane__carrier",
                "order",
                "submitted_by",
            )
            .filter(public_id=public_id)
            .first()
        )
    except (ValueError, TypeError, ValidationError):  # a malformed id is "not found"
        declaration = None
    if declaration is None:
        raise NotFound("not_found", _("No such declaration."))
    if declaration.authority is not None and role_in(actor, declaration.authority) is not None:
        return declaration
    if role_in(actor, declaration.parcel.seller) is not None or is_platform_operator(actor):
        return declaration
    raise NotFound("not_found", _("No such declaration."))


def can_decide(actor: object, declaration: Declaration) -> bool:
    from ewtp.customs.services import WORK_ROLES

    return (
        declaration.authority is not None
        and role_in(actor, declaration.authority) in WORK_ROLES
        and declaration.status in OPEN
    )


def decisions_of(declaration: Declaration) -> QuerySet[Decision]:
    return declaration.decisions.select_related("actor").order_by("created_at", "id")


def declarations_of_parcel(parcel: Parcel) -> list[Declaration]:
    return list(
        Declaration.objects.select_related("authority").filter(parcel=parcel).order_by("kind")
    )


def papers_get_for(actor: object, raw_code: str) -> Papers:
    """A parcel's papers: its seller's members, the hubs on its route, the platform operator,
    and officers of an authority its declarations were lodged with."""
    try:
        parcel = parcel_get_for(actor, raw_code)
    except NotFound:
        from ewtp.logistics.selectors import parcel_by_code

        parcel = parcel_by_code(raw_code)
        authorities = set(authorities_of(actor).values_list("pk", flat=True))
        if (
            not authorities
            or not Declaration.objects.filter(parcel=parcel, authority_id__in=authorities).exists()
        ):
            raise
    return papers_for(parcel)


@dataclass(frozen=True)
class Figures:
    authority: Organisation
    by_status: dict[str, int]
    released: int
    release_hours_median: float | None
    release_hours_mean: float | None
    release_hours_p90: float | None
    holds_by_reason: list[tuple[str, str, int]]  # (reason, label, count)
    flagged_open: int


def figures_for(actor: object, authority_slug: str = "") -> Figures | None:
    """Time to release (hours from submission) and holds by reason, for one of the actor's
    authorities (the first if none named)."""
    authorities = authorities_of(actor)
    if authority_slug:
        authorities = authorities.filter(slug=authority_slug)
    authority = authorities.first()
    if authority is None:
        return None
    rows = Declaration.objects.filter(authority=authority)
    by_status = Counter(rows.values_list("status", flat=True))
    durations = [
        (released - submitted).total_seconds() / 3600
        for submitted, released in rows.filter(released_at__isnull=False).values_list(
            "submitted_at", "released_at"
        )
        if released is not None
    ]
    durations.sort()
    holds = Counter(
        Decision.objects.filter(
            declaration__authority=authority, action=Decision.Action.HOLD
        ).values_list("reason", flat=True)
    )
    labels = dict(Decision.Reason.choices)
    flagged_open = sum(
        1 for flags in rows.filter(status__in=OPEN).values_list("risk_flags", flat=True) if flags
    )
    return Figures(
        authority=authority,
        by_status={status: by_status.get(status, 0) for status in Declaration.Status.values},
        released=len(durations),
        release_hours_median=round(statistics.median(durations), 2) if durations else None,
        release_hours_mean=round(statistics.fmean(durations), 2) if durations else None,
        release_hours_p90=round(durations[min(len(durations) - 1, int(len(durations) * 0.9))], 2)
        if durations
        else None,
        holds_by_reason=[
            (reason, str(labels.get(reason, reason)), count)
            for reason, count in holds.most_common()
        ],
        flagged_open=flagged_open,
    )
