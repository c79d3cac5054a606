"""Full-text search structures that depend on the database.

SQLite: the FTS5 table ``catalog_product_fts`` (title weighted 10 to 1 over the body).
PostgreSQL: a GIN index on ``catalog_product.search_vector``.
"""

from django.db import migrations

SQLITE_CREATE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS catalog_product_fts USING fts5("
    "title, body, tokenize = 'unicode61 remove_diacritics 2')",
    "INSERT INTO catalog_product_fts(catalog_product_fts, rank) VALUES ('rank', 'bm25(10.0, 1.0)')",
]
SQLITE_DROP = ["DROP TABLE IF EXISTS catalog_product_fts"]
POSTGRES_CREATE = [
    "CREATE INDEX IF NOT EXISTS catalog_product_search_gin "
    "ON catalog_product USING gin (search_vector)",
]
POSTGRES_DROP = ["DROP INDEX IF EXISTS catalog_product_search_gin"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_CREATE, "postgresql": POSTGRES_CREATE}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}),
        )
    ]
