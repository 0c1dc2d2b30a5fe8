"""Misbehaving SMTP servers (aiosmtpd) on 127.0.0.1: one that answers DATA slowly, one that refuses
some recipients; both keep what they accept, like `support.smtp.Mailbox`."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from support.serving import free_port
from support.smtp import Mailbox, delivering


@dataclass
class FaultyMailbox(Mailbox):
    """A mailbox that waits `data_delay` seconds before accepting a message and answers
    `550` to the recipients in `refuse`."""

    data_delay: float = 0.0
    refuse: frozenset[str] = frozenset()
    refused: list[str] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address in self.refuse:
            self.refused.append(address)
            return f"550 5.1.1 <{address}>: recipient address rejected: user unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        return await super().handle_DATA(server, session, envelope)


@contextmanager
def faulty_smtp_server(data_delay: float = 0.0, refuse: frozenset[str] = frozenset()) -> Iterator[FaultyMailbox]:
    with delivering(FaultyMailbox(port=free_port(), data_delay=data_delay, refuse=refuse)) as box:
        yield box
