"""scripts/backup and scripts/restore: a dump of a platform with money in it, restored into a
new database, has the same rows and a balanced ledger."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import psycopg
import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection

from ewtp.ledger.models import Posting
from ewtp.payments.models import Payment
from tests.postgres.servers import ROOT, call, database_url, environment, servers_and_workers
from tests.postgres.test_two_servers import _book, _settled


def _counts(url: str) -> dict[str, int]:
    tables = sorted(
        {model._meta.db_table for model in apps.get_models() if model._meta.managed}
        | {"django_migrations"}
    )
    with psycopg.connect(url) as db:
        return {
            table: db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # type: ignore[index]
            for table in tables
        }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_backup_then_restore_into_a_new_database_keeps_every_row_and_the_ledger(
    tmp_path: Path,
) -> None:
    call_command("loaddemo", stdout=io.StringIO())
    # Money in the ledger: two bookings paid through a real server and worker.
    from datetime import timedelta

    from django.utils import timezone

    day = (timezone.now() + timedelta(days=30)).date().isoformat()
    with servers_and_workers(tmp_path, servers=1, workers=1) as bases:
        days = call(
            bases[0],
            "GET",
            f"/api/v1/tourism/experiences/golden-monkey-tracking/availability?from={day}&to={day}",
        )[1]
        category = days[0]["prices"][0]["category"]
        paid = [_book(bases * 2, n, day, category)[2] for n in range(2)]
        _settled([p for p in paid if p])
    assert Payment.objects.filter(status="succeeded").count() == 2
    assert Posting.objects.count() > 0

    source = database_url()
    restored_name = f"{connection.settings_dict['NAME']}_restored"
    restored = source.rsplit("/", 1)[0] + "/" + restored_name
    dump = tmp_path / "ewtp.dump"
    env = environment(EWTP_VAR_DIR=str(tmp_path / "var"))
    media = tmp_path / "var" / "media" / "products"
    media.mkdir(parents=True)
    (media / "photo.jpg").write_bytes(b"\xff\xd8 not really a photo")
    with psycopg.connect(source.rsplit("/", 1)[0] + "/postgres", autocommit=True) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{restored_name}"')
    try:
        backup = subprocess.run(
            [str(ROOT / "scripts" / "backup"), str(dump)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert backup.returncode == 0, backup.stderr
        assert dump.stat().st_size > 10_000
        assert Path(f"{dump}.media.tar.gz").exists()
        (media / "photo.jpg").unlink()

        restore = subprocess.run(
            [str(ROOT / "scripts" / "restore"), str(dump)],
            env=env | {"DATABASE_URL": restored},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert restore.returncode == 0, restore.stderr
        verdict = json.loads(restore.stdout.strip().splitlines()[-1])
        assert verdict["balanced"] is True and verdict["problems"] == []
        assert verdict["postings"] == Posting.objects.count()
        source_counts, restored_counts = _counts(source), _counts(restored)
        assert restored_counts == source_counts
        assert (media / "photo.jpg").read_bytes() == b"\xff\xd8 not really a photo"
        print(
            f"\nbackup and restore: {len(source_counts)} tables, "
            f"{sum(source_counts.values())} rows equal; ledger {verdict}"
        )

        # A second restore onto a database with tables is refused unless --replace is given.
        again = subprocess.run(
            [str(ROOT / "scripts" / "restore"), str(dump)],
            env=env | {"DATABASE_URL": restored},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert again.returncode == 1 and "--replace" in again.stderr
    finally:
        with psycopg.connect(source.rsplit("/", 1)[0] + "/postgres", autocommit=True) as server:
            server.execute(f'DROP DATABASE IF EXISTS "{restored_name}" WITH (FORCE)')
