"""What to tell a user whose step failed: a hint chosen from what its standard error
says, never a guess that sends them the wrong way."""

from __future__ import annotations

import re

_MISSING_MODULE = re.compile(r"No module named|ModuleNotFoundError|ImportError|"
                             r"cannot find -l|Could not find a package|package .* not found")
_MISSING_COMMAND = re.compile(r"command not found|: not found\b|No such file or directory.*"
                              r"(?:exec|spawn)|executable file not found")
_MISSING_FILE = re.compile(r"No such file or directory|cannot open|can't open|"
                           r"FileNotFoundError|does not exist")
_NETWORK = re.compile(r"Temporary failure in name resolution|Network is unreachable|"
                      r"Could not resolve host|Name or service not known|getaddrinfo")
_DENIED = re.compile(r"Read-only file system|Permission denied")

HINTS = (
    (_MISSING_MODULE, "A module or library the step imports is missing: the step runs with "
                      "the caller's PATH and nothing else; declare the step's environment "
                      "(a lock file as its `environment`) or install what it needs."),
    (_NETWORK, "The step tried to reach the network, which a rebuild blocks: declare what "
               "it downloads as an input (an artifact with a uri and a digest)."),
    (_MISSING_COMMAND, "A program the step runs is not on the PATH the step gets (the "
                       "caller's PATH, minus the places a sandbox hides)."),
    (_DENIED, "The step wrote outside its work folder; only the work folder is writable."),
    (_MISSING_FILE, "The step ran with only its declared inputs: a file it reads but does "
                    "not declare is missing."),
)
GENERIC = "See the step's standard error above; --keep keeps its work folder and logs."


def failure_hint(stderr: str) -> str:
    """The hint for the first cause the tail of standard error shows."""
    for pattern, hint in HINTS:
        if pattern.search(stderr):
            return hint
    return GENERIC
