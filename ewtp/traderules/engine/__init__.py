"""Pure-Python landed-cost quote engine: rule data -> immutable snapshot -> quote.

Imports no Django: the Django side builds a ``RuleSet`` from its tables, ``build_snapshot``
indexes it once per rules version, and ``quote`` prices requests against the snapshot.
"""

from .errors import QuoteRejected
from .explain import explain_table
from .files import load_ruleset_from_files, load_shipped_ruleset, parse_ecb_csv
from .quote import quote
from .ruleset import RuleSet
from .snapshot import Snapshot, build_snapshot

__all__ = [
    "QuoteRejected",
    "RuleSet",
    "Snapshot",
    "build_snapshot",
    "explain_table",
    "load_ruleset_from_files",
    "load_shipped_ruleset",
    "parse_ecb_csv",
    "quote",
]
