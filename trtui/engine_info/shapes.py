"""Input shapes: trtexec's ``--shapes`` syntax, and checking requested shapes against an engine's
optimization profile (pure; the GPU code passes in what the engine reports)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from trtui.common.errors import UserError

Shape = tuple[int, ...]
ShapeList = tuple[tuple[str, Shape], ...]

_EXAMPLE = "input:1x3x224x224 (several separated by commas)"
_DIMS = re.compile(r"^\d+(x\d+)*$")


def format_shape(shape: Sequence[int]) -> str:
    """trtexec's notation: 1x3x224x224 (a scalar is shown as 'scalar')."""
    return "x".join(str(d) for d in shape) if len(shape) else "scalar"


def shape_within(shape: Sequence[int], lo: Sequence[int], hi: Sequence[int]) -> bool:
    """Whether `shape` has the rank of `lo` and `hi` and lies within them, dimension by dimension."""
    if not len(shape) == len(lo) == len(hi):
        return False
    return all(a <= d <= b for d, a, b in zip(shape, lo, hi, strict=True))


def _split_items(text: str) -> list[str]:
    """Split on commas that are not inside single quotes."""
    items: list[str] = []
    cur: list[str] = []
    quoted = False
    for ch in text:
        if ch == "'":
            quoted = not quoted
        if ch == "," and not quoted:
            items.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    if quoted:
        raise UserError(f"bad --shapes '{text}': a quote is not closed")
    items.append("".join(cur))
    return items


def parse_shapes(text: str) -> ShapeList:
    """Parse trtexec's ``name:1x3x224x224,name2:1x10``. Names with ':' may be quoted ('in:0':1x3).

    Raises UserError on a malformed string or a name given twice.
    """
    if not text.strip():
        raise UserError(f"--shapes is empty: expected {_EXAMPLE}")
    out: list[tuple[str, Shape]] = []
    seen: set[str] = set()
    for raw in _split_items(text):
        item = raw.strip()
        if not item:
            raise UserError(f"bad --shapes '{text}': an empty entry (two commas?); expected {_EXAMPLE}")
        if item.startswith("'"):
            end = item.find("'", 1)
            name, rest = item[1:end], item[end + 1 :]
            if not rest.startswith(":"):
                raise UserError(f"bad --shapes entry '{item}': expected 'NAME':DIMS like {_EXAMPLE}")
            dims = rest[1:]
        else:
            name, sep, dims = item.rpartition(":")
            if not sep:
                raise UserError(f"bad --shapes entry '{item}': expected NAME:DIMS like {_EXAMPLE}")
        name, dims = name.strip(), dims.strip().lower()
        if not name:
            raise UserError(f"bad --shapes entry '{item}': the input name is missing; expected {_EXAMPLE}")
        if not _DIMS.match(dims):
            raise UserError(
                f"bad --shapes entry '{item}': dimensions must be whole numbers joined by 'x', "
                f"like {_EXAMPLE}"
            )
        if name in seen:
            raise UserError(f"bad --shapes: input '{name}' is given twice")
        if any(int(d) == 0 for d in dims.split("x")):
            raise UserError(
                f"bad --shapes entry '{item}': a dimension is 0; every dimension must be 1 or more"
            )
        seen.add(name)
        out.append((name, tuple(int(d) for d in dims.split("x"))))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class InputProfile:
    """What an engine says about one input (for the active optimization profile)."""

    name: str
    shape: Shape  # -1 for dynamic dimensions
    min: Shape | None = None  # None when the input is static
    opt: Shape | None = None
    max: Shape | None = None

    @property
    def dynamic(self) -> bool:
        """Some dimension is dynamic (-1): a run needs a shape for it (`resolve_shapes`)."""
        return any(d < 0 for d in self.shape)


def resolve_shapes(inputs: Sequence[InputProfile], requested: ShapeList | Mapping[str, Shape]) -> ShapeList:
    """The shape to run for every input: the requested one, else the profile's opt shape (or the
    static shape). Raises UserError for an unknown input, a wrong rank, a static dimension that
    differs, or a shape outside the profile's [min, max]."""
    req = dict(requested.items() if isinstance(requested, Mapping) else requested)
    names = [i.name for i in inputs]
    for name in req:
        if name not in names:
            known = ", ".join(f"'{n}'" for n in names) or "none"
            raise UserError(f"--shapes names input '{name}', but the engine's inputs are {known}")
    out: list[tuple[str, Shape]] = []
    for inp in inputs:
        want = req.get(inp.name)
        if want is None:
            if inp.dynamic:
                if inp.opt is None:
                    raise UserError(
                        f"input '{inp.name}' has a dynamic shape {format_shape(inp.shape)} and the engine "
                        f"reports no profile for it: give one with --shapes {inp.name}:DIMS"
                    )
                out.append((inp.name, tuple(inp.opt)))
            else:
                out.append((inp.name, tuple(inp.shape)))
            continue
        if len(want) != len(inp.shape):
            raise UserError(
                f"--shapes gives input '{inp.name}' {len(want)} dimensions ({format_shape(want)}), "
                f"but the engine expects {len(inp.shape)} ({format_shape(inp.shape)})"
            )
        for axis, (w, d) in enumerate(zip(want, inp.shape, strict=True)):
            if d >= 0 and w != d:
                raise UserError(
                    f"--shapes {inp.name}:{format_shape(want)} does not match the engine: dimension "
                    f"{axis} is fixed at {d} ({format_shape(inp.shape)})"
                )
        if inp.min is not None and inp.max is not None and not shape_within(want, inp.min, inp.max):
            raise UserError(
                f"--shapes {inp.name}:{format_shape(want)} is outside the engine's profile for "
                f"'{inp.name}': min {format_shape(inp.min)}, max {format_shape(inp.max)}"
            )
        out.append((inp.name, tuple(want)))
    return tuple(out)
