"""Readable kernel names: demangling (c++filt where installed, else a small pure fallback),
short names for tables, and kernel families (the same families as `analyze`'s tactic families).

No third-party demangler code: `c++filt` is run as a program; the fallback below only reads the
qualified name of an Itanium-mangled symbol ("_ZN7cutlass6KernelI...EEvT_" -> "cutlass::Kernel<…>")
and leaves anything it does not understand as it was.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable, Sequence

from trtui.core.tactic_family import tactic_family

SHORT_LIMIT = 60
ELLIPSIS = "…"
_cache: dict[str, str] = {}
_cxxfilt: list[str | None] = []  # [path or None] once looked up


def _cxxfilt_path() -> str | None:
    if not _cxxfilt:
        _cxxfilt.append(shutil.which("c++filt"))
    return _cxxfilt[0]


def is_mangled(name: str) -> bool:
    return name.startswith("_Z")


def demangle_all(names: Iterable[str], use_tool: bool = True) -> dict[str, str]:
    """Demangled form of each name (itself when not mangled); one c++filt run for all new names."""
    wanted = [n for n in dict.fromkeys(names) if n not in _cache]
    mangled = [n for n in wanted if is_mangled(n) and "\n" not in n]
    tool = _cxxfilt_path() if use_tool else None
    if mangled and tool is not None:
        try:
            done = subprocess.run(
                [tool], input="\n".join(mangled) + "\n", capture_output=True, text=True, timeout=10,
                check=False,
            )
            lines = done.stdout.splitlines()
            if done.returncode == 0 and len(lines) == len(mangled):
                _cache.update(zip(mangled, lines, strict=True))
        except (OSError, subprocess.SubprocessError):
            pass
    for n in wanted:
        if n not in _cache:
            _cache[n] = fallback_demangle(n) if is_mangled(n) else n
    return {n: _cache[n] for n in names}


def demangle(name: str, use_tool: bool = True) -> str:
    return demangle_all((name,), use_tool)[name]


def _source_name(s: str, i: int) -> tuple[str, int] | None:
    j = i
    while j < len(s) and s[j].isdigit():
        j += 1
    if j == i:
        return None
    n = int(s[i:j])
    if n <= 0 or j + n > len(s):
        return None
    return s[j : j + n], j + n


def _skip_args(s: str, i: int) -> int:
    """Index after the template arguments that start at s[i] == 'I' (balanced to their 'E')."""
    depth = 0
    while i < len(s):
        c = s[i]
        if c.isdigit():
            got = _source_name(s, i)
            if got is None:
                return len(s)
            i = got[1]
            continue
        if c == "L":  # a literal: up to its own 'E' (a mangled name inside starts with _Z)
            k = s.find("E", i + 1)
            if s.startswith("L_Z", i):
                k = s.find("E", k + 1) if k >= 0 else -1
            if k < 0:
                return len(s)
            i = k + 1
            if depth == 0:
                return i
            continue
        if c in "NIXJ":
            depth += 1
        elif c == "E":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(s)


def fallback_demangle(name: str) -> str:
    """The qualified name of an Itanium-mangled symbol, templates shown as <…>; else `name`."""
    if not name.startswith("_Z"):
        return name
    s, i = name, 2
    parts: list[str] = []
    nested = i < len(s) and s[i] == "N"
    if nested:
        i += 1
        while i < len(s) and s[i] in "rVK":
            i += 1
    while i < len(s):
        c = s[i]
        if c.isdigit():
            got = _source_name(s, i)
            if got is None:
                return name
            parts.append(got[0])
            i = got[1]
        elif c == "I" and parts:
            parts[-1] += "<" + ELLIPSIS + ">"
            i = _skip_args(s, i)
        elif c == "S" and s.startswith("St", i):
            parts.append("std")
            i += 2
        else:
            break
        if not nested and not (i < len(s) and s[i] == "I"):
            break
        if nested and i < len(s) and s[i] == "E":
            break
    return "::".join(parts) if parts else name


def _cut_templates(text: str) -> str:
    out: list[str] = []
    depth = 0
    for ch in text:
        if ch == "<":
            if depth == 0:
                out.append("<" + ELLIPSIS)
            depth += 1
        elif ch == ">" and depth:
            depth -= 1
            if depth == 0:
                out.append(">")
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def short_name(demangled: str, limit: int = SHORT_LIMIT) -> str:
    """A table-sized name: no return type, parameters or template arguments; at most `limit` chars."""
    t = demangled.strip()
    if t.startswith("void "):
        t = t[5:]
    t = _cut_templates(t)
    paren = t.find("(")
    if paren > 0:
        t = t[:paren]
    t = t.strip() or demangled.strip()
    if len(t) > limit:
        t = t[: limit - 1] + ELLIPSIS
    return t


def _common_prefix_len(texts: Sequence[str]) -> int:
    first, last = min(texts), max(texts)  # the extremes share the least
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return n


def distinct_short_names(names: Sequence[str], limit: int = SHORT_LIMIT) -> list[str]:
    """Short names for a list of full (demangled) names, where names that would shorten alike show
    the part where they differ instead: head … the differing part …"""
    shorts = [short_name(n, limit) for n in names]
    groups: dict[str, list[int]] = {}
    for i, sh in enumerate(shorts):
        groups.setdefault(sh, []).append(i)
    for idx in groups.values():
        fulls = {names[i] for i in idx}
        if len(fulls) < 2:
            continue
        common = _common_prefix_len([f[5:] if f.startswith("void ") else f for f in fulls])
        head = max(limit // 3, 4)
        room = max(limit - head - 2, 8)
        for i in idx:
            full = names[i][5:] if names[i].startswith("void ") else names[i]
            start = max(common - 6, head)
            if start <= head + 1:
                shorts[i] = full[: limit - 1] + ELLIPSIS if len(full) > limit else full
                continue
            tail = full[start : start + room]
            shorts[i] = full[:head] + ELLIPSIS + tail + (ELLIPSIS if start + room < len(full) else "")
    return shorts


def kernel_family(demangled: str) -> str:
    """The kernel's family, by the rules of `analyze`'s tactic families."""
    return tactic_family(demangled) or "(unnamed)"
