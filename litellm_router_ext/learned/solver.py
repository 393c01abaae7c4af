"""The conjugate-gradient solver behind the ridge fits (the linear form and the n-gram form).

Both solve ``(X^T W X + penalty) x = X^T W y`` for a design too wide to build (one column per word or
hash bucket), so they pass the product as a function and never form the matrix.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def conjugate_gradient(matvec: Callable[[np.ndarray], np.ndarray], rhs: np.ndarray, iters: int) -> np.ndarray:
    """Solve ``matvec(x) = rhs`` for a symmetric positive-definite operator, in at most ``iters`` steps."""
    x = np.zeros_like(rhs)
    r = rhs.copy()
    d = r.copy()
    rs = float(r @ r)
    stop = 1e-10 * float(rhs @ rhs)
    for _ in range(iters):
        ad = matvec(d)
        curvature = float(d @ ad)
        if rs <= stop or curvature <= 0.0:  # already solved (e.g. a constant target)
            break
        alpha = rs / curvature
        x += alpha * d
        r -= alpha * ad
        rs_new = float(r @ r)
        if rs_new < stop:
            break
        d = r + (rs_new / rs) * d
        rs = rs_new
    return x
