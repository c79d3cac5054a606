"""Steward edits of the working copy (row saves and deletes) and publishing it as a new version."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from ewtp.core.errors import InvalidRequest, NotFound
from ewtp.core.services import audit_record
from ewtp.traderules.engine import RuleSet, build_snapshot
from ewtp.traderules.errors import NothingToPublish
from ewtp.traderules.models import (
    LowValueRegime,
    RuleRow,
    RuleVersion,
    Source,
    TariffLine,
    Tax,
    Territory,
)
from ewtp.traderules.rates import PERCENT_COLUMNS, rate_bound_problems
from ewtp.traderules.selectors.snapshot import snapshot_cache_clear
from ewtp.traderules.services.fx import _lock_state
from ewtp.traderules.services.permissions import _require_single_publisher, _require_steward
from ewtp.traderules.services.validation import (
    CSV_MODELS,
    EDITABLE_MODELS,
    _data_from_content,
    _messages,
)
from ewtp.traderules.services.versions import (
    _version_create,
    _version_summary,
    _working_copy_replace,
    changes_between,
)

# Steward edits of the working copy and publishing --------------------------------------------


def _row_problems_against_working_copy(row: Any) -> dict[str, str]:
    fields: dict[str, str] = {}
    if isinstance(row, Source):
        clash = Source.objects.filter(code=row.code).exclude(pk=row.pk).exists()
        if clash:
            fields["code"] = "Another source has this id."
        return fields
    known = set(Source.objects.values_list("code", flat=True))
    missing = [source_id for source_id in row.source_ids() if source_id not in known]
    if missing:
        fields["source"] = f"Not in the sources: {', '.join(missing)}."
    territories = list(Territory.objects.all())
    if isinstance(row, Territory) and row.pk is not None:
        territories = [territory for territory in territories if territory.pk != row.pk]
    if isinstance(row, Territory):
        if any(other.territory == row.territory for other in territories):
            fields["territory"] = "Another territory has this code."
        taken = {c: t.territory for t in territories for c in t.member_list()}
        clashes = [c for c in row.member_list() if c in taken]
        if clashes:
            fields["members"] = f"Already in another territory: {', '.join(clashes)}."
        return fields
    if isinstance(row, LowValueRegime):
        # The engine parses the regime as a quote will; what it refuses is refused now.
        try:
            build_snapshot(RuleSet(regimes={row.territory: [row.to_object()]}))
        except (ValueError, KeyError, TypeError) as error:
            fields["conditions"] = re.sub(r"^regimes \S+ \([^)]*\): ", "", str(error))
    codes = {territory.territory for territory in territories}
    members = {country for territory in territories for country in territory.member_list()}
    territory = getattr(row, "territory", None)
    if territory is not None and territory not in codes:
        fields["territory"] = f"{territory} is not a territory."
    country = getattr(row, "country", None)
    if country is not None and country not in members:
        fields["country"] = f"{country} is a member of no territory."
    return fields


@transaction.atomic
def rule_row_save(*, actor: Any, row: RuleRow | Source) -> RuleRow | Source:
    """Create or update one working-copy row (any table); audited, published later."""
    _require_steward(actor)
    model = type(row)
    if model not in EDITABLE_MODELS.values():
        raise InvalidRequest("invalid_request", _("Not a rule table."))
    before = model._default_manager.filter(pk=row.pk).first() if row.pk else None
    if before is None:
        position = model._default_manager.aggregate(top=Max("position"))["top"]
        row.position = 0 if position is None else position + 1
    try:
        row.full_clean(exclude=["position"], validate_constraints=False)
    except ValidationError as error:
        raise InvalidRequest(
            "invalid_request", _("Please correct the fields shown."), fields=_messages(error)
        ) from None
    fields = _row_problems_against_working_copy(row)
    if model.TABLE in PERCENT_COLUMNS:
        fields.update(rate_bound_problems(model.TABLE, dict(row.to_row())))
    if fields:
        raise InvalidRequest(
            "invalid_request", _("Please correct the fields shown."), fields=fields
        )
    row.save()
    after = _row_data(row)
    audit_record(
        actor=actor,
        action=f"traderules.row.{'updated' if before else 'created'}",
        target=row,
        data={
            "table": model.TABLE,
            "key": row.key_text(),
            "before": _row_data(before) if before else None,
            "after": after,
        },
    )
    return row


def _row_data(row: Any) -> dict[str, Any]:
    if isinstance(row, LowValueRegime):
        return {"territory": row.territory, **row.to_object()}
    return dict(row.to_row())


def tariff_line_save(*, actor: Any, tariff_line: TariffLine) -> TariffLine:
    saved = rule_row_save(actor=actor, row=tariff_line)
    assert isinstance(saved, TariffLine)
    return saved


def tax_save(*, actor: Any, tax: Tax) -> Tax:
    saved = rule_row_save(actor=actor, row=tax)
    assert isinstance(saved, Tax)
    return saved


@transaction.atomic
def rule_row_delete(*, actor: Any, row: RuleRow | Source) -> None:
    """Delete one working-copy row; references to it are checked when publishing."""
    _require_steward(actor)
    data = _row_data(row)
    audit_record(
        actor=actor,
        action="traderules.row.deleted",
        target=row,
        data={"table": type(row).TABLE, "key": row.key_text(), "before": data},
    )
    type(row)._default_manager.filter(pk=row.pk).delete()


def _cell_text(value: Any) -> str:
    """A cell as ``TableRow.to_row`` writes it."""
    if type(value) is str:
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _rows_of(model: Any) -> list[dict[str, str]]:
    """The working copy's rows of ``model`` in file order, as ``to_row`` gives them (read as
    plain values: the full schedules hold tens of thousands of rows)."""
    columns = model.COLUMNS
    names = [model.field_name(column) for column in columns]
    rows = model._default_manager.order_by("position", "id").values_list(*names)
    return [
        {column: _cell_text(value) for column, value in zip(columns, values, strict=True)}
        for values in rows.iterator(chunk_size=5000)
    ]


def working_copy_content() -> dict[str, Any]:
    """The working copy in the shape of a version's content."""
    tables = {table: _rows_of(model) for table, model in CSV_MODELS.items()}
    pairs: list[list[Any]] = []
    for regime in LowValueRegime.objects.order_by("position", "id"):
        if not pairs or pairs[-1][0] != regime.territory:
            existing = next((pair for pair in pairs if pair[0] == regime.territory), None)
            if existing is not None:
                existing[1].append(regime.to_object())
                continue
            pairs.append([regime.territory, []])
        pairs[-1][1].append(regime.to_object())
    # Territories without regimes keep their (empty) entry, as regimes.json lists them.
    current = RuleVersion.objects.order_by("-id").values_list("content", flat=True).first()
    schedules = list(current.get("schedules", ())) if current is not None else []
    schedule_sources = list(current.get("schedule_sources", ())) if current is not None else []
    if current is not None:
        order = [territory for territory, _items in current.get("regimes", ())]
        present = {pair[0] for pair in pairs}
        codes = {row["territory"] for row in tables["territories"]}
        for territory in order:
            if territory not in present and territory in codes:
                pairs.append([territory, []])
        rank = {territory: index for index, territory in enumerate(order)}
        pairs.sort(key=lambda pair: rank.get(pair[0], len(rank)))
    # The schedules' manifest is not edited in the working copy: it stays as in force.
    return {
        "tables": tables,
        "regimes": pairs,
        "schedules": schedules,
        "schedule_sources": schedule_sources,
    }


@transaction.atomic
def rules_publish(*, actor: Any, note: str) -> RuleVersion:
    """Freeze the working copy into a new version, which is then in force at once: the path of
    the platform operator and of the system (``actor`` None). A steward's publication needs a
    second steward's approval (``services.publication``)."""
    _require_single_publisher(actor)
    note = note.strip()
    if not note:
        raise InvalidRequest(
            "invalid_request", _("Say what this version changes."), fields={"note": "required"}
        )
    _lock_state()
    content = working_copy_content()
    data = _data_from_content(content)
    current = RuleVersion.objects.order_by("-id").first()
    if current is not None and not changes_between(current.content, data.content()):
        raise NothingToPublish(
            "nothing_to_publish", _("The working copy equals the rules in force.")
        )
    version = _version_create(actor=actor, note=note, data=data)
    audit_record(
        actor=actor,
        action="traderules.version.published",
        target=version,
        data=_version_summary(version),
    )
    snapshot_cache_clear()
    return version


@transaction.atomic
def rules_working_copy_reset(*, actor: Any) -> None:
    """Discard the steward's edits: the working copy becomes the version in force again."""
    _require_steward(actor)
    current = RuleVersion.objects.order_by("-id").first()
    if current is None:
        raise NotFound("not_found", _("No rules version to reset to."))
    _working_copy_replace(_data_from_content(current.content, check=False))
    audit_record(
        actor=actor,
        action="traderules.working_copy.reset",
        target=current,
        data={"label": current.label},
    )
