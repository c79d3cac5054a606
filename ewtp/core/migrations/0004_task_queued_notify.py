"""On PostgreSQL, a queued task notifies `ewtp worker` (LISTEN ewtp_task_queued) when the
transaction that queued it commits: see ewtp/core/task_wake.py. Nothing on SQLite."""

from django.db import migrations

CHANNEL = "ewtp_task_queued"


def _table(apps):  # type: ignore[no-untyped-def]
    return apps.get_model("django_tasks_database", "DBTaskResult")._meta.db_table


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(_table(apps))
    schema_editor.execute(
        "CREATE OR REPLACE FUNCTION ewtp_task_queued() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN PERFORM pg_notify('{CHANNEL}', ''); RETURN NULL; END $$"
    )
    # Once per INSERT statement (a notification per transaction reaches the listener anyway).
    schema_editor.execute(
        f"CREATE TRIGGER ewtp_task_queued AFTER INSERT ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION ewtp_task_queued()"
    )


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(_table(apps))
    schema_editor.execute(f"DROP TRIGGER IF EXISTS ewtp_task_queued ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS ewtp_task_queued()")


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_ratecounter"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(create, drop)]
