"""The fault-injection suite's ledger: every scenario records its outcome (and the daemon exits, lost
items and duplicate alerts it saw); the session prints a table and writes the figures as JSON."""

from __future__ import annotations

import json
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pytest

from support.daemonproc import DaemonProcess


@dataclass
class Scenario:
    group: str
    name: str
    outcome: str = ""
    passed: bool = True
    lost: int = 0  # items that should have been stored (or alerts delivered) and were not
    duplicates: int = 0  # alerts a channel acknowledged more than once
    resent_unacknowledged: int = 0  # sent again because the first answer never reached the daemon (kill -9)
    error: str = field(default="", repr=False)  # the traceback of a failed check


@dataclass
class FaultLedger:
    scenarios: list[Scenario] = field(default_factory=list)
    daemon_exits: dict[str, int] = field(default_factory=dict)  # group → unexpected daemon exits
    json_path: Path | None = None

    @contextmanager
    def scenario(self, group: str, name: str) -> Iterator[Scenario]:
        """Check one scenario; a failed check is recorded (and re-raised by `settle`), so one broken
        scenario does not hide the others of its daemon run."""
        entry = Scenario(group, name)
        self.scenarios.append(entry)
        try:
            yield entry
        except Exception as exc:
            entry.passed = False
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            entry.outcome = f"FAILED: {first}"[:160]
            entry.error = traceback.format_exc()

    def daemon(self, group: str, process: DaemonProcess) -> None:
        self.daemon_exits[group] = self.daemon_exits.get(group, 0) + process.exits

    def settle(self, group: str) -> None:
        failed = [s for s in self.scenarios if s.group == group and not s.passed]
        if failed:
            details = "\n\n".join(f"[{s.name}]\n{s.error or s.outcome}" for s in failed)
            pytest.fail(f"{len(failed)} scenario(s) of {group} failed:\n{details}", pytrace=False)

    def totals(self) -> dict[str, int]:
        return {"scenarios": len(self.scenarios), "passed": sum(s.passed for s in self.scenarios),
                "failed": sum(not s.passed for s in self.scenarios),
                "daemon_crashes": sum(self.daemon_exits.values()),
                "items_lost": sum(s.lost for s in self.scenarios),
                "duplicate_alerts": sum(s.duplicates for s in self.scenarios),
                "resent_unacknowledged": sum(s.resent_unacknowledged for s in self.scenarios)}


_LEDGER = pytest.StashKey[FaultLedger]()


def _ledger(config: pytest.Config) -> FaultLedger:
    if _LEDGER not in config.stash:
        config.stash[_LEDGER] = FaultLedger()
    return config.stash[_LEDGER]


@pytest.fixture(scope="session")
def faults(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultLedger]:
    ledger = _ledger(request.config)
    yield ledger
    path = tmp_path_factory.getbasetemp() / "fault-summary.json"
    path.write_text(json.dumps({"totals": ledger.totals(), "daemon_exits_by_group": ledger.daemon_exits,
                                "scenarios": [asdict(s) for s in ledger.scenarios]},
                               ensure_ascii=False, indent=2), encoding="utf-8")
    ledger.json_path = path


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    ledger = config.stash.get(_LEDGER, None)
    if ledger is None or not ledger.scenarios:
        return
    tr = terminalreporter
    tr.section("fault injection")
    width = max(len(f"{s.group} / {s.name}") for s in ledger.scenarios)
    tr.write_line(f"{'scenario'.ljust(width)}  {'ok':4s} outcome")
    for s in ledger.scenarios:
        tr.write_line(f"{f'{s.group} / {s.name}'.ljust(width)}  {'yes' if s.passed else 'NO':4s} {s.outcome}")
    t = ledger.totals()
    tr.write_line(f"scenarios run: {t['scenarios']} (passed {t['passed']}, failed {t['failed']}); "
                  f"daemon crashes: {t['daemon_crashes']}; items lost: {t['items_lost']}; "
                  f"duplicate alerts: {t['duplicate_alerts']} (re-sent after an unacknowledged send: "
                  f"{t['resent_unacknowledged']})")
    if ledger.json_path is not None:
        tr.write_line(f"figures written to {ledger.json_path}")
