"""Domain errors on pages: NotFound is a 404 page, PermissionDenied a 403 page.

Wrap a view with @page_errors so that a selector's NotFound or PermissionDenied shows the
friendly error page instead of a 500; other domain errors are the view's to show on its form.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from ewtp.core.errors import NotFound, PermissionDenied


def page_errors[**P](view: Callable[P, HttpResponse]) -> Callable[P, HttpResponse]:
    @functools.wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        try:
            return view(*args, **kwargs)
        except NotFound as error:
            raise Http404(error.message) from None
        except PermissionDenied as error:
            raise DjangoPermissionDenied(error.message) from None

    return wrapped


def is_htmx(request: HttpRequest) -> bool:
    """True for a request htmx made (it wants a fragment, not the whole page)."""
    return bool(getattr(request, "htmx", False)) or request.headers.get("HX-Request") == "true"
