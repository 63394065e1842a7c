"""How fast is `rebuildable`, against the least work any tool must do and named peers?

    python benchmarks/bench_validate.py --only startup,manifests   # a few shapes
    python benchmarks/bench_validate.py                            # every shape (long)

Each shape is timed against its peer or limit in the same run, as whole processes, on a
warm page cache, ``--repeat`` times (median reported; start-up ``--startup-repeat``):

=============  ==========================================================================
shape          what is timed, and against what
=============  ==========================================================================
startup        ``rebuildable --version`` and ``validate`` of a one-file release, against
               ``python -c "import yaml, json"``
small10k       ``validate`` of 10,000 files of 4-64 KiB (manifest written by ``init``),
               with a release licence and without, against ``limit_hash.py`` and, when found,
               ``model_signing verify key`` (the folder signed once with a P-256 key)
init           ``init`` against ``validate`` on the same 10,000 files
cache          ``validate --cache`` warm against cold on the same files (skipped when
               this ``rebuildable`` has no ``--cache``)
small100k      ``validate`` of 100,000 such files against ``limit_hash.py``: linearity
               against small10k, and peak RSS
release        2 x 1 GiB + 2,000 files of 1-64 KiB against ``limit_hash.py`` (and
               ``sha256sum -c``); the only shape with big files
manifests      100,000 external (``uri``) artifacts, JSON and YAML, against
               ``json.load`` + jsonschema-rs validation of the same JSON document
million        1,000,000 external artifacts (YAML written by ``init --from-listing``,
               and JSON), validated through the API with the 128 MiB manifest bound
               raised: time and peak RSS, against the 100,000 of ``manifests``
=============  ==========================================================================

Inputs are built under ``--dir`` (default ``benchmarks/work/``, git-ignored), one folder
per shape, reused while the shape's parameters stay the same. Results go to stdout and
``--results`` (default ``benchmarks/results.json``). Every timed validate must exit 0,
and for file sets exit 1 once a byte of a file is flipped (so a validator that skipped
hashing could not look fast here). Timed processes run with byte-code caching on (under
the work folder), as installed software does.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
KIB, MIB, GIB = 1 << 10, 1 << 20, 1 << 30
SEED = 20261126
#: the first bytes of every small file (no format's magic number starts so)
SMALL_HEAD = b"RBLD"
#: the release licence of the file sets (init --license)
LICENCE = "CC0-1.0"
SHAPES = ("startup", "small10k", "init", "cache", "small100k", "release", "manifests",
          "million")

#: the environment of every timed process: byte-code caching on, whatever the caller has
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

#: validate through the API with the manifest size bound raised: the default bound
#: (128 MiB, spec/manifest.md LOAD-9) refuses a million entries, and the command line
#: has no option to raise it
VALIDATE_UNBOUNDED = """
import sys
from rebuildable import api
from rebuildable.load import Limits
from rebuildable.render import render
report = api.validate(sys.argv[1], api.Options(limits=Limits(max_bytes=1 << 31)))
sys.stdout.write(render(report, "text"))
sys.exit(0 if report.ok else 1)
"""

PEER_JSON = """
import json, sys
from importlib import resources
import jsonschema_rs
schema = json.loads(resources.files("rebuildable").joinpath(
    "schemas", "manifest.schema.json").read_text("utf-8"))
with open(sys.argv[1], "rb") as fh:
    data = json.load(fh)
sys.exit(0 if jsonschema_rs.validator_for(schema).is_valid(data) else 1)
"""


def parse_size(text: str) -> int:
    units = {"K": KIB, "M": MIB, "G": GIB}
    if text[-1:].upper() in units:
        return int(float(text[:-1]) * units[text[-1].upper()])
    return int(text)


# ------------------------------------------------------------------------- running


def run(cmd: Sequence[str], cwd: Path | None = None) -> tuple[float, int, int]:
    """(wall seconds, exit code, peak RSS in KiB) of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, proc.returncode, usage.ru_maxrss


def timed(label: str, cmd: Sequence[str], repeat: int, *, cwd: Path | None = None,
          ok: Sequence[int] = (0,), before: Callable[[], None] | None = None) -> dict[str, Any]:
    times, rss = [], []
    for _ in range(repeat):
        if before is not None:
            before()
        elapsed, code, peak = run(cmd, cwd)
        if code not in ok:
            raise SystemExit(f"{label}: {' '.join(cmd)} exited {code}")
        times.append(elapsed)
        rss.append(peak)
    result = {"label": label, "command": list(cmd), "runs": times,
              "median": statistics.median(times), "min": min(times),
              "peak_rss_mib": max(rss) / 1024}
    print(f"  {label:<52} median {result['median']:8.3f} s  (min {result['min']:.3f}, "
          f"RSS {result['peak_rss_mib']:.0f} MiB)", flush=True)
    return result


def warm(root: Path) -> None:
    """Read every file once so each tool starts from the same warm page cache."""
    for path in root.rglob("*"):
        if path.is_file():
            with path.open("rb", buffering=0) as fh:
                while fh.read(8 * MIB):
                    pass


def stamped(folder: Path, params: dict[str, Any], build: Callable[[Path], None]) -> Path:
    """``folder`` built by ``build`` unless it was built with the same ``params``."""
    stamp = folder.with_name(folder.name + ".params.json")
    if stamp.is_file() and json.loads(stamp.read_text("utf-8")) == params and folder.exists():
        print(f"reusing {folder}", flush=True)
        return folder
    print(f"building {folder} ...", flush=True)
    if folder.exists():
        shutil.rmtree(folder)
    in_child(build, folder)
    stamp.write_text(json.dumps(params), "utf-8")
    return folder


def in_child(build: Callable[[Path], None], folder: Path) -> None:
    """Run ``build`` in a forked child: Linux keeps a process's peak RSS across fork and
    exec, so a bench grown by building a million artifacts would pass its size on to
    every process it times."""
    pid = os.fork()
    if pid == 0:  # the child
        code = 1
        try:
            build(folder)
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"building {folder} failed")


# ------------------------------------------------------------------------ building


def write_random(path: Path, size: int, rng: random.Random, head: bytes = b"") -> str:
    h = hashlib.sha256(head)
    with path.open("wb") as fh:
        fh.write(head)
        left = size - len(head)
        while left:
            chunk = rng.randbytes(min(left, 8 * MIB))
            h.update(chunk)
            fh.write(chunk)
            left -= len(chunk)
    return h.hexdigest()


def write_files(root: Path, count: int, low: int, high: int, prefix: str = "data"
                ) -> list[tuple[str, str, int]]:
    """``count`` random files of ``low``..``high`` bytes, 100 per folder."""
    rng = random.Random(SEED)  # test data, not secrets
    files = []
    for i in range(count):
        size = rng.randint(low, high)
        rel = f"{prefix}/{i // 100:04d}/part-{i:06d}.bin"
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        # A fixed head: random bytes that began with a magic number ("MZ", 1 in 65,536)
        # would be sniffed as a damaged executable and make validate exit 1.
        files.append((rel, write_random(root / rel, size, rng, SMALL_HEAD), size))
    return files


def write_checksums(root: Path, files: Sequence[tuple[str, str, int]]) -> Path:
    """A sha256sum file beside ``root`` (not inside: it would be an unlisted file)."""
    out = root.with_name(root.name + ".sha256")
    out.write_text("".join(f"{d}  {root.name}/{p}\n" for p, d, _ in files), "utf-8")
    return out


def write_manifest(root: Path, files: Sequence[tuple[str, str, int]], name: str) -> None:
    head = (f'spec: rebuildable/0.1\nname: {name}\nversion: "1"\nlicense: CC0-1.0\n'
            "artifacts:\n")
    body = "".join(
        f"  - id: f{i:06d}\n    path: {p}\n    kind: dataset\n"
        f'    digest: {{sha256: "{d}"}}\n    size: {s}\n'
        for i, (p, d, s) in enumerate(files))
    (root / "rebuild.yaml").write_text(head + body, "utf-8")


def build_small(root: Path, count: int, rebuildable: Sequence[str], licence: str | None
                ) -> None:
    files = write_files(root, count, 4 * KIB, 64 * KIB)
    write_checksums(root, files)
    extra = ["--license", licence] if licence else []
    _, code, _ = run([*rebuildable, "init", "--force", *extra, str(root)])
    if code != 0:
        raise SystemExit(f"init {root} exited {code}")


def copy_release(source: Path, target: Path, licence: str | None,
                 rebuildable: Sequence[str]) -> None:
    """``target``: a copy of ``source``'s files (not hard links, which validate reports
    as ``path.hardlink``), with its own ``init`` manifest."""
    for path in source.rglob("*"):
        if path.is_file() and path.name != "rebuild.yaml":
            dest = target / path.relative_to(source)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)
    shutil.copy(source.with_name(source.name + ".sha256"),
                target.with_name(target.name + ".sha256"))
    text = target.with_name(target.name + ".sha256").read_text("utf-8")
    target.with_name(target.name + ".sha256").write_text(
        text.replace(f"  {source.name}/", f"  {target.name}/"), "utf-8")
    extra = ["--license", licence] if licence else []
    _, code, _ = run([*rebuildable, "init", "--force", *extra, str(target)])
    if code != 0:
        raise SystemExit(f"init {target} exited {code}")


def external_artifacts(count: int) -> list[dict[str, Any]]:
    return [{"id": f"shard-{i:07d}",
             "uri": f"https://data.example.org/corpus/shard-{i:07d}.parquet",
             "kind": "dataset",
             "digest": {"sha256": hashlib.sha256(f"shard-{i}".encode()).hexdigest()},
             "size": 1_000_000 + i, "license": "CC-BY-4.0"} for i in range(count)]


def write_external_manifests(folder: Path, count: int) -> None:
    """``count`` external artifacts and a step using 1,000 of them, as JSON and YAML."""
    artifacts = external_artifacts(count)
    artifacts.append({"id": "model", "uri": "https://models.example.org/model.safetensors",
                      "kind": "weights", "digest": {"sha256": hashlib.sha256(b"m").hexdigest()},
                      "size": 42, "license": "Apache-2.0"})
    inputs = [str(a["id"]) for a in artifacts[:1000]]
    data = {"spec": "rebuildable/0.1", "name": f"bench-{count}", "version": "1",
            "license": "Apache-2.0", "artifacts": artifacts,
            "steps": [{"id": "train", "run": "python train.py", "inputs": inputs,
                       "outputs": ["model"]}]}
    (folder / "json").mkdir(parents=True)
    (folder / "json" / "rebuild.json").write_text(json.dumps(data, indent=1), "utf-8")
    # YAML by hand, in the block style people write (yaml.dump of 100k items is slow)
    lines = ["spec: rebuildable/0.1", f"name: bench-{count}", 'version: "1"',
             "license: Apache-2.0", "artifacts:"]
    for a in artifacts:
        lines += [f"  - id: {a['id']}", f"    uri: {a['uri']}", f"    kind: {a['kind']}",
                  f'    digest: {{sha256: "{a["digest"]["sha256"]}"}}',
                  f"    size: {a['size']}", f"    license: {a['license']}"]
    lines += ["steps:", "  - id: train", "    run: python train.py", "    inputs:"]
    lines += [f"      - {ref}" for ref in inputs]
    lines += ["    outputs: [model]", ""]
    (folder / "yaml").mkdir()
    (folder / "yaml" / "rebuild.yaml").write_text("\n".join(lines), "utf-8")


def write_listing(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for a in external_artifacts(count):
            fh.write(f"{a['uri']}\t{a['size']}\t{a['digest']['sha256']}\n")


def flip_check(rebuildable: Sequence[str], root: Path) -> bool:
    """validate must fail once one byte of one file changes (proves it hashed)."""
    line = root.with_name(root.name + ".sha256").read_text("utf-8").splitlines()[-1]
    victim = root.parent / line.partition("  ")[2]
    at = victim.stat().st_size // 2

    def flip() -> None:
        with victim.open("r+b") as fh:
            fh.seek(at)
            byte = fh.read(1)[0]
            fh.seek(at)
            fh.write(bytes([byte ^ 1]))

    flip()
    try:
        _, code, _ = run([*rebuildable, "validate", str(root)])
    finally:
        flip()
    return code == 1


# -------------------------------------------------------------------------- shapes


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.work: Path = args.dir.resolve()
        self.work.mkdir(parents=True, exist_ok=True)
        exe = Path(sys.executable).with_name("rebuildable")
        self.rebuildable = [str(exe)] if exe.exists() else [
            sys.executable, "-c", "import sys; from rebuildable.cli import main; main()"]
        self.workers = ["--workers", str(args.workers)]
        self.limit = [sys.executable, str(HERE / "limit_hash.py"), *self.workers]
        self.results: dict[str, Any] = {}

    def validate(self, *extra: str) -> list[str]:
        return [*self.rebuildable, "validate", *self.workers, *extra]

    def small(self, name: str, count: int) -> Path:
        """``count`` files with an ``init`` manifest under a release licence."""
        return stamped(self.work / name, {"count": count, "sizes": [4 * KIB, 64 * KIB],
                                          "licence": LICENCE},
                       lambda root: build_small(root, count, self.rebuildable, LICENCE))

    def unlicensed(self, source: Path) -> Path:
        """A copy of ``source`` whose ``init`` manifest names no licence: every artifact
        is then reported as not open."""
        target = self.work / f"{source.name}-nolicence"
        return stamped(target, {"source": source.name, "count": self.args.small_count},
                       lambda root: copy_release(source, root, None, self.rebuildable))

    # ---- shapes

    def startup(self) -> dict[str, Any]:
        tiny = self.work / "tiny"

        def build(root: Path) -> None:
            root.mkdir(parents=True)
            (root / "hello.txt").write_bytes(b"hello\n")
            write_manifest(root, [("hello.txt", hashlib.sha256(b"hello\n").hexdigest(), 6)],
                           "tiny")

        stamped(tiny, {"files": 1}, build)
        n = self.args.startup_repeat
        return {
            "python": timed('python -c "import yaml, json"',
                            [sys.executable, "-c", "import yaml, json"], n),
            "version": timed("rebuildable --version", [*self.rebuildable, "--version"], n),
            "validate": timed("rebuildable validate (1-file release)",
                              self.validate(str(tiny)), n),
        }

    def small10k(self) -> dict[str, Any]:
        root = self.small("small10k", self.args.small_count)
        unlicensed = self.unlicensed(root)
        warm(root)
        warm(unlicensed)
        out = {
            "files": self.args.small_count,
            "validate": timed("validate (release licence)", self.validate(str(root)),
                              self.args.repeat),
            "validate_no_licence": timed("validate (no licence: 10,000 not-open findings)",
                                         self.validate(str(unlicensed)), self.args.repeat),
            "limit": timed("limit_hash.py", [*self.limit, f"{root}.sha256"], self.args.repeat),
        }
        peer = self.model_signing()
        if peer is not None:
            out["model_signing"] = self.time_model_signing(peer, root)
        out["detects_flipped_byte"] = flip_check(self.rebuildable, root)
        return out

    def init(self) -> dict[str, Any]:
        root = self.small("small10k", self.args.small_count)
        warm(root)
        # init writes rebuild.yaml again each run: the same draft, so validate is unchanged
        init = timed("init --force", [*self.rebuildable, "init", "--force", "--license",
                                      LICENCE, *self.workers, str(root)], self.args.repeat)
        return {"init": init,
                "validate": timed("validate (same folder)", self.validate(str(root)),
                                  self.args.repeat)}

    def cache(self) -> dict[str, Any] | None:
        help_text = subprocess.run([*self.rebuildable, "validate", "--help"], env=ENV,
                                   capture_output=True, text=True, check=False).stdout
        if "--cache" not in help_text:
            print("  (validate has no --cache: skipped)")
            return None
        root = self.small("small10k", self.args.small_count)
        cache_dir = self.work / "cache-dir"
        cmd = self.validate("--cache", "--cache-dir", str(cache_dir), str(root))
        warm(root)
        cold = timed("validate --cache (cold)", cmd, self.args.repeat,
                     before=lambda: shutil.rmtree(cache_dir, ignore_errors=True))
        run(cmd)
        return {"cold": cold, "warm": timed("validate --cache (warm)", cmd, self.args.repeat)}

    def small100k(self) -> dict[str, Any]:
        root = self.small("small100k", self.args.small_count * 10)
        warm(root)
        return {
            "files": self.args.small_count * 10,
            "validate": timed("validate", self.validate(str(root)), self.args.repeat),
            "limit": timed("limit_hash.py", [*self.limit, f"{root}.sha256"], self.args.repeat),
            "detects_flipped_byte": flip_check(self.rebuildable, root),
        }

    def release(self) -> dict[str, Any]:
        size, count = self.args.big_size, self.args.big_count

        def build(root: Path) -> None:
            rng = random.Random(SEED + 1)  # test data, not secrets
            (root / "big").mkdir(parents=True)
            files = [(f"big/shard-{i}.bin", write_random(root / f"big/shard-{i}.bin", size, rng),
                      size) for i in range(count)]
            files += write_files(root, 2000, 1 * KIB, 64 * KIB)
            write_checksums(root, files)
            write_manifest(root, files, "bench-release")

        root = stamped(self.work / "release", {"big": [count, size], "small": 2000}, build)
        warm(root)
        out = {
            "bytes": sum(p.stat().st_size for p in root.rglob("*") if p.is_file()),
            "validate": timed("validate", self.validate(str(root)), self.args.repeat),
            "limit": timed("limit_hash.py", [*self.limit, f"{root}.sha256"], self.args.repeat),
        }
        sha256sum = shutil.which("sha256sum")
        if sha256sum:
            out["sha256sum"] = timed("sha256sum -c", [sha256sum, "-c", "--quiet",
                                                      "release.sha256"], self.args.repeat,
                                     cwd=self.work)
        out["detects_flipped_byte"] = flip_check(self.rebuildable, root)
        return out

    def manifests(self) -> dict[str, Any]:
        n = self.args.manifest_artifacts
        folder = stamped(self.work / f"external-{n}", {"artifacts": n},
                         lambda f: write_external_manifests(f, n))
        warm(folder)
        return {
            "artifacts": n,
            "peer": timed("json.load + jsonschema-rs (same JSON)",
                          [sys.executable, "-c", PEER_JSON, str(folder / "json/rebuild.json")],
                          self.args.repeat),
            "json": timed("validate (JSON)", self.validate(str(folder / "json")),
                          self.args.repeat),
            "yaml": timed("validate (YAML)", self.validate(str(folder / "yaml")),
                          self.args.repeat),
        }

    def million(self) -> dict[str, Any]:
        n = self.args.million
        listing = self.work / f"listing-{n}.tsv"

        def build(folder: Path) -> None:
            write_external_manifests(folder, n)
            write_listing(listing, n)

        folder = stamped(self.work / f"external-{n}", {"artifacts": n}, build)
        drafted = folder / "from-listing"
        shutil.rmtree(drafted, ignore_errors=True)
        drafted.mkdir()
        init = timed("init --from-listing", [*self.rebuildable, "init", "--from-listing",
                                             str(listing), "--license", "CC-BY-4.0",
                                             str(drafted)], 1)
        warm(folder)
        repeat = self.args.million_repeat
        return {
            "artifacts": n,
            "init_from_listing": init,
            "peer": timed("json.load + jsonschema-rs (same JSON)",
                          [sys.executable, "-c", PEER_JSON, str(folder / "json/rebuild.json")],
                          repeat),
            "json": timed("api.validate, bound raised (JSON)",
                          [sys.executable, "-c", VALIDATE_UNBOUNDED, str(folder / "json")],
                          repeat),
            "yaml": timed("api.validate, bound raised (YAML, init --from-listing)",
                          [sys.executable, "-c", VALIDATE_UNBOUNDED, str(drafted)], repeat),
        }

    # ---- the peer

    def model_signing(self) -> Path | None:
        given: Path | None = self.args.model_signing
        if given is not None:
            return given
        found = shutil.which("model_signing") or Path(sys.executable).with_name("model_signing")
        path = Path(found)
        return path if path.exists() else None

    def time_model_signing(self, cli: Path, root: Path) -> dict[str, Any]:
        """Sign ``root`` once with a fresh P-256 key (untimed), then time verification."""
        from cryptography.hazmat.primitives import serialization  # noqa: PLC0415
        from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415

        key = ec.generate_private_key(ec.SECP256R1())
        private, public = self.work / "peer-key.pem", self.work / "peer-key.pub"
        private.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                              serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()))
        public.write_bytes(key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
        signature = self.work / f"{root.name}.model-signing.sig"
        signed, code, _ = run([str(cli), "sign", "key", str(root), "--private_key", str(private),
                               "--signature", str(signature)])
        if code != 0:
            raise SystemExit(f"model_signing sign failed ({code})")
        result = timed("model_signing verify key", [str(cli), "verify", "key", str(root),
                                                    "--public_key", str(public),
                                                    "--signature", str(signature)],
                       self.args.repeat)
        result["sign_seconds"] = signed
        return result


# ---------------------------------------------------------------------------- report


def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {"date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "cpu": cpu,
            "cores": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version(), "load_average_at_start": load}


def ratios(m: dict[str, Any]) -> list[tuple[str, float]]:
    """(what, ratio) rows: each shape against its peer or limit."""
    rows: list[tuple[str, float]] = []

    def add(what: str, shape: str, num: str, den: str) -> None:
        if shape in m and m[shape] and num in m[shape] and den in m[shape]:
            rows.append((what, m[shape][num]["median"] / m[shape][den]["median"]))

    add("start-up: --version / python -c 'import yaml, json'", "startup", "version", "python")
    add("start-up: validate 1 file / python -c 'import yaml, json'", "startup", "validate",
        "python")
    add("small10k: validate / limit", "small10k", "validate", "limit")
    add("small10k, no licence: validate / limit", "small10k", "validate_no_licence", "limit")
    add("small10k: validate / model_signing verify", "small10k", "validate", "model_signing")
    add("init / validate (small10k)", "init", "init", "validate")
    add("validate --cache warm / cold", "cache", "warm", "cold")
    add("small100k: validate / limit", "small100k", "validate", "limit")
    add("release: validate / limit", "release", "validate", "limit")
    add("100k external, JSON: validate / json.load+jsonschema-rs", "manifests", "json", "peer")
    add("100k external: YAML / JSON", "manifests", "yaml", "json")
    add("1M external, JSON: validate / json.load+jsonschema-rs", "million", "json", "peer")
    add("1M external: YAML / JSON", "million", "yaml", "json")
    if m.get("small10k") and m.get("small100k"):
        rows.append(("small100k / (10 x small10k), validate",
                     m["small100k"]["validate"]["median"]
                     / (10 * m["small10k"]["validate"]["median"])))
    if m.get("manifests") and m.get("million"):
        scale = m["million"]["artifacts"] / m["manifests"]["artifacts"]
        for fmt in ("json", "yaml"):
            rows.append((f"1M / ({scale:.0f} x 100k), validate {fmt.upper()}",
                         m["million"][fmt]["median"] / (scale * m["manifests"][fmt]["median"])))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--only", type=lambda t: [s for s in t.split(",") if s],
                        default=list(SHAPES), help=f"comma-separated: {','.join(SHAPES)}")
    parser.add_argument("--dir", type=Path, default=HERE / "work")
    parser.add_argument("--results", type=Path, default=HERE / "results.json")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--startup-repeat", type=int, default=20)
    parser.add_argument("--small-count", type=int, default=10_000,
                        help="files of small10k (small100k has ten times as many)")
    parser.add_argument("--big-size", type=parse_size, default=GIB)
    parser.add_argument("--big-count", type=int, default=2)
    parser.add_argument("--manifest-artifacts", type=int, default=100_000)
    parser.add_argument("--million", type=int, default=1_000_000)
    parser.add_argument("--million-repeat", type=int, default=1)
    parser.add_argument("--model-signing", type=Path, default=None,
                        help="the OpenSSF model_signing CLI (default: found beside Python)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    unknown = set(args.only) - set(SHAPES)
    if unknown:
        parser.error(f"unknown shapes: {', '.join(sorted(unknown))}")
    bench = Bench(args)
    ENV["PYTHONPYCACHEPREFIX"] = str(bench.work / "pycache")
    run([*bench.rebuildable, "--version"])  # writes the byte-code caches
    results: dict[str, Any] = {"machine": machine(), "parameters": {
        k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "measurements": {}}
    for shape in SHAPES:
        if shape in args.only:
            print(f"\n{shape}", flush=True)
            results["measurements"][shape] = getattr(bench, shape)()
    print(f"\n{results['machine']['date']}  {results['machine']['cpu']}, "
          f"load {results['machine']['load_average_at_start']}")
    for what, ratio in ratios(results["measurements"]):
        print(f"  {what:<62} {ratio:6.2f}x")
    args.results.write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    print(f"\nwrote {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
