"""A steward updates one national tariff schedule from a new file (next year's schedule): the
summary of lines added, changed and removed is shown first; publishing makes it a new version.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from ewtp.core import conf
from ewtp.core.errors import InvalidRequest, NotFound
from ewtp.traderules import schedules as schedule_files
from ewtp.traderules.errors import RulesInvalid
from ewtp.traderules.models import RuleVersion
from ewtp.traderules.selectors.hs import hs_subheadings
from ewtp.traderules.services.permissions import _require_steward
from ewtp.traderules.services.validation import (
    Problem,
    RuleData,
    _data_from_content,
    _raise_problems,
)
from ewtp.traderules.services.versions import _rules_import_write, changes_between

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MAX_BYTES = 20_000_000


@dataclass(frozen=True)
class ScheduleUpdate:
    """A schedule file checked against the rules in force, not yet published."""

    schedule: str
    schedule_date: str
    data: RuleData
    changes: dict[str, Any]
    based_on: str  # the label of the version in force it was compared with

    def summary(self) -> dict[str, Any]:
        """Counts and examples, for the schedule and every table that changes."""
        return {
            "schedule": self.schedule,
            "schedule_date": self.schedule_date,
            "based_on": self.based_on,
            "changes": self.changes,
        }


def schedule_list() -> list[dict[str, Any]]:
    """The tariff schedules of the version in force (manifest rows with their counts)."""
    content = RuleVersion.objects.order_by("-id").values_list("content", flat=True).first() or {}
    return [row for row in content.get("schedules", ()) if row.get("kind") == "tariff"]


def _text_of(upload: bytes | str) -> str:
    if isinstance(upload, str):
        return upload
    if len(upload) > _MAX_BYTES:
        raise InvalidRequest(
            "invalid_request", _("The file is too large."), fields={"file": "too large"}
        )
    try:
        return upload.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidRequest(
            "invalid_request", _("The file is not UTF-8 text."), fields={"file": "not UTF-8"}
        ) from None


def schedule_update_check(
    *, actor: Any, schedule: str, upload: bytes | str, schedule_date: str, file_name: str = ""
) -> ScheduleUpdate:
    """Check ``upload`` as the new file of ``schedule`` against the rules in force; nothing is
    written. RulesInvalid names the file, row and column of every problem."""
    if actor is not None:
        _require_steward(actor)
    version = RuleVersion.objects.order_by("-id").first()
    manifest = schedule_list()
    info_row = next((row for row in manifest if row.get("schedule") == schedule), None)
    if version is None or info_row is None:
        raise InvalidRequest(
            "invalid_request",
            _("%(schedule)s is not a tariff schedule of the rules in force.")
            % {"schedule": schedule},
            fields={"schedule": "unknown"},
        )
    schedule_date = schedule_date.strip() or str(info_row.get("schedule_date", ""))
    if not _ISO_DATE.match(schedule_date):
        raise InvalidRequest(
            "invalid_request",
            _("The schedule's date is a date such as 2027-01-01."),
            fields={"schedule_date": "a date"},
        )
    # Problems name the file as uploaded; the schedule keeps its place in schedules/.
    name = file_name or str(info_row.get("file", schedule))
    info = schedule_files.ScheduleInfo(
        schedule=schedule,
        territory=str(info_row["territory"]),
        kind="tariff",
        file=str(info_row["file"]),
        schedule_date=schedule_date,
        name=str(info_row.get("name", "")),
    )
    content = version.content
    tables = content.get("tables", {})
    issues: list[schedule_files.Issue] = []
    rows = schedule_files.parse_csv(_text_of(upload), name, schedule_files.TARIFF_COLUMNS, issues)
    lines = schedule_files.tariff_lines_of(
        rows, info, schedule_files.context_of(tables, hs_subheadings()), issues, file=name
    )
    kept = [row for row in tables.get("tariff_lines", ()) if row.get("schedule") != schedule]
    issues.extend(schedule_files.cross_overlaps(lines, info, name, kept))
    _raise_problems(
        [Problem(i.file, i.row, i.column, i.message) for i in issues], RulesInvalid, "schedule file"
    )
    new_content = {
        **content,
        "tables": {**tables, "tariff_lines": [*kept, *lines]},
        "schedules": [
            info.summary() if row.get("schedule") == schedule else dict(row)
            for row in content.get("schedules", ())
        ],
    }
    data = _data_from_content(new_content)
    data.schedules = list(new_content["schedules"])
    return ScheduleUpdate(
        schedule=schedule,
        schedule_date=schedule_date,
        data=data,
        changes=changes_between(content, data.content()),
        based_on=version.label,
    )


def schedule_update_publish(
    *,
    actor: Any,
    schedule: str,
    upload: bytes | str,
    schedule_date: str,
    note: str,
    file_name: str = "",
) -> RuleVersion:
    """Check the file again, against the version in force at this moment, and publish the rules
    with it as a new version; the working copy becomes that version."""
    note = note.strip()
    if not note:
        raise InvalidRequest(
            "invalid_request", _("Say what this version changes."), fields={"note": "required"}
        )
    update = schedule_update_check(
        actor=actor,
        schedule=schedule,
        upload=upload,
        schedule_date=schedule_date,
        file_name=file_name,
    )
    if not update.changes:
        raise InvalidRequest(
            "invalid_request",
            _("This file changes nothing in the rules in force."),
            fields={"file": "no change"},
        )
    return _rules_import_write(update.data, actor=actor, note=note)


# A checked file waits on the server until the steward publishes it ---------------------------


def _upload_path(token: str) -> Any:
    if not re.fullmatch(r"[0-9a-f]{32}", token):
        raise NotFound("not_found", _("No such checked file."))
    return conf.VAR_DIR() / "schedule-uploads" / f"{token}.csv"


def upload_save(upload: bytes | str) -> str:
    """Keep a checked schedule file until it is published; returns its token."""
    token = secrets.token_hex(16)
    path = _upload_path(token)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(upload.encode("utf-8") if isinstance(upload, str) else upload)
    return token


def upload_read(token: str) -> bytes:
    try:
        return bytes(_upload_path(token).read_bytes())
    except FileNotFoundError:
        raise NotFound("not_found", _("The checked file is gone: upload it again.")) from None
