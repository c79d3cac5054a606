"""`ewtp makemessages` puts back the review marks msgmerge drops."""

from __future__ import annotations

from ewtp.core.management.commands.makemessages import marked_msgids, restore_marks

BEFORE = """msgid ""
msgstr ""
"Language: rw\\n"

#. machine translation, needs review
#: web/templates/web/base.html:3
msgid "Log in"
msgstr "Injira"

#: web/templates/web/base.html:4
msgid "Reviewed"
msgstr "Byasuzumwe"

#. machine translation, needs review
#: web/templates/web/home.html:5
#, python-format
msgid ""
"A long message %(n)s "
"on two lines"
msgstr "Ubutumwa %(n)s"
"""

AFTER_MSGMERGE = """msgid ""
msgstr ""
"Language: rw\\n"

# A translator's own note
#: web/templates/web/base.html:9
msgid "Log in"
msgstr "Injira"

#: web/templates/web/base.html:10
msgid "Reviewed"
msgstr "Byasuzumwe"

#: web/templates/web/home.html:7
#, python-format
msgid "A long message %(n)s on two lines"
msgstr "Ubutumwa %(n)s"

#: web/templates/web/home.html:8
msgid "New"
msgstr ""
"""


def test_marks_are_found_and_restored_on_the_same_entries_only() -> None:
    marked = marked_msgids(BEFORE)
    assert marked == {"Log in", "A long message %(n)s on two lines"}
    restored = restore_marks(AFTER_MSGMERGE, marked)
    assert (
        restored
        == """msgid ""
msgstr ""
"Language: rw\\n"

# A translator's own note
#. machine translation, needs review
#: web/templates/web/base.html:9
msgid "Log in"
msgstr "Injira"

#: web/templates/web/base.html:10
msgid "Reviewed"
msgstr "Byasuzumwe"

#. machine translation, needs review
#: web/templates/web/home.html:7
#, python-format
msgid "A long message %(n)s on two lines"
msgstr "Ubutumwa %(n)s"

#: web/templates/web/home.html:8
msgid "New"
msgstr ""
"""
    )
    assert restore_marks(restored, marked) == restored
