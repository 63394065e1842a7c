"""Which shell commands run Python (spec/profiles.md, [PY-1]): the command word of each
simple command of a step's ``run`` or ``replay``, read as a POSIX shell would split it.

Only what the text says counts: a script the command runs (``sh build.sh``) is not
opened, so a step that calls Python through a script of its own is not seen; a string
passed to ``sh -c`` is read like the command itself.
"""

from __future__ import annotations

import os
import re
import shlex

__all__ = ["python_command"]

#: command names (the last path component) that run Python or a Python tool
_PYTHON = re.compile(r"(?:python|pypy|pip)[0-9.]*|pytest|py\.test|uvx?|poetry|pipenv|pdm"
                     r"|hatch|tox|nox|pipx|.+\.py")
#: words that run the command after them
_WRAPPERS = frozenset({"env", "exec", "command", "nice", "nohup", "time"})
_SHELLS = frozenset({"sh", "bash", "dash", "ksh", "zsh"})
#: characters of the operators that end one simple command (a newline ends one too)
_OPERATORS = ";&|()\n"
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
_DEPTH = 3


def _tokens(text: str) -> list[str]:
    text = text.replace("\\\n", " ")
    lexer = shlex.shlex(text, posix=True, punctuation_chars=_OPERATORS)
    lexer.whitespace = " \t\r"
    lexer.whitespace_split = True
    try:
        return list(lexer)
    except ValueError:  # an unbalanced quote: the shell would refuse it; read the words
        return re.sub(r"[;&|()\n]", " \n ", text).split(" ")


def _commands(tokens: list[str]) -> list[list[str]]:
    out: list[list[str]] = [[]]
    for token in tokens:
        if not token:
            continue
        if set(token) <= set(_OPERATORS):  # ;  &&  |  ;;  )\n ...
            out.append([])
        else:
            out[-1].append(token)
    return [words for words in out if words]


def _command_word(words: list[str]) -> tuple[str, list[str]] | None:
    """The word the shell runs and the words after it; wrappers, their options and
    leading assignments skipped."""
    i = 0
    wrapped = False
    while i < len(words):
        word = words[i]
        if _ASSIGNMENT.match(word) or (wrapped and (word.startswith("-") or word.isdigit())):
            i += 1
        elif word in _WRAPPERS:
            wrapped = True
            i += 1
        else:
            return word, words[i + 1:]
    return None


def python_command(text: str | None, _depth: int = 0) -> str | None:
    """The first command word of ``text`` that runs Python, or None."""
    if not text or _depth > _DEPTH:
        return None
    for words in _commands(_tokens(text)):
        found = _command_word(words)
        if found is None:
            continue
        word, rest = found
        name = os.path.basename(word)
        if _PYTHON.fullmatch(name):
            return name
        if name in _SHELLS:
            for j, arg in enumerate(rest[:-1]):
                if arg.startswith("-") and not arg.startswith("--") and "c" in arg:
                    inner = python_command(rest[j + 1], _depth + 1)
                    if inner:
                        return inner
                    break
    return None
