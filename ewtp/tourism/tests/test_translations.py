"""An experience's texts per language: the operator's managers fill them on their own page;
visitors read the experience in their language, or in English where it is not translated."""

from __future__ import annotations

from django.test import Client

from ewtp.core.models import AuditLog
from ewtp.tourism.models import Experience, ExperienceTranslation
from ewtp.tourism.tests.factories import make_member


def test_the_operator_translates_an_experience_and_visitors_read_it(
    experience: Experience,
) -> None:
    owner = make_member(experience.operator, "owner@parks.rw", role="owner")
    client = Client()
    client.force_login(owner)
    url = f"/visit/operator/experiences/{experience.slug}/translations/"
    page = client.get(url)
    assert page.status_code == 200
    assert '<details class="translation" data-language="fr">' in page.content.decode()
    response = client.post(
        url,
        {
            "title_fr": "Trek des gorilles",
            "meeting_point_fr": "Siège du parc, Kinigi",
            "title_sw": "Safari ya sokwe",
        },
    )
    assert response.status_code == 302
    saved = ExperienceTranslation.objects.order_by("language").values_list(
        "language", "title", "meeting_point"
    )
    assert list(saved) == [
        ("fr", "Trek des gorilles", "Siège du parc, Kinigi"),
        ("sw", "Safari ya sokwe", ""),
    ]
    assert AuditLog.objects.get(action="tourism.experience.translations_changed").data == {
        "set": ["fr", "sw"],
        "cleared": [],
    }
    visitor = Client()
    visitor.cookies["ewtp_language"] = "fr"
    french = visitor.get(f"/visit/{experience.slug}/").content.decode()
    assert "Trek des gorilles" in french and "Siège du parc, Kinigi" in french
    visitor.cookies["ewtp_language"] = "rw"
    assert experience.title in visitor.get(f"/visit/{experience.slug}/").content.decode()
    # Emptying the Swahili fields clears that translation.
    client.post(url, {"title_fr": "Trek des gorilles", "meeting_point_fr": "Siège du parc, Kinigi"})
    assert list(ExperienceTranslation.objects.values_list("language", flat=True)) == ["fr"]


def test_staff_and_strangers_cannot_edit_translations(experience: Experience) -> None:
    staff = make_member(experience.operator, "guide@parks.rw", role="staff")
    client = Client()
    client.force_login(staff)
    url = f"/visit/operator/experiences/{experience.slug}/translations/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"title_fr": "Trek"}).status_code == 404
    assert not ExperienceTranslation.objects.exists()


def test_a_translation_without_a_title_is_refused(experience: Experience) -> None:
    owner = make_member(experience.operator, "owner@parks.rw", role="owner")
    client = Client()
    client.force_login(owner)
    url = f"/visit/operator/experiences/{experience.slug}/translations/"
    response = client.post(url, {"rules_fr": "Pas de flash.", "title_sw": "Safari ya sokwe"})
    assert response.status_code == 422
    assert "A translation needs its title too." in response.content.decode()
    assert not ExperienceTranslation.objects.exists()
