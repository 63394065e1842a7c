"""The optional packages some policies need, imported when first used."""

from __future__ import annotations

from typing import Any

NUMPY_MISSING = "the numeric policy needs numpy: pip install 'rebuildable[numeric]'"
PILLOW_MISSING = "the image policy needs Pillow and numpy: pip install 'rebuildable[image]'"


def numpy_module() -> Any:
    try:
        import numpy  # noqa: PLC0415 - optional extra
    except ImportError:
        return None
    return numpy


def pillow_image() -> Any:
    try:
        from PIL import Image  # noqa: PLC0415 - optional extra
    except ImportError:
        return None
    return Image
