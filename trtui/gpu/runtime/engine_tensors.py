"""Tensors of a TensorRT engine as trtui runs it (part of the TensorRT adapter, on the GPU worker
thread): the specification of each I/O tensor for a context at its shapes (with the values of shape
inputs and the size bound of data-dependent outputs), binding the buffers to the context, and the
enqueue of one inference (with copies under --transfers). TensorRT names used here are listed in
`engine_session.TRT_NAMES_USED`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trtui.common.errors import UserError
from trtui.gpu.runtime.io_buffers import IoBuffers, TensorSpec, make_output_allocator
from trtui.gpu.runtime.worker import Holder


def dtype_name(dtype: Any) -> str:
    name = getattr(dtype, "name", None)
    return str(name) if name else str(dtype).rsplit(".", 1)[-1]


def dims(value: Any) -> tuple[int, ...]:
    """TensorRT `Dims` (or any sequence of ints) as a tuple."""
    return tuple(int(d) for d in value)


def is_oom(exc: BaseException) -> bool:
    """True when `exc` says the device ran out of memory (pycuda's MemoryError, or an "out of memory"
    message)."""
    return type(exc).__name__ == "MemoryError" or "out of memory" in str(exc).lower()


def profile_values(engine: Any, name: str) -> list[list[int]] | None:
    """The (min, opt, max) values of shape input `name` in profile 0, or None when unknown.
    TensorRT 10+: `get_tensor_profile_values(profile, name)`; 8.x: `get_profile_shape_input(profile,
    binding index)`."""
    try:
        if hasattr(engine, "get_tensor_profile_values"):
            vals = engine.get_tensor_profile_values(0, name)
        elif hasattr(engine, "get_profile_shape_input") and hasattr(engine, "get_binding_index"):
            vals = engine.get_profile_shape_input(0, engine.get_binding_index(name))
        else:
            return None
    except Exception:
        return None
    return [list(v) for v in vals] if vals else None


def tensor_specs(engine: Any, ctx: Any, names: list[str], is_input: dict[str, bool],
                  shape_tensors: set[str], value_requests: dict[str, tuple[int, ...]],
                  host_loc: Any) -> list[TensorSpec]:
    """The `TensorSpec` of each tensor in `names` for `ctx` at its current shapes. Shape inputs take their
    values from `value_requests` (--shapes), else profile 0's opt values. Raises `UserError` when a
    shape input has no values or a data-dependent output has no size bound."""
    specs = []
    for n in names:
        dtype = dtype_name(engine.get_tensor_dtype(n))
        shape = dims(ctx.get_tensor_shape(n))
        on_host = engine.get_tensor_location(n) == host_loc
        values = None
        if n in shape_tensors:
            if n in value_requests:
                values = value_requests[n]
            else:
                pv = profile_values(engine, n)
                values = tuple(pv[1]) if pv else None
            if values is None:
                raise UserError(
                    f"the engine needs the values of shape input '{n}': give them with --shapes {n}:V1xV2"
                )
        max_out = None
        if not is_input[n] and any(d < 0 for d in shape):
            max_out = int(ctx.get_max_output_size(n))
            if max_out < 0:
                raise UserError(f"TensorRT reports no size bound for the data-dependent output '{n}'")
        specs.append(
            TensorSpec(
                name=n,
                is_input=is_input[n],
                dtype=dtype,
                shape=shape,
                on_host=on_host,
                vectorized_dim=int(engine.get_tensor_vectorized_dim(n)),
                components=int(engine.get_tensor_components_per_element(n)),
                max_output_bytes=max_out,
                shape_values=values,
            )
        )
    return specs


def bind(trt: Any, ctx: Any, bufs: IoBuffers, allocators: list[Any]) -> None:
    """Set every tensor address; data-dependent outputs also get an output allocator."""
    for name, buf in bufs.buffers.items():
        if not ctx.set_tensor_address(name, buf.address):
            raise UserError(f"TensorRT refused the buffer address of tensor '{name}'")
        if buf.spec.data_dependent and not buf.spec.is_input:
            alloc = make_output_allocator(trt, buf, lambda _n, _s: None)
            allocators.append(alloc)
            ctx.set_output_allocator(name, alloc)


def make_work(ctx_h: Holder, bufs: IoBuffers, stream: Any, transfers: bool) -> Callable[[int], bool]:
    """The loop's `Work` for one context: `execute_async_v3` on the handle it is given; with `transfers`,
    also the input copies before it and the output copies after it, on `stream`."""
    if not transfers:
        def work(handle: int) -> bool:
            return bool(ctx_h.obj.execute_async_v3(handle))
        return work

    def work_with_copies(handle: int) -> bool:
        bufs.copy_in(stream)
        ok = bool(ctx_h.obj.execute_async_v3(handle))
        bufs.copy_out(stream)
        return ok

    return work_with_copies
