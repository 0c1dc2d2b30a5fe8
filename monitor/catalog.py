"""The source catalog: YAML entries (one file per authority) validated into `Source` objects.

A preset (`sources/_presets.yml`) supplies the selectors a CMS family shares; an entry's own
`list`/`detail` keys override the preset's key by key. Errors name the file and the entry id.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from monitor.settings import ConfigError, Duration
from monitor.taxonomy import REGIONS
from monitor.yamlload import safe_load

PRESETS_FILE = "_presets.yml"
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ListSelectors(_Strict):
    """CSS selectors on a list page: one `item` per entry, the link, title and date inside it."""

    item: str | None = None
    link: str = "a"
    title: str | None = None  # default: the link's title attribute, then its text
    date: str | None = None


class DetailSelectors(_Strict):
    """CSS selectors on an article page; each may be a comma list (first element that matches wins)."""

    body: str | None = None  # default: automatic main-text extraction
    title: str | None = None
    date: str | None = None
    publisher: str | None = None
    remove: str | None = None  # extra chrome inside the body to drop


class Source(_Strict):
    """One watched column: a list page (or feed) and how to read it."""

    id: str
    name: str
    region: str
    url: str
    kind: Literal["html", "feed"] = "html"
    preset: Literal["trs", "hanweb", "gkmlpt", "feed"] | None = None
    every: Duration = timedelta(hours=6)
    list: ListSelectors = Field(default_factory=ListSelectors)
    detail: DetailSelectors = Field(default_factory=DetailSelectors)
    encoding: str | None = None
    min_links: int = 1
    enabled: bool = True
    robots: bool = True  # False: this source opts out of robots.txt (say why in `notes`)
    proxy: str | None = None  # e.g. http://proxy.example.cn:8080 for sites that only answer mainland addresses
    headers: dict[str, str] = Field(default_factory=dict)
    allow_hosts: tuple[str, ...] = ()  # other hosts whose articles this source may follow
    module: Literal["docwrite", "gkmlpt"] | None = None  # a site module in sources/ for what selectors cannot do
    pagination: str | None = None  # page N URL template: {base} (list URL's folder), {n}, {n0} (n-1)
    notes: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _preset_defaults(cls, data: Any) -> Any:
        """However a Source is built (catalog file, test, benchmark), its preset fills the gaps."""
        return _apply_preset(data, load_presets()) if isinstance(data, dict) else data

    @field_validator("id")
    @classmethod
    def _kebab(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("must be ASCII kebab-case, e.g. moe-xxh-yuebao")
        return value

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        if value not in REGIONS:
            raise ValueError(f"unknown region {value!r} (see TAXONOMY.md: 全国 or a province short name)")
        return value

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("must be an http(s) URL")
        return value

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    def owns(self, url: str) -> bool:
        """Is this URL on the source's own site (or a host it allows)? Copies on other domains are not.
        http and https of one host are the same site; another port is another site."""
        if _site(url) == _site(self.url):
            return True
        return (urlsplit(url).hostname or "").lower() in {h.lower() for h in self.allow_hosts}

    @classmethod
    def adhoc(cls, url: str) -> Source:
        """A stand-in for a page read outside the catalog (`parse URL` or a saved page): automatic
        extraction only. A file:// page gets a placeholder site, since a source is always http(s)."""
        site = url if urlsplit(url).scheme in {"http", "https"} else "http://saved-page.invalid/"
        return cls.model_validate({"id": "adhoc", "name": url, "region": "全国", "url": site, "preset": "trs"})


def _site(url: str) -> tuple[str, int | None]:
    """(host without a leading www., port unless the default): jyt.x.gov.cn and www.jyt.x.gov.cn
    are one site, as the government portals serve them."""
    parts = urlsplit(url)
    try:
        port = parts.port if parts.port not in {80, 443} else None
    except ValueError:  # a port out of range: no site's, and fetching it fails as an invalid URL
        port = -1
    host = (parts.hostname or "").lower()
    return host.removeprefix("www."), port


@lru_cache(maxsize=1)
def load_presets() -> dict[str, dict[str, Any]]:
    text = resources.files("sources").joinpath(PRESETS_FILE).read_text(encoding="utf-8")
    return safe_load(text) or {}


def _apply_preset(entry: dict[str, Any], presets: dict[str, dict[str, Any]]) -> dict[str, Any]:
    name = entry.get("preset") or ("feed" if entry.get("kind") == "feed" else None)
    preset = presets.get(name or "", {})
    merged = {k: v for k, v in preset.items() if k not in {"list", "detail"}}
    merged.update(entry)
    for part in ("list", "detail"):
        if isinstance(preset.get(part), dict) or isinstance(entry.get(part), dict):
            merged[part] = {**preset.get(part, {}), **(entry.get(part) or {})}
    return merged


def _entries(path: Path, text: str) -> list[Any]:
    try:
        data = safe_load(text) or []
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, list):
        raise ConfigError(f"{path}: a catalog file is a list of source entries")
    return data


def parse_sources(path: Path, text: str) -> list[Source]:
    """Validate one catalog file; every error names the file and the entry id."""
    sources, problems = [], []
    for index, entry in enumerate(_entries(path, text)):
        label = entry.get("id", f"entry {index + 1}") if isinstance(entry, dict) else f"entry {index + 1}"
        if not isinstance(entry, dict):
            problems.append(f"{path}: {label}: an entry is a mapping of keys")
            continue
        try:
            sources.append(Source.model_validate(entry))
        except ValidationError as exc:
            for err in exc.errors():
                key = ".".join(str(p) for p in err["loc"]) or "(entry)"
                problems.append(f"{path}: {label}: {key}: {err['msg']}")
    if problems:
        raise ConfigError("\n".join(problems))
    return sources


def builtin_files() -> list[tuple[Path, str]]:
    folder = resources.files("sources")
    return [(Path(f"sources/{f.name}"), f.read_text(encoding="utf-8"))
            for f in sorted(folder.iterdir(), key=lambda f: f.name)
            if f.name.endswith(".yml") and not f.name.startswith("_")]


def load_catalog(builtin: bool = True, files: Sequence[Path] = ()) -> list[Source]:
    """The built-in catalog (unless turned off) plus the user's files; ids must be unique."""
    texts: list[tuple[Path, str]] = builtin_files() if builtin else []
    for path in files:
        try:
            texts.append((path, Path(path).read_text(encoding="utf-8")))
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read catalog: {exc.strerror}") from exc
    catalog: list[Source] = []
    seen: dict[str, Path] = {}
    for path, text in texts:
        for source in parse_sources(path, text):
            if source.id in seen:
                raise ConfigError(f"{path}: {source.id}: id already used in {seen[source.id]}")
            seen[source.id] = path
            catalog.append(source)
    return catalog


def by_id(sources: Iterable[Source]) -> dict[str, Source]:
    return {s.id: s for s in sources}
