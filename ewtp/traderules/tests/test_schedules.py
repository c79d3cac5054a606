"""Full tariff schedules and VAT by product: import (good and bad files), curated lines winning,
the schedule update summary, coverage (command and page) and the full shipped set (one test)."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from ewtp.accounts.models import User
from ewtp.traderules.errors import RulesInvalid
from ewtp.traderules.models import RuleVersion, TariffLine, Tax
from ewtp.traderules.schedules import DutyError, parse_duty
from ewtp.traderules.selectors.hs import hs_subheadings
from ewtp.traderules.selectors.snapshot import quote_compute
from ewtp.traderules.services.versions import rules_import

pytestmark = pytest.mark.django_db

TARIFF_HEADER = [
    "code",
    "description",
    "duty",
    "not_computable",
    "published",
    "valid_from",
    "valid_to",
    "source",
    "confidence",
]
VAT_HEADER = [
    "country",
    "kind",
    "hs_prefix",
    "rate",
    "rate_kind",
    "category",
    "valid_from",
    "valid_to",
    "source",
    "confidence",
]
# A Kenyan schedule: one line under a curated subheading (090111, which the curated line
# keeps), an ad valorem line, a free line, a compound line, a line the engine cannot compute.
KE_LINES = [
    ["09011100", "Coffee, not roasted (schedule)", "25%", "", "25%", "2022-07-01", "", "T1", "low"],
    ["420221", "Handbags, leather outer surface", "25%", "", "25%", "2022-07-01", "", "T1", "low"],
    ["420222", "Handbags, plastic or textile", "free", "", "Free", "2022-07-01", "", "T1", "low"],
    ["4202310000", "Wallets, leather", "0.5 USD/kg + 10%", "", "", "2022-07-01", "", "T1", "low"],
    [
        *["44219100", "Other articles of bamboo", "", "a unit the request does not give"],
        *["5/m2", "2022-07-01", "", "T1", "low"],
    ],
]
VAT_LINES = [
    ["BE", "vat", "090121", "0.12", "reduced", "reduced rate: test", "2025-01-01", "", "T2", "low"],
    # Cut flowers: no curated BE row covers 0603 (the curated rows hold food and books).
    [
        "BE",
        "vat",
        "0603",
        "0.06",
        "reduced",
        "reduced rate: flowers",
        "2025-01-01",
        "",
        "T2",
        "low",
    ],
]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _schedules(rules_dir: Path, ke_lines: list[list[str]], vat: bool = True) -> Path:
    """A schedules folder in ``rules_dir``, with a curated BE tax row for chapter 0901."""
    folder = rules_dir / "schedules"
    manifest = [["ke-test", "KE", "tariff", "ke/test.csv", "2022-07-01", "Kenya test schedule"]]
    if vat:
        manifest.append(["vat-test", "", "vat", "vat/test.csv", "2025-08-26", "VAT test rows"])
        _write(folder / "vat" / "test.csv", VAT_HEADER, VAT_LINES)
    _write(
        folder / "schedules.csv",
        ["schedule", "territory", "kind", "file", "schedule_date", "name"],
        manifest,
    )
    _write(
        folder / "SOURCES.csv",
        ["id", "what", "where"],
        [["T1", "Kenya test tariff", "tests"], ["T2", "VAT test rows", "tests"]],
    )
    _write(folder / "ke" / "test.csv", TARIFF_HEADER, ke_lines)
    with (rules_dir / "taxes.csv").open("a", encoding="utf-8") as handle:
        handle.write("BE,vat,0901,0.06,2025-01-01,,S14,high,reduced,foodstuffs\n")
    return folder


def _line(version: RuleVersion, code: str) -> dict[str, str] | None:
    rows = version.content["tables"]["tariff_lines"]
    return next((row for row in rows if row["code"] == code and row["territory"] == "KE"), None)


def _run(*args: str) -> dict[str, Any]:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("free", ("0", "", "", "")),
        ("7.5%", ("0.075", "", "", "")),
        ("0.019 USD/kg", ("", "0.019", "USD", "kg")),
        ("12.8% + 30.34 EUR/100kg", ("0.128", "30.34", "EUR", "100kg")),
        ("0.5 USD/dozen + 3%", ("0.03", "0.5", "USD", "dozen")),
    ],
)
def test_duty_expressions(text: str, parts: tuple[str, str, str, str]) -> None:
    duty = parse_duty(text)
    assert (duty.ad_valorem, duty.specific_amount, duty.specific_currency, duty.specific_per) == (
        parts
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("12,8%", "malformed duty expression"),
        ("5 EUR/m2", "unknown unit 'm2'"),
        ("5 XYZ/kg", "unknown currency 'XYZ'"),
        ("1 USD/kg + 2 USD/l", "two specific parts"),
    ],
)
def test_bad_duty_expressions(text: str, message: str) -> None:
    with pytest.raises(DutyError, match=message):
        parse_duty(text)


def test_import_reads_schedules_and_curated_lines_win(rules_dir: Path) -> None:
    _schedules(rules_dir, KE_LINES)
    version = rules_import(rules_dir, note="with schedules")

    # 09011100 lies under the curated KE line 090111: not used; the curated line stays.
    assert _line(version, "09011100") is None
    assert _line(version, "090111")["schedule"] == ""  # type: ignore[index]
    assert _line(version, "420221") == {
        "territory": "KE",
        "code": "420221",
        "description": "Handbags, leather outer surface",
        "mfn_ad_valorem": "0.25",
        "mfn_specific_amount": "",
        "mfn_specific_currency": "",
        "mfn_specific_per": "",
        "valid_from": "2022-07-01",
        "valid_to": "",
        "source": "T1",
        "confidence": "low",
        "schedule": "ke-test",
        "computable": "true",
        "not_computable_reason": "",
    }
    compound = _line(version, "4202310000")
    assert compound is not None
    assert [compound[key] for key in ("mfn_ad_valorem", "mfn_specific_amount")] == ["0.1", "0.5"]
    assert [compound[key] for key in ("mfn_specific_currency", "mfn_specific_per")] == ["USD", "kg"]
    assert _line(version, "420222")["mfn_ad_valorem"] == "0"  # type: ignore[index]
    bamboo = _line(version, "44219100")
    assert bamboo is not None
    assert (bamboo["computable"], bamboo["not_computable_reason"]) == (
        "false",
        "a unit the request does not give",
    )
    # VAT: 090121 lies under the curated BE row for 0901 (6%): not used; flowers are.
    taxes = [
        (row["country"], row["hs_prefix"], row["rate"], row["rate_kind"], row["category"])
        for row in version.content["tables"]["taxes"]
        if row["country"] == "BE" and row["hs_prefix"] != "*" and row["source"] in ("S14", "T2")
    ]
    assert taxes == [
        ("BE", "0901", "0.06", "reduced", "foodstuffs"),
        ("BE", "0603", "0.06", "reduced", "reduced rate: flowers"),
    ]
    assert [row["schedule"] for row in version.content["schedules"]] == ["ke-test", "vat-test"]
    assert version.content["schedules"][0]["lines"] == "5"
    assert version.content["schedules"][0]["used"] == "4"
    assert version.content["schedules"][0]["not_computable"] == "1"
    assert TariffLine.objects.filter(schedule="ke-test").count() == 4
    assert Tax.objects.filter(source="T2").count() == 1


def test_a_schedule_line_prices_a_quote(rules_dir: Path) -> None:
    _schedules(rules_dir, KE_LINES, vat=False)
    rules_import(rules_dir)
    response = quote_compute(
        {
            "origin": "US",
            "destination": "KE",
            "date": "2026-03-13",
            "currency": "KES",
            "lines": [
                {
                    "id": "a",
                    "hs_code": "420221",
                    "quantity": 2,
                    "unit_price": {"amount": "1000", "currency": "KES"},
                }
            ],
        }
    )
    line = response["lines"][0]
    # 25% of 2,000 KES (no shipping): 500.00 KES (two decimals), from the test schedule.
    assert (line["duty"]["amount"], line["duty"]["tariff_code"]) == ("500.00", "420221")


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (["420221", "Bags", "25 %", "", "", "2022-07-01", "", "T1", "low"], "duty", "malformed"),
        (["420221", "Bags", "5 EUR/m2", "", "", "2022-07-01", "", "T1", "low"], "duty", "unit"),
        (["420210", "Bags", "5%", "", "", "2022-07-01", "", "T1", "low"], "code", "HS 2022"),
        (["4202", "Bags", "5%", "", "", "2022-07-01", "", "T1", "low"], "code", "6, 8 or 10"),
        (["420221", "Bags", "5%", "", "", "2022-07-01", "", "T9", "low"], "source", "T9"),
    ],
)
def test_bad_schedule_files_are_refused_and_nothing_is_written(
    rules_dir: Path, row: list[str], column: str, message: str
) -> None:
    good = ["420222", "Handbags, plastic", "free", "", "", "2022-07-01", "", "T1", "low"]
    _schedules(rules_dir, [good, row])
    versions, lines = RuleVersion.objects.count(), TariffLine.objects.count()
    with pytest.raises(RulesInvalid) as caught:
        rules_import(rules_dir)
    assert list(caught.value.fields) == [f"schedules/ke/test.csv:3:{column}"]
    assert message in caught.value.fields[f"schedules/ke/test.csv:3:{column}"]
    assert "schedules/ke/test.csv row 3, column " + column in caught.value.message
    assert (RuleVersion.objects.count(), TariffLine.objects.count()) == (versions, lines)


def test_overlapping_dates_are_refused(rules_dir: Path) -> None:
    _schedules(
        rules_dir,
        [
            ["420221", "Bags", "5%", "", "", "2022-07-01", "2026-06-30", "T1", "low"],
            ["420221", "Bags", "6%", "", "", "2026-06-30", "", "T1", "low"],
        ],
    )
    with pytest.raises(RulesInvalid) as caught:
        rules_import(rules_dir)
    assert caught.value.fields == {
        "schedules/ke/test.csv:3:valid_from": "420221 overlaps the dates of row 2"
    }
    assert RuleVersion.objects.count() == 1


def test_schedule_update_summary_then_publish(rules_dir: Path, tmp_path: Path) -> None:
    _schedules(rules_dir, KE_LINES, vat=False)
    first = rules_import(rules_dir)
    # Next year's file: 420221 changes rate, 420222 is gone, 420229 is new.
    new_file = tmp_path / "ke-2027.csv"
    _write(
        new_file,
        TARIFF_HEADER,
        [
            [
                *["420221", "Handbags, leather outer surface", "20%", "", ""],
                *["2022-07-01", "", "T1", "low"],
            ],
            ["420229", "Handbags, other", "30%", "", "", "2022-07-01", "", "T1", "low"],
            KE_LINES[3],
            KE_LINES[4],
        ],
    )
    shown = _run("rules", "schedule", "ke-test", str(new_file), "--date", "2027-01-01", "--dry-run")
    assert RuleVersion.objects.count() == 2
    assert shown["schedule_date"] == "2027-01-01"
    assert shown["based_on"] == first.label
    summary = shown["changes"]["schedule ke-test"]
    assert {key: summary[key] for key in ("added", "removed", "changed")} == {
        "added": 1,
        "removed": 1,
        "changed": 1,
    }
    assert summary["examples"] == [
        {
            "change": "changed",
            "key": "KE 420221 2022-07-01",
            "fields": {"mfn_ad_valorem": ["0.25", "0.2"]},
        },
        {"change": "added", "key": "KE 420229 2022-07-01"},
        {"change": "removed", "key": "KE 420222 2022-07-01"},
    ]
    with pytest.raises(CommandError):
        _run("rules", "schedule", "ke-test", str(new_file), "--date", "2027-01-01")  # no note
    published = _run(
        "rules", "schedule", "ke-test", str(new_file), "--date", "2027-01-01", "--note", "2027"
    )
    version = RuleVersion.objects.order_by("-id").first()
    assert version is not None and published["version"] == version.label
    assert version.content["schedules"][0]["schedule_date"] == "2027-01-01"
    assert _line(version, "420221")["mfn_ad_valorem"] == "0.2"  # type: ignore[index]
    assert TariffLine.objects.filter(schedule="ke-test", code="420222").count() == 0


def test_import_dry_run_shows_changes_and_writes_nothing(rules_dir: Path) -> None:
    _schedules(rules_dir, KE_LINES)
    shown = _run("rules", "import", str(rules_dir), "--dry-run")
    assert RuleVersion.objects.count() == 1
    assert shown["dry_run"] is True
    assert shown["changes"]["schedule ke-test"]["added"] == 4
    assert shown["changes"]["taxes"]["added"] == 2  # the curated BE 0901 row and flowers
    assert [row["schedule"] for row in shown["schedules"]] == ["ke-test", "vat-test"]


def _coverage_fixture(rules_dir: Path) -> None:
    # Six-digit lines only: 420221 at 25% and 420222 free, next to KE's nine curated lines
    # (each one subheading): eleven subheadings quote complete.
    _schedules(rules_dir, [KE_LINES[1], KE_LINES[2]], vat=False)
    rules_import(rules_dir)


def test_coverage_command(rules_dir: Path) -> None:
    _coverage_fixture(rules_dir)
    total = len(hs_subheadings())
    assert total == 5612  # HS 2022 subheadings (data/hs)
    shown = _run("rules", "coverage", "--destination", "KE", "--date", "2026-03-13")
    assert shown == {
        "destinations": [
            {
                "destination": "KE",
                "territory": "KE",
                "subheadings": total,
                "complete": 11,
                "national_code_needed": 0,
                "unknown": total - 11,
                "schedule_date": "2022-07-01",
            }
        ]
    }


def test_coverage_page(
    rules_dir: Path, client: Client, django_assert_num_queries: Any, settings: Any
) -> None:
    _coverage_fixture(rules_dir)
    settings.EWTP_DESTINATIONS = ["KE", "CN"]
    url = reverse("traderules:coverage")
    assert reverse("traderules:coverage") in client.get(reverse("traderules:home")).text
    first = client.get(url)  # computes and caches the figures
    with django_assert_num_queries(0):  # the rules and the figures are cached
        page = client.get(url)
    table = page.text[page.text.index('data-testid="coverage-table"') :]
    assert table == first.text[first.text.index('data-testid="coverage-table"') :]
    assert 'data-testid="coverage-KE"' in page.text
    assert "2022-07-01" in page.text
    assert 'data-testid="thin-CN"' in page.text  # China: curated lines only
    assert 'data-testid="thin-KE"' not in page.text


def test_steward_updates_a_schedule_on_its_pages(
    rules_dir: Path, client: Client, steward: User
) -> None:
    _schedules(rules_dir, KE_LINES, vat=False)
    rules_import(rules_dir)
    client.force_login(steward)
    url = reverse("traderules:steward_schedule")
    assert url in client.get(reverse("traderules:steward")).text
    upload = io.BytesIO(
        ("\n".join([",".join(TARIFF_HEADER), ",".join(["420221", "Bags", "20%", "", ""])])).encode()
        + b",2022-07-01,,T1,low\n"
    )
    upload.name = "ke-2027.csv"
    shown = client.post(
        url,
        {"action": "check", "schedule": "ke-test", "file": upload, "schedule_date": "2027-01-01"},
    )
    assert shown.status_code == 200
    assert 'data-testid="counts-schedule-ke-test"' in shown.text
    assert (
        "+0 \N{MINUS SIGN}3 ~1" in shown.text
    )  # 420221 changed; 420222, 4202310000, 44219100 removed
    token = shown.context["publish"].initial["token"]
    assert RuleVersion.objects.count() == 2
    done = client.post(
        url,
        {
            "action": "publish",
            "token": token,
            "schedule": "ke-test",
            "schedule_date": "2027-01-01",
            "file_name": "ke-2027.csv",
            "note": "Kenya 2027",
        },
    )
    version = RuleVersion.objects.order_by("-id").first()
    assert version is not None and version.note == "Kenya 2027"
    assert done.status_code == 302 and done["Location"] == reverse(
        "traderules:version", args=[version.label]
    )
    assert TariffLine.objects.filter(schedule="ke-test").count() == 1


@pytest.mark.full_schedules
def test_full_shipped_schedules_load_in_time() -> None:
    """The one test that loads the full data (about 10 s): import under 60 s, snapshot under 2 s.

    Timed in CPU seconds of this process: the machine may be shared by other work."""
    from ewtp.traderules.content import ruleset_from_content
    from ewtp.traderules.engine import build_snapshot

    started = time.process_time()
    version = rules_import(Path(settings.EWTP_DATA_DIR) / "rules", note="full set")
    imported = time.process_time() - started
    counts = {row["schedule"]: int(row["used"]) for row in version.content["schedules"]}
    assert set(counts) == {"eu-cet-2020", "gb-ukgt-2021", "us-hts-2025", "vat-by-product"}
    assert all(count > 9000 for count in counts.values())
    assert TariffLine.objects.exclude(schedule="").count() == sum(
        counts[name] for name in ("eu-cet-2020", "gb-ukgt-2021", "us-hts-2025")
    )
    started = time.process_time()
    build_snapshot(ruleset_from_content(version.content))
    built = time.process_time() - started
    assert imported < 60
    assert built < 2


def test_export_writes_the_schedules_back_and_reimports_unchanged(
    rules_dir: Path, tmp_path: Path
) -> None:
    _schedules(rules_dir, KE_LINES)
    first = rules_import(rules_dir)
    exported = _run("rules", "export", str(tmp_path / "out"))
    assert "schedules.csv" in exported["files"]
    with (tmp_path / "out" / "schedules" / "ke" / "test.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(row["code"], row["duty"], row["not_computable"]) for row in rows] == [
        ("420221", "25%", ""),
        ("420222", "free", ""),
        ("4202310000", "10% + 0.5 USD/kg", ""),
        ("44219100", "", "a unit the request does not give"),
    ]
    curated = (tmp_path / "out" / "tariff_lines.csv").read_text(encoding="utf-8")
    assert "ke-test" not in curated
    again = rules_import(tmp_path / "out", note="round trip")
    assert again.changes == {}
    # The line the curated line superseded is not in the version, so not in the export.
    assert [row.pop("lines") for row in first.content["schedules"]] == ["5", "2"]
    assert [row.pop("lines") for row in again.content["schedules"]] == ["4", "1"]
    assert again.content["schedules"] == first.content["schedules"]
    assert again.content["tables"] == first.content["tables"]


def test_a_bad_schedule_update_is_refused_by_file_row_and_column(
    rules_dir: Path, tmp_path: Path
) -> None:
    _schedules(rules_dir, KE_LINES, vat=False)
    rules_import(rules_dir)
    bad = tmp_path / "ke-2027.csv"
    _write(
        bad, TARIFF_HEADER, [["420221", "Bags", "20 pct", "", "", "2027-01-01", "", "T1", "low"]]
    )
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("rules", "schedule", "ke-test", str(bad), "--note", "2027", stdout=out)
    error = json.loads(out.getvalue())
    assert list(error["fields"]) == ["ke-2027.csv:2:duty"]
    assert error["fields"]["ke-2027.csv:2:duty"].startswith("malformed duty expression '20 pct'")
    assert RuleVersion.objects.count() == 2
    assert TariffLine.objects.filter(schedule="ke-test").count() == 4


def test_two_schedules_of_a_territory_may_not_overlap(rules_dir: Path) -> None:
    folder = _schedules(rules_dir, [KE_LINES[1]], vat=False)
    with (folder / "schedules.csv").open("a", encoding="utf-8") as handle:
        handle.write("ke-2027,KE,tariff,ke/2027.csv,2027-01-01,Kenya 2027\n")
    _write(
        folder / "ke" / "2027.csv",
        TARIFF_HEADER,
        [
            ["420222", "Handbags, plastic", "free", "", "", "2027-01-01", "", "T1", "low"],
            ["420221", "Handbags, leather", "20%", "", "", "2027-01-01", "", "T1", "low"],
        ],
    )
    with pytest.raises(RulesInvalid) as caught:
        rules_import(rules_dir)
    assert caught.value.fields == {
        "schedules/ke/2027.csv:3:valid_from": (
            "420221 overlaps the dates of its line in schedule ke-test"
        )
    }
    assert RuleVersion.objects.count() == 1


def _csv_upload(name: str, rows: list[list[str]]) -> io.BytesIO:
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows([TARIFF_HEADER, *rows])
    upload = io.BytesIO(text.getvalue().encode())
    upload.name = name
    return upload


def test_the_steward_page_names_a_bad_row_and_lists_each_change_before_publishing(
    rules_dir: Path, client: Client, steward: User
) -> None:
    _schedules(rules_dir, KE_LINES, vat=False)
    rules_import(rules_dir)
    client.force_login(steward)
    url = reverse("traderules:steward_schedule")
    before = (RuleVersion.objects.count(), TariffLine.objects.filter(schedule="ke-test").count())
    # Row 3 (the header is row 1) has a duty in square metres, a unit no request gives.
    bad = [
        ["420221", "Handbags, leather", "20%", "", "", "2022-07-01", "", "T1", "low"],
        ["420222", "Handbags, plastic", "5 EUR/m2", "", "", "2022-07-01", "", "T1", "low"],
    ]
    form = {"action": "check", "schedule": "ke-test", "schedule_date": "2027-01-01"}
    shown = client.post(url, {**form, "file": _csv_upload("ke-2027.csv", bad)})
    assert shown.status_code == 200
    assert 'data-testid="schedule-problems"' in shown.text
    assert "<code>ke-2027.csv:3:duty</code>" in shown.text and "unknown unit" in shown.text
    assert 'data-testid="schedule-publish-form"' not in shown.text
    assert 'data-testid="schedule-summary"' not in shown.text
    after = (RuleVersion.objects.count(), TariffLine.objects.filter(schedule="ke-test").count())
    assert after == before
    # Next year's file: 420221 goes from 25% to 20%, 420229 is new, 420222 is gone; every
    # line is listed with what changes before anything is published.
    good = [
        bad[0],
        ["420229", "Handbags, other", "30%", "", "", "2022-07-01", "", "T1", "low"],
        KE_LINES[3],
        KE_LINES[4],
    ]
    shown = client.post(url, {**form, "file": _csv_upload("ke-2027.csv", good)})
    assert 'data-testid="counts-schedule-ke-test"' in shown.text
    assert "+1 \N{MINUS SIGN}1 ~1" in shown.text
    rows = shown.text.split('data-testid="counts-schedule-ke-test"')[1]
    assert "<code>KE 420221 2022-07-01</code>" in rows
    assert "mfn_ad_valorem: <del>0.25</del> → <ins>0.2</ins>" in rows
    assert 'class="badge ok">added</span></td><td><code>KE 420229 2022-07-01</code>' in rows
    assert 'class="badge bad">removed</span></td><td><code>KE 420222 2022-07-01</code>' in rows
    assert 'data-testid="schedule-publish-form"' in shown.text
    assert (RuleVersion.objects.count(), TariffLine.objects.filter(schedule="ke-test").count()) == (
        before
    )
