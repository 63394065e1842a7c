"""The pieces profiles are made of: a :class:`View` of the release's step graph, a
:class:`Rule` (one labelled requirement of ``spec/profiles.md``) and a :class:`Profile`
(a named, ordered set of rules that may include another profile's rules)."""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from rebuildable.context import Context
from rebuildable.errors import MemberError
from rebuildable.findings import Finding, finding
from rebuildable.graph import StepGraph
from rebuildable.kinds import contradicted_family, editable_family
from rebuildable.model import Artifact, Manifest, Step, split_ref
from rebuildable.profiles.python_commands import python_command

#: families of formats, as :mod:`rebuildable.formats` names them
BINARY, WEIGHTS, RASTER, LAYERED, VECTOR = (
    "binary", "weights", "raster-image", "layered-image", "vector-image")

#: what an artifact's declared kind says it is
KIND_FAMILY = {
    "binary": BINARY,
    "weights": WEIGHTS, "adapter": WEIGHTS, "tokenizer": WEIGHTS, "checkpoint": WEIGHTS,
    "raster-image": RASTER, "layered-image": LAYERED, "vector-image": VECTOR,
}
#: kinds that say nothing about the bytes, so that sniffing may tell
VAGUE_KINDS = frozenset({None, "", "other"})

#: used only when :mod:`rebuildable.formats` is unavailable or recognised nothing
EXTENSION_FAMILY = {
    **dict.fromkeys((".exe", ".dll", ".so", ".dylib", ".o", ".a", ".lib", ".obj", ".jar",
                     ".whl", ".egg", ".pyc", ".pyo", ".class", ".wasm", ".elf", ".bin"),
                    BINARY),
    **dict.fromkeys((".safetensors", ".gguf", ".ggml", ".pt", ".pth", ".ckpt", ".onnx",
                     ".h5", ".keras", ".tflite", ".pb"), WEIGHTS),
    **dict.fromkeys((".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff",
                     ".avif", ".heic"), RASTER),
    **dict.fromkeys((".psd", ".psb", ".xcf", ".kra", ".ora", ".afphoto", ".clip",
                     ".procreate"), LAYERED),
    **dict.fromkeys((".svg", ".svgz", ".ai", ".eps"), VECTOR),
}


@dataclass
class View:
    """The release as profiles see it: artifacts by id, which step makes what, the
    transitive inputs of each step, and what each artifact's bytes are."""

    ctx: Context
    manifest: Manifest = field(init=False)
    index: Mapping[str, Artifact] = field(init=False)
    graph: StepGraph = field(init=False)
    producers: dict[str, Step] = field(init=False)
    _sniffed: dict[str, Any] = field(default_factory=dict, init=False)
    #: True when rebuildable.formats could not be used (kinds and extensions only)
    sniffing_unavailable: bool = field(default=False, init=False)
    #: artifacts a step lists as outputs by their path (see sources())
    _outputs_by_path: frozenset[str] | None = field(default=None, init=False)
    # Per step: rules ask about each output, and one step may make 10,000 of them from a
    # closure of 10,000 inputs; answering once per step keeps that linear.
    _kinds_by_step: dict[str, dict[str, list[str]]] = field(default_factory=dict, init=False)
    _families_by_step: dict[str, frozenset[str]] = field(default_factory=dict, init=False)
    _pins_by_step: dict[str, dict[tuple[str, str], list[str]]] = field(default_factory=dict,
                                                                     init=False)

    def __post_init__(self) -> None:
        self.manifest = self.ctx.manifest
        self.index = self.manifest.artifact_index()
        self.graph = StepGraph(self.manifest)
        self.producers = dict(self.graph.producers)

    # -- the step graph ----------------------------------------------------------------

    def is_output(self, ident: str) -> bool:
        return ident in self.producers

    def sources(self) -> Iterator[Artifact]:
        """The artifacts no step makes, less those a step lists as an output by path
        instead of id: ``refs.dangling-output`` already names that mistake and the id
        meant, and "weights declared as a source" would send the user the wrong way."""
        meant = self._outputs_by_path
        if meant is None:
            by_path = {a.path: a.id for a in self.index.values() if a.path}
            meant = self._outputs_by_path = frozenset(
                by_path[ref] for step in self.manifest.steps for ref in step.outputs
                if ref not in self.index and ref in by_path)
        return (a for a in self.index.values()
                if a.id not in self.producers and a.id not in meant)

    def outputs(self) -> Iterator[tuple[Artifact, Step]]:
        return ((a, self.producers[a.id]) for a in self.index.values() if a.id in self.producers)

    def closure(self, step: Step) -> frozenset[str]:
        """Every artifact reference the step depends on, directly or through the steps
        that made its inputs (``UP:ART`` references included, not followed further)."""
        return self.graph.closure(step)

    def kind_of_ref(self, ref: str) -> str | None:
        """The declared kind of a local artifact or of an upstream's artifact."""
        up, name = split_ref(ref)
        if up is None:
            art = self.index.get(name)
            return art.kind if art else None
        resolved = (self.ctx.state.upstream or {}).get(up)
        art = resolved.artifact(name) if resolved is not None else None
        return art.kind if art is not None else None

    def closure_kinds(self, step: Step) -> Mapping[str, list[str]]:
        """kind -> the refs of that kind the step depends on (shared: do not change it)."""
        out = self._kinds_by_step.get(step.id)
        if out is None:
            out = self._kinds_by_step[step.id] = {}
            for ref in sorted(self.closure(step)):
                kind = self.kind_of_ref(ref)
                if kind:
                    out.setdefault(kind, []).append(ref)
        return out

    def closure_families(self, step: Step) -> frozenset[str]:
        fams = self._families_by_step.get(step.id)
        if fams is None:
            found: set[str] = set()
            for ref in self.closure(step):
                up, name = split_ref(ref)
                if up is None and name in self.index:
                    fam = self.family(self.index[name])
                else:
                    fam = KIND_FAMILY.get(self.kind_of_ref(ref) or "")
                if fam:
                    found.add(fam)
            fams = self._families_by_step[step.id] = frozenset(found)
        return fams

    def closure_pins(self, step: Step) -> Mapping[tuple[str, str], list[str]]:
        """(algorithm, digest) -> the refs of the step's closure pinned by it, sorted."""
        pins = self._pins_by_step.get(step.id)
        if pins is None:
            pins = self._pins_by_step[step.id] = {}
            for ref in sorted(self.closure(step)):
                for pin in _ref_digest(self, ref).items():
                    pins.setdefault(pin, []).append(ref)
        return pins

    # -- what the bytes are ------------------------------------------------------------

    def format_info(self, art: Artifact) -> Any:
        """The :class:`rebuildable.formats.FormatInfo` of a shipped artifact, or None."""
        if art.path is None or not self.ctx.options.hash_files:
            return None  # a structure-only run reads no file content: extensions only
        cached = self.ctx.state.formats
        if cached is not None and art.path in cached:
            return cached[art.path]
        if art.path in self._sniffed:
            return self._sniffed[art.path]
        info = None
        try:
            from rebuildable import formats  # noqa: PLC0415 - optional at import time
        except ImportError:
            self.sniffing_unavailable = True
        else:
            entry = self.ctx.release.entries().get(art.path)
            if entry is not None:
                path = art.path
                info = formats.sniff(lambda: self._open(path), posixpath.basename(path),
                                     entry.size)
        self._sniffed[art.path] = info
        return info

    def _open(self, path: str) -> Any:
        try:
            return self.ctx.release.open(path)
        except MemberError as exc:
            raise OSError(exc.message) from exc

    def family(self, art: Artifact) -> str | None:
        """What the artifact is: its declared kind when that says, else its sniffed
        format family, else its file extension."""
        declared = KIND_FAMILY.get(art.kind or "")
        if declared in (LAYERED, VECTOR):
            # an editable kind the bytes deny (a flat PSD, an SVG wrapping a PNG, a zip
            # of PNGs named .ora) is no layered or vector source for the artwork rules
            return editable_family(declared, self.format_info(art))
        if declared is not None:
            return declared
        if art.kind not in VAGUE_KINDS:
            # A kind the bytes contradict beyond doubt (content.kind-contradicted) does not
            # hide what the file is: weights declared `dataset` are still weights.
            return contradicted_family(art.kind, self.format_info(art))
        info = self.format_info(art)
        fam = getattr(info, "family", None)
        if isinstance(fam, str):
            return fam
        name = art.path or art.uri or ""
        return EXTENSION_FAMILY.get(posixpath.splitext(name.lower())[1])

    def editor(self, art: Artifact) -> str | None:
        """The layered editor named in a raster's metadata (Photoshop, GIMP, Krita...)."""
        info = self.format_info(art)
        if info is None:
            return None
        try:
            from rebuildable.formats import LAYERED_EDITORS, editor_of  # noqa: PLC0415
        except ImportError:
            return None
        name = editor_of(info)
        return name if name in LAYERED_EDITORS else None

    # -- findings ---------------------------------------------------------------------

    def at_artifact(self, art: Artifact, field_name: str | None = None) -> Any:
        return self.ctx.locate(f"{art.pointer}/{field_name}" if field_name else art.pointer)

    def at_step(self, step: Step, field_name: str | None = None) -> Any:
        return self.ctx.locate(f"{step.pointer}/{field_name}" if field_name else step.pointer)


RuleFunc = Callable[[View, "Rule"], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    """One requirement of ``spec/profiles.md``: its label (``SW-1``), what it says,
    and the function that checks it."""

    label: str
    summary: str
    run: RuleFunc

    def __call__(self, view: View) -> Iterator[Finding]:
        for f in self.run(view, self):
            data = {"requirement": self.label, **f.data}
            yield Finding(code=f.code, severity=f.severity, message=f.message,
                          artifact=f.artifact, step=f.step, upstream=f.upstream,
                          location=f.location, hint=f.hint, data=data)


@dataclass(frozen=True)
class Profile:
    """A kind of work: a name, a title and the rules its releases must meet."""

    name: str
    title: str
    rules: tuple[Rule, ...] = ()

    def including(self, name: str, title: str, *rules: Rule) -> Profile:
        """A new profile made of this one's rules followed by ``rules``."""
        return Profile(name, title, (*self.rules, *rules))

    def check(self, view: View) -> Iterator[Finding]:
        for rule in self.rules:
            yield from rule(view)


def rule(label: str, summary: str) -> Callable[[RuleFunc], Rule]:
    """Decorator: turn a checking function into a labelled :class:`Rule`."""
    def wrap(func: RuleFunc) -> Rule:
        return Rule(label, summary, func)
    return wrap


def runs_python(step: Step) -> str | None:
    """The command word by which the step's ``run`` or ``replay`` runs Python ([PY-1])."""
    return python_command(step.run) or python_command(step.replay)


@rule("PY-1", "a step that runs Python SHOULD name its environment")
def python_environment(view: View, r: Rule) -> Iterator[Finding]:
    for step in view.manifest.steps:
        if step.environment:
            continue
        word = python_command(step.run)
        field_name = "run"
        if word is None:
            word, field_name = python_command(step.replay), "replay"
        if word is None:
            continue
        unnamed = [ref for ref in step.inputs if view.kind_of_ref(ref) == "environment"]
        hint = (f"{', '.join(repr(u) for u in unnamed)} (kind environment) is only an input: "
                "name it in the step's 'environment' so that a rebuild builds it first."
                if unnamed else None)
        yield finding("profile.python-without-environment",
                      f"step {step.id!r} runs Python ({word!r} in its {field_name}) but names "
                      "no environment: which interpreter and packages it needs is not pinned",
                      step=step.id, location=view.at_step(step, field_name), hint=hint,
                      data={"command": word})


def environment_rule(label: str, what: str, families: frozenset[str], *,
                     python_rule: bool = False) -> Rule:
    """SHOULD: a step that makes outputs of ``families`` names the environment it ran in.
    With ``python_rule`` (the profile also has [PY-1]), a step that runs Python is left
    to [PY-1], whose warning says more."""
    def run(view: View, r: Rule) -> Iterator[Finding]:
        flagged: set[str] = set()
        for art, step in view.outputs():
            if step.id in flagged or step.environment or (python_rule and runs_python(step)):
                continue
            if view.family(art) in families or art.kind in families:
                flagged.add(step.id)
                yield finding("profile.environment-not-pinned",
                              f"step {step.id!r} {what} {art.id!r} but names no environment "
                              "(lockfile, toolchain or container artifact)",
                              step=step.id, artifact=art.id, location=view.at_step(step))
    return Rule(label, f"steps that {what} outputs SHOULD name their environment", run)


#: outputs whose making the profiles' rules are about: what a copy must not pass for
_MADE_FAMILIES = frozenset({BINARY, WEIGHTS, RASTER})
_MADE_KINDS = frozenset({"dataset", "shard-index"})


def _ref_digest(view: View, ref: str) -> dict[str, str]:
    """The strong pins of a local or upstream artifact (empty when unknown)."""
    from rebuildable.digest import pinned_digests  # noqa: PLC0415 - hashing stack

    up, name = split_ref(ref)
    if up is None:
        art = view.index.get(name)
    else:
        resolved = (view.ctx.state.upstream or {}).get(up)
        art = resolved.artifact(name) if resolved is not None else None
    return pinned_digests(art.digest) if art is not None else {}


@rule("PRO-4", "a made output MUST NOT be a byte copy of something its step consumes")
def output_copies_input(view: View, r: Rule) -> Iterator[Finding]:
    for art, step in view.outputs():
        if art.kind not in _MADE_KINDS and view.family(art) not in _MADE_FAMILIES:
            continue
        mine = _ref_digest(view, art.id)
        if not mine:
            continue
        pins = view.closure_pins(step)
        copied = {ref for pin in mine.items() for ref in pins.get(pin, ()) if ref != art.id}
        if not copied:
            continue
        ref = min(copied)  # the first in ref order, as a scan of the closure would find it
        yield finding("profile.output-copies-input",
                      f"{art.name} is made by step {step.id!r} but has the same bytes as "
                      f"{ref!r}, which the step consumes: a copy is not made from source, "
                      "so nothing shows how it was made",
                      artifact=art.id, step=step.id, location=view.at_artifact(art, "digest"),
                      hint=f"ship {ref!r} as what it is, or make {art.id!r} from its real "
                           "source",
                      data={"copy-of": ref})
