"""A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps every message it accepts."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, TypeVar

from aiosmtpd.controller import Controller

from support.serving import free_port


@dataclass
class Mailbox:
    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    port: int = 0

    def to(self, address: str) -> list[EmailMessage]:
        return [m for rcpt, m in self.messages if address in rcpt]

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"


def parts(message: EmailMessage) -> dict[str, str]:
    """Text parts of a message by content type."""
    return {p.get_content_type(): p.get_content() for p in message.walk() if p.get_content_maintype() == "text"}



MailboxT = TypeVar("MailboxT", bound="Mailbox")


@contextmanager
def delivering(box: MailboxT) -> Iterator[MailboxT]:
    """A real SMTP server (aiosmtpd) that hands every message to `box`, for the `with` block."""
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@contextmanager
def smtp_server() -> Iterator[Mailbox]:
    with delivering(Mailbox(port=free_port())) as box:
        yield box


def mailto(box: Mailbox, to: str) -> str:
    return f"mailto://127.0.0.1:{box.port}?from=bot@test.local&to={to}&mode=insecure"
