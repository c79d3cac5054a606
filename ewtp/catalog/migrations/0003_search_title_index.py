"""PostgreSQL: a GIN index on the title lexemes of ``catalog_product.search_vector``.

Search takes its candidates from the products with every word in their title first (see
``ewtp.catalog.search``); this index finds them without reading the other matches. The
expression must stay the one ``search.TitleLexemes`` writes. Nothing on SQLite, whose FTS5
table ranks titles itself.
"""

from django.db import migrations

POSTGRES_CREATE = [
    "CREATE INDEX IF NOT EXISTS catalog_product_search_title_gin "
    "ON catalog_product USING gin (ts_filter(search_vector, '{a}'))",
    # Statistics of the new expression, so that the planner estimates title matches well.
    "ANALYZE catalog_product",
]
POSTGRES_DROP = ["DROP INDEX IF EXISTS catalog_product_search_title_gin"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_search_indexes")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES_CREATE}),
            _run({"postgresql": POSTGRES_DROP}),
        )
    ]
