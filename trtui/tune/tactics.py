"""trtexec's `--tacticSources` syntax, for `trtui tune --tactic-sources`: a comma-separated list of
`+NAME` (add) and `-NAME` (remove) applied to TensorRT's default tactic sources, e.g.
`-CUBLAS,-CUBLAS_LT,-CUDNN,+EDGE_MASK_CONVOLUTIONS`. Names are TensorRT's `TacticSource` members
(CUBLAS, CUBLAS_LT, CUDNN, EDGE_MASK_CONVOLUTIONS, JIT_CONVOLUTIONS; which exist depends on the
version: the builder child checks them against the installed TensorRT). Pure: no TensorRT here."""

from __future__ import annotations

import re

from trtui.common.errors import UserError

_ITEM = re.compile(r"^([+-])([A-Za-z][A-Za-z0-9_]*)$")

TacticChanges = tuple[tuple[str, bool], ...]  # (TacticSource member, enabled), in the order given


def parse_tactic_sources(text: str) -> TacticChanges:
    """`-CUBLAS,+cudnn` -> (("CUBLAS", False), ("CUDNN", True)). Raises UserError for anything else."""
    items = [part.strip() for part in text.split(",")]
    if not text.strip() or any(not part for part in items):
        raise UserError(f"--tactic-sources {text!r}: give +NAME or -NAME items separated by commas, "
                        "e.g. --tactic-sources=-CUBLAS,-CUBLAS_LT,-CUDNN (trtexec's --tacticSources syntax)")
    out: list[tuple[str, bool]] = []
    for part in items:
        m = _ITEM.match(part)
        if m is None:
            raise UserError(f"--tactic-sources: {part!r} is not +NAME or -NAME (e.g. -CUDNN)")
        out.append((m.group(2).upper(), m.group(1) == "+"))
    return tuple(out)


def format_tactic_sources(changes: TacticChanges) -> str:
    """The trtexec text of `changes` (what the builder child is given)."""
    return ",".join(("+" if on else "-") + name for name, on in changes)


def apply_tactic_sources(default_mask: int, changes: TacticChanges, members: dict[str, int]) -> int:
    """The tactic-source bit mask after `changes`, from TensorRT's default mask and the installed
    `TacticSource` members (name -> bit index). Raises UserError naming an unknown source and the
    known ones."""
    mask = int(default_mask)
    for name, on in changes:
        if name not in members:
            known = ", ".join(sorted(members))
            raise UserError(f"--tactic-sources: this TensorRT has no tactic source {name} (it has {known})")
        bit = 1 << int(members[name])
        mask = mask | bit if on else mask & ~bit
    return mask
