"""Tactic families: a tactic (kernel) name is reduced to the words that say what
kind of kernel it is, so that tile sizes, data types, stages and architectures group together:

1. lower-case; drop a leading "void ", template arguments "<...>" and call arguments "(...)";
2. Myelin kernels ("__myl_...") are the family "myelin";
3. split on "_" and spaces; drop architecture words (sm80, sm90a, trt, volta, turing, ampere,
   ada, hopper, blackwell, ...); a library tag with a version ("cutlass3x") becomes its name;
4. keep the first run of name words (letters only, or ending in "cudnn" such as "h16816cudnn"),
   skipping data-type words before it ("fp16", "int8x4"), stopping at the first other word
   (a data type, a tile size, a number), at most 7 words.

Examples: "sm90_xmma_fprop_implicit_gemm_f16f16_..." -> "xmma fprop implicit gemm";
"ampere_h16816cudnn_128x64_ldg8_relu_..." -> "h16816cudnn"; "sm50_xmma_pooling_fw_4d_FP32..." ->
"xmma pooling fw"; "cutlass3x_sm90_tensorop_h64x128x16gemm_..." -> "cutlass tensorop".
"""

from __future__ import annotations

import re

_ARCH = re.compile(r"^(sm\d+[a-z]?|trt|maxwell|pascal|volta|turing|ampere|ada|hopper|blackwell|lovelace)$")
_VERSIONED_LIB = re.compile(r"^([a-z]+)\d+x?$")
_NAME_WORD = re.compile(r"^([a-z]+|[a-z0-9]*cudnn)$")
MAX_FAMILY_WORDS = 7


def tactic_family(tactic: str | None) -> str | None:
    """The family of a tactic name (see the module docstring); None for no tactic."""
    if not tactic or not tactic.strip():
        return None
    t = tactic.strip().lower()
    if t.startswith("void "):
        t = t[5:]
    t = re.sub(r"<.*", "", t)
    t = re.sub(r"\(.*", "", t)
    t = t.replace("::", "_")
    if t.lstrip("_").startswith("myl"):
        return "myelin"
    tokens = [w for w in re.split(r"[_\s]+", t) if w]
    words: list[str] = []
    for i, tok in enumerate(tokens):
        if _ARCH.match(tok):
            continue
        m = _VERSIONED_LIB.match(tok)
        if m and not _NAME_WORD.match(tok) and i == 0:
            words.append(m.group(1))
            continue
        if _NAME_WORD.match(tok):
            words.append(tok)
            if len(words) >= MAX_FAMILY_WORDS:
                break
            continue
        if words:
            break
    if not words:
        return tokens[0] if tokens else t
    return " ".join(words)
