"""System checks of a deployment (`ewtp check --deploy`)."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, Tags, register

from ewtp.core import signing


@register(Tags.security, deploy=True)
def signing_key_check(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """A public server signs with a key the operator chose (EWTP_SIGNING_KEY)."""
    problem = signing.configuration_problem()
    return [Error(problem, id="ewtp.E001")] if problem else []
