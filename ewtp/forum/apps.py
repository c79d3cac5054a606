"""The rules forum: proposals to change the trade rules, their consultation and simulation."""

from django.apps import AppConfig


class ForumConfig(AppConfig):
    name = "ewtp.forum"
    label = "forum"
    verbose_name = "Rules forum"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save
        from django.utils.translation import gettext_lazy as _

        from ewtp.core import periodic
        from ewtp.core.navigation import EVERYONE, NavEntry, register
        from ewtp.forum.commands import PROPOSE, SIMULATE
        from ewtp.forum.models import Proposal, Revision
        from ewtp.forum.selectors.effects import open_revisions_forget, publication_effects
        from ewtp.forum.selectors.snapshot import proposal_choices, proposal_rules
        from ewtp.forum.services.proposals import proposals_advance
        from ewtp.traderules.extensions import (
            register_publication_preview,
            register_rules_choices,
            register_rules_resolver,
            register_rules_subcommand,
        )

        for model in (Proposal, Revision):
            post_save.connect(
                open_revisions_forget, sender=model, dispatch_uid=f"forum-open-{model}"
            )
            post_delete.connect(
                open_revisions_forget, sender=model, dispatch_uid=f"forum-open-d-{model}"
            )
        register_rules_resolver("proposal", proposal_rules)
        register_rules_subcommand(PROPOSE)
        register_rules_subcommand(SIMULATE)
        register_rules_choices(proposal_choices)
        register_publication_preview(publication_effects)
        periodic.register("forum.advance", proposals_advance, every_seconds=3600)
        register(NavEntry(_("Rule proposals"), "forum:list", EVERYONE, 41))
        register(NavEntry(_("Proposals and my prices"), "forum:mine", "seller", 42))
