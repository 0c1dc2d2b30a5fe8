"""An article's attachments fetched and read: 附件 links and links to office files, through the poll's
own fetcher (politeness, robots, SSRF guard, size cap, timeouts), one request each.

Each becomes {name, url, type, bytes, chars, error} plus its text. A failure is recorded on the
attachment, never raised: the notice is stored either way, and its attachments are not fetched again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

import structlog

from monitor.fetch import Fetcher, FetchError
from monitor.filetext import Limits, read_file
from monitor.settings import AttachmentsConfig

log = structlog.get_logger()

# Files extract.py records as attachments that are not read here (slides, rar/7z archives, media).
NOT_READ = (".ppt", ".pptx", ".rar", ".7z", ".jpg", ".jpeg", ".png", ".gif", ".mp3", ".mp4")


@dataclass
class Attachment:
    name: str
    url: str
    type: str | None = None
    bytes: int | None = None
    chars: int | None = None
    error: str | None = None
    text: str = ""

    def summary(self) -> dict[str, Any]:
        """What the document row keeps (the text is stored apart)."""
        return {key: value for key, value in asdict(self).items() if key != "text"}


def wanted(link: dict[str, str]) -> bool:
    """extract.py records links to files and links named 附件… (a download.jsp?id= handler, say):
    all of them are fetched except the formats no text is read from."""
    return not urlsplit(link.get("url", "")).path.lower().endswith(NOT_READ)


def read_attachments(links: Sequence[dict[str, str]], fetcher: Fetcher, source: Any,
                     config: AttachmentsConfig, skip: str | None = None) -> list[Attachment] | None:
    """Every attachment link of an article: the wanted ones, at most `max_files`, fetched once each
    and read; the rest recorded with the reason they were not (`skip`: the reason for all of them).
    None when attachments are switched off (the links are then kept as extract found them)."""
    if not config.enabled:
        return None
    limits = Limits(max_unpacked=config.max_unpacked, max_chars=config.max_chars)
    found, fetched = [], 0
    for link in links:
        if skip:
            found.append(_skipped(link, skip))
        elif not wanted(link):
            found.append(_skipped(link, "not read: a format no text is taken from"))
        elif fetched >= config.max_files:
            found.append(_skipped(link, f"not fetched: more than {config.max_files} attachments"))
        else:
            fetched += 1
            found.append(fetch_one(link, fetcher, source, limits))
    return found


def _skipped(link: dict[str, str], why: str) -> Attachment:
    return Attachment(name=_name(link), url=link["url"], error=why)


def _name(link: dict[str, str]) -> str:
    return link.get("name") or link["url"].rsplit("/", 1)[-1]


def fetch_one(link: dict[str, str], fetcher: Fetcher, source: Any, limits: Limits) -> Attachment:
    found = Attachment(name=_name(link), url=link["url"])
    try:
        answer = fetcher.get(found.url, source=source)
    except FetchError as exc:
        found.error = str(exc)
    except Exception as exc:  # a link no fetch could make sense of must not fail the notice's poll
        log.exception("attachment.fetch_crashed", url=found.url)
        found.error = f"not fetched: {type(exc).__name__}"
    else:
        if answer.blocked:
            found.error = f"blocked: {answer.blocked}"
        else:
            found.bytes = len(answer.content)
            read = read_file(answer.content, _file_name(found.name, answer.url), limits)
            found.type, found.text, found.error = read.type, read.text, read.error
            found.chars = len(read.text)
    if found.error:
        log.warning("attachment.failed", url=found.url, error=found.error)
    return found


def _file_name(name: str, url: str) -> str:
    """The name whose suffix says what the link promised: the link text, else the URL's last segment."""
    return name if "." in name[-6:] else urlsplit(url).path.rsplit("/", 1)[-1]
