"""`ewtp makemessages`: Django's, but machine translations keep their review mark.

The first translations carry an extracted comment `#. machine translation, needs review` on
each entry until a translator has checked it. msgmerge rebuilds extracted comments from the
source, which would silently drop those marks on every refresh; this command puts them back on
the entries that had them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.commands import makemessages

REVIEW_MARK = "#. machine translation, needs review"


def _entries(text: str) -> list[list[str]]:
    """The file's entries: blocks of lines separated by blank lines."""
    blocks: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.strip():
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    return [block for block in blocks if block]


def _msgid(block: list[str]) -> str | None:
    """The entry's msgid as written (quoted segments joined); None for the header or obsolete."""
    parts: list[str] = []
    reading = False
    for line in block:
        if line.startswith("msgid "):
            reading = True
            parts.append(line[len("msgid ") :].strip())
        elif reading and line.startswith('"'):
            parts.append(line.strip())
        elif reading:
            break
    if not parts:
        return None
    joined = "".join(part[1:-1] for part in parts if len(part) >= 2)
    return joined or None


def marked_msgids(text: str) -> set[str]:
    return {
        msgid
        for block in _entries(text)
        if REVIEW_MARK in block and (msgid := _msgid(block)) is not None
    }


def restore_marks(text: str, marked: set[str]) -> str:
    """Put the review mark back on every entry whose msgid was marked before the refresh."""
    out: list[str] = []
    for block in _entries(text):
        msgid = _msgid(block)
        if msgid in marked and REVIEW_MARK not in block:
            # Extracted comments come after translator comments ("# ") and before "#:", "#,".
            at = 0
            while at < len(block) and (block[at].startswith("# ") or block[at].startswith("#.")):
                at += 1
            block = [*block[:at], REVIEW_MARK, *block[at:]]
        out.append("\n".join(block))
    return "\n\n".join(out) + "\n"


def _catalogues() -> list[Path]:
    roots = [Path(path) for path in settings.LOCALE_PATHS] + [Path.cwd() / "locale"]
    found: dict[Path, None] = {}
    for root in roots:
        for path in sorted(root.glob("*/LC_MESSAGES/*.po")):
            found[path.resolve()] = None
    return list(found)


class Command(makemessages.Command):
    help = "Refresh the message files, keeping the marks on machine translations to review."

    def handle(self, *args: Any, **options: Any) -> None:
        before = {path: marked_msgids(path.read_text(encoding="utf-8")) for path in _catalogues()}
        super().handle(*args, **options)
        for path, marked in before.items():
            if not marked or not path.exists():
                continue
            text = path.read_text(encoding="utf-8")
            restored = restore_marks(text, marked)
            if restored != text:
                path.write_text(restored, encoding="utf-8")
