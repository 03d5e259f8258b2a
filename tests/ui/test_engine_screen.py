"""The live screen fed by a real engine's road: the GPU process (`python -m trtui.sources.engine_child`)
over the fake TensorRT with a detailed inspector, whose layer details exist only once the child has
loaded the engine. Types, precisions and details must reach the table and the details screen."""

from __future__ import annotations

import asyncio
import os
import re
import sys
import time
from pathlib import Path

import pytest

from trtui.core.options import RunOptions
from trtui.pipeline.session import Session
from trtui.sources.engine import check_engine_request
from trtui.sources.engine_process import EngineProcessSource
from trtui.ui.app import TrtuiApp
from trtui.ui.details import DetailsScreen
from trtui.ui.layer_view import LayerView
from trtui.ui.panels import HeaderBar

RUNTIME = Path(__file__).resolve().parents[1] / "runtime"
ROOT = RUNTIME.parents[1]
sys.path.insert(0, str(RUNTIME))

import rt_fakes as fk  # noqa: E402
from test_rt_engine_process import DETAILED  # noqa: E402


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([str(RUNTIME), str(ROOT), os.environ.get("PYTHONPATH", "")])
    )
    monkeypatch.setenv("TRTUI_CHILD_PRELOAD", "rt_child_preload")
    monkeypatch.setenv("TRTUI_FAKE_FULL", "1")
    path = tmp_path / "m.engine"
    path.write_bytes(fk.plan(inspector=DETAILED, verbosity="DETAILED"))
    return path


async def wait_until(pilot: object, test: object, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if test():  # type: ignore[operator]
            return
        await asyncio.sleep(0.1)
    raise AssertionError("timed out")


async def test_layer_types_and_details_arrive_from_the_gpu_process(engine: Path) -> None:
    options = RunOptions(profile_every=2)
    source = EngineProcessSource(check_engine_request(engine, options), options)
    session = Session(source, None, options, tick_s=0.2)
    app = TrtuiApp(session, refresh_s=0.2, cost_interval_s=None)
    async with app.run_test(size=(160, 40)) as pilot:
        view = app.query_one(LayerView)
        await wait_until(
            pilot,
            lambda: (
                len(view.table) == 3
                and app.last_update is not None
                and app.last_update.profile.layers_total.iterations > 0
            ),
        )
        await pilot.pause()
        assert view.infos["conv1 + relu"].type == "CaskConvolution"
        shot = app.export_screenshot()
        for word in (
            "CaskConvolution",
            "CudaPooling",
            "CaskGemm",
            "FP16",
            "FP32",
            "m.engine",
            "Fake&#160;H100",
        ):
            assert word in shot, word
        assert "(unknown" not in shot
        view.set_sort("name")
        view.cursor = 0  # "conv1 + relu"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailsScreen)
        text = app.details_for("conv1 + relu", False, 100).plain
        assert "sm90_xmma_fprop" in text and "/conv1/Conv" in text and "CaskConvolution" in text
        await pilot.press("escape")
        await pilot.press("q")
    assert source._proc is not None and source._proc.poll() is not None  # the GPU process ended


async def test_the_header_says_which_start_up_step_runs(tmp_path: Path, engine: Path) -> None:
    """A slow engine (the fake deserializes for 1.5 s) behind the real GPU process: the screen is up
    at once, the header names the running step with its seconds, then the numbers come and the
    steps are in the update (the JSON summary's "startup")."""
    slow = tmp_path / "slow.engine"
    slow.write_bytes(fk.plan(inspector=DETAILED, verbosity="DETAILED", deserialize_s=1.5))
    options = RunOptions(profile_every=2)
    source = EngineProcessSource(check_engine_request(slow, options), options)
    session = Session(source, None, options, tick_s=0.2)
    app = TrtuiApp(session, refresh_s=0.1, cost_interval_s=None)
    seen: list[str] = []
    async with app.run_test(size=(160, 40)) as pilot:
        header = app.query_one(HeaderBar)

        def header_has(text: str) -> bool:
            seen.append(str(header.render()))
            return text in seen[-1]

        def deserializing_for(at_least_s: float) -> bool:
            # any tenth of a second past `at_least_s` (a loaded machine may never draw one given tenth)
            seen.append(str(header.render()))
            m = re.search(r"loading: deserialize (\d+\.\d) s", seen[-1])
            return m is not None and float(m.group(1)) >= at_least_s

        await wait_until(pilot, lambda: deserializing_for(0.5))
        await wait_until(
            pilot,
            lambda: app.last_update is not None and app.last_update.profile.layers_total.iterations > 0,
        )
        await wait_until(pilot, lambda: not header_has("loading:"))
        await pilot.press("q")
    counted = [float(m) for h in seen for m in re.findall(r"loading: deserialize (\d+\.\d) s…", h)]
    assert len(set(counted)) >= 3 and counted == sorted(counted)  # the seconds move on while it runs
    assert app.last_update is not None
    from trtui.recording.summary import summary_dict

    steps = summary_dict(app.last_update)["startup"]
    assert [s["step"] for s in steps][-4:] == ["inspector", "first runs", "warm-up", "first profiled batch"]
    assert next(s["s"] for s in steps if s["step"] == "deserialize") >= 1.5
