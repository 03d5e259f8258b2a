"""Input shapes for building from an ONNX model with dynamic dimensions, in trtexec's syntax:
`--shapes input:1x3x224x224,mask:1x224` (names may be quoted; dimensions separated by `x`)."""

from __future__ import annotations

from trtui.errors import UserError

Shapes = tuple[tuple[str, tuple[int, ...]], ...]


def parse_shapes(text: str) -> Shapes:
    """`name:DxDxD,...` to ((name, dims), ...). Raises `UserError` on bad input."""
    out: list[tuple[str, tuple[int, ...]]] = []
    seen: set[str] = set()
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, sep, dims_text = part.rpartition(":")
        name = name.strip().strip("'\"")
        if not sep or not name:
            raise UserError(f"shape {part!r} is not NAME:DIMS, e.g. input:1x3x224x224")
        try:
            dims = tuple(int(d) for d in dims_text.lower().split("x"))
        except ValueError:
            raise UserError(f"shape {part!r}: dimensions must be whole numbers separated by 'x', "
                            "e.g. input:1x3x224x224") from None
        if any(d < 0 for d in dims):
            raise UserError(f"shape {part!r}: dimensions cannot be negative")
        if name in seen:
            raise UserError(f"shape for input {name!r} given twice")
        seen.add(name)
        out.append((name, dims))
    if not out:
        raise UserError("--shapes is empty: write NAME:DIMS, e.g. input:1x3x224x224")
    return tuple(out)


def format_shapes(shapes: Shapes) -> str:
    """The inverse of `parse_shapes`."""
    return ",".join(f"{name}:{'x'.join(str(d) for d in dims)}" for name, dims in shapes)
