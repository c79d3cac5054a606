"""Pages of the rules forum: the list, each proposal's public page, the Atom feed."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ewtp.accounts.models import Membership
from ewtp.core import clock
from ewtp.core.errors import DomainError
from ewtp.forum import charts
from ewtp.forum.models import Comment, Proposal, Simulation
from ewtp.forum.selectors.effects import product_effects
from ewtp.forum.selectors.snapshot import proposal_list
from ewtp.forum.services import comments, proposals, simulation
from ewtp.forum.words import describe_changes
from ewtp.traderules.selectors.permissions import can_steward
from ewtp.traderules.services.edits import working_copy_content


def _get(code: str) -> Proposal:
    proposal = Proposal.objects.filter(code=code).first()
    if proposal is None:
        raise Http404("no such proposal")
    return proposal


@require_GET
def proposal_index(request: HttpRequest) -> HttpResponse:
    language = get_language() or "en"
    items = [(p, p.text("title", language)) for p in proposal_list()]
    return render(
        request,
        "forum/list.html",
        {
            "items": items,
            "steward": can_steward(request.user),
            "kinds": Proposal.Kind.choices,
            "other_languages": _other_languages(language),
        },
    )


def _other_languages(language: str) -> list[tuple[str, str]]:
    """The platform's languages but the visitor's: a draft's title and rationale may be
    given in each of them."""
    own = language.split("-")[0].lower()
    return [(code, str(name)) for code, name in settings.LANGUAGES if code.split("-")[0] != own]


def _translations(request: HttpRequest, language: str) -> dict[str, dict[str, str]]:
    return {
        field: {
            code: request.POST.get(f"{field}_{code}", "")
            for code, _name in _other_languages(language)
            if request.POST.get(f"{field}_{code}", "").strip()
        }
        for field in ("title", "rationale")
    }


@require_POST
def proposal_draft_view(request: HttpRequest) -> HttpResponse:
    try:
        effective = date.fromisoformat(request.POST.get("effective_on", ""))
    except ValueError:
        messages.error(request, _("Give the effective date as YYYY-MM-DD."))
        return redirect("forum:list")
    language = get_language() or "en"
    try:
        proposal = proposals.proposal_from_working_copy(
            actor=request.user,
            title=request.POST.get("title", ""),
            effective_on=effective,
            kind=request.POST.get("kind", Proposal.Kind.PLATFORM_POLICY),
            language=language,
            rationale=request.POST.get("rationale", ""),
            legal_act=request.POST.get("legal_act", ""),
            translations=_translations(request, language),
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("forum:list")
    return redirect("forum:detail", proposal.code)


def _context(request: HttpRequest, proposal: Proposal) -> dict[str, Any]:
    language = get_language() or "en"
    revision = proposals.latest_revision(proposal)
    sim = proposal.simulations.order_by("-created_at", "-id").first()
    done = sim if sim is not None and sim.status == Simulation.Status.DONE else None
    user = request.user
    seller_ids = (
        list(
            Membership.objects.filter(user=user, organisation__kind="seller").values_list(
                "organisation_id", flat=True
            )
        )
        if user.is_authenticated
        else []
    )
    effects = [e for sid in seller_ids for e in product_effects(revision, seller_id=sid)]
    today = clock.today()
    return {
        **_progress(sim),
        "proposal": proposal,
        "title": proposal.text("title", language),
        "rationale": proposal.text("rationale", language),
        "revision": revision,
        "changes": describe_changes(revision.changes, proposal.effective_on, language),
        "conflicts": proposals.proposal_conflicts(proposal),
        "simulation": sim,
        "summary": done.summary if done else None,
        "details": done.details if done else None,
        "charts": charts.simulation_charts(done) if done else [],
        "comments": proposal.comments.select_related("author").all(),
        "can_comment": user.is_authenticated
        and proposal.status == Proposal.Status.CONSULTATION
        and proposal.consultation_closes_on is not None
        and today <= proposal.consultation_closes_on,
        "steward": can_steward(user),
        "effects": effects,
        "stakeholders": Comment.Stakeholder.choices,
        "outcomes": Comment.Outcome.choices,
        "language": language,
    }


def _progress(sim: Simulation | None) -> dict[str, Any]:
    running = sim is not None and sim.status in (
        Simulation.Status.QUEUED,
        Simulation.Status.RUNNING,
    )
    percent = 0
    if sim is not None and sim.total:
        percent = min(100, sim.done * 100 // sim.total)
    elif sim is not None and sim.status == Simulation.Status.DONE:
        percent = 100
    return {"running": running, "percent": percent}


@require_GET
def proposal_page(request: HttpRequest, code: str) -> HttpResponse:
    """The proposal's public page. ``?part=progress``: the simulation's progress box alone,
    which htmx asks for every few seconds while the simulation runs (without JavaScript the
    page reloads itself); once it is over, htmx is told to reload the page with the results."""
    proposal = _get(code)
    if request.GET.get("part") == "progress":
        sim = proposal.simulations.order_by("-created_at", "-id").first()
        if sim is None:
            raise Http404("no simulation")
        context = {"simulation": sim, "proposal": proposal, **_progress(sim)}
        response = render(request, "forum/detail.html#progress", context)
        if not context["running"] and request.headers.get("HX-Request"):
            response["HX-Refresh"] = "true"
        return response
    return render(request, "forum/detail.html", _context(request, proposal))


def _simulate(request: HttpRequest, proposal: Proposal) -> None:
    sim = simulation.simulation_create(proposal=proposal, actor=request.user, filters={})
    simulation.simulation_enqueue(sim)


def _actions() -> dict[str, Callable[[HttpRequest, Proposal], Any]]:
    return {
        "comment": lambda r, p: comments.comment_create(
            proposal=p,
            actor=r.user,
            stakeholder=r.POST.get("stakeholder", ""),
            language=r.POST.get("language", ""),
            interest=r.POST.get("interest", ""),
            body=r.POST.get("body", ""),
        ),
        "reply": lambda r, p: comments.comment_reply(
            comment=_comment(p, r.POST.get("comment", "")),
            actor=r.user,
            outcome=r.POST.get("outcome", ""),
            reason=r.POST.get("reason", ""),
        ),
        "simulate": _simulate,
        "revise": lambda r, p: proposals.proposal_revise(
            proposal=p, actor=r.user, content=working_copy_content()
        ),
        "open": lambda r, p: proposals.proposal_open_consultation(
            proposal=p,
            actor=r.user,
            days=int(r.POST.get("days") or proposals.DEFAULT_CONSULTATION_DAYS),
            emergency=r.POST.get("emergency") == "on",
        ),
        "adopt": lambda r, p: proposals.proposal_adopt(proposal=p, actor=r.user),
        "withdraw": lambda r, p: proposals.proposal_close(
            proposal=p, actor=r.user, status="withdrawn"
        ),
        "reject": lambda r, p: proposals.proposal_close(
            proposal=p, actor=r.user, status="rejected"
        ),
    }


def _comment(proposal: Proposal, public_id: str) -> Comment:
    found = proposal.comments.filter(public_id=public_id).first() if public_id else None
    if found is None:
        raise Http404("no such comment")
    return found


@require_POST
def proposal_act(request: HttpRequest, code: str) -> HttpResponse:
    proposal = _get(code)
    action = _actions().get(request.POST.get("action", ""))
    if action is None:
        raise Http404("no such action")
    if not request.user.is_authenticated:
        return redirect(f"{reverse('accounts:login')}?next={reverse('forum:detail', args=[code])}")
    try:
        action(request, proposal)
    except (DomainError, ValueError) as error:
        messages.error(request, getattr(error, "message", str(error)))
    else:
        messages.success(request, _("Done."))
    return redirect("forum:detail", code)


# Text a spreadsheet would run as a formula gets a leading apostrophe (numbers stay numbers).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: str) -> str:
    if not value.startswith(FORMULA_STARTS):
        return value
    try:
        float(value)
    except ValueError:
        return "'" + value
    return value


def _done_simulation(proposal: Proposal) -> Simulation | None:
    return (
        proposal.simulations.filter(status=Simulation.Status.DONE)
        .order_by("-created_at", "-id")
        .first()
    )


@require_GET
def simulation_chart_csv(request: HttpRequest, code: str, chart: str) -> HttpResponse:
    """The data of one chart of the proposal's latest simulation, as CSV."""
    done = _done_simulation(_get(code))
    found = charts.simulation_chart(done, chart) if done is not None else None
    if found is None:
        raise Http404("no such chart")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{code}-{found.slug}.csv"'
    writer = csv.writer(response)
    writer.writerow([_csv_cell(str(column)) for column in found.columns])
    for row in found.rows:
        writer.writerow([_csv_cell(str(cell)) for cell in row])
    return response


@require_GET
def proposal_feed(request: HttpRequest) -> HttpResponse:
    language = get_language() or "en"
    feed = Atom1Feed(
        title=_("eWTP rule proposals"),
        link=request.build_absolute_uri(reverse("forum:list")),
        description=_("Proposals to change the trade rules, open for comment."),
        language=language,
    )
    for proposal in proposal_list()[:50]:
        link = request.build_absolute_uri(reverse("forum:detail", args=[proposal.code]))
        feed.add_item(
            title=f"{proposal.code}: {proposal.text('title', language)}",
            link=link,
            unique_id=link,
            description=proposal.text("rationale", language),
            updateddate=proposal.updated_at,
            pubdate=proposal.created_at,
            categories=[proposal.kind, proposal.status],
        )
    return HttpResponse(
        feed.writeString("utf-8"), content_type="application/atom+xml; charset=utf-8"
    )


@require_GET
def my_products(request: HttpRequest) -> HttpResponse:
    """The seller's dashboard of proposals: each open proposal and the seller's products whose
    landed price it would change, before and after."""
    if not request.user.is_authenticated:
        return redirect(f"{reverse('accounts:login')}?next={reverse('forum:mine')}")
    language = get_language() or "en"
    sellers = list(
        Membership.objects.filter(user=request.user, organisation__kind="seller").values_list(
            "organisation_id", flat=True
        )
    )
    rows = []
    for proposal in Proposal.objects.filter(status__in=proposals.OPEN).order_by("-created_at"):
        revision = proposals.latest_revision(proposal)
        effects = [e for sid in sellers for e in product_effects(revision, seller_id=sid)]
        if effects:
            rows.append((proposal, proposal.text("title", language), effects))
    return render(request, "forum/mine.html", {"rows": rows})
