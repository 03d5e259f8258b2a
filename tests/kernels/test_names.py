"""Demangled, short and family names of kernels."""

from __future__ import annotations

import shutil

import pytest

from trtui.core.tactic_family import tactic_family
from trtui.kernels.names import (
    demangle,
    demangle_all,
    distinct_short_names,
    fallback_demangle,
    kernel_family,
    short_name,
)

CUTLASS = "_ZN7cutlass6KernelINS_4gemm6kernel4GemmILi128EEEEEvNT_6ParamsE"
TORCH = (
    "_ZN2at6native29vectorized_elementwise_kernelILi4ENS0_11FillFunctorIfEENS_6detail5ArrayIPcLi1EEEEE"
    "viT0_T1_"
)
XMMA = (
    "sm90_xmma_fprop_implicit_gemm_f16f16_f16f16_f16_nhwckrsc_nhwc_tilesize128x128x64_warpgroupsize1x1x1_"
    "execute_segment_k_off_kernel__5x_cublas"
)


@pytest.mark.parametrize(
    ("mangled", "expected"),
    [
        ("_Z10vector_addPiS_S_i", "vector_add"),
        (CUTLASS, "cutlass::Kernel<…>"),
        (TORCH, "at::native::vectorized_elementwise_kernel<…>"),
        ("_ZN10trtui_test7spin_nsEy", "trtui_test::spin_ns"),
        ("_ZNSt6vectorIiSaIiEE9push_backERKi", "std::vector<…>::push_back"),
    ],
)
def test_fallback_reads_the_qualified_name(mangled: str, expected: str) -> None:
    assert fallback_demangle(mangled) == expected


@pytest.mark.parametrize("name", [XMMA, "__myl_AddMulMean_0x1", "_Z", "_Zgarbage", "plain_kernel"])
def test_fallback_leaves_what_it_does_not_read(name: str) -> None:
    got = fallback_demangle(name)
    assert got == name or (name.startswith("_Z") and got)
    assert demangle_all([name], use_tool=False)[name] == (name if not name.startswith("_Z") else got)


@pytest.mark.skipif(shutil.which("c++filt") is None, reason="c++filt (binutils) is not installed")
def test_cxxfilt_gives_the_full_signature() -> None:
    full = demangle(CUTLASS)
    assert full.startswith("void cutlass::Kernel<cutlass::gemm::kernel::Gemm<128>")
    assert full.endswith("::Params)")
    assert short_name(full) == "cutlass::Kernel<…>"


def test_short_name_drops_return_type_arguments_and_templates_and_fits() -> None:
    assert short_name("void foo::bar<int, float>(int, float*)") == "foo::bar<…>"
    assert short_name("void a<b<c>>::d<e>(x)") == "a<…>::d<…>"
    s = short_name(XMMA, 40)
    assert len(s) == 40 and s.endswith("…") and XMMA.startswith(s[:-1])
    assert short_name(XMMA, 500) == XMMA


def test_families_are_analyze_tactic_families() -> None:
    assert kernel_family(XMMA) == tactic_family(XMMA) == "xmma fprop implicit gemm"
    assert kernel_family("__myl_AddMulMean_0x1") == "myelin"
    assert kernel_family("void cutlass::Kernel<x>(p)") == tactic_family("void cutlass::Kernel<x>(p)")


def test_names_that_shorten_alike_show_where_they_differ() -> None:
    b = XMMA.replace("128x128x64", "64x64x64")
    cut_a = "void cutlass::Kernel2<cutlass_80_tensorop_h16816gemm_128x128_32x3_nn_align8>(Params)"
    cut_b = "void cutlass::Kernel2<cutlass_80_tensorop_h16816gemm_64x64_64x5_nn_align8>(Params)"
    got = distinct_short_names([XMMA, b, cut_a, cut_b, "void other<int>(int)"], 40)
    assert len(set(got)) == 5 and all(len(s) <= 40 for s in got)
    assert "128x128x64" in got[0] and "64x64x64" in got[1]
    assert "128x128" in got[2] and "64x64" in got[3] and not got[2].startswith("void")
    assert got[4] == "other<…>"  # unique: the plain short name
    assert distinct_short_names([XMMA, XMMA], 40) == [short_name(XMMA, 40)] * 2  # same kernel twice
