"""Kernels in the live UI (--kernels on the simulated engine): Enter on a layer lists its kernels
beside its ONNX nodes, `K` opens the all-kernels view, the panel shows the tracing cost."""

from __future__ import annotations

from ui_driver import Driver, FakeClock, render_text

from trtui.core.kernel_records import KernelCapture, KernelRecord
from trtui.core.options import RunOptions
from trtui.kernels.aggregate import KernelAggregator
from trtui.kernels.attribute import attribute
from trtui.pipeline.session import Session
from trtui.sources.simulated import SimulatedSource, SimulatedTelemetry
from trtui.ui.details import DetailsScreen
from trtui.ui.kernels_screen import OFF_HINT, KernelsScreen, kernels_view
from trtui.ui.layer_view import LayerView

SIZE = (120, 40)


class KernelDriver(Driver):
    def __init__(self) -> None:  # the shared driver, with --kernels
        self.clock = FakeClock()
        options = RunOptions(seed=0, kernels=True)
        self.source = SimulatedSource(options, clock=self.clock)
        telemetry = SimulatedTelemetry(self.source, clock=self.clock)
        self.session = Session(self.source, telemetry, options, tick_s=0.5, clock=self.clock)
        self.session.open()


def render(obj: object, width: int = 120) -> str:
    return render_text(obj, width)


async def test_enter_lists_the_layers_kernels_beside_its_onnx_nodes() -> None:
    driver = KernelDriver()
    app = driver.app()
    async with app.run_test(size=SIZE) as pilot:
        app.apply_update(driver.step(ticks=3))
        await pilot.press("enter")
        assert isinstance(app.screen, DetailsScreen)
        selected = app.query_one(LayerView).selected_name
        assert selected is not None and "Kernels (simulated)" in str(app.details_for(selected, False, 110))
        name = "layer2.0.conv2 + layer2.0.relu2"  # a strided 3x3 convolution: two kernels
        text = str(app.details_for(name, False, 110))
        assert "Kernels (simulated)" in text and "by NVTX layer ranges" in text
        assert "cask_trt::computeOffsetsKernel<…>" in text and "sm90_xmma_fprop_implicit_gemm" in text
        assert "2.0 launches per inference" in text and "launch gap" in text
        assert text.index("ONNX nodes fused into it") < text.index("Kernels (simulated)")
        await pilot.press("escape")


async def test_K_opens_all_kernels_and_it_updates_live() -> None:
    driver = KernelDriver()
    app = driver.app()
    async with app.run_test(size=SIZE) as pilot:
        app.apply_update(driver.step(ticks=2))
        panel_text = " ".join(str(p.render()) for p in app.query("Panel"))
        assert "kernel tracing" in panel_text
        await pilot.press("K")
        assert isinstance(app.screen, KernelsScreen)
        app.apply_update(driver.step())
        await pilot.pause()
        snap = app.last_update.profile.kernels  # type: ignore[union-attr]
        assert snap is not None
        text = render(kernels_view(snap, 120))
        assert "All kernels (simulated)" in text and "Top kernels" in text and "Time by kernel family" in text
        assert "xmma fprop implicit gemm" in text and "tracing cost" in text
        await pilot.press("escape")
        assert not isinstance(app.screen, KernelsScreen)


async def test_K_without_kernels_says_how_to_turn_them_on() -> None:
    driver = Driver()
    app = driver.app()
    async with app.run_test(size=SIZE) as pilot:
        app.apply_update(driver.step())
        await pilot.press("K")
        assert isinstance(app.screen, KernelsScreen)
        assert "--kernels" in render(kernels_view(None, 100)) and OFF_HINT.startswith("Kernels are off")
        assert "Kernels" not in str(app.details_for(app.query_one(LayerView).selected_name or "", False, 100))


def test_unattributed_kernels_are_called_out() -> None:
    agg = KernelAggregator()
    cap = KernelCapture((KernelRecord("k", 0, 1000, 1, 1),))
    agg.add(attribute(cap, [], []))
    text = render(kernels_view(agg.snapshot(), 120))
    assert "outside any layer" in text and "not attributed" in text
