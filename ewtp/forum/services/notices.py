"""Mails to the sellers whose products a proposal changes, each in the language of its members."""

from __future__ import annotations

from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from ewtp.accounts.models import Membership
from ewtp.core import conf
from ewtp.core.services import audit_record
from ewtp.forum.models import Proposal
from ewtp.forum.selectors.effects import product_effects
from ewtp.forum.services.proposals import latest_revision


def notices_enqueue(*, proposal_id: int) -> None:
    from ewtp.forum.tasks import send_proposal_notices

    transaction.on_commit(lambda: send_proposal_notices.enqueue(proposal_id), robust=True)


def notices_send(*, proposal_id: int) -> int:
    """Mail every member of every seller with a changed product; returns the mails sent."""
    proposal = Proposal.objects.get(pk=proposal_id)
    effects = product_effects(latest_revision(proposal))
    by_seller: dict[int, list[str]] = {}
    for effect in effects:
        by_seller.setdefault(effect.seller_id, []).append(
            f"- {effect.product} -> {effect.destination}: {effect.before} -> {effect.after} {effect.currency}"
        )
    sent = 0
    path = reverse("forum:detail", args=[proposal.code])
    for membership in Membership.objects.filter(organisation_id__in=by_seller).select_related(
        "user"
    ):
        user = membership.user
        with translation.override(user.language or "en"):
            subject = _("A rule proposal would change your prices: %(code)s") % {
                "code": proposal.code
            }
            body = "\n".join(
                [
                    _("%(title)s (effective %(date)s).")
                    % {
                        "title": proposal.text("title", user.language),
                        "date": proposal.effective_on.isoformat(),
                    },
                    _("The landed price of one unit of these products would change:"),
                    *by_seller[membership.organisation_id],
                    _("Read it and comment until %(date)s: %(url)s")
                    % {
                        "date": proposal.consultation_closes_on,
                        "url": f"{conf.SITE_URL().rstrip('/')}{path}",
                    },
                ]
            )
            send_mail(subject, body, None, [user.email])
        sent += 1
    audit_record(
        actor=None,
        action="forum.proposal.sellers_told",
        target=proposal,
        data={"mails": sent, "sellers": len(by_seller)},
    )
    return sent
