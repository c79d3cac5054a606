"""Contract step 5: the duty per line, and the consignment's flat duty.

Under the ``standard`` treatment each line's tariff line is looked up (the longest prefix of
its code valid on the date; national lines under a shorter request code as extension 6
says), the MFN duty computed and the lowest proven preference applied; additional duties
follow. The regime treatments replace the whole step: ``exempt``, ``flat_per_hs6`` and
``flat_ad_valorem`` (extension 3: R x c_i on every line whose standard duty is not 0).

A line whose duty cannot be known (no tariff line, a national code needed, a line the
engine cannot compute, or a specific duty whose quantity the request does not give) has
duty ``null`` and makes the quote incomplete, with a warning that says why.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NamedTuple

from .exchange import join_sources
from .regime import dotted
from .request import Line
from .snapshot import SPECIFIC_UNITS, AdditionalDuty, Preference, TariffLine
from .work import ZERO, Priced, Work, allocate, lowest_confidence, round_half_up

MAX_CANDIDATES = 20
# tuple.__new__ skips a NamedTuple's Python-level constructor (these are built per line).
_new = tuple.__new__
_MEMO_LIMIT = 50_000
# The request field that gives the quantity a specific duty is measured in.
_MEASURE_FIELD = {"weight": "unit_weight_kg", "volume": "unit_volume_l"}
_MEASURE_TEXT = {"weight": "a duty per weight", "volume": "a duty per volume"}


class Found(NamedTuple):
    """The tariff lookup of one line: a line to price, or why there is none."""

    tariff: TariffLine | None
    code: str  # the tariff code reported (the request's code for a shared national duty)
    problem: str  # "", "tariff_rate_unknown", "national_code_needed" or "duty_not_computable"
    candidates: tuple[TariffLine, ...] = ()


class Standard(NamedTuple):
    """A line's standard duty, unrounded, with what it came from."""

    amount: Decimal
    programme: str | None
    rate_label: str
    source: str
    confidence: str


def duties(work: Work) -> None:
    mode = work.regime.duty
    if mode == "standard":
        for priced in work.lines:
            plan = line_plan(work, priced.line)
            _standard_line(work, priced, plan)
            if plan.additional:
                _additional_duties(work, priced, plan.additional)
            work.duty_sum += priced.duty_amount
    elif mode == "flat_ad_valorem":
        for priced in work.lines:
            _flat_ad_valorem_line(work, priced)
            work.duty_sum += priced.duty_amount
    else:
        # exempt or flat_per_hs6: no tariff line is looked up.
        exempt = _treatment_duty(work, work.zero, "0%", None)
        for priced in work.lines:
            priced.duty = exempt.copy()
            priced.mark(exempt["confidence"])
        if mode == "flat_per_hs6":
            _flat_per_hs6(work)


def _treatment_duty(
    work: Work, amount: Decimal, rate: str, tariff_code: str | None
) -> dict[str, Any]:
    regime = work.regime
    return {
        "amount": str(amount),
        "rate": rate,
        "programme": None,
        "tariff_code": tariff_code,
        "source": regime.source,
        "confidence": "high" if work.domestic else (regime.confidence or "low"),
        "treatment": regime.duty,
    }


# Lookup ------------------------------------------------------------------------------------


class Plan(NamedTuple):
    """What a line's duty step reads, whatever its amounts: looked up once per snapshot,
    territory, HS code, origin and day."""

    found: Found
    preference: Preference | None  # the lowest-rate programme the line is eligible for
    additional: tuple[AdditionalDuty, ...]  # the additional duties in force on the line
    # A preferential duty's source and confidence: the tariff line's and the programme's.
    preference_source: str = ""
    preference_confidence: str = ""
    # The response's duty under the MFN rate and under the preference, "amount" filled per
    # quote (None where there is no tariff line or no preference).
    mfn_duty: dict[str, Any] | None = None
    preference_duty: dict[str, Any] | None = None


def line_plan(work: Work, line: Line) -> Plan:
    key = (work.territory.code, line.hs, line.origin, work.day)
    memo = work.snapshot.line_memo
    plan: Plan | None = memo.get(key)
    if plan is None:
        if len(memo) >= _MEMO_LIMIT:
            memo.clear()
        plan = memo[key] = _plan(work, line)
    return plan


def _plan(work: Work, line: Line) -> Plan:
    found = _lookup(work, line.hs)
    best = _best_preference(work, line.hs, line.origin)
    additional = _additional_in_force(work, line.hs, line.origin)
    tariff = found.tariff
    if tariff is None:
        return Plan(found, best, additional)
    mfn_duty = _duty_template(
        found, tariff.rate_label, None, tariff.source, tariff.confidence or "low"
    )
    if best is None:
        return Plan(found, best, additional, mfn_duty=mfn_duty)
    source = join_sources(tariff.source, best.source)
    confidence = lowest_confidence(tariff.confidence, best.confidence)
    return Plan(
        found,
        best,
        additional,
        source,
        confidence,
        mfn_duty,
        _duty_template(found, best.rate_label, best.programme, source, confidence),
    )


def _duty_template(
    found: Found, rate: str, programme: str | None, source: str, confidence: str
) -> dict[str, Any]:
    """A standard line's duty in the response, its amount left to fill."""
    duty: dict[str, Any] = {
        "amount": "",
        "rate": rate,
        "programme": programme,
        "tariff_code": found.code,
        "source": source,
        "confidence": confidence,
        "treatment": "preference" if programme else "mfn",
    }
    assert found.tariff is not None
    if found.tariff.schedule:
        duty["schedule"] = found.tariff.schedule
    return duty


def _lookup(work: Work, hs: str) -> Found:
    """The tariff line of ``hs``: the longest prefix valid on the date, else the national
    lines under it (one shared duty applies; different duties need a national code)."""
    index = work.snapshot.tariffs.get(work.territory.code)
    if index is None:
        return Found(None, "", "tariff_rate_unknown")
    day, by_code, size = work.day, index.by_code, len(hs)
    for length in index.lengths:
        if length <= size:
            rows = by_code.get(hs[:length])
            if rows is not None:
                for row in rows:
                    if row.start <= day <= row.end:
                        problem = "" if row.computable else "duty_not_computable"
                        return _new(Found, (row, row.code, problem, ()))
    national = [
        row for code in index.under(hs) for row in by_code[code] if row.start <= day <= row.end
    ]
    if not national:
        return Found(None, "", "tariff_rate_unknown")
    first = national[0]
    if all(_same_duty(first, row) for row in national[1:]):
        problem = "" if first.computable else "duty_not_computable"
        return Found(first, hs, problem)
    return Found(None, "", "national_code_needed", tuple(national))


def _same_duty(one: TariffLine, other: TariffLine) -> bool:
    return (
        one.computable == other.computable
        and one.ad_valorem == other.ad_valorem
        and one.specific == other.specific
        and one.specific_currency == other.specific_currency
        and one.specific_per == other.specific_per
    )


# Standard treatment ------------------------------------------------------------------------


def _standard_line(work: Work, priced: Priced, plan: Plan) -> None:
    found = plan.found
    if found.problem:
        _duty_unknown(work, priced, found)
        return
    assert found.tariff is not None
    mfn = _mfn(work, priced, found.tariff)
    if mfn is None:
        _quantity_missing(work, priced, found.tariff)
        return
    standard = _preference(work, priced, found.tariff, mfn, plan, quiet=False)
    priced.tariff_duty = priced.duty_amount = round_half_up(standard.amount, work.q)
    template = plan.mfn_duty if standard.programme is None else plan.preference_duty
    assert template is not None
    duty = priced.duty = template.copy()
    duty["amount"] = str(priced.tariff_duty)
    if standard.programme:
        # The MFN duty the preference spared (an extension: the rest of the duty is as fixed).
        mfn_rounded = round_half_up(mfn, work.q)
        duty["mfn_amount"] = str(mfn_rounded)
        work.duty_saved = (work.duty_saved or work.zero) + mfn_rounded - priced.tariff_duty
    if standard.confidence != "high":
        priced.mark(standard.confidence)


def _mfn(work: Work, priced: Priced, tariff: TariffLine) -> Decimal | None:
    """The unrounded MFN duty (ad valorem on c_i plus the specific part); None when the
    request lacks the quantity the specific part is measured in."""
    mfn = ZERO if tariff.ad_valorem is None else tariff.ad_valorem * priced.cv
    if tariff.specific is None:
        return mfn
    line = priced.line
    measure = tariff.specific_measure
    if measure == "item":
        units = Decimal(line.quantity)
    else:
        per_unit = line.weight if measure == "weight" else line.volume
        if per_unit is None:
            return None
        units = per_unit * line.quantity
    specific = tariff.specific * units / tariff.specific_divisor
    if tariff.specific_currency != work.customs:
        specific = specific * work.fx.rate(tariff.specific_currency, work.customs)
    return mfn + specific


def _best_preference(work: Work, hs: str, origin: str) -> Preference | None:
    day = work.day
    best = None
    for pref in work.snapshot.preferences.get(work.territory.code, ()):
        if (
            pref.start <= day <= pref.end
            and (pref.origins is None or origin in pref.origins)
            and (pref.include is None or hs.startswith(pref.include))
            and not hs.startswith(pref.exclude)
            and (best is None or pref.rate < best.rate)
        ):
            best = pref
    return best


def _preference(
    work: Work,
    priced: Priced,
    tariff: TariffLine,
    mfn: Decimal,
    plan: Plan,
    *,
    quiet: bool,
) -> Standard:
    """The duty charged: the lowest eligible preference when proven and strictly lower.

    "Strictly lower" compares the amounts before rounding: the comparison is step 5, the
    rounding step 8. ``quiet``: no preference_available note (a flat regime replaces it).
    """
    best = plan.preference
    if best is not None:
        preferential = best.rate * priced.cv
        if preferential < mfn and work.req.proof:
            work.preference_lines.append(priced.line.hs)
            return _new(
                Standard,
                (
                    preferential,
                    best.programme,
                    best.rate_label,
                    plan.preference_source,
                    plan.preference_confidence,
                ),
            )
        if preferential < mfn and not quiet:
            _note_preference(work, priced, best, mfn, preferential)
    confidence = tariff.confidence or "low"
    return _new(Standard, (mfn, None, tariff.rate_label, tariff.source, confidence))


def _note_preference(
    work: Work, priced: Priced, best: Preference, mfn: Decimal, preferential: Decimal
) -> None:
    customs, q = work.customs, work.q
    mfn_r, pref_r = round_half_up(mfn, q), round_half_up(preferential, q)
    work.notes.append(
        {
            "code": "preference_available",
            "message": (
                f"Line {priced.line.id}: with a proof of origin "
                f"({best.proof or 'as the programme requires'}), "
                f"{best.programme} would lower the duty from "
                f"{mfn_r} {customs} to {pref_r} {customs}, "
                f"saving {mfn_r - pref_r} {customs}."
            ),
        }
    )


def _additional_in_force(work: Work, hs: str, origin: str) -> tuple[AdditionalDuty, ...]:
    day = work.day
    return tuple(
        measure
        for measure in work.snapshot.additional_duties.get(work.territory.code, ())
        if measure.start <= day <= measure.end
        and (measure.origins is None or origin in measure.origins)
        and (measure.include is None or hs.startswith(measure.include))
        and not hs.startswith(measure.exclude)
    )


def _additional_duties(work: Work, priced: Priced, measures: tuple[AdditionalDuty, ...]) -> None:
    for measure in measures:
        amount = round_half_up(measure.rate * priced.cv, work.q)
        priced.duty_amount += amount
        priced.mark(measure.confidence or "low")
        priced.additional.append(
            {
                "measure": measure.measure,
                "name": measure.name,
                "rate": measure.rate_text,
                "amount": str(amount),
                "source": measure.source,
                "confidence": measure.confidence or "low",
            }
        )


# Lines without a known duty ----------------------------------------------------------------


def _duty_unknown(work: Work, priced: Priced, found: Found) -> None:
    line = priced.line
    where = f"Line {line.id}: "
    if found.problem == "national_code_needed":
        candidates = [{"code": row.code, "duty": row.rate_label} for row in found.candidates][
            :MAX_CANDIDATES
        ]
        work.incomplete(
            {
                "code": "national_code_needed",
                "message": (
                    f"{where}{dotted(line.hs)} is split into {len(found.candidates)} national "
                    f"lines of {work.territory.code} with different duties; give one of their "
                    "codes."
                ),
                "line": line.id,
                "candidates": candidates,
            }
        )
    elif found.problem == "duty_not_computable":
        assert found.tariff is not None
        work.incomplete(
            {
                "code": "duty_not_computable",
                "message": (
                    f"{where}the duty of tariff line {found.tariff.code} cannot be computed "
                    f"here: {found.tariff.not_computable_reason}."
                ),
                "line": line.id,
                "tariff_code": found.tariff.code,
                "reason": found.tariff.not_computable_reason,
            }
        )
    else:
        work.incomplete(
            {
                "code": "tariff_rate_unknown",
                "message": (
                    f"{where}no {work.territory.code} tariff line for {dotted(line.hs)} on "
                    f"{work.day_text}; its duty (and the tax on it) is not included."
                ),
            }
        )


def _quantity_missing(work: Work, priced: Priced, tariff: TariffLine) -> None:
    line = priced.line
    field = _MEASURE_FIELD[tariff.specific_measure]
    path = f"lines.{line.position}.{field}"
    unit = SPECIFIC_UNITS[tariff.specific_per]
    work.incomplete(
        {
            "code": "quantity_missing",
            "message": (
                f"Line {line.id}: tariff line {tariff.code} has {_MEASURE_TEXT[unit[0]]} "
                f"({tariff.rate_label}); give {field} to include its duty."
            ),
            "line": line.id,
            "fields": {
                path: f"required: tariff line {tariff.code} has a duty per {tariff.specific_per}"
            },
        }
    )


# Flat treatments ---------------------------------------------------------------------------


def _flat_ad_valorem_line(work: Work, priced: Priced) -> None:
    """R x c_i unless the line's standard duty (preferences included) is 0."""
    regime = work.regime
    plan = line_plan(work, priced.line)
    found = plan.found
    standard: Standard | None = None
    if not found.problem:
        assert found.tariff is not None
        mfn = _mfn(work, priced, found.tariff)
        if mfn is not None:
            standard = _preference(work, priced, found.tariff, mfn, plan, quiet=True)
        elif _all_rates_zero(found.tariff):
            standard = Standard(ZERO, None, "0%", found.tariff.source, "")
    if standard is not None and not standard.amount:
        amount = work.zero
        rate = standard.rate_label
    else:
        amount = round_half_up(regime.flat_rate * priced.cv, work.q)
        rate = f"{(regime.flat_rate * 100).normalize():f}%"
    priced.tariff_duty = priced.duty_amount = amount
    priced.duty = _treatment_duty(work, amount, rate, found.code or None)
    priced.mark(priced.duty["confidence"])
    if standard is not None and standard.programme and not amount:
        priced.duty["programme"] = standard.programme


def _all_rates_zero(tariff: TariffLine) -> bool:
    return not tariff.ad_valorem and not tariff.specific


def _flat_per_hs6(work: Work) -> None:
    regime = work.regime
    subheadings = len({priced.line.hs[:6] for priced in work.lines})
    per = regime.flat_amount * work.to_customs(regime.flat_currency)
    amount = round_half_up(per * subheadings, work.q)
    work.duty_sum += amount
    # Exactly the contract's shape: kind, count (distinct subheadings), amount.
    work.consignment_duties.append(
        {"kind": "flat_per_hs6", "count": subheadings, "amount": str(amount)}
    )
    if regime.tax_base == "standard":
        # Extension 4: each line's tax base takes its share of the flat duty.
        for priced, share in zip(work.lines, allocate(work.lines, amount), strict=True):
            priced.base_extra += share
