"""Properties of the [PY-1] command reader: any ``run`` text (unbalanced quotes, NUL,
nested ``sh -c``, operators only) gives a command name or None, never an exception; and
a Python command stays found whatever harmless text surrounds it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from rebuildable.locks import python_lock_kind
from rebuildable.profiles.python_commands import python_command

#: pieces that mean something to a shell, or to the reader
PIECES = ("sh", "bash", " -c ", " -euc ", "'", '"', "\\", "\\\n", ";", "&&", "||", "|", "(",
          ")", "\n", "#", " ", "\t", "\0", "env ", "nice -n 10 ", "A=1 ", "python3", "pip",
          "x.py", "make", "$(", "`", "\r", "é")

shell_text = st.lists(st.sampled_from(PIECES), max_size=40).map("".join) | st.text()


@given(shell_text)
def test_any_text_gives_a_name_or_none(text: str) -> None:
    found = python_command(text)
    assert found is None or (isinstance(found, str) and 0 < len(found) <= 255)


def test_a_name_no_file_can_have_is_not_a_command() -> None:
    """Before: a 2 MB ``aaa...a.py`` was returned, and quoted whole in the [PY-1]
    warning's message and data."""
    assert python_command("a" * 2_000_000 + ".py") is None
    assert python_command("a" * 252 + ".py") == "a" * 252 + ".py"


@given(st.lists(st.sampled_from(["make", "echo hi", "cd src", "A=1 true", "ls -l"]),
                max_size=5), st.sampled_from(["python3 x.py", "pip install .", "pytest"]))
def test_a_python_command_among_others_is_found(others: list[str], command: str) -> None:
    text = " && ".join([*others, command])
    assert python_command(text) == command.split(maxsplit=1)[0]
    assert python_command(f"sh -c {text!r}".replace('"', "'")) is not None


@given(st.text(), st.binary(max_size=200))
def test_any_path_and_head_give_a_lock_kind_or_none(path: str, head: bytes) -> None:
    assert python_lock_kind(path, head) in (None, "pylock", "requirements")
