"""The benchmark runner: `python -m bench [GROUP ...] [--list] [--notes] [--no-write]`.

Every group (a module `bench/<group>.py` with `run() -> list[dict]`) runs in a fresh Python process
of its own, so that one group's memory, threads or crash cannot change another's figures. The
runner prints one table (name, value, unit, ratio to the baseline when there is one, and the
command that reproduces the figure) and writes `bench/results.json` atomically; running some
groups only replaces those groups' entries and keeps the others.

A group that fails (raises, crashes, times out, returns malformed rows) becomes one error row;
the runner carries on with the next group and exits 1 at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import os
import pkgutil
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "results.json"
REQUIRED: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "value": (int, float),
    "unit": str,
    "command": str,
    "note": str,
}
TIMEOUT_S = float(os.environ.get("TRTUI_BENCH_TIMEOUT", "1800"))


def discover() -> list[str]:
    """The group modules present in bench/ (every `bench/<name>.py` not starting with `_`)."""
    return sorted(
        m.name for m in pkgutil.iter_modules([str(BENCH_DIR)]) if not m.name.startswith("_") and not m.ispkg
    )


def validate(rows: object, group: str) -> list[dict[str, Any]]:
    """The rows of a group, checked; raises ValueError naming what is wrong."""
    if not isinstance(rows, list):
        raise ValueError(f"run() returned {type(rows).__name__}, not a list of dicts")
    out: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise ValueError(f"row {i} is {type(row).__name__}, not a dict")
        for key, kind in REQUIRED.items():
            if not isinstance(row.get(key), kind) or isinstance(row.get(key), bool):
                raise ValueError(f"row {i} ({row.get('name', '?')}): '{key}' missing or not {kind}")
        for key in ("ratio", "baseline"):
            if key in row and row[key] is not None and not isinstance(row[key], (int, float, str)):
                raise ValueError(f"row {i} ({row['name']}): '{key}' has the wrong type")
        out.append(row)
    return out


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def error_row(group: str, message: str) -> dict[str, Any]:
    return {
        "name": f"{group}: FAILED",
        "value": float("nan"),
        "unit": "",
        "command": f"python -m bench {group}",
        "note": message,
        "error": message,
    }


# -- running one group (in its own process) ---------------------------------------------------------


def _worker(group: str, out_path: str) -> int:
    """Child process: import and run one group, write its rows (or its error) as JSON."""
    import importlib
    import traceback

    sys.path.insert(0, str(BENCH_DIR.parent))
    try:
        module = importlib.import_module(f"bench.{group}")
        rows = validate(module.run(), group)
        result: dict[str, Any] = {"rows": _json_safe(rows)}
    except BaseException as err:  # reported as an error row by the parent
        frames = traceback.extract_tb(err.__traceback__) if err.__traceback__ else []
        places = [f"{Path(f.filename).name}:{f.lineno}" for f in frames[-1:]]
        ours = [f for f in frames if Path(f.filename).parent == BENCH_DIR and f is not frames[-1]]
        places += [f"from {Path(f.filename).name}:{f.lineno}" for f in ours[-1:]]
        where = f" ({', '.join(places)})" if places else ""
        result = {"error": f"{type(err).__name__}: {err}{where}".replace("\n", " ")}
    Path(out_path).write_text(json.dumps(result, allow_nan=False), encoding="utf-8")
    return 0


def run_group(group: str, timeout_s: float = TIMEOUT_S) -> tuple[list[dict[str, Any]], float]:
    """Run one group in a child process; returns (rows, seconds). Never raises for a group's fault."""
    fd, out_path = tempfile.mkstemp(prefix=f"trtui-bench-{group}.", suffix=".json")
    os.close(fd)
    t0 = time.monotonic()
    try:
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "bench", "--_worker", group, out_path],
                cwd=BENCH_DIR.parent,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout_s,
            )
        except subprocess.TimeoutExpired:
            return [error_row(group, f"timed out after {timeout_s:.0f} s")], time.monotonic() - t0
        took = time.monotonic() - t0
        text = Path(out_path).read_text(encoding="utf-8")
        if not text:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            return [error_row(group, f"the group's process died (exit {proc.returncode}): {tail[0]}")], took
        result = json.loads(text)
        if "error" in result:
            return [error_row(group, result["error"])], took
        return list(result["rows"]), took
    finally:
        with contextlib.suppress(OSError):
            os.unlink(out_path)


# -- output -----------------------------------------------------------------------------------------


def fmt_value(value: float | None) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    v = float(value)
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 10_000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.3f}"
    return f"{v:.4g}"


def fmt_ratio(row: dict[str, Any]) -> str:
    ratio = row.get("ratio")
    if not isinstance(ratio, (int, float)) or isinstance(ratio, bool) or not math.isfinite(ratio):
        return ""
    return f"x{ratio:.3g}"


HEADER = ("benchmark", "value", "unit", "ratio", "reproduce with")


def format_rows(rows: list[dict[str, Any]], notes: bool = False) -> list[str]:
    cells = [
        (str(r["name"]), fmt_value(r.get("value")), str(r.get("unit", "")), fmt_ratio(r), str(r["command"]))
        for r in rows
    ]
    widths = [max(len(c[i]) for c in [HEADER, *cells]) for i in range(len(HEADER))]

    def line(c: tuple[str, ...]) -> str:
        return (
            f"{c[0]:<{widths[0]}}  {c[1]:>{widths[1]}}  {c[2]:<{widths[2]}}  {c[3]:>{widths[3]}}  {c[4]}"
        ).rstrip()

    out = [line(HEADER), line(tuple("-" * w for w in widths))]
    for row, c in zip(rows, cells, strict=True):
        out.append(line(c))
        if row.get("error"):
            out.append(f"    error: {row['error']}")
        elif notes and row.get("note"):
            out.append(f"    {row['note']}")
    return out


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
    }


def write_results(groups: dict[str, dict[str, Any]], path: Path = RESULTS) -> None:
    """Merge these groups into results.json (atomically: temp file beside it, then os.replace)."""
    old: dict[str, Any] = {}
    with contextlib.suppress(OSError, ValueError):
        loaded = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(loaded, dict) and isinstance(loaded.get("groups"), dict):
            old = loaded["groups"]
    merged = {**old, **groups}
    doc = {
        "written": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "groups": dict(sorted(merged.items())),
    }
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(_json_safe(doc), fh, indent=2, allow_nan=False)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# -- command line -----------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:
        print(f"bench: error: {message} (see 'python -m bench --help')", file=sys.stderr)
        raise SystemExit(2)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) == 3 and argv[0] == "--_worker":
        return _worker(argv[1], argv[2])
    available = discover()
    parser = _Parser(
        prog="python -m bench",
        description="Measure trtui. Groups: " + (", ".join(available) or "(none found)"),
    )
    parser.add_argument("groups", nargs="*", metavar="GROUP", help="groups to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the groups and exit")
    parser.add_argument("--notes", action="store_true", help="print each figure's note under it")
    parser.add_argument("--no-write", action="store_true", help="do not update bench/results.json")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(available))
        return 0
    unknown = [g for g in args.groups if g not in available]
    if unknown:
        print(
            f"bench: error: unknown group {unknown[0]!r} (groups: {', '.join(available) or 'none'})",
            file=sys.stderr,
        )
        return 2
    groups = list(dict.fromkeys(args.groups)) or available
    if not groups:
        print("bench: error: no benchmark groups found in bench/", file=sys.stderr)
        return 2
    all_rows: list[dict[str, Any]] = []
    done: dict[str, dict[str, Any]] = {}
    failed = False
    for group in groups:
        print(f"running {group}...", file=sys.stderr, flush=True)
        rows, took = run_group(group)
        failed |= any(r.get("error") for r in rows)
        all_rows.extend(rows)
        done[group] = {
            "ran_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "seconds": round(took, 2),
            "rows": rows,
        }
    print("\n".join(format_rows(all_rows, notes=args.notes)), flush=True)
    if not args.no_write:
        write_results(done)
        print(f"wrote {RESULTS.relative_to(BENCH_DIR.parent)}", file=sys.stderr)
    return 1 if failed else 0


def _main() -> int:
    try:
        return main()
    except KeyboardInterrupt:  # Ctrl-C: the running group gets it too; nothing is written
        print("bench: interrupted (bench/results.json not updated)", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(_main())
