"""Zip-based formats: Krita KRA, OpenRaster ORA, NumPy NPZ, PyTorch checkpoints, Java JAR,
Python wheels, OpenDocument, OOXML, and plain zip.

KRA and ORA begin with a STORED member ``mimetype`` holding ``application/x-krita`` or
``image/openraster``. Their layers are read from ``maindoc.xml`` (KRA: ``<layer>``
elements, through group layers' nested ``<layers>``) and ``stack.xml`` (ORA: ``<layer>``
elements, through nested ``<stack>``), parsed with defusedxml and capped in size. A file
whose ``mimetype`` is present but not first (or compressed) is still recognised, with a
warning: readers that check the first bytes will not know it.
"""

from __future__ import annotations

import io
import zipfile
from typing import IO, TYPE_CHECKING, Any

from rebuildable.formats._base import ENTRY_CAP, XML_CAP, FormatError, FormatInfo, Source
from rebuildable.formats.tensors import npy_header

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

_MIMES = {
    "application/x-krita": ("kra", "maindoc.xml"),
    "image/openraster": ("ora", "stack.xml"),
}
_NPY_CAP = 1000


def is_zipapp(head: bytes) -> bool:
    """A ``#!`` line directly followed by a zip (a Python zipapp, ``python -m zipapp``)."""
    if not head.startswith(b"#!"):
        return False
    end = head.find(b"\n")
    return 0 < end < 1024 and head[end + 1:end + 5] == b"PK\x03\x04"


def sniff(src: Source, head: bytes, name: str) -> FormatInfo:
    src.fh.seek(0)
    try:
        zf = zipfile.ZipFile(_Budgeted(src), "r")
    except zipfile.BadZipFile as exc:
        return FormatInfo(format="zip", family="archive",
                          problems=[f"not a readable zip: {exc}"])
    with zf:
        infos = zf.infolist()
        if len(infos) > ENTRY_CAP:
            return FormatInfo(format="zip", family="archive",
                              details={"members": len(infos)},
                              notes=[f"more than {ENTRY_CAP} members: contents not checked"])
        names = [i.filename for i in infos]
        details: dict[str, Any] = {"members": len(infos)}
        problems = _zip_problems(src, infos)
        mime_info = next((i for i in infos if i.filename == "mimetype"), None)
        if mime_info is not None and mime_info.file_size <= 256:
            mime = _read(zf, mime_info, 256).decode("ascii", "replace").strip()
            if mime in _MIMES:
                return _layered(zf, infos, mime, mime_info, details=details, problems=problems)
            if mime.startswith("application/vnd.oasis.opendocument."):
                details["mimetype"] = mime
                return FormatInfo(format="odf", family="document", details=details,
                                  problems=problems)
        if is_zipapp(head):
            details["interpreter"] = head[2:head.find(b"\n")].decode("utf-8", "replace")[:200]
            if "__main__.py" not in names:
                problems.append("a zipapp without __main__.py: there is nothing to run")
            return FormatInfo(format="zipapp", family="binary", details=details,
                              problems=problems)
        lower = name.lower()
        if names and all(n.endswith(".npy") for n in names) and (
                lower.endswith(".npz") or len(names) <= _NPY_CAP):
            return _npz(src, zf, infos, details, problems)
        if any(n.endswith("/data.pkl") or n == "data.pkl" for n in names):
            details["pickle"] = True
            return FormatInfo(format="pytorch", family="weights", details=details,
                              problems=problems)
        wheel = [n for n in names if n.count("/") == 1 and n.endswith(".dist-info/WHEEL")]
        if wheel:
            return _wheel(zf, wheel[0], details, problems)
        return _by_member_names(names, details, problems)


def _wheel(zf: zipfile.ZipFile, wheel: str, details: dict[str, Any],
           problems: list[str]) -> FormatInfo:
    """A wheel, by its ``*.dist-info/WHEEL`` file (``wheel``), which must say its version."""
    details["dist_info"] = wheel.partition("/")[0]
    text = _read(zf, zf.getinfo(wheel), 64 * 1024).decode("utf-8", "replace")
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("Wheel-Version", "Root-Is-Purelib"):
            details[key.strip().lower().replace("-", "_")] = value.strip()
    if "wheel_version" not in details:
        problems.append(f"{wheel} has no Wheel-Version")
    return FormatInfo(format="wheel", family="binary", details=details, problems=problems)


def _by_member_names(names: list[str], details: dict[str, Any],
                     problems: list[str]) -> FormatInfo:
    """Java archives, Office documents and Keras models, told apart by the members they
    hold; any other zip is just an archive."""
    if "META-INF/MANIFEST.MF" in names or any(n.endswith(".class") for n in names[:50]):
        fmt = "apk" if "AndroidManifest.xml" in names else "jar"
        return FormatInfo(format=fmt, family="binary", details=details, problems=problems)
    if "[Content_Types].xml" in names:
        return FormatInfo(format="ooxml", family="document", details=details,
                          problems=problems)
    if "keras_version" in names or ("config.json" in names and "model.weights.h5" in names):
        return FormatInfo(format="keras", family="weights", details=details,
                          problems=problems)
    return FormatInfo(format="zip", family="archive", details=details, problems=problems)


class _Budgeted:
    """A file-like view of a :class:`Source` that charges reads against its budget."""

    def __init__(self, src: Source) -> None:
        self.src = src
        self.pos = 0

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence == 0:
            self.pos = offset
        elif whence == 1:
            self.pos += offset
        else:
            self.pos = self.src.size + offset
        if self.pos < 0:
            raise OSError("seek before the start of the file")
        return self.pos

    def tell(self) -> int:
        return self.pos

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = self.src.size - self.pos
        data = self.src.read_upto(self.pos, n)
        self.pos += len(data)
        return data

    def close(self) -> None:
        pass


def _zip_problems(src: Source, infos: list[zipfile.ZipInfo]) -> list[str]:
    problems: list[str] = []
    for info in infos:
        if info.header_offset + 30 > src.size:
            problems.append(f"member {info.filename!r} starts past the end of the file")
            break
    return problems


def _read(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes:
    with zf.open(info) as fh:
        return _bounded(fh, cap)


def _bounded(fh: IO[bytes], cap: int) -> bytes:
    data = fh.read(cap + 1)
    if len(data) > cap:
        raise FormatError(f"member is larger than {cap} bytes")
    return data


def _layered(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], mime: str,
             mime_info: zipfile.ZipInfo, *, details: dict[str, Any],
             problems: list[str]) -> FormatInfo:
    fmt, doc_name = _MIMES[mime]
    warnings: list[str] = []
    details["mimetype"] = mime
    if infos[0] is not mime_info:
        position = infos.index(mime_info) + 1
        warnings.append(f"the 'mimetype' member is entry {position} of {len(infos)}, not the "
                        f"first: the file does not conform to the {fmt.upper()} container rules")
    elif mime_info.compress_type != zipfile.ZIP_STORED:
        warnings.append("the 'mimetype' member is compressed; the container rules require "
                        "it to be stored")
    try:
        doc = zf.getinfo(doc_name)
    except KeyError:
        problems.append(f"no {doc_name} member: the layer stack is missing")
        return FormatInfo(format=fmt, family="layered-image", layered=True, details=details,
                          problems=problems, warnings=warnings)
    if doc.file_size > XML_CAP:
        return FormatInfo(format=fmt, family="layered-image", layered=True, details=details,
                          problems=problems, warnings=warnings,
                          notes=[f"{doc_name} is larger than {XML_CAP} bytes: layers not counted"])
    # the XML stack is imported by the first layered project, not by every start
    import defusedxml.ElementTree as SafeET  # noqa: PLC0415
    from defusedxml import DefusedXmlException  # noqa: PLC0415

    try:
        root = SafeET.fromstring(_read(zf, doc, XML_CAP))
    except (SafeET.ParseError, DefusedXmlException) as exc:
        problems.append(f"{doc_name} is not well-formed, safe XML: {exc}")
        return FormatInfo(format=fmt, family="layered-image", layered=True, details=details,
                          problems=problems, warnings=warnings)
    if fmt == "kra":
        layers = _kra(root, details, problems)
        details["merged_image"] = "mergedimage.png" in {i.filename for i in infos}
    else:
        layers = _ora(root, details, problems)
        members = {i.filename for i in infos}
        details["merged_image"] = "mergedimage.png" in members
        missing = [src for src in details.pop("_sources", []) if src not in members]
        if missing:
            problems.append(f"stack.xml names {len(missing)} layer file(s) that the zip does "
                            f"not hold, e.g. {missing[0]!r}")
    details.pop("_sources", None)
    return FormatInfo(format=fmt, family="layered-image", layered=True, layers=layers,
                      details=details, problems=problems, warnings=warnings)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _kra(root: Element, details: dict[str, Any], problems: list[str]) -> int | None:
    image = next((e for e in root.iter() if _local(e.tag) == "IMAGE"), None)
    if _local(root.tag) != "DOC" or image is None:
        problems.append("maindoc.xml has no <DOC><IMAGE> element")
        return None
    for attr in ("width", "height"):
        value = image.get(attr)
        if value is not None and value.isdigit():
            details[attr] = int(value)
    if image.get("colorspacename"):
        details["colorspace"] = image.get("colorspacename")
    if root.get("editor"):
        details["editor"] = "krita"
        details["software"] = (root.get("editor") or "")[:100]
    if root.get("kritaVersion"):
        details["krita_version"] = root.get("kritaVersion")
    top = next((c for c in image if _local(c.tag) == "layers"), None)
    layers = groups = 0
    stack = [top] if top is not None else []
    while stack:
        node = stack.pop()
        for child in node:
            if _local(child.tag) != "layer":
                continue
            layers += 1
            if child.get("nodetype") == "grouplayer":
                groups += 1
            stack.extend(c for c in child if _local(c.tag) == "layers")
    details["groups"] = groups
    return layers


def _ora(root: Element, details: dict[str, Any], problems: list[str]) -> int | None:
    if _local(root.tag) != "image":
        problems.append("stack.xml's root element is not <image>")
        return None
    for key, attr in (("width", "w"), ("height", "h")):
        value = root.get(attr)
        if value is not None and value.isdigit():
            details[key] = int(value)
    if root.get("version"):
        details["ora_version"] = root.get("version")
    top = [c for c in root if _local(c.tag) == "stack"]
    if len(top) != 1:
        problems.append(f"stack.xml's <image> holds {len(top)} root <stack> elements "
                        f"(exactly one required)")
    layers = stacks = 0
    sources: list[str] = []
    nodes = list(top)
    while nodes:
        node = nodes.pop()
        for child in node:
            tag = _local(child.tag)
            if tag == "layer":
                layers += 1
                src = child.get("src")
                if src:
                    sources.append(src)
            elif tag == "stack":
                stacks += 1
                nodes.append(child)
    if any(_local(e.tag) == "layer" for e in root.iter()) and \
            "mypaint" in "".join(root.attrib.keys()).lower():
        details["editor"] = "mypaint"
    details["groups"] = stacks
    details["_sources"] = sources
    return layers


def _npz(src: Source, zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo],
         details: dict[str, Any], problems: list[str]) -> FormatInfo:
    details["arrays"] = len(infos)
    pickle = False
    for info in infos[:_NPY_CAP]:
        with zf.open(info) as fh:
            head = fh.read(64 * 1024 + 16)
        sub = Source(io.BytesIO(head), len(head))
        one = npy_header(sub, 0, info.file_size, "npz")
        # npy_header compares the data end with `size`: a member read in part is fine
        for problem in one.problems:
            problems.append(f"{info.filename}: {problem}")
        pickle = pickle or bool(one.details.get("pickle"))
        if len(problems) >= 20:
            break
    if pickle:
        details["pickle"] = True
    return FormatInfo(format="npz", family="weights", details=details, problems=problems)
