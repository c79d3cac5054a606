"""Writes of trade rules. Every write validates fully first, runs in one transaction and is
audited. Import from the concern module, e.g. ``from ewtp.traderules.services.edits import rules_publish``:

- ``validation``: the rule tables, reading a rules directory and validating every row (problems name
  the file, the row and the column).
- ``permissions``: who may change rules and rates (raises PermissionDenied).
- ``versions``: rule versions: import, export, the changes between two versions.
- ``edits``: the steward's working copy (row saves and deletes, rates within their bounds) and
  the operator's publishing at once.
- ``publication``: four eyes: a steward asks for publication, a second steward approves.
- ``fx``: exchange rates: ECB files, imports, the operator's manual rate.
- ``reference_data``: the rules, HS codes and rates shipped with the product, loaded after migrate.
"""
