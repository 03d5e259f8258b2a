"""Find a recording's files, read each by its content, and join them by layer name.

`load_recording(path)` accepts one file of a recording (its siblings, the files beside it with the
same name stem such as `resnet.onnx.engine.*.json`, are joined in) or a folder holding one
recording. Any subset of the kinds may be present. Problems with the file the user named are
errors; problems with a sibling become notices, and the rest stays usable for viewing. A file of
the recording that could not be read (truncated or malformed JSON, an unreadable or invalid file of
a known kind) is also listed in `Recording.unread`: `require_complete` turns that into an error for
what must not judge a partial recording (`check`, `compare`, `analyze`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from trtui.common.errors import UserError
from trtui.core.model import LayerInfo, LayerSummaryTable, base_name, frozen_array
from trtui.engine_info.layer_info import LayerInfoDoc, parse_layer_info
from trtui.recording.files import (
    CONTENT_KINDS,
    KIND_WORDS,
    FileKind,
    describe,
    detect_kind,
    read_json,
    recording_stem,
)
from trtui.recording.readers import (
    BuildMetadata,
    DeviceMetadata,
    ProfileData,
    ProfileMetadata,
    TimesData,
    dedupe_names,
    parse_build_metadata,
    parse_device_metadata,
    parse_profile,
    parse_profile_metadata,
    parse_times,
    profile_index,
)

MAX_NAMES_IN_NOTICE = 3


@dataclass(frozen=True, slots=True)
class Recording:
    """Everything read from one recording, joined."""

    path: Path  # what the user opened (a file or a folder)
    label: str
    files: Mapping[FileKind, Path]
    profile: ProfileData | None = None
    layer_doc: LayerInfoDoc | None = None
    times: TimesData | None = None
    run_meta: ProfileMetadata | None = None
    build_meta: BuildMetadata | None = None
    device_meta: DeviceMetadata | None = None
    layers: tuple[LayerInfo, ...] = ()  # profile order (names as in the profile), then unprofiled
    summary: LayerSummaryTable | None = None
    notices: tuple[str, ...] = field(default_factory=tuple)
    # Files of this recording that could not be read, one line each ("path: reason"); empty when
    # every file was read fully.
    unread: tuple[str, ...] = field(default_factory=tuple)

    @property
    def device(self) -> str | None:
        """The GPU's name from the run metadata, else the device metadata; None when neither says."""
        if self.run_meta is not None and self.run_meta.device:
            return self.run_meta.device
        if self.device_meta is not None and self.device_meta.name:
            return self.device_meta.name
        return None

    @property
    def simulated(self) -> bool:
        """True when trtui exported it from a simulated run (trtexec never writes this)."""
        run = self.run_meta is not None and self.run_meta.simulated
        dev = self.device_meta is not None and self.device_meta.simulated
        return run or dev


def _short_list(names: list[str]) -> str:
    shown = ", ".join(f"'{n}'" for n in names[:MAX_NAMES_IN_NOTICE])
    more = len(names) - MAX_NAMES_IN_NOTICE
    return shown + (f" and {more} more" if more > 0 else "")


_Parsed = tuple[Path, FileKind, object, tuple[str, ...]]


class NotAnExport(UserError):
    """A JSON file that is none of the trtexec kinds (not a part of the recording, when beside it)."""


def require_complete(rec: Recording, role: str = "") -> Recording:
    """`rec`, or UserError when a file of it could not be read: a comparison or a gate must not
    judge what it could only partly read (a truncated profile would read as "no layer time")."""
    if not rec.unread:
        return rec
    more = f" (and {len(rec.unread) - 1} more unreadable file(s))" if len(rec.unread) > 1 else ""
    side = f"{role} " if role else ""
    raise UserError(f"{side}{rec.label}: cannot read all of the recording: {rec.unread[0]}{more}")


def _read_one(path: Path, preread: tuple[object, tuple[str, ...]] | None = None) -> _Parsed:
    """Read and recognise one file; UserError when it is none of the kinds."""
    obj, notes = preread if preread is not None else read_json(path)
    kind = detect_kind(obj)
    if kind is None:
        raise NotAnExport(
            f"{path}: not a trtexec export ({describe(obj)}); expected a profile (--exportProfile), "
            "layer info (--exportLayerInfo), times (--exportTimes) or their metadata"
        )
    return path, kind, obj, tuple(f"{path.name}: {n}" for n in notes)


def _json_files(folder: Path) -> list[Path]:
    try:
        entries = sorted(folder.iterdir())
    except OSError as err:
        raise UserError(f"{folder}: cannot list the folder ({err.strerror or err})") from None
    return [p for p in entries if p.suffix.lower() == ".json" and not p.name.startswith(".") and p.is_file()]


def _siblings(path: Path) -> list[Path]:
    stem = recording_stem(path)
    try:
        candidates = _json_files(path.parent if str(path.parent) else Path("."))
    except UserError:
        return []
    return [p for p in candidates if p.resolve() != path.resolve() and recording_stem(p) == stem]


def _pick_from_folder(folder: Path, parsed: list[_Parsed]) -> list[_Parsed]:
    """One file per kind. Files group by name stem when a kind occurs more than once."""
    kinds = [k for _, k, _, _ in parsed]
    if all(kinds.count(k) == 1 for k in kinds):
        return parsed
    groups: dict[str, list[_Parsed]] = {}
    for item in parsed:
        groups.setdefault(recording_stem(item[0]), []).append(item)
    with_content = [s for s, items in groups.items() if any(k in CONTENT_KINDS for _, k, _, _ in items)]
    if len(with_content) != 1:
        stems = ", ".join(with_content) if with_content else ", ".join(groups)
        raise UserError(
            f"{folder}: holds several recordings ({stems}); open one of their files instead "
            "(its sibling files are read with it)"
        )
    chosen = groups[with_content[0]]
    have = {k for _, k, _, _ in chosen}
    for item in parsed:  # a lone metadata file of a kind the group lacks (e.g. "metadata.json")
        if item[1] not in have and kinds.count(item[1]) == 1:
            chosen.append(item)
    return chosen


def load_recording(path: Path, preread: tuple[object, tuple[str, ...]] | None = None) -> Recording:
    """Read a recording (a file and its siblings, or a folder). Raises UserError on bad input.
    `preread`: the file's decoded JSON and notices, when the caller already read it."""
    notices: list[str] = []
    parsed: list[_Parsed] = []
    if path.is_dir():
        files = _json_files(path)
        if not files:
            raise UserError(f"{path}: no .json files in this folder (expected trtexec exports)")
        problems: list[str] = []
        unread: list[str] = []
        for f in files:
            try:
                parsed.append(_read_one(f))
            except NotAnExport as err:
                problems.append(str(err))
            except UserError as err:
                problems.append(str(err))
                unread.append(str(err))
        summaries = [p for p in parsed if p[1] == "summary"]
        parsed = [p for p in parsed if p[1] != "summary"]
        notices.extend(f"ignored {s[0].name}: a trtui summary (open it on its own)" for s in summaries)
        if not any(k in CONTENT_KINDS for _, k, _, _ in parsed):
            if problems:
                raise UserError(problems[0])
            raise UserError(
                f"{path}: no trtexec profile, layer info or times file in this folder"
            )
        notices.extend(f"ignored: {p}" for p in problems)
        parsed = _pick_from_folder(path, parsed)
        label = f"{path.name or path.resolve().name}/"
        return _build(path, label, parsed, notices, problems, unread)
    else:
        first = _read_one(path, preread)
        if first[1] == "summary":
            raise UserError(f"{path}: a trtui summary, not a trtexec recording")
        parsed.append(first)
        unread = []
        for sib in _siblings(path):
            try:
                item = _read_one(sib)
            except UserError as err:
                notices.append(f"ignored: {err}")
                if not isinstance(err, NotAnExport):
                    unread.append(str(err))
                continue
            if item[1] == "summary" or any(item[1] == k for _, k, _, _ in parsed):
                continue
            parsed.append(item)
        label = path.name
    return _build(path, label, parsed, notices, [], unread)


_PARSERS = {
    "profile": parse_profile,
    "layer_info": parse_layer_info,
    "times": parse_times,
    "profile_metadata": parse_profile_metadata,
    "build_metadata": parse_build_metadata,
    "device_metadata": parse_device_metadata,
}


def _build(
    path: Path,
    label: str,
    parsed: list[_Parsed],
    notices: list[str],
    problems: list[str],
    unread: list[str],
) -> Recording:
    values: dict[str, object] = {}
    files: dict[FileKind, Path] = {}
    explicit = None if path.is_dir() else path
    for fpath, kind, obj, notes in parsed:
        try:
            values[kind] = _PARSERS[kind](obj)
        except UserError as err:
            if fpath == explicit:
                raise UserError(f"{fpath}: {err}") from None
            problems.append(f"{fpath}: {err}")
            unread.append(f"{fpath}: {err}")
            notices.append(f"ignored {fpath.name} ({KIND_WORDS[kind]}): {err}")
            continue
        files[kind] = fpath
        notices.extend(notes)
    if not any(k in values for k in CONTENT_KINDS):
        if problems:
            raise UserError(problems[0])
        have = ", ".join(KIND_WORDS[k] for k in files) or "nothing usable"
        raise UserError(
            f"{path}: holds only {have}; a recording needs a profile, layer info or times file "
            "(open the folder or the profile beside it)"
        )
    profile = values.get("profile")
    doc = values.get("layer_info")
    times = values.get("times")
    assert profile is None or isinstance(profile, ProfileData)
    assert doc is None or isinstance(doc, LayerInfoDoc)
    assert times is None or isinstance(times, TimesData)
    layers, summary, join_notes = join(profile, doc)
    notices.extend(join_notes)
    run_meta = values.get("profile_metadata")
    build_meta = values.get("build_metadata")
    device_meta = values.get("device_metadata")
    assert run_meta is None or isinstance(run_meta, ProfileMetadata)
    assert build_meta is None or isinstance(build_meta, BuildMetadata)
    assert device_meta is None or isinstance(device_meta, DeviceMetadata)
    return Recording(
        path=path,
        label=label,
        files=files,
        profile=profile,
        layer_doc=doc,
        times=times,
        run_meta=run_meta,
        build_meta=build_meta,
        device_meta=device_meta,
        layers=layers,
        summary=summary,
        notices=tuple(notices),
        unread=tuple(unread),
    )


def join(
    profile: ProfileData | None, doc: LayerInfoDoc | None
) -> tuple[tuple[LayerInfo, ...], LayerSummaryTable | None, list[str]]:
    """Join the profile and the layer info by layer name.

    A profile name matches a layer-info name exactly, or after dropping trtexec's " [profile N]"
    suffix. Repeated names are numbered the same way in both files ("X (#2)"), so the k-th "X"
    of the profile pairs with the k-th "X" of the layer info. Returns the joined layer infos
    (named as in the profile, in profile order, then layer-info layers without a time), the
    summary table, and notices.
    """
    notes: list[str] = []
    infos: tuple[LayerInfo, ...] = ()
    if doc is not None:
        info_names, renamed_info = dedupe_names([layer.name for layer in doc.layers])
        infos = tuple(
            layer if layer.name == n else dataclasses.replace(layer, name=n)
            for layer, n in zip(doc.layers, info_names, strict=True)
        )
        if renamed_info:
            notes.append(f"layer info: {renamed_info} repeated layer name(s) numbered 'name (#2)', ...")
    if profile is None:
        if doc is None:
            return (), None, notes
        n = len(infos)
        nan = np.full(n, np.nan)
        notes.append("no per-layer profile in this recording: layer times are unknown")
        summary = LayerSummaryTable(
            names=tuple(i.name for i in infos),
            count=frozen_array(np.zeros(n, dtype=np.int64), np.int64),  # type: ignore[arg-type]
            total_ms=frozen_array(nan),  # type: ignore[arg-type]
            mean_ms=frozen_array(nan),  # type: ignore[arg-type]
            median_ms=frozen_array(nan),  # type: ignore[arg-type]
            iterations=0,
        )
        return infos, summary, notes
    if profile.renamed:
        notes.append(f"profile: {profile.renamed} repeated layer name(s) numbered 'name (#2)', ...")
    if profile.iterations == 1:
        notes.append("the profile holds 1 iteration: per-layer times are single samples")
    profiles = sorted({profile_index(n) for n in profile.names})
    if len(profiles) > 1:
        notes.append(f"the profile holds layers of optimization profiles {', '.join(map(str, profiles))}")
    elif profiles != [0]:
        notes.append(f"recorded with optimization profile {profiles[0]}")
    summary = LayerSummaryTable(
        names=profile.names,
        count=profile.count,
        total_ms=profile.total_ms,
        mean_ms=profile.mean_ms,
        median_ms=profile.median_ms,
        iterations=profile.iterations,
    )
    if doc is None:
        return tuple(LayerInfo(name=n) for n in profile.names), summary, notes
    by_name = {i.name: i for i in infos}
    by_base: dict[str, LayerInfo] = {}
    for i in infos:
        by_base.setdefault(base_name(i.name), i)
    used: set[str] = set()
    joined: list[LayerInfo] = []
    missing: list[str] = []
    for name in profile.names:
        info = by_name.get(name)
        if info is None:
            info = by_name.get(base_name(name)) or by_base.get(base_name(name))
        if info is None:
            missing.append(name)
            joined.append(LayerInfo(name=name))
            continue
        used.add(info.name)
        joined.append(info if info.name == name else dataclasses.replace(info, name=name))
    if missing and infos:
        notes.append(
            f"{len(missing)} of {len(profile.names)} profiled layers are missing from the layer info "
            f"({_short_list(missing)}): their type, precision and tactic are unknown"
        )
    unprofiled = [i for i in infos if i.name not in used]
    if unprofiled:
        notes.append(
            f"{len(unprofiled)} layer(s) of the layer info have no time in the profile "
            f"({_short_list([i.name for i in unprofiled])})"
        )
    return tuple(joined) + tuple(unprofiled), summary, notes
