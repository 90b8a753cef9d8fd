"""The container files (issue 15): every command the Dockerfile and compose.yaml run is a real
command of this version with real options, and every ``ASOTO_*`` they set is a real setting.
Docker itself is not on the build machine, so the image is not built here."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from typer.testing import CliRunner

from asoto.cli import app
from asoto.config import Settings

ROOT = Path(__file__).resolve().parent.parent


def _commands() -> list[list[str]]:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    [cmd] = re.findall(r"^CMD (\[.*\])$", dockerfile, flags=re.M)
    found = [json.loads(cmd)]
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    found += [s["command"] for s in compose["services"].values() if "command" in s]
    return found


def test_every_command_the_container_runs_exists_with_its_options() -> None:
    commands = _commands()
    assert ["asoto", "worker"] in commands and ["asoto", "db", "upgrade"] in commands
    for command in commands:
        assert command[0] == "asoto", command
        words = [w for w in command[1:] if not w.startswith("-")]
        subcommand = [w for w in words if not re.fullmatch(r"[\d.]+", w)]
        result = CliRunner().invoke(app, [*subcommand, "--help"])
        assert result.exit_code == 0, (command, result.output)
        for option in (w.split("=")[0] for w in command[1:] if w.startswith("--")):
            assert option in result.output, (command, option)


def test_every_setting_the_container_sets_is_a_setting() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    names = set(re.findall(r"\b(ASOTO_[A-Z_]+)=", dockerfile))
    for service in compose["services"].values():
        names |= {n for n in (service.get("environment") or {}) if n.startswith("ASOTO_")}
    fields = {f"ASOTO_{name.upper()}" for name in Settings.model_fields}
    assert names and names <= fields, names - fields
