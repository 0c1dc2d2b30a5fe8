"""YAML read with libyaml's C parser when PyYAML was built with it: the pure-Python parser took
most of a one-shot poll's catalog loading (0.3 s for 300 entries), more than the polls themselves."""

from __future__ import annotations

from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """yaml.safe_load: the same safe subset of YAML (no Python objects), errors are yaml.YAMLError."""
    return yaml.load(text, Loader=_LOADER)
