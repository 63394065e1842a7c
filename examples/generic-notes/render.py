"""Render src/notes.md to site/notes.html: a tiny, deterministic Markdown subset
(headings, bullet lists, paragraphs, **bold**, *italic*, `code`), standard library only."""

from __future__ import annotations

import html
import re
from pathlib import Path

INLINE = [
    (re.compile(r"`([^`]+)`"), r"<code>\1</code>"),
    (re.compile(r"\*\*([^*]+)\*\*"), r"<strong>\1</strong>"),
    (re.compile(r"\*([^*]+)\*"), r"<em>\1</em>"),
]


def inline(text: str) -> str:
    out = html.escape(text, quote=False)
    for pattern, repl in INLINE:
        out = pattern.sub(repl, out)
    return out


def render(markdown: str) -> str:
    body: list[str] = []
    in_list = False
    for line in markdown.splitlines():
        if line.startswith("- "):
            if not in_list:
                body.append("<ul>")
                in_list = True
            body.append(f"  <li>{inline(line[2:])}</li>")
            continue
        if in_list:
            body.append("</ul>")
            in_list = False
        if line.startswith("# "):
            body.append(f"<h1>{inline(line[2:])}</h1>")
        elif line.strip():
            body.append(f"<p>{inline(line)}</p>")
    if in_list:
        body.append("</ul>")
    title = next((line[2:] for line in markdown.splitlines() if line.startswith("# ")), "")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title></head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")


def main() -> None:
    source = Path("src/notes.md").read_text(encoding="utf-8")
    target = Path("site/notes.html")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render(source), encoding="utf-8", newline="\n")


if __name__ == "__main__":
    main()
