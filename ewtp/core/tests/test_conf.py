"""The settings module: one declaration per setting, each documented for operators."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

from ewtp.core import conf

OPERATING = Path(__file__).resolve().parents[3] / "docs" / "operating.md"


def test_every_declared_setting_is_a_django_setting_with_its_typed_default() -> None:
    for setting in conf.declared():
        assert hasattr(settings, setting.name), setting.name
    assert conf.CHECKOUT_HOLD_MINUTES.from_text(None) == 30
    assert conf.CHECKOUT_HOLD_MINUTES.from_text(" 45 ") == 45
    assert conf.RATE_LIMITS.from_text("off") is False
    assert conf.DESTINATIONS.from_text("BE, FR,") == ["BE", "FR"]
    assert conf.TRUSTED_PROXIES.from_text("-3") == 0


def test_a_setting_reads_the_live_django_setting(settings) -> None:  # type: ignore[no-untyped-def]
    settings.EWTP_CHECKOUT_HOLD_MINUTES = 5
    assert conf.CHECKOUT_HOLD_MINUTES() == 5


def test_from_environment_makes_relative_paths_absolute(tmp_path: Path) -> None:
    values = conf.from_environment({"EWTP_VAR_DIR": "here"}, tmp_path)
    assert values["EWTP_VAR_DIR"] == tmp_path / "here"
    assert values["EWTP_AUTO_CONFIRM_DAYS"] == 7


def test_the_operating_guide_lists_exactly_the_declared_settings() -> None:
    documented = set(re.findall(r"`(EWTP_[A-Z0-9_]+)`", OPERATING.read_text()))
    declared = {setting.name for setting in conf.declared()}
    assert declared - documented == set(), "declared but not in docs/operating.md"
    assert documented - declared == set(), "in docs/operating.md but not declared"


def test_no_code_reads_an_ewtp_setting_around_the_declarations() -> None:
    root = Path(conf.__file__).resolve().parents[1]
    offenders = []
    for path in root.rglob("*.py"):
        if "tests" in path.parts or path.name == "conf.py":
            continue
        text = path.read_text()
        if re.search(
            r"getattr\(settings,\s*\"EWTP_|settings\.EWTP_|environ(?:\.get)?\W+\"EWTP_", text
        ):
            offenders.append(str(path.relative_to(root)))
    assert offenders == []
