"""Fail when the installed distributions differ from requirements.lock.

Run with the virtualenv's interpreter after installing from the lock. Every pin must be
installed at exactly its version, and nothing outside the lock may be installed besides the
project itself and the venv's own installer, so a release published after the lock was made
can never slip in unnoticed.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s\\;]+)")
ALLOWED_EXTRA = {"edu-monitor", "pip", "setuptools", "wheel"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def main(lock_path: str) -> int:
    pins: dict[str, str] = {}
    for line in Path(lock_path).read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            pins[canonical(match.group(1))] = match.group(2)
    installed = {canonical(d.metadata["Name"]): d.version for d in metadata.distributions()}
    problems = []
    for name, version in sorted(pins.items()):
        got = installed.get(name)
        if got != version:
            problems.append(f"{name}: lock pins {version}, installed {got or 'nothing'}")
    for name in sorted(set(installed) - set(pins) - ALLOWED_EXTRA):
        problems.append(f"{name}: installed {installed[name]}, not in the lock")
    if problems:
        print(f"installed packages drift from {lock_path}:", *problems, sep="\n  ", file=sys.stderr)
        return 1
    print(f"installed packages match {lock_path} ({len(pins)} pins)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "requirements.lock"))
