"""The embedded Postgres is stopped by the last live process, even after a hard-killed one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from asoto.persistence.embedded import _forget_dead_handles


def test_dead_processes_do_not_keep_the_embedded_server_alive(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    handles = tmp_path / ".handle_pids.json"
    handles.write_text(json.dumps([dead.pid, os.getpid()]))
    _forget_dead_handles(tmp_path)
    assert json.loads(handles.read_text()) == [os.getpid()]
    _forget_dead_handles(tmp_path / "missing")  # no list yet: nothing to do
