"""Proposals: drafted from rule files or the working copy, revised, consulted on, adopted.

Every step is audited (core's audit log) in the transaction that makes it.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from ewtp.core import clock
from ewtp.core.errors import Conflict, DomainError, InvalidRequest, NotFound
from ewtp.core.services import audit_record
from ewtp.forum import changes as rows
from ewtp.forum.models import Comment, Proposal, Revision
from ewtp.traderules.errors import RulesInvalid
from ewtp.traderules.models import RuleVersion
from ewtp.traderules.schedules import FOLDER
from ewtp.traderules.services.edits import working_copy_content
from ewtp.traderules.services.permissions import _require_steward
from ewtp.traderules.services.validation import (
    EDITABLE_MODELS,
    _data_from_content,
    file_name,
    rules_read_directory,
)
from ewtp.traderules.services.versions import _rules_import_write, rules_export

S = Proposal.Status
KEYS: dict[str, tuple[str, ...]] = {table: model.KEY for table, model in EDITABLE_MODELS.items()}
DEFAULT_CONSULTATION_DAYS = 60
OPEN = (S.DRAFT, S.CONSULTATION, S.REVIEW)
_KNOWN_FILES = {file_name(table) for table in EDITABLE_MODELS} | {"fx_rates.csv"}


class NoChanges(DomainError):
    code = "no_changes"
    http_status = 422


def published_version() -> RuleVersion:
    version = RuleVersion.objects.order_by("-id").first()
    if version is None:
        raise NotFound("not_found", _("No rules version is published yet."))
    return version


def _next_code(year: int) -> str:
    prefix = f"P-{year}-"
    numbers = [
        int(code.removeprefix(prefix))
        for code in Proposal.objects.filter(code__startswith=prefix).values_list("code", flat=True)
        if code.removeprefix(prefix).isdigit()
    ]
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


def _check_directory(directory: str | Path) -> None:
    base = Path(directory)
    if not base.is_dir():
        raise RulesInvalid("invalid_rules", _("%(dir)s is not a directory.") % {"dir": base})
    unknown = sorted(
        path.name
        for path in base.iterdir()
        if path.suffix in {".csv", ".json"} and path.name not in _KNOWN_FILES
    )
    if unknown:
        raise RulesInvalid(
            "invalid_rules",
            _("Unknown rule table %(name)s: nothing was written.") % {"name": unknown[0]},
            fields={f"{name}:-:": "an unknown table" for name in unknown},
        )


def _clean_text(value: str, field: str, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidRequest(
            "invalid_request", _("%(f)s is required.") % {"f": field}, fields={field: "required"}
        )
    return value


def proposal_propose(
    *,
    directory: str | Path,
    title: str,
    effective_on: date,
    kind: str = Proposal.Kind.PLATFORM_POLICY,
    actor: Any = None,
    language: str = "en",
    rationale: str = "",
    legal_act: str = "",
) -> Proposal:
    """A draft proposal from rule files in the shipped format, diffed against the rules in
    force row by row. A bad file or files that change nothing write nothing."""
    if actor is not None:
        _require_steward(actor)
    title = _clean_text(title, "title")
    _check_directory(directory)
    with tempfile.TemporaryDirectory() as whole:
        # A file left out is the published version's: only the changed tables need be given.
        rules_export(whole, version=published_version().label)
        given = [path for path in Path(directory).iterdir() if path.name in _KNOWN_FILES]
        if not given:
            raise RulesInvalid(
                "invalid_rules",
                _("%(dir)s holds no rule file: nothing was written.") % {"dir": directory},
                fields={"directory": "no rule file"},
            )
        (Path(whole) / "fx_rates.csv").unlink()
        for path in given:
            shutil.copyfile(path, Path(whole) / path.name)
        if (Path(directory) / FOLDER).is_dir():
            shutil.copytree(Path(directory) / FOLDER, Path(whole) / FOLDER, dirs_exist_ok=True)
        data = rules_read_directory(whole)
    return proposal_draft(
        content=data.content(),
        title=title,
        effective_on=effective_on,
        kind=kind,
        actor=actor,
        language=language,
        rationale=rationale,
        legal_act=legal_act,
    )


def proposal_from_working_copy(
    *,
    actor: Any,
    title: str,
    effective_on: date,
    kind: str,
    language: str = "en",
    rationale: str = "",
    legal_act: str = "",
    translations: dict[str, dict[str, str]] | None = None,
) -> Proposal:
    """A draft proposal of what the steward's working copy changes against the rules in force.

    ``translations``: the title and rationale in other languages, as
    ``{"title": {"fr": ...}, "rationale": {"fr": ...}}`` (the original is ``language``'s)."""
    _require_steward(actor)
    content = working_copy_content()
    _data_from_content(content)  # validated as a version would be
    return proposal_draft(
        content=content,
        title=_clean_text(title, "title"),
        effective_on=effective_on,
        kind=kind,
        actor=actor,
        language=language,
        rationale=rationale,
        legal_act=legal_act,
        translations=translations,
    )


def _short(language: str) -> str:
    return (language or "en").split("-")[0].lower()


def _texts(field: str, language: str, original: str, given: dict[str, str]) -> dict[str, str]:
    """A translatable text: the original first (shown where no translation is), then each
    translation given (blank ones left out) in a language the platform speaks."""
    known = {_short(code) for code, _name in settings.LANGUAGES}
    texts = {_short(language): original.strip()} if original.strip() else {}
    for code, text in given.items():
        short = _short(code)
        if short not in known:
            raise InvalidRequest(
                "invalid_request",
                _("%(code)s is not a language of the platform.") % {"code": code},
                fields={f"{field}_{code}": f"one of {', '.join(sorted(known))}"},
            )
        if text.strip() and short not in texts:
            texts[short] = text.strip()
    return texts


@transaction.atomic
def proposal_draft(
    *,
    content: dict[str, Any],
    title: str,
    effective_on: date,
    kind: str,
    actor: Any,
    language: str,
    rationale: str,
    legal_act: str,
    translations: dict[str, dict[str, str]] | None = None,
) -> Proposal:
    if kind not in Proposal.Kind.values:
        raise InvalidRequest(
            "invalid_request",
            _("Unknown kind %(kind)s.") % {"kind": kind},
            fields={"kind": f"one of {', '.join(Proposal.Kind.values)}"},
        )
    if kind == Proposal.Kind.LEGAL_MIRROR and not legal_act.strip():
        raise InvalidRequest(
            "invalid_request",
            _("A legal mirror cites the act it mirrors."),
            fields={"legal_act": "required for a legal mirror"},
        )
    base = published_version()
    found = rows.diff(base.content, content, KEYS)
    if not found:
        raise NoChanges(
            "no_changes",
            _("The files change nothing against the rules in force (%(v)s): nothing was written.")
            % {"v": base.label},
            fields={"directory": "no row differs from the published version"},
        )
    now = clock.now()
    given = translations or {}
    proposal = Proposal.objects.create(
        code=_next_code(now.year),
        kind=kind,
        title=_texts("title", language, title, given.get("title", {})),
        rationale=_texts("rationale", language, rationale, given.get("rationale", {})),
        legal_act=legal_act.strip(),
        effective_on=effective_on,
        consultation_days=DEFAULT_CONSULTATION_DAYS,
        created_by=_user(actor),
        created_at=now,
        updated_at=now,
    )
    Revision.objects.create(
        proposal=proposal,
        number=1,
        base_version=base.label,
        changes=found,
        created_by=_user(actor),
        created_at=now,
    )
    audit_record(
        actor=actor,
        action="forum.proposal.drafted",
        target=proposal,
        data={"code": proposal.code, "base": base.label, "changes": len(found), "kind": kind},
    )
    return proposal


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def proposal_get(code: str) -> Proposal:
    proposal = Proposal.objects.filter(code=code).first()
    if proposal is None:
        raise NotFound("unknown_proposal", _("No proposal %(code)s.") % {"code": code})
    return proposal


def latest_revision(proposal: Proposal) -> Revision:
    return proposal.revisions.order_by("-number").first()  # type: ignore[return-value]


def revision_freeze(revision: Revision) -> None:
    """Freeze a revision (once simulated or put to consultation); edits make a new one."""
    if not revision.frozen:
        Revision.objects.filter(pk=revision.pk).update(frozen=True)
        revision.frozen = True


@transaction.atomic
def proposal_revise(*, proposal: Proposal, actor: Any, content: dict[str, Any]) -> Revision:
    """New changes for a proposal, diffed against the rules in force; a frozen revision is kept
    and a new one made, a draft one is overwritten."""
    _require_steward(actor)
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status not in (S.DRAFT, S.CONSULTATION, S.REVIEW):
        raise Conflict("conflict", _("A %(s)s proposal is not revised.") % {"s": proposal.status})
    base = published_version()
    found = rows.diff(base.content, content, KEYS)
    if not found:
        raise NoChanges("no_changes", _("The new changes change nothing."), fields={})
    revision = latest_revision(proposal)
    if revision.frozen:
        revision = Revision(proposal=proposal, number=revision.number + 1, created_at=clock.now())
    revision.base_version = base.label
    revision.changes = found
    revision.created_by = _user(actor)
    revision.save()
    _touch(proposal)
    audit_record(
        actor=actor,
        action="forum.proposal.revised",
        target=proposal,
        data={"revision": revision.number, "base": base.label, "changes": len(found)},
    )
    return revision


def proposal_conflicts(proposal: Proposal) -> list[dict[str, Any]]:
    """The changes of the latest revision that no longer fit the rules in force."""
    return rows.conflicts(published_version().content, latest_revision(proposal).changes, KEYS)


def _touch(proposal: Proposal) -> None:
    proposal.updated_at = clock.now()
    proposal.save(
        update_fields=[
            "status",
            "consultation_opens_on",
            "consultation_closes_on",
            "emergency",
            "adopted_version",
            "updated_at",
        ]
    )


@transaction.atomic
def proposal_open_consultation(
    *, proposal: Proposal, actor: Any, days: int | None = None, emergency: bool = False
) -> Proposal:
    """Open the comment window (60 days by default); the emergency path publishes first."""
    _require_steward(actor)
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status != S.DRAFT:
        raise Conflict("conflict", _("Only a draft is put to consultation."))
    days = DEFAULT_CONSULTATION_DAYS if days is None else days
    if days < 1:
        raise InvalidRequest(
            "invalid_request", _("The window lasts at least a day."), fields={"days": "at least 1"}
        )
    _require_no_conflicts(proposal)
    today = clock.today()
    proposal.consultation_days = days
    proposal.consultation_opens_on = today
    proposal.consultation_closes_on = today + timedelta(days=days - 1)
    proposal.status = S.CONSULTATION
    proposal.emergency = emergency
    revision = latest_revision(proposal)
    revision_freeze(revision)
    if emergency and proposal.kind != Proposal.Kind.ADVISORY:
        proposal.adopted_version = _publish(proposal, revision, actor).label
    proposal.save(update_fields=["consultation_days"])
    _touch(proposal)
    audit_record(
        actor=actor,
        action="forum.proposal.consultation_opened",
        target=proposal,
        data={
            "revision": revision.number,
            "closes_on": proposal.consultation_closes_on.isoformat(),
            "emergency": emergency,
            "published": proposal.adopted_version,
        },
    )
    from ewtp.forum.services.notices import notices_enqueue

    notices_enqueue(proposal_id=proposal.pk)
    return proposal


def _require_no_conflicts(proposal: Proposal) -> None:
    found = proposal_conflicts(proposal)
    if found:
        first = found[0]
        raise Conflict(
            "proposal_conflict",
            _("The rules moved on since the proposal's base: %(table)s %(key)s: %(reason)s.")
            % first,
            fields={f"changes.{item['change']}": item["reason"] for item in found},
        )


def _publish(proposal: Proposal, revision: Revision, actor: Any) -> RuleVersion:
    base = published_version()
    content, found = rows.apply(
        base.content, revision.changes, KEYS, effective=proposal.effective_on
    )
    if found:
        _require_no_conflicts(proposal)
    data = _data_from_content(content)
    note = f"{proposal.code} r{revision.number}: {proposal.text('title')}"
    return _rules_import_write(data, actor=actor, note=note[:500])


@transaction.atomic
def proposal_adopt(*, proposal: Proposal, actor: Any) -> Proposal:
    """Adopt: refused while the window is open or a comment has no reasoned reply. A rules
    version is published whose changed rows are valid from the effective date (an advisory
    proposal is adopted as advice: no version)."""
    _require_steward(actor)
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status not in (S.CONSULTATION, S.REVIEW):
        raise Conflict("conflict", _("Only a proposal that was consulted on is adopted."))
    closes = proposal.consultation_closes_on
    if closes is not None and clock.today() <= closes:
        raise Conflict(
            "consultation_open",
            _("The comment window is open until %(d)s.") % {"d": closes.isoformat()},
            fields={"consultation_closes_on": closes.isoformat()},
        )
    unanswered = list(
        Comment.objects.filter(proposal=proposal, reply_outcome="").values_list(
            "public_id", flat=True
        )
    )
    if unanswered:
        raise Conflict(
            "comments_unanswered",
            _("%(n)d comment(s) still need a reasoned reply.") % {"n": len(unanswered)},
            fields={f"comments.{item}": "no reply" for item in unanswered},
        )
    revision = latest_revision(proposal)
    if proposal.kind != Proposal.Kind.ADVISORY and not proposal.adopted_version:
        _require_no_conflicts(proposal)
        proposal.adopted_version = _publish(proposal, revision, actor).label
    proposal.status = S.IN_FORCE if _in_force(proposal) else S.ADOPTED
    _touch(proposal)
    audit_record(
        actor=actor,
        action="forum.proposal.adopted",
        target=proposal,
        data={"revision": revision.number, "version": proposal.adopted_version},
    )
    return proposal


def _in_force(proposal: Proposal) -> bool:
    return proposal.kind != Proposal.Kind.ADVISORY and proposal.effective_on <= clock.today()


def proposal_close(*, proposal: Proposal, actor: Any, status: str) -> Proposal:
    """Withdraw or reject a proposal that is not adopted."""
    _require_steward(actor)
    if status not in (S.WITHDRAWN, S.REJECTED):
        raise InvalidRequest("invalid_request", _("Withdraw or reject."), fields={"status": status})
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if proposal.status not in (S.DRAFT, S.CONSULTATION, S.REVIEW):
            raise Conflict("conflict", _("This proposal is already decided."))
        proposal.status = status
        _touch(proposal)
        audit_record(actor=actor, action=f"forum.proposal.{status}", target=proposal, data={})
    return proposal


def proposals_advance() -> int:
    """Daily: windows that closed move to review, adopted proposals whose date came into force."""
    today = clock.today()
    moved = 0
    for proposal in Proposal.objects.filter(
        status=S.CONSULTATION, consultation_closes_on__lt=today
    ):
        proposal.status = S.REVIEW
        with transaction.atomic():
            _touch(proposal)
            audit_record(actor=None, action="forum.proposal.review", target=proposal, data={})
        moved += 1
    for proposal in Proposal.objects.filter(status=S.ADOPTED, effective_on__lte=today):
        if _in_force(proposal):
            proposal.status = S.IN_FORCE
            with transaction.atomic():
                _touch(proposal)
                audit_record(actor=None, action="forum.proposal.in_force", target=proposal, data={})
            moved += 1
    return moved
