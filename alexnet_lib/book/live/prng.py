"""The explorers' random numbers, the same in Python and in the browser (runtime.js `uniform` and `normals`).

An explorer that shows something random (a dropout mask, a deep stack's weights) computes it in the reader's
browser, where torch is not available; it draws from this counter-based generator instead, and the library
computes the same numbers here to check what the page shows. Number i of stream `seed` is a 32-bit mix
(mulberry32's) of seed·0x9E3779B1 + (i+1)·0x6D2B79F5, so any number can be computed on its own.
"""

from __future__ import annotations

import numpy as np

from ..._checks import check_int

_MASK = np.uint64(0xFFFFFFFF)


def _imul(a: np.ndarray, b: object) -> np.ndarray:
    """JavaScript's Math.imul on 32-bit patterns (arrays or a constant): the low 32 bits of the product."""
    return (a * np.asarray(b, dtype=np.uint64)) & _MASK  # uint64 products wrap modulo 2**64: low 32 bits exact


def uniforms(seed: int, n: int) -> np.ndarray:
    """n float64 numbers in [0, 1) from stream `seed`, exactly those runtime.js's `uniforms(seed, n)` gives."""
    seed = check_int("seed", seed, 0, 2**31 - 1)
    i = np.arange(1, check_int("n", n, 0, 10**8) + 1, dtype=np.uint64)
    t = (_imul(np.full_like(i, seed), 0x9E3779B1) + _imul(i, 0x6D2B79F5)) & _MASK
    t = _imul(t ^ (t >> np.uint64(15)), t | np.uint64(1))
    t = t ^ ((t + _imul(t ^ (t >> np.uint64(7)), t | np.uint64(61))) & _MASK)
    return ((t ^ (t >> np.uint64(14))) & _MASK).astype(np.float64) / 4294967296.0


def normals(seed: int, n: int) -> np.ndarray:
    """n standard normal float64 numbers from stream `seed` (Box-Muller), as runtime.js's `normals(seed, n)`."""
    u = uniforms(seed, 2 * check_int("n", n, 0, 10**8))
    return np.sqrt(-2.0 * np.log(1.0 - u[0::2])) * np.cos(2.0 * np.pi * u[1::2])
