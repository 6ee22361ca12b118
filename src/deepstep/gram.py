"""The Gram-matrix ("dual") form of the first layer, for full-batch gradient descent.

With full-batch gradient descent every update of W[1] is a combination of the
examples: ``W[1] := W[1] - (alpha/m) dZ[1] X^T``.  So instead of W[1] the
trainer can keep ``P = W[1] X`` (n[1], m) and update it with the Gram matrix
``G = X^T X`` (m, m), computed once:

* ``P := P - (alpha/m) dZ[1] G`` (since ``dZ[1] X^T X = dZ[1] G``), and ``Z[1] = P + b[1]``;
* ``S := S + dZ[1]``, the running sum of the first layer's dZ;
* when training stops, ``W[1] = W[1](0) - (alpha/m) S X^T``, once.

Per iteration the first layer then costs about n[1] m^2 multiply-adds instead
of 2 n[1] n[0] m (the forward product W[1] X and dW[1] = (1/m) dZ[1] X^T),
and dA[0] is never needed.  This pays off when there are fewer examples than
features (m < n[0]) and the run is long enough to repay the one-off cost of G
(:func:`gram_pays_off`).  The result is the same gradient descent, up to
rounding.

Examples
--------
>>> import numpy as np
>>> from deepstep.gram import gram_matrix, update_products
>>> X = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])   # n[0] = 3 features, m = 2 examples
>>> G = gram_matrix(X)
>>> G
array([[2., 1.],
       [1., 5.]])
>>> W = np.array([[1.0, -1.0, 0.5]])
>>> dZ = np.array([[0.25, -0.5]])
>>> P = update_products(W @ X, dZ, G, learning_rate=0.1)
>>> bool(np.allclose(P, (W - 0.1 / 2 * dZ @ X.T) @ X))
True
"""

from __future__ import annotations

import numpy as np

__all__ = ["gram_matrix", "first_layer_products", "update_products", "first_layer_weights", "gram_pays_off"]


def gram_matrix(X: np.ndarray) -> np.ndarray:
    """The Gram matrix of the examples: G = X^T X.

    Parameters
    ----------
    X : ndarray of shape (n[0], m)

    Returns
    -------
    G : ndarray of shape (m, m)
        G[i, j] = x(i) . x(j), symmetric, in X's dtype.

    Notes
    -----
    Each entry is a sum of n[0] products (12288 for the cat pictures), so G is
    accumulated in float64 and rounded once to X's dtype: every entry of a
    float32 G is then the float32 nearest the exact dot product, whatever the
    BLAS's summation order.  G is made once per run, so this costs one product,
    not one per iteration.
    """
    wide = np.promote_types(X.dtype, np.float64)
    Xw = X.astype(wide, copy=False)
    return (Xw.T @ Xw).astype(X.dtype, copy=False)


def first_layer_products(W: np.ndarray, X: np.ndarray) -> np.ndarray:
    """The first layer's linear part without its bias: P = W[1] X.

    Parameters
    ----------
    W : ndarray of shape (n[1], n[0])
    X : ndarray of shape (n[0], m)

    Returns
    -------
    P : ndarray of shape (n[1], m)
        Z[1] = P + b[1].
    """
    return W @ X


def update_products(P: np.ndarray, dZ: np.ndarray, G: np.ndarray, learning_rate: float) -> np.ndarray:
    """One gradient-descent step of P = W[1] X: P - (alpha/m) dZ[1] G.

    Equal to (W[1] - alpha dW[1]) X with dW[1] = (1/m) dZ[1] X^T, since X^T X = G.

    Parameters
    ----------
    P : ndarray of shape (n[1], m)
        W[1] X before the step.
    dZ : ndarray of shape (n[1], m)
        dZ[1] of this iteration.
    G : ndarray of shape (m, m)
        X^T X.
    learning_rate : float
        alpha.

    Returns
    -------
    ndarray of shape (n[1], m)
        W[1] X after the step (a new array; the inputs are left untouched).
    """
    m = dZ.shape[1]
    return P - (float(learning_rate) / m) * (dZ @ G)


def first_layer_weights(W0: np.ndarray, S: np.ndarray, X: np.ndarray, learning_rate: float) -> np.ndarray:
    """W[1] after the iterations summed in S: W[1](0) - (alpha/m) S X^T.

    Parameters
    ----------
    W0 : ndarray of shape (n[1], n[0])
        W[1] before the first of those iterations.
    S : ndarray of shape (n[1], m)
        The sum of dZ[1] over the iterations done.
    X : ndarray of shape (n[0], m)
    learning_rate : float
        alpha.

    Returns
    -------
    W : ndarray of shape (n[1], n[0])
        A new array; the inputs are left untouched.
    """
    m = X.shape[1]
    return W0 - (float(learning_rate) / m) * (S @ X.T)


def gram_pays_off(n0: int, n1: int, m: int, num_iterations: int) -> bool:
    """Whether the Gram form of the first layer does less arithmetic than the plain one.

    Counting multiply-adds of the first layer over a run of T full-batch
    iterations:

    * plain: ``2 n1 n0 m`` per iteration (W[1] X and dZ[1] X^T);
    * Gram: ``n1 m^2`` per iteration (dZ[1] G), plus, once, ``n0 m^2`` for G,
      ``n1 n0 m`` for P = W[1] X and ``n1 n0 m`` for W[1] at the end.

    The Gram form is chosen when m < n0 (then G, m x m, is also smaller than X)
    and ``T n1 (2 n0 - m) > n0 (m + 2 n1)``, i.e. the per-iteration saving
    repays the one-off cost within T iterations.

    Parameters
    ----------
    n0, n1 : int
        Input size n[0] and first-layer size n[1].
    m : int
        Number of examples (full batch).
    num_iterations : int
        T.

    Returns
    -------
    bool

    Examples
    --------
    >>> gram_pays_off(12288, 20, 209, 2500)   # the cat pictures
    True
    >>> gram_pays_off(784, 256, 60000, 100)   # more examples than features
    False
    """
    if m >= n0:
        return False
    return num_iterations * n1 * (2 * n0 - m) > n0 * (m + 2 * n1)
