"""File and folder names of any bytes through the commands that print them (hash,
init, update, sign): no crash, no raw control character on a terminal, no line a name
forged, and JSON that is UTF-8 (tests/cli/test_hostile_io.py holds the named samples)."""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from rebuildable.cli import cli

#: what text output may never carry raw: C0 controls but tab and line feed, DEL, CSI
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\x9b]")

names = st.binary(min_size=1, max_size=40).filter(
    lambda b: b"/" not in b and b"\x00" not in b and b not in (b".", b".."))


@given(name=names)
def test_any_name_prints_safely(name: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / os.fsdecode(b"INJ" + name)
        folder.mkdir()
        (folder / os.fsdecode(name)).write_bytes(b"x")
        runner = CliRunner()
        for args in (["init", str(folder)], ["update", str(folder), "--check"],
                     ["hash", "-r", str(folder)], ["hash", str(folder)]):
            result = runner.invoke(cli, args, catch_exceptions=False)
            assert result.exit_code in (0, 1, 2), args
            stdout = result.stdout_bytes.decode("utf-8", "surrogateescape")
            assert "internal error" not in result.stderr
            assert not RAW_CONTROL.search(result.stderr), (args, result.stderr)
            # hash prints names as sha256sum does (their bytes; \\ and line breaks escaped)
            assert args[0] == "hash" or not RAW_CONTROL.search(stdout), (args, stdout)
            assert not any(line.startswith("INJ") for line in stdout.splitlines()), stdout
            for line in result.stderr.splitlines():
                assert line.startswith(("rebuildable: ", "Usage:", "Try ", "Error:", "")), line
        for args in (["update", str(folder), "--check", "--format", "json"],
                     ["hash", "-r", str(folder), "--format", "json"]):
            result = runner.invoke(cli, args, catch_exceptions=False)
            if result.exit_code == 2 and not result.stdout_bytes:
                continue  # a usage error (no manifest here): nothing on stdout at all
            json.loads(result.stdout_bytes.decode("utf-8"))
