"""Command line: ``python3 hello.pyz [NAME] [--shout]``."""

from __future__ import annotations

import argparse
import sys

from hello import __version__, greeting


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hello", description="Print a greeting.")
    parser.add_argument("name", nargs="?", default="world", help="who to greet")
    parser.add_argument("--shout", action="store_true", help="greet in capitals")
    parser.add_argument("--version", action="version", version=f"hello {__version__}")
    args = parser.parse_args(argv)
    sys.stdout.write(greeting(args.name, shout=args.shout) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
