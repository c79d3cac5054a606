"""Pages of trade rules."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def rules_home(request: HttpRequest) -> HttpResponse:
    return render(request, "traderules/home.html", {})
