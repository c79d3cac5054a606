"""`ewtp rules import|export` and `ewtp fx import`: JSON on stdout, exit status 2 on bad data."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ewtp.traderules.models import ExchangeRate, RuleVersion

from .conftest import RULE_FILES, SHIPPED_RULES

pytestmark = pytest.mark.django_db


def _run(*args: str) -> dict[str, object]:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return json.loads(out.getvalue())


def test_rules_export_and_import_commands(tmp_path: Path) -> None:
    exported = _run("rules", "export", str(tmp_path / "out"))
    assert exported == {"directory": str(tmp_path / "out"), "files": list(exported["files"])}  # type: ignore[arg-type]
    assert sorted(exported["files"]) == sorted(RULE_FILES)  # type: ignore[arg-type]
    assert (tmp_path / "out" / "taxes.csv").read_bytes() == (
        SHIPPED_RULES / "taxes.csv"
    ).read_bytes()
    imported = _run("rules", "import", str(tmp_path / "out"), "--note", "round trip")
    assert imported == {
        "version": RuleVersion.objects.order_by("-id").first().label,  # type: ignore[union-attr]
        "schedules": [],
        "changes": {},
    }


def test_rules_import_command_rejects_bad_files(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    out = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("rules", "import", str(tmp_path / "empty"), stdout=out)
    assert caught.value.returncode == 2
    body = json.loads(out.getvalue())
    assert body["code"] == "invalid_rules"
    assert body["fields"]["territories.csv:-"] == "the file is missing"
    assert RuleVersion.objects.count() == 1


def test_fx_import_command(tmp_path: Path) -> None:
    path = tmp_path / "rates.csv"
    path.write_text(
        "date,currency,units_per_eur,source\n2026-11-24,RWF,1714.2,BNR\n", encoding="utf-8"
    )
    assert _run("fx", "import", str(path), "--origin", "operator")["created"] == 1
    assert ExchangeRate.objects.get(currency="RWF", date="2026-11-24").origin == "operator"
    path.write_text("date,currency,units_per_eur,source\n2026-11-24,RWF,x,BNR\n", encoding="utf-8")
    out = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("fx", "import", str(path), stdout=out)
    assert caught.value.returncode == 2
    assert json.loads(out.getvalue())["fields"] == {
        "rates.csv:2:units_per_eur": "a positive decimal number, such as 1697.50"
    }
