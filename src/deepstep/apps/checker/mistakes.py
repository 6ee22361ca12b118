"""The catalogue of the mistakes learners make in the course's exercises: an identifier, what it is, and a hint in
the course's notation.  A diagnosis names one of these (``other`` when the mistake is outside the catalogue)."""

from __future__ import annotations

__all__ = ["MISTAKES", "describe"]

#: identifier -> (what it is, a hint in the course's notation)
MISTAKES: dict[str, tuple[str, str]] = {
    "scale_m": ("a factor of m or 1/m missing or doubled",
                "the 1/m of the cost sits in dW and db only: dW = (1/m) dZ A_prev^T, db = (1/m) sum(dZ), "
                "J = -(1/m) sum(...); dA_prev = W^T dZ has none; m = A_prev.shape[1]"),
    "transpose": ("a transposed operand or result",
                  "check the shapes: W is (n[l], n[l-1]), A_prev (n[l-1], m), Z (n[l], m); Z = W A_prev + b, "
                  "dW = dZ A_prev^T has W's shape, dA_prev = W^T dZ has A_prev's"),
    "elementwise_vs_dot": ("`*` where a matrix product belongs, or the reverse",
                           "np.dot(W, A) (or W @ A) is the matrix product; `*` multiplies entry by entry, as in "
                           "dZ = dA * g'(Z)"),
    "activation_derivative": ("the wrong derivative of the activation",
                              "sigmoid: g'(Z) = s (1 - s) with s = sigmoid(Z); tanh: 1 - A^2 (from A = tanh(Z), "
                              "not from Z); relu: 1 where Z > 0, else 0 (the mask comes from Z, not from dA)"),
    "wrong_activation": ("the wrong activation in a layer",
                         "C1W4: relu on layers 1..L-1 and sigmoid on layer L; C1W3: tanh then sigmoid; C2W1: relu, "
                         "relu, sigmoid"),
    "bias_shape": ("b or db of the wrong shape",
                   "b[l] and db[l] are (n[l], 1): np.sum(dZ, axis=1, keepdims=True); np.zeros((n, 1))"),
    "sign": ("a sign error in a cost, gradient or update",
             "J = -(1/m) sum(Y log A + (1 - Y) log(1 - A)); dZ[L] = A[L] - Y; theta = theta - alpha d theta"),
    "cache_mixup": ("cache entries in another order, or another layer's cache",
                    "linear cache (A_prev, W, b); layer cache ((A_prev, W, b), Z); caches[l - 1] belongs to "
                    "layer l"),
    "parameter_vs_gradient": ("a parameter used where its gradient belongs, or the reverse",
                              "W = W - alpha dW: the gradient is grads['dW' + str(l)], the parameter "
                              "parameters['W' + str(l)]"),
    "learning_rate": ("the learning rate missing or applied twice",
                      "theta = theta - alpha d theta: alpha once, on the step"),
    "l2_term": ("the L2 cost or gradient with the wrong scale",
                "cost: + (lambd / (2 m)) (sum W1^2 + sum W2^2 + sum W3^2); gradient: dW += (lambd / m) W"),
    "dropout_scaling": ("dropout not divided by keep_prob, or a new mask in the backward pass",
                        "forward: A = A * D / keep_prob; backward: dA = dA * D / keep_prob with the *same* D, "
                        "taken from the cache"),
    "adam_bias_correction": ("Adam's bias correction missing or with the wrong t",
                             "v_corrected = v / (1 - beta1^t), s_corrected = s / (1 - beta2^t), t counting from 1"),
    "optimizer_formula": ("a moving average with a wrong coefficient, or epsilon in the wrong place",
                          "v = beta v + (1 - beta) dW; s = beta2 s + (1 - beta2) dW^2; "
                          "W -= alpha v_corrected / (sqrt(s_corrected) + epsilon)"),
    "mutates_input": ("an input changed in place",
                      "copy before changing: dZ = np.array(dA, copy=True); parameters = copy.deepcopy(params)"),
    "initialization_scale": ("the wrong scale or seed order of the weights",
                             "np.random.seed(3) once, then for l = 1..L: W = np.random.randn(n[l], n[l-1]) * 0.01, "
                             "b = np.zeros((n[l], 1)) (b draws nothing)"),
    "cost_shape": ("the cost not a scalar",
                   "cost = np.squeeze(cost) turns a (1, 1) array into a scalar"),
    "mini_batch_partition": ("mini-batches shuffled or cut wrongly",
                             "one permutation for X and Y: X[:, permutation], Y[:, permutation]; floor(m / size) "
                             "full batches, then one with the m % size rest (none when it is 0)"),
    "other": ("wrong in a way outside the catalogue", "compare the first quantity that differs"),
}


def describe(kind: str) -> str:
    """The one-line description of a mistake kind."""
    return MISTAKES[kind][0]
