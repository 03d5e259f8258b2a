"""Turning the builder's progress-monitor events (nested phases with step counts) into one fraction.

TensorRT's `IProgressMonitor` reports `phase_start(name, parent, num_steps)`, `step_complete(name,
step)` and `phase_finish(name)`; phases nest. The fraction of the whole build is the outermost phase's
completed steps plus the fraction of the step in progress, recursively.
"""

from __future__ import annotations

from dataclasses import dataclass

from trtui.tune.attempt import BuildProgress


@dataclass
class _Phase:
    name: str
    parent: str | None
    total: int
    done: int = 0


class ProgressTracker:
    """Folds `BuildProgress` events; `fraction()` in [0, 1], `label()` names the innermost phase."""

    def __init__(self) -> None:
        self._phases: dict[str, _Phase] = {}
        self._order: list[str] = []  # start order, so the innermost phase is the last alive
        self._finished_root = False

    def reset(self) -> None:
        """Forget every phase (a new build starts)."""
        self._phases.clear()
        self._order.clear()
        self._finished_root = False

    def update(self, event: BuildProgress) -> None:
        """Fold one event in; a step or finish of a phase never started is ignored."""
        if event.kind == "start":
            self._phases[event.phase] = _Phase(event.phase, event.parent, max(0, event.total))
            if event.phase in self._order:
                self._order.remove(event.phase)
            self._order.append(event.phase)
        elif event.kind == "step":
            phase = self._phases.get(event.phase)
            if phase is not None:
                # step_complete passes the index of the step that completed (0-based)
                phase.done = max(phase.done, min(phase.total, event.step + 1))
        elif event.kind == "finish":
            phase = self._phases.pop(event.phase, None)
            if event.phase in self._order:
                self._order.remove(event.phase)
            if phase is not None and phase.parent is None and not self._phases:
                self._finished_root = True

    def _children(self, name: str) -> list[_Phase]:
        return [self._phases[n] for n in self._order if self._phases[n].parent == name]

    def _fraction_of(self, phase: _Phase, depth: int = 0) -> float:
        if phase.total <= 0:
            return 0.0
        partial = 0.0
        if phase.done < phase.total and depth < 16:
            kids = self._children(phase.name)
            if kids:
                partial = self._fraction_of(kids[-1], depth + 1)
        return min(1.0, (phase.done + partial) / phase.total)

    def fraction(self) -> float:
        """How much of the build is done, in [0, 1]: 0 before the first phase, 1 once the outermost
        phase finished."""
        roots = [self._phases[n] for n in self._order if self._phases[n].parent not in self._phases]
        if not roots:
            return 1.0 if self._finished_root else 0.0
        return self._fraction_of(roots[0])

    def label(self) -> str:
        """The innermost running phase and the step in progress ("NAME 3/10"); "" when none runs."""
        if not self._order:
            return ""
        inner = self._phases[self._order[-1]]
        if inner.total > 0:
            return f"{inner.name} {min(inner.done + 1, inner.total)}/{inner.total}"
        return inner.name
