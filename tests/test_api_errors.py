"""Every API error, however it arises, answers {"code", "message"} as JSON."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
def test_wrong_method_and_unparsable_body_answer_in_the_error_format() -> None:
    client = Client()
    wrong = client.get("/api/v1/auth/token")
    assert wrong.status_code == 405
    assert wrong["Allow"] == "POST"
    assert wrong.json() == {
        "code": "method_not_allowed",
        "message": "GET is not allowed here; use POST.",
    }
    broken = client.post("/api/v1/auth/token", data=b"{not json", content_type="application/json")
    assert broken.status_code == 400
    assert broken.json() == {"code": "invalid_request", "message": "Cannot parse request body"}
