"""Deployment files match the package: the systemd unit verifies, the Containerfile copies what exists."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


def test_systemd_unit_has_the_hardening_the_operator_expects() -> None:
    unit = (DEPLOY / "edu-monitor.service").read_text(encoding="utf-8")
    for line in ("Type=notify", "Restart=on-failure", "DynamicUser=yes", "StateDirectory=edu-monitor",
                 "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", "NoNewPrivileges=yes",
                 "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6", "WatchdogSec="):
        assert line in unit, line
    assert re.search(r"^ExecStartPre=\S+/edu-monitor db upgrade$", unit, re.M)
    assert re.search(r"^ExecStart=\S+/edu-monitor run$", unit, re.M)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verify_accepts_the_unit(tmp_path: Path) -> None:
    """The unit, pointed at this environment's real executable, passes `systemd-analyze verify`."""
    binary = Path(sys.executable).with_name("edu-monitor")
    if not binary.exists():
        pytest.skip("edu-monitor console script not installed")
    unit = (DEPLOY / "edu-monitor.service").read_text(encoding="utf-8").replace("/opt/edu-monitor/bin/edu-monitor",
                                                                                 str(binary))
    target = tmp_path / "edu-monitor.service"
    target.write_text(unit, encoding="utf-8")
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", str(target)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Unknown" not in result.stderr, result.stderr
    security = subprocess.run(["systemd-analyze", "security", "--offline=yes", str(target)], capture_output=True,
                              text=True, timeout=60)
    score = re.search(r"Overall exposure level for \S+: ([\d.]+)", security.stdout + security.stderr)
    if score:  # older systemd has no --offline; the sandboxing score is written down in docs/operations.md
        assert float(score.group(1)) <= 2.0, security.stdout[-2000:]


def test_containerfile_copies_the_packages_pyproject_installs() -> None:
    text = (DEPLOY / "Containerfile").read_text(encoding="utf-8")
    copied = set(re.findall(r"^COPY (\S+)", text, re.M))
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"]
    for package in {p.split(".")[0] for p in packages}:
        assert package in copied, f"Containerfile does not copy {package}"
    for path in copied:
        assert (ROOT / path).exists(), f"Containerfile copies {path}, which does not exist"
    assert "USER edu-monitor" in text and "HEALTHCHECK" in text and "/healthz" in text
    assert re.search(r'^CMD \["edu-monitor", "run"\]', text, re.M)
    assert re.search(r"^FROM python:3\.1[1-9]-slim", text, re.M)


def test_compose_runs_the_service_against_postgresql() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    service = compose["services"]["edu-monitor"]
    assert service["build"]["dockerfile"] == "deploy/Containerfile"
    assert service["environment"]["EDU_MONITOR_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert "db" in compose["services"] and "depends_on" in service


def test_example_deploy_config_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    from monitor.settings import load_settings

    monkeypatch.delenv("EDU_MONITOR_CONFIG", raising=False)
    settings = load_settings(DEPLOY / "config.example.yml")
    assert settings.health.enabled and settings.timezone == "Asia/Shanghai"


def test_every_python_package_ships_in_the_wheel() -> None:
    """A subpackage missing from [tool.setuptools].packages works in an editable checkout and
    breaks `pip install .`; compare the list with the folders that hold an __init__.py."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for top in ("monitor", "sources", "alerts", "migrations")
               for p in (ROOT / top).rglob("__init__.py")}
    assert on_disk <= listed, f"add to pyproject packages: {sorted(on_disk - listed)}"
