"""How fast is `rebuildable validate`, against the least work any validator must do?

    python benchmarks/bench_validate.py                 # everything (~4.5 GB of reads)
    python benchmarks/bench_validate.py --skip-big      # start-up, small files, big manifests
    python benchmarks/bench_validate.py --big-size 256M # a lighter big-file run

Builds, under ``--dir`` (default ``benchmarks/work/``, git-ignored; reused between runs
when its parameters match):

* ``release/``: 2 files of 1 GiB plus 2,000 files of 1-64 KiB (random bytes), with a
  ``rebuild.yaml`` pinning each by SHA-256 and size, and a ``checksums.sha256`` beside
  the release (not inside it, so it is not an unlisted file);
* ``small/``: the 2,000 small files alone, as their own release;
* ``tiny/``: one small file, for start-up time;
* ``manifest-100k.json`` / ``manifest-100k.yaml``: 100,000 external (``uri``)
  artifacts and a step, so validation parses and checks but hashes nothing.

Then it times whole processes, in one run, on a warm page cache (every file is read
once before timing), each measurement repeated ``--repeat`` times (median reported):

(a) ``rebuildable validate`` on the release, (b) ``limit_hash.py`` (hashlib SHA-256 on a
2-thread pool, nothing else), (c) ``sha256sum -c`` (coreutils, one thread); and the
same on ``small/``; start-up on ``tiny/``; and the two 100k manifests.

Results go to stdout as a table and to ``--results`` (default
``benchmarks/results.json``). Every timed validate must exit 0 on the pristine release
and 1 once a byte is flipped (checked after timing), so a validator that skipped the
hashing could not look fast here.
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
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
KIB, MIB, GIB = 1 << 10, 1 << 20, 1 << 30
SEED = 20261126
LAYOUT_VERSION = 1


def parse_size(text: str) -> int:
    units = {"K": KIB, "M": MIB, "G": GIB}
    if text[-1:].upper() in units:
        return int(float(text[:-1]) * units[text[-1].upper()])
    return int(text)


# ------------------------------------------------------------------------ building


def _write_random(path: Path, size: int, rng: random.Random) -> str:
    h = hashlib.sha256()
    with path.open("wb") as fh:
        left = size
        while left:
            chunk = rng.randbytes(min(left, 8 * MIB))
            h.update(chunk)
            fh.write(chunk)
            left -= len(chunk)
    return h.hexdigest()


def _artifact_yaml(ident: str, path: str, digest: str, size: int) -> str:
    return (
        f"  - id: {ident}\n    path: {path}\n    kind: dataset\n"
        f'    digest: {{sha256: "{digest}"}}\n    size: {size}\n'
    )


def _write_release(root: Path, files: Sequence[tuple[str, str, int]], name: str) -> None:
    """A manifest for ``files`` (path, sha256, size) and a sha256sum file beside ``root``."""
    head = (
        f'spec: rebuildable/0.1\nname: {name}\nversion: "1"\nlicense: CC0-1.0\n'
        "profile: generic\nartifacts:\n"
    )
    body = "".join(
        _artifact_yaml(f"f{i:05d}", path, digest, size)
        for i, (path, digest, size) in enumerate(files)
    )
    (root / "rebuild.yaml").write_text(head + body, "utf-8")
    lines = "".join(f"{digest}  {root.name}/{path}\n" for path, digest, _ in files)
    (root.parent / f"{root.name}.sha256").write_text(lines, "utf-8")


def build(
    work: Path,
    *,
    big_size: int,
    big_count: int,
    small_count: int,
    skip_big: bool,
    manifest_n: int,
) -> None:
    params = {
        "layout": LAYOUT_VERSION,
        "big_size": big_size,
        "big_count": 0 if skip_big else big_count,
        "small_count": small_count,
        "manifest_artifacts": manifest_n,
    }
    stamp = work / "params.json"
    if stamp.is_file() and json.loads(stamp.read_text("utf-8")) == params:
        print(f"reusing {work}")
        return
    print(f"building {work} ...", flush=True)
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    rng = random.Random(SEED)  # test data, not secrets
    small_files: list[tuple[str, str, int]] = []
    small_root = work / "small"
    (small_root / "data").mkdir(parents=True)
    for i in range(small_count):
        size = rng.randint(1 * KIB, 64 * KIB)
        rel = f"data/{i // 100:02d}/part-{i:05d}.bin"
        (small_root / rel).parent.mkdir(exist_ok=True)
        small_files.append((rel, _write_random(small_root / rel, size, rng), size))
    _write_release(small_root, small_files, "bench-small")

    release = work / "release"
    release.mkdir()
    files = []
    if not skip_big:
        (release / "big").mkdir()
        for i in range(big_count):
            rel = f"big/shard-{i}.bin"
            print(f"  writing {rel} ({big_size / GIB:.2f} GiB)", flush=True)
            files.append((rel, _write_random(release / rel, big_size, rng), big_size))
    shutil.copytree(small_root / "data", release / "data")
    files.extend(small_files)
    _write_release(release, files, "bench-release")

    tiny = work / "tiny"
    tiny.mkdir()
    (tiny / "hello.txt").write_bytes(b"hello\n")
    _write_release(tiny, [("hello.txt", hashlib.sha256(b"hello\n").hexdigest(), 6)], "tiny")

    write_big_manifests(work, manifest_n)
    stamp.write_text(json.dumps(params), "utf-8")


def ensure_big_only(work: Path) -> Path | None:
    """``big/``: the two big files alone (hard links into ``release/``), as a release."""
    big = work / "big"
    source = work / "release.sha256"
    if big.exists() or not source.is_file():
        return big if big.exists() else None
    files = []
    for line in source.read_text("utf-8").splitlines():
        digest, _, name = line.partition("  ")
        rel = name.removeprefix("release/")
        if rel.startswith("big/"):
            (big / rel).parent.mkdir(parents=True, exist_ok=True)
            os.link(work / name, big / rel)
            files.append((rel, digest, (big / rel).stat().st_size))
    if not files:
        shutil.rmtree(big, ignore_errors=True)
        return None
    _write_release(big, files, "bench-big")
    return big


def write_big_manifests(work: Path, count: int) -> None:
    """100k external artifacts (uri + digest + size + licence) and one step using some."""
    artifacts: list[dict[str, Any]] = []
    for i in range(count):
        digest = hashlib.sha256(f"shard-{i}".encode()).hexdigest()
        artifacts.append(
            {
                "id": f"shard-{i:06d}",
                "uri": f"https://data.example.org/corpus/shard-{i:06d}.parquet",
                "kind": "dataset",
                "digest": {"sha256": digest},
                "size": 1_000_000 + i,
                "license": "CC-BY-4.0",
            }
        )
    artifacts.append(
        {
            "id": "model",
            "uri": "https://models.example.org/model.safetensors",
            "kind": "weights",
            "digest": {"sha256": hashlib.sha256(b"model").hexdigest()},
            "size": 42,
            "license": "Apache-2.0",
        }
    )
    inputs = [str(a["id"]) for a in artifacts[:1000]]
    steps = [{"id": "train", "run": "python train.py", "inputs": inputs, "outputs": ["model"]}]
    data = {
        "spec": "rebuildable/0.1",
        "name": "bench-100k",
        "version": "1",
        "license": "Apache-2.0",
        "artifacts": artifacts,
        "steps": steps,
    }
    folder = work / "manifest-100k-json"
    folder.mkdir()
    (folder / "rebuild.json").write_text(json.dumps(data, indent=1), "utf-8")
    # YAML written by hand in the block style people write (yaml.dump of 100k items is slow).
    lines = [
        "spec: rebuildable/0.1",
        "name: bench-100k",
        'version: "1"',
        "license: Apache-2.0",
        "artifacts:",
    ]
    for a in artifacts:
        lines += [
            f"  - id: {a['id']}",
            f"    uri: {a['uri']}",
            f"    kind: {a['kind']}",
            f'    digest: {{sha256: "{a["digest"]["sha256"]}"}}',
            f"    size: {a['size']}",
            f"    license: {a['license']}",
        ]
    lines += ["steps:", "  - id: train", "    run: python train.py", "    inputs:"]
    lines += [f"      - {ref}" for ref in inputs]
    lines += ["    outputs: [model]", ""]
    folder = work / "manifest-100k-yaml"
    folder.mkdir()
    (folder / "rebuild.yaml").write_text("\n".join(lines), "utf-8")


# ------------------------------------------------------------------------- timing


#: the environment of every timed process: as installed software runs, with byte-code
#: caching on (kept under the work folder), whatever PYTHONDONTWRITEBYTECODE says here
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run(cmd: Sequence[str], cwd: Path | None = None) -> tuple[float, int]:
    start = time.perf_counter()
    done = subprocess.run(
        cmd, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
    )
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        sys.stderr.write(done.stderr.decode(errors="replace"))
    return elapsed, done.returncode


def timed(label: str, cmd: Sequence[str], repeat: int, cwd: Path | None = None) -> dict[str, Any]:
    times = []
    for _ in range(repeat):
        elapsed, code = run(cmd, cwd)
        if code != 0:
            raise SystemExit(f"{label}: {' '.join(cmd)} exited {code}")
        times.append(elapsed)
    result = {
        "label": label,
        "command": list(cmd),
        "runs": times,
        "median": statistics.median(times),
        "min": min(times),
    }
    print(f"  {label:<44} median {result['median']:8.3f} s  (min {result['min']:.3f})", flush=True)
    return result


def warm(paths: Sequence[Path]) -> None:
    """Read every file once so each tool starts from the same warm page cache."""
    for root in paths:
        for path in root.rglob("*"):
            if path.is_file():
                with path.open("rb", buffering=0) as fh:
                    while fh.read(8 * MIB):
                        pass


def flip_check(rebuildable: Sequence[str], release: Path) -> bool:
    """validate must fail once one byte of one file changes (proves it hashed)."""
    name, _, size = _files(release)[-1]
    victim, at = release.parent / name, size // 2

    def flip() -> None:
        with victim.open("r+b") as fh:
            fh.seek(at)
            byte = fh.read(1)[0]
            fh.seek(at)
            fh.write(bytes([byte ^ 1]))

    flip()
    try:
        _, code = run([*rebuildable, "validate", str(release)])
    finally:
        flip()
    return code == 1


def time_model_signing(cli: Path, work: Path, name: str, repeat: int) -> dict[str, Any]:
    """Sign ``work/name`` once with a fresh P-256 key (untimed), then time verification."""
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415

    key = ec.generate_private_key(ec.SECP256R1())
    private, public = work / "peer-key.pem", work / "peer-key.pub"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    signature = work / f"{name}.model-signing.sig"
    root = str(work / name)
    sign = [str(cli), "sign", "key", root, "--private_key", str(private)]
    elapsed, code = run([*sign, "--signature", str(signature)])
    if code != 0:
        raise SystemExit(f"model_signing sign failed ({code})")
    verify = [str(cli), "verify", "key", root, "--public_key", str(public)]
    result = timed("model_signing verify key", [*verify, "--signature", str(signature)], repeat)
    result["sign_seconds"] = elapsed
    return result


def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    version = subprocess.run(
        [sys.executable, "-c", "import rebuildable; print(rebuildable.__version__)"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "rebuildable": version,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=HERE / "work")
    parser.add_argument("--results", type=Path, default=HERE / "results.json")
    parser.add_argument("--big-size", type=parse_size, default=GIB)
    parser.add_argument("--big-count", type=int, default=2)
    parser.add_argument("--small-count", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--manifest-artifacts", type=int, default=100_000)
    parser.add_argument(
        "--only",
        type=lambda text: set(text.split(",")),
        default=None,
        help="comma-separated subset of: release,big,small,manifests",
    )
    parser.add_argument(
        "--model-signing",
        type=Path,
        default=None,
        help="the OpenSSF model_signing CLI (e.g. a separate venv's bin/model_signing); "
        "when given, its 'verify key' is timed on the same files",
    )
    parser.add_argument("--skip-big", action="store_true", help="no big-file release")
    parser.add_argument("--workers", type=int, default=2, help="threads for both Python tools")
    args = parser.parse_args(argv)

    exe = Path(sys.executable).with_name("rebuildable")
    rebuildable = [str(exe)] if exe.exists() else [sys.executable, "-m", "rebuildable.cli"]
    validate = [*rebuildable, "validate", "--workers", str(args.workers)]
    limit = [sys.executable, str(HERE / "limit_hash.py"), "--workers", str(args.workers)]
    sha256sum = shutil.which("sha256sum")

    work: Path = args.dir.resolve()
    build(
        work,
        big_size=args.big_size,
        big_count=args.big_count,
        small_count=args.small_count,
        skip_big=args.skip_big,
        manifest_n=args.manifest_artifacts,
    )
    ENV["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    run([*validate, str(work / "tiny")])  # warm-up: writes the byte-code caches
    info = machine()
    results: dict[str, Any] = {
        "machine": info,
        "parameters": {
            k: str(v) if isinstance(v, Path) else sorted(v) if isinstance(v, set) else v
            for k, v in vars(args).items()
        },
        "measurements": {},
    }
    m = results["measurements"]
    sets = [("small", work / "small")]
    if not args.skip_big:
        sets.insert(0, ("release", work / "release"))
        big_only = ensure_big_only(work)
        if big_only is not None:
            sets.insert(1, ("big", big_only))
    if args.only:
        sets = [(n, r) for n, r in sets if n in args.only]
    for name, root in sets:
        total = sum(size for _, _, size in _files(root))
        count = len(_files(root))
        print(f"\n{name}: {count} files, {total / GIB:.3f} GiB", flush=True)
        warm([root])
        group: dict[str, Any] = {
            "files": count,
            "bytes": total,
            "validate": timed("rebuildable validate", [*validate, str(root)], args.repeat),
            "limit": timed(
                f"limit_hash.py ({args.workers} threads)",
                [*limit, str(work / f"{name}.sha256")],
                args.repeat,
            ),
        }
        if sha256sum:
            group["sha256sum"] = timed(
                "sha256sum -c",
                [sha256sum, "-c", "--quiet", f"{name}.sha256"],
                args.repeat,
                cwd=work,
            )
        if args.model_signing is not None:
            group["model_signing"] = time_model_signing(args.model_signing, work, name, args.repeat)
        group["detects_flipped_byte"] = flip_check(rebuildable, root)
        for tool in ("validate", "limit", "sha256sum", "model_signing"):
            if tool in group:
                group[tool]["gb_per_s"] = total / group[tool]["median"] / 1e9
        group["ratio_validate_to_limit"] = group["validate"]["median"] / group["limit"]["median"]
        m[name] = group

    if not args.only or "manifests" in args.only:
        print("\nstart-up and big manifests", flush=True)
        m["startup"] = {
            "python": timed("python -c pass", [sys.executable, "-c", "pass"], 9),
            "validate": timed(
                "rebuildable validate (1-file release)", [*validate, str(work / "tiny")], 9
            ),
        }
        m["manifest_100k_json"] = timed(
            "validate, 100k external artifacts (JSON)",
            [*validate, str(work / "manifest-100k-json")],
            args.repeat,
        )
        m["manifest_100k_yaml"] = timed(
            "validate, 100k external artifacts (YAML)",
            [*validate, str(work / "manifest-100k-yaml")],
            args.repeat,
        )

    print_table(results)
    args.results.write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    print(f"\nwrote {args.results}")
    return 0


def _files(root: Path) -> list[tuple[str, str, int]]:
    out = []
    for line in (root.parent / f"{root.name}.sha256").read_text("utf-8").splitlines():
        digest, _, name = line.partition("  ")
        out.append((name, digest, (root.parent / name).stat().st_size))
    return out


def print_table(results: dict[str, Any]) -> None:
    m, info = results["measurements"], results["machine"]
    print(f"\n{info['date']}  {info['cpu']}, {info['cores']} cores, Python {info['python']}")
    print(f"{'set':<10}{'tool':<24}{'median s':>10}{'GB/s':>8}{'vs limit':>10}")
    for name in ("release", "big", "small"):
        if name not in m:
            continue
        group = m[name]
        limit = group["limit"]["median"]
        for tool in ("validate", "limit", "sha256sum", "model_signing"):
            if tool in group:
                r = group[tool]
                print(
                    f"{name:<10}{tool:<24}{r['median']:>10.3f}{r['gb_per_s']:>8.2f}"
                    f"{r['median'] / limit:>9.2f}x"
                )
        print(f"{'':<10}detects a flipped byte: {group['detects_flipped_byte']}")
    if "startup" not in m:
        return
    s = m["startup"]
    print(
        f"start-up: validate {s['validate']['median'] * 1000:.0f} ms "
        f"(python alone {s['python']['median'] * 1000:.0f} ms)"
    )
    n = results["parameters"]["manifest_artifacts"]
    print(
        f"{n:,} external artifacts: JSON {m['manifest_100k_json']['median']:.2f} s, "
        f"YAML {m['manifest_100k_yaml']['median']:.2f} s"
    )


if __name__ == "__main__":
    sys.exit(main())
