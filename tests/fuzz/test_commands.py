"""The [PY-1] command reader on large hostile ``run`` texts: a manifest may hold a
command of megabytes; reading it must stay linear (each guard here took minutes with
``shlex``, which grows a token one character at a time)."""

from __future__ import annotations

import pytest

from rebuildable.profiles.python_commands import python_command
from tests.fuzz.mutate import bounded_time

HOSTILE = {
    "one word of 2 MB": ("a" * 2_000_000, None),
    "an unbalanced quote before 1.8 MB": ("'" + "sh -c x; " * 200_000, None),
    "3 million operators": (";" * 3_000_000 + " python3", "python3"),
    "a million backslashes": ("\\" * 1_000_001, None),
    "a million quotes": ("'" * 1_000_001, None),
    "deeply nested sh -c": ("sh -c " + "'sh -c " * 2000 + "python", None),
    "200k wrappers": ("env " * 200_000 + "python3", "python3"),
    "NUL bytes": ("echo\0; \0python3 -c 1", None),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_commands_are_read_in_linear_time(name: str) -> None:
    text, expected = HOSTILE[name]
    with bounded_time(name):
        found = python_command(text)
    assert found == expected
