"""Programme and course texts per language: the provider's managers fill them; the public pages
show them in the visitor's language, the original where a language is not translated."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ewtp.core.errors import InvalidRequest, PermissionDenied
from ewtp.core.models import AuditLog
from ewtp.learning.models import CourseTranslation, ProgrammeTranslation
from ewtp.learning.services.translations import (
    course_translations_set,
    programme_translations_set,
)
from ewtp.learning.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def school() -> dict[str, Any]:
    manager = f.user("manager@school.rw")
    provider = f.provider(manager)
    programme = f.programme(
        provider, title="Export basics", summary="Sell abroad", description="Learn to export."
    )
    course = f.course(programme, slug="customs-101", title="Customs 101", summary="Papers")
    return {"manager": manager, "programme": programme, "course": course}


def _page(language: str, url: str) -> str:
    client = Client()
    client.cookies["ewtp_language"] = language
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_a_programmes_swahili_title_is_shown_to_swahili_visitors_only(school) -> None:
    programme, course = school["programme"], school["course"]
    programme_translations_set(
        actor=school["manager"],
        programme=programme,
        translations={
            "sw": {"title": "Misingi ya kuuza nje", "description": "Jifunze kuuza nje."},
        },
    )
    course_translations_set(
        actor=school["manager"], course=course, translations={"sw": {"title": "Forodha 101"}}
    )
    for url in ["/learn/", f"/learn/programmes/{programme.slug}/", "/learn/courses/customs-101/"]:
        swahili = _page("sw", url)
        assert "Misingi ya kuuza nje" in swahili, url
        assert "Export basics" not in swahili, url
        french = _page("fr", url)
        assert "Export basics" in french and "Misingi ya kuuza nje" not in french, url
    programme_page = _page("sw", f"/learn/programmes/{programme.slug}/")
    assert "Jifunze kuuza nje." in programme_page and "Forodha 101" in programme_page
    # The summary is not translated: the original shows.
    assert "Sell abroad" in _page("sw", "/learn/")
    assert "Customs 101" in _page("en", "/learn/courses/customs-101/")


def test_the_manager_saves_and_clears_translations_on_the_form(school) -> None:
    programme = school["programme"]
    client = Client()
    client.force_login(school["manager"])
    url = f"/learn/training/programmes/{programme.slug}/translations/"
    page = client.get(url)
    assert page.status_code == 200
    assert '<details class="translation" data-language="sw">' in page.content.decode()
    response = client.post(url, {"title_sw": "Misingi", "summary_sw": "Uza", "title_fr": "Bases"})
    assert response.status_code == 302
    rows = ProgrammeTranslation.objects.order_by("language").values_list(
        "language", "title", "summary", "description"
    )
    assert list(rows) == [("fr", "Bases", "", ""), ("sw", "Misingi", "Uza", "")]
    assert AuditLog.objects.get(action="learning.programme.translations_changed").data == {
        "set": ["fr", "sw"],
        "cleared": [],
    }
    response = client.post(url, {"title_sw": "Misingi", "summary_sw": "Uza"})
    assert response.status_code == 302
    assert list(ProgrammeTranslation.objects.values_list("language", flat=True)) == ["sw"]
    course_url = "/learn/training/courses/customs-101/translations/"
    assert client.post(course_url, {"title_rw": "Gasutamo 101"}).status_code == 302
    assert CourseTranslation.objects.get().title == "Gasutamo 101"


def test_bad_translations_are_refused_and_nothing_changes(school) -> None:
    programme = school["programme"]
    client = Client()
    client.force_login(school["manager"])
    url = f"/learn/training/programmes/{programme.slug}/translations/"
    response = client.post(url, {"description_fr": "Sans titre", "title_sw": "Misingi"})
    assert response.status_code == 200
    assert "A translation needs its title too." in response.content.decode()
    assert not ProgrammeTranslation.objects.exists()
    with pytest.raises(InvalidRequest) as caught:
        programme_translations_set(
            actor=school["manager"],
            programme=programme,
            translations={"xx": {"title": "?"}, "sw": {"title": "Misingi"}},
        )
    assert caught.value.fields == {"title_xx": "Unknown language: xx."}
    assert not ProgrammeTranslation.objects.exists()
    assert not AuditLog.objects.filter(action__contains="translations").exists()


def test_only_the_providers_managers_edit_translations(school) -> None:
    programme = school["programme"]
    stranger = f.user("stranger@example.org")
    client = Client()
    client.force_login(stranger)
    url = f"/learn/training/programmes/{programme.slug}/translations/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"title_sw": "Misingi"}).status_code == 404
    with pytest.raises(PermissionDenied):
        programme_translations_set(
            actor=stranger, programme=programme, translations={"sw": {"title": "Misingi"}}
        )
    assert not ProgrammeTranslation.objects.exists()
