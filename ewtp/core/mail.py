"""A mail backend that keeps every message in the outbox table."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage, EmailMultiAlternatives

from ewtp.core import clock
from ewtp.core.models import OutboxMessage


class OutboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = 0
        for message in email_messages:
            html = ""
            if isinstance(message, EmailMultiAlternatives):
                for content, mimetype in message.alternatives:
                    if mimetype == "text/html":
                        html = str(content)
            OutboxMessage.objects.create(
                to=", ".join(message.to),
                subject=str(message.subject),
                body=str(message.body),
                html=html,
                created_at=clock.now(),
            )
            sent += 1
        return sent
