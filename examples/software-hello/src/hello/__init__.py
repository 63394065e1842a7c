"""hello: greet someone, politely, from a single-file Python application."""

__version__ = "1.0.0"


def greeting(name: str = "world", *, shout: bool = False) -> str:
    """The greeting for ``name``; upper-case when ``shout`` is true."""
    text = f"Hello, {name.strip() or 'world'}!"
    return text.upper() if shout else text
