"""The three classic cases of one engine, on a problem small enough to read."""

import numpy as np

import deepstep as ds

rng = np.random.default_rng(0)
X = rng.uniform(-1, 1, (2, 400))
Y = ((X[0] > 0) ^ (X[1] > 0)).astype(int)[np.newaxis, :]  # XOR: not linearly separable

for name, net, lr in [
    ("logistic regression [2, 1]", ds.DeepNetwork([2, 1], init="zeros"), 1.0),
    ("one hidden layer [2, 8, 1] tanh", ds.DeepNetwork([2, 8, 1], hidden_activation="tanh", rng=0), 1.0),
    ("L-layer [2, 16, 8, 1] relu", ds.DeepNetwork([2, 16, 8, 1], rng=0), 0.3),
]:
    h = net.fit(X, Y, learning_rate=lr, num_iterations=3000)
    print(f"{name:34s} cost {h.cost[0]:.4f} -> {h.cost[-1]:.4f}   train accuracy {net.accuracy(X, Y):.1%}")
