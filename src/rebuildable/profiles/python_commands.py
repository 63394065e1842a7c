"""Which shell commands run Python (spec/profiles.md, [PY-1]): the command word of each
simple command of a step's ``run`` or ``replay``, read as a POSIX shell would split it.

Only what the text says counts: a script the command runs (``sh build.sh``) is not
opened, so a step that calls Python through a script of its own is not seen; a string
passed to ``sh -c`` is read like the command itself.
"""

from __future__ import annotations

import os
import re

__all__ = ["python_command"]

#: command names (the last path component) that run Python or a Python tool
_PYTHON = re.compile(r"(?:python|pypy|pip)[0-9.]*|pytest|py\.test|uvx?|poetry|pipenv|pdm"
                     r"|hatch|tox|nox|pipx|.+\.py")
#: words that run the command after them
_WRAPPERS = frozenset({"env", "exec", "command", "nice", "nohup", "time"})
_SHELLS = frozenset({"sh", "bash", "dash", "ksh", "zsh"})
#: characters of the operators that end one simple command (a newline ends one too)
_OPERATORS = ";&|()\n"
_OPERATOR_SET = frozenset(_OPERATORS)
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
_DEPTH = 3
#: the longest file name POSIX file systems take (NAME_MAX)
_NAME_MAX = 255
#: characters with no meaning to the shell's word splitting
_PLAIN = re.compile(r"[^ \t\r;&|()\n'\"\\#]+")


class _UnbalancedError(ValueError):
    """A quote that is never closed."""


def _tokens(text: str) -> list[str]:
    text = text.replace("\\\n", " ")
    try:
        return _split(text)
    except _UnbalancedError:  # the shell would refuse it; read the words
        return re.sub(r"[;&|()\n]", " \n ", text).split(" ")


def _split(text: str) -> list[str]:
    """Words and operator runs as a POSIX shell splits them (quotes, backslashes,
    ``#`` comments), in one pass: linear in the text, whatever it holds (``shlex``
    grows each token a character at a time, quadratic in a long word)."""
    out: list[str] = []
    word: list[str] = []
    in_word = False
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in " \t\r" or c in _OPERATORS:
            if in_word:
                out.append("".join(word))
                word, in_word = [], False
            if c in _OPERATORS:
                j = i
                while j < n and text[j] in _OPERATORS:
                    j += 1
                out.append(text[i:j])
                i = j
                continue
        elif c == "#" and not in_word:  # a comment, up to the end of the line
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        elif c == "'":
            end = text.find("'", i + 1)
            if end < 0:
                raise _UnbalancedError
            word.append(text[i + 1:end])
            in_word, i = True, end + 1
            continue
        elif c == '"':
            i = _double_quoted(text, i + 1, word)
            in_word = True
            continue
        elif c == "\\":
            word.append(text[i + 1:i + 2])
            in_word, i = True, i + 2
            continue
        else:  # a run of plain characters (``#`` inside a word is one of them)
            match = _PLAIN.match(text, i)
            end = match.end() if match else i + 1
            word.append(text[i:end])
            in_word, i = True, end
            continue
        i += 1
    if in_word:
        out.append("".join(word))
    return out


def _double_quoted(text: str, i: int, word: list[str]) -> int:
    """Append the double-quoted text that starts at ``i``; the index after its quote."""
    n = len(text)
    while i < n:
        c = text[i]
        if c == '"':
            return i + 1
        if c == "\\" and i + 1 < n and text[i + 1] in '"\\$`\n':
            word.append(text[i + 1])
            i += 2
            continue
        word.append(c)
        i += 1
    raise _UnbalancedError


def _commands(tokens: list[str]) -> list[list[str]]:
    out: list[list[str]] = [[]]
    for token in tokens:
        if not token:
            continue
        if _OPERATOR_SET.issuperset(token):  # ;  &&  |  ;;  )\n ...
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
        if len(name) > _NAME_MAX:  # no file has such a name: the shell would not run it
            continue
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
