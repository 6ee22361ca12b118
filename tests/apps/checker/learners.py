"""Learners' implementations for the checker's tests: correct ones written in other ways than the reference, and
deliberately broken ones, each labelled with the mistake it makes.

Each entry is source code as a learner writes it (the course's names and signatures); a broken entry names the
function whose mistake it is.  The helpers a broken function needs come from ``HELPERS_C1W4`` and friends, right.
"""

C1W4_RIGHT = '''
import numpy as np
import copy
from dnn_utils import sigmoid, relu, sigmoid_backward, relu_backward

def initialize_parameters(n_x, n_h, n_y):
    np.random.seed(1)
    W1 = np.random.randn(n_h, n_x) * 0.01
    b1 = np.zeros((n_h, 1))
    W2 = np.random.randn(n_y, n_h) * 0.01
    b2 = np.zeros((n_y, 1))
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}

def initialize_parameters_deep(layer_dims):
    np.random.seed(3)
    parameters = {}
    L = len(layer_dims)
    for l in range(1, L):
        parameters["W" + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1]) * 0.01
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters

def linear_forward(A, W, b):
    Z = np.dot(W, A) + b
    cache = (A, W, b)
    return Z, cache

def linear_activation_forward(A_prev, W, b, activation):
    if activation == "sigmoid":
        Z, linear_cache = linear_forward(A_prev, W, b)
        A, activation_cache = sigmoid(Z)
    elif activation == "relu":
        Z, linear_cache = linear_forward(A_prev, W, b)
        A, activation_cache = relu(Z)
    cache = (linear_cache, activation_cache)
    return A, cache

def L_model_forward(X, parameters):
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L):
        A_prev = A
        A, cache = linear_activation_forward(A_prev, parameters["W" + str(l)], parameters["b" + str(l)], "relu")
        caches.append(cache)
    AL, cache = linear_activation_forward(A, parameters["W" + str(L)], parameters["b" + str(L)], "sigmoid")
    caches.append(cache)
    return AL, caches

def compute_cost(AL, Y):
    m = Y.shape[1]
    cost = -1 / m * (np.dot(Y, np.log(AL).T) + np.dot(1 - Y, np.log(1 - AL).T))
    cost = np.squeeze(cost)
    return cost

def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = 1 / m * np.dot(dZ, A_prev.T)
    db = 1 / m * np.sum(dZ, axis=1, keepdims=True)
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db

def linear_activation_backward(dA, cache, activation):
    linear_cache, activation_cache = cache
    if activation == "relu":
        dZ = relu_backward(dA, activation_cache)
        dA_prev, dW, db = linear_backward(dZ, linear_cache)
    elif activation == "sigmoid":
        dZ = sigmoid_backward(dA, activation_cache)
        dA_prev, dW, db = linear_backward(dZ, linear_cache)
    return dA_prev, dW, db

def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    m = AL.shape[1]
    Y = Y.reshape(AL.shape)
    dAL = - (np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    current_cache = caches[L - 1]
    dA_prev_temp, dW_temp, db_temp = linear_activation_backward(dAL, current_cache, "sigmoid")
    grads["dA" + str(L - 1)] = dA_prev_temp
    grads["dW" + str(L)] = dW_temp
    grads["db" + str(L)] = db_temp
    for l in reversed(range(L - 1)):
        current_cache = caches[l]
        dA_prev_temp, dW_temp, db_temp = linear_activation_backward(grads["dA" + str(l + 1)], current_cache, "relu")
        grads["dA" + str(l)] = dA_prev_temp
        grads["dW" + str(l + 1)] = dW_temp
        grads["db" + str(l + 1)] = db_temp
    return grads

def update_parameters(params, grads, learning_rate):
    parameters = copy.deepcopy(params)
    L = len(parameters) // 2
    for l in range(L):
        parameters["W" + str(l + 1)] = parameters["W" + str(l + 1)] - learning_rate * grads["dW" + str(l + 1)]
        parameters["b" + str(l + 1)] = parameters["b" + str(l + 1)] - learning_rate * grads["db" + str(l + 1)]
    return parameters
'''

C1W2_RIGHT = '''
import numpy as np
import copy

def sigmoid(z):
    return 1 / (1 + np.exp(-z))

def initialize_with_zeros(dim):
    w = np.zeros((dim, 1))
    b = 0.0
    return w, b

def propagate(w, b, X, Y):
    m = X.shape[1]
    A = sigmoid(np.dot(w.T, X) + b)
    cost = -1 / m * np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))
    dw = 1 / m * np.dot(X, (A - Y).T)
    db = 1 / m * np.sum(A - Y)
    cost = np.squeeze(np.array(cost))
    grads = {"dw": dw, "db": db}
    return grads, cost

def optimize(w, b, X, Y, num_iterations=100, learning_rate=0.009, print_cost=False):
    w = copy.deepcopy(w)
    b = copy.deepcopy(b)
    costs = []
    for i in range(num_iterations):
        grads, cost = propagate(w, b, X, Y)
        dw = grads["dw"]
        db = grads["db"]
        w = w - learning_rate * dw
        b = b - learning_rate * db
        if i % 100 == 0:
            costs.append(cost)
    params = {"w": w, "b": b}
    grads = {"dw": dw, "db": db}
    return params, grads, costs

def predict(w, b, X):
    m = X.shape[1]
    Y_prediction = np.zeros((1, m))
    w = w.reshape(X.shape[0], 1)
    A = sigmoid(np.dot(w.T, X) + b)
    for i in range(A.shape[1]):
        if A[0, i] > 0.5:
            Y_prediction[0, i] = 1
        else:
            Y_prediction[0, i] = 0
    return Y_prediction
'''

C1W3_RIGHT = '''
import numpy as np
import copy
from planar_utils import sigmoid

def layer_sizes(X, Y):
    n_x = X.shape[0]
    n_h = 4
    n_y = Y.shape[0]
    return (n_x, n_h, n_y)

def initialize_parameters(n_x, n_h, n_y):
    W1 = np.random.randn(n_h, n_x) * 0.01
    b1 = np.zeros((n_h, 1))
    W2 = np.random.randn(n_y, n_h) * 0.01
    b2 = np.zeros((n_y, 1))
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}

def forward_propagation(X, parameters):
    W1 = parameters["W1"]
    b1 = parameters["b1"]
    W2 = parameters["W2"]
    b2 = parameters["b2"]
    Z1 = np.dot(W1, X) + b1
    A1 = np.tanh(Z1)
    Z2 = np.dot(W2, A1) + b2
    A2 = sigmoid(Z2)
    cache = {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}
    return A2, cache

def compute_cost(A2, Y):
    m = Y.shape[1]
    logprobs = np.multiply(np.log(A2), Y) + np.multiply(np.log(1 - A2), 1 - Y)
    cost = -np.sum(logprobs) / m
    cost = float(np.squeeze(cost))
    return cost

def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    W1 = parameters["W1"]
    W2 = parameters["W2"]
    A1 = cache["A1"]
    A2 = cache["A2"]
    dZ2 = A2 - Y
    dW2 = 1 / m * np.dot(dZ2, A1.T)
    db2 = 1 / m * np.sum(dZ2, axis=1, keepdims=True)
    dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))
    dW1 = 1 / m * np.dot(dZ1, X.T)
    db1 = 1 / m * np.sum(dZ1, axis=1, keepdims=True)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}

def update_parameters(parameters, grads, learning_rate=1.2):
    W1 = copy.deepcopy(parameters["W1"])
    b1 = parameters["b1"]
    W2 = copy.deepcopy(parameters["W2"])
    b2 = parameters["b2"]
    W1 = W1 - learning_rate * grads["dW1"]
    b1 = b1 - learning_rate * grads["db1"]
    W2 = W2 - learning_rate * grads["dW2"]
    b2 = b2 - learning_rate * grads["db2"]
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}

def predict(parameters, X):
    A2, cache = forward_propagation(X, parameters)
    return A2 > 0.5
'''

C2W1_RIGHT = '''
import numpy as np
from reg_utils import compute_cost, relu, sigmoid

def compute_cost_with_regularization(A3, Y, parameters, lambd):
    m = Y.shape[1]
    W1 = parameters["W1"]
    W2 = parameters["W2"]
    W3 = parameters["W3"]
    cross_entropy_cost = compute_cost(A3, Y)
    L2_regularization_cost = lambd / (2 * m) * (np.sum(np.square(W1)) + np.sum(np.square(W2)) + np.sum(np.square(W3)))
    return cross_entropy_cost + L2_regularization_cost

def backward_propagation_with_regularization(X, Y, cache, lambd):
    m = X.shape[1]
    (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3) = cache
    dZ3 = A3 - Y
    dW3 = 1. / m * np.dot(dZ3, A2.T) + lambd / m * W3
    db3 = 1. / m * np.sum(dZ3, axis=1, keepdims=True)
    dA2 = np.dot(W3.T, dZ3)
    dZ2 = np.multiply(dA2, np.int64(A2 > 0))
    dW2 = 1. / m * np.dot(dZ2, A1.T) + lambd / m * W2
    db2 = 1. / m * np.sum(dZ2, axis=1, keepdims=True)
    dA1 = np.dot(W2.T, dZ2)
    dZ1 = np.multiply(dA1, np.int64(A1 > 0))
    dW1 = 1. / m * np.dot(dZ1, X.T) + lambd / m * W1
    db1 = 1. / m * np.sum(dZ1, axis=1, keepdims=True)
    return {"dZ3": dZ3, "dW3": dW3, "db3": db3, "dA2": dA2, "dZ2": dZ2, "dW2": dW2, "db2": db2, "dA1": dA1,
            "dZ1": dZ1, "dW1": dW1, "db1": db1}

def forward_propagation_with_dropout(X, parameters, keep_prob=0.5):
    np.random.seed(1)
    W1 = parameters["W1"]; b1 = parameters["b1"]
    W2 = parameters["W2"]; b2 = parameters["b2"]
    W3 = parameters["W3"]; b3 = parameters["b3"]
    Z1 = np.dot(W1, X) + b1
    A1 = relu(Z1)
    D1 = np.random.rand(A1.shape[0], A1.shape[1])
    D1 = (D1 < keep_prob).astype(int)
    A1 = A1 * D1
    A1 = A1 / keep_prob
    Z2 = np.dot(W2, A1) + b2
    A2 = relu(Z2)
    D2 = np.random.rand(A2.shape[0], A2.shape[1])
    D2 = (D2 < keep_prob).astype(int)
    A2 = A2 * D2
    A2 = A2 / keep_prob
    Z3 = np.dot(W3, A2) + b3
    A3 = sigmoid(Z3)
    cache = (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3)
    return A3, cache

def backward_propagation_with_dropout(X, Y, cache, keep_prob):
    m = X.shape[1]
    (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3) = cache
    dZ3 = A3 - Y
    dW3 = 1. / m * np.dot(dZ3, A2.T)
    db3 = 1. / m * np.sum(dZ3, axis=1, keepdims=True)
    dA2 = np.dot(W3.T, dZ3)
    dA2 = dA2 * D2
    dA2 = dA2 / keep_prob
    dZ2 = np.multiply(dA2, np.int64(A2 > 0))
    dW2 = 1. / m * np.dot(dZ2, A1.T)
    db2 = 1. / m * np.sum(dZ2, axis=1, keepdims=True)
    dA1 = np.dot(W2.T, dZ2)
    dA1 = dA1 * D1
    dA1 = dA1 / keep_prob
    dZ1 = np.multiply(dA1, np.int64(A1 > 0))
    dW1 = 1. / m * np.dot(dZ1, X.T)
    db1 = 1. / m * np.sum(dZ1, axis=1, keepdims=True)
    return {"dZ3": dZ3, "dW3": dW3, "db3": db3, "dA2": dA2, "dZ2": dZ2, "dW2": dW2, "db2": db2, "dA1": dA1,
            "dZ1": dZ1, "dW1": dW1, "db1": db1}
'''

C2W2_RIGHT = '''
import numpy as np
import math

def update_parameters_with_gd(parameters, grads, learning_rate):
    L = len(parameters) // 2
    for l in range(1, L + 1):
        parameters["W" + str(l)] = parameters["W" + str(l)] - learning_rate * grads["dW" + str(l)]
        parameters["b" + str(l)] = parameters["b" + str(l)] - learning_rate * grads["db" + str(l)]
    return parameters

def random_mini_batches(X, Y, mini_batch_size=64, seed=0):
    np.random.seed(seed)
    m = X.shape[1]
    mini_batches = []
    permutation = list(np.random.permutation(m))
    shuffled_X = X[:, permutation]
    shuffled_Y = Y[:, permutation].reshape((Y.shape[0], m))
    num_complete_minibatches = math.floor(m / mini_batch_size)
    for k in range(0, num_complete_minibatches):
        mini_batch_X = shuffled_X[:, k * mini_batch_size:(k + 1) * mini_batch_size]
        mini_batch_Y = shuffled_Y[:, k * mini_batch_size:(k + 1) * mini_batch_size]
        mini_batches.append((mini_batch_X, mini_batch_Y))
    if m % mini_batch_size != 0:
        mini_batch_X = shuffled_X[:, num_complete_minibatches * mini_batch_size:]
        mini_batch_Y = shuffled_Y[:, num_complete_minibatches * mini_batch_size:]
        mini_batches.append((mini_batch_X, mini_batch_Y))
    return mini_batches

def initialize_velocity(parameters):
    L = len(parameters) // 2
    v = {}
    for l in range(1, L + 1):
        v["dW" + str(l)] = np.zeros(parameters["W" + str(l)].shape)
        v["db" + str(l)] = np.zeros(parameters["b" + str(l)].shape)
    return v

def update_parameters_with_momentum(parameters, grads, v, beta, learning_rate):
    L = len(parameters) // 2
    for l in range(1, L + 1):
        v["dW" + str(l)] = beta * v["dW" + str(l)] + (1 - beta) * grads["dW" + str(l)]
        v["db" + str(l)] = beta * v["db" + str(l)] + (1 - beta) * grads["db" + str(l)]
        parameters["W" + str(l)] = parameters["W" + str(l)] - learning_rate * v["dW" + str(l)]
        parameters["b" + str(l)] = parameters["b" + str(l)] - learning_rate * v["db" + str(l)]
    return parameters, v

def initialize_adam(parameters):
    L = len(parameters) // 2
    v = {}
    s = {}
    for l in range(1, L + 1):
        v["dW" + str(l)] = np.zeros(parameters["W" + str(l)].shape)
        v["db" + str(l)] = np.zeros(parameters["b" + str(l)].shape)
        s["dW" + str(l)] = np.zeros(parameters["W" + str(l)].shape)
        s["db" + str(l)] = np.zeros(parameters["b" + str(l)].shape)
    return v, s

def update_parameters_with_adam(parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9, beta2=0.999,
                                epsilon=1e-8):
    L = len(parameters) // 2
    v_corrected = {}
    s_corrected = {}
    for l in range(1, L + 1):
        for p in ("W", "b"):
            k = "d" + p + str(l)
            v[k] = beta1 * v[k] + (1 - beta1) * grads[k]
            v_corrected[k] = v[k] / (1 - beta1 ** t)
            s[k] = beta2 * s[k] + (1 - beta2) * np.power(grads[k], 2)
            s_corrected[k] = s[k] / (1 - beta2 ** t)
            parameters[p + str(l)] = parameters[p + str(l)] - learning_rate * v_corrected[k] / (
                np.sqrt(s_corrected[k]) + epsilon)
    return parameters, v, s, v_corrected, s_corrected

def update_lr(learning_rate0, epoch_num, decay_rate):
    learning_rate = 1 / (1 + decay_rate * epoch_num) * learning_rate0
    return learning_rate

def schedule_lr_decay(learning_rate0, epoch_num, decay_rate, time_interval=1000):
    learning_rate = 1 / (1 + decay_rate * np.floor(epoch_num / time_interval)) * learning_rate0
    return learning_rate
'''

RIGHT = {"c1w2": C1W2_RIGHT, "c1w3": C1W3_RIGHT, "c1w4": C1W4_RIGHT, "c2w1": C2W1_RIGHT, "c2w2": C2W2_RIGHT}


def _b(kind, assignment, name, code):
    return (kind, assignment, name, code)


BROKEN = [
    # -- scale_m ---------------------------------------------------------------------------------------------------
    _b("scale_m", "c1w4", "linear_backward", '''
def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = np.dot(dZ, A_prev.T)
    db = 1 / m * np.sum(dZ, axis=1, keepdims=True)
    return np.dot(W.T, dZ), dW, db
'''),
    _b("scale_m", "c1w4", "linear_backward", '''
def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    return np.dot(W.T, dZ), np.dot(dZ, A_prev.T) / m, np.sum(dZ, axis=1, keepdims=True)
'''),
    _b("scale_m", "c1w4", "linear_backward", '''
def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    return np.dot(W.T, dZ) / m, np.dot(dZ, A_prev.T) / m, np.sum(dZ, axis=1, keepdims=True) / m
'''),
    _b("scale_m", "c1w2", "propagate", '''
def propagate(w, b, X, Y):
    m = X.shape[1]
    A = sigmoid(np.dot(w.T, X) + b)
    cost = np.squeeze(-1 / m * np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)))
    return {"dw": np.dot(X, (A - Y).T), "db": np.sum(A - Y) / m}, cost
'''),
    _b("scale_m", "c1w4", "compute_cost", '''
def compute_cost(AL, Y):
    return np.squeeze(-np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)))
'''),
    _b("scale_m", "c1w3", "backward_propagation", '''
def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dZ1 = np.dot(parameters["W2"].T, dZ2) * (1 - np.power(A1, 2))
    return {"dW1": np.dot(dZ1, X.T) / m / m, "db1": np.sum(dZ1, axis=1, keepdims=True) / m,
            "dW2": np.dot(dZ2, A1.T) / m, "db2": np.sum(dZ2, axis=1, keepdims=True) / m}
'''),
    # -- transpose -------------------------------------------------------------------------------------------------
    _b("transpose", "c1w4", "linear_forward", '''
def linear_forward(A, W, b):
    Z = np.dot(W.T, A) + b
    return Z, (A, W, b)
'''),
    _b("transpose", "c1w4", "linear_backward", '''
def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    return np.dot(W.T, dZ), 1 / m * np.dot(A_prev, dZ.T), 1 / m * np.sum(dZ, axis=1, keepdims=True)
'''),
    _b("transpose", "c1w4", "linear_backward", '''
def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    return np.dot(W, dZ), 1 / m * np.dot(dZ, A_prev.T), 1 / m * np.sum(dZ, axis=1, keepdims=True)
'''),
    _b("transpose", "c1w3", "backward_propagation", '''
def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dZ1 = np.dot(parameters["W2"].T, dZ2) * (1 - np.power(A1, 2))
    return {"dW1": np.dot(dZ1, X.T) / m, "db1": np.sum(dZ1, axis=1, keepdims=True) / m,
            "dW2": np.dot(A1, dZ2.T) / m, "db2": np.sum(dZ2, axis=1, keepdims=True) / m}
'''),
    _b("transpose", "c1w2", "initialize_with_zeros", '''
def initialize_with_zeros(dim):
    return np.zeros((1, dim)), 0.0
'''),
    _b("transpose", "c1w2", "propagate", '''
def propagate(w, b, X, Y):
    m = X.shape[1]
    A = sigmoid(np.dot(w.T, X) + b)
    cost = np.squeeze(-1 / m * np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)))
    return {"dw": np.dot(A - Y, X.T) / m, "db": np.sum(A - Y) / m}, cost
'''),
    _b("transpose", "c1w3", "layer_sizes", '''
def layer_sizes(X, Y):
    return (X.shape[1], 4, Y.shape[1])
'''),
    # -- elementwise_vs_dot ----------------------------------------------------------------------------------------
    _b("elementwise_vs_dot", "c1w4", "linear_forward", '''
def linear_forward(A, W, b):
    return W * A + b, (A, W, b)
'''),
    _b("elementwise_vs_dot", "c1w4", "linear_backward", '''
def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    return np.dot(W.T, dZ), 1 / m * dZ * A_prev.T, 1 / m * np.sum(dZ, axis=1, keepdims=True)
'''),
    _b("elementwise_vs_dot", "c1w4", "linear_backward", '''
def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    return W.T * dZ, 1 / m * np.dot(dZ, A_prev.T), 1 / m * np.sum(dZ, axis=1, keepdims=True)
'''),
    _b("elementwise_vs_dot", "c1w3", "forward_propagation", '''
def forward_propagation(X, parameters):
    Z1 = parameters["W1"] * X + parameters["b1"]
    A1 = np.tanh(Z1)
    Z2 = np.dot(parameters["W2"], A1) + parameters["b2"]
    A2 = sigmoid(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}
'''),
    _b("elementwise_vs_dot", "c1w2", "propagate", '''
def propagate(w, b, X, Y):
    m = X.shape[1]
    A = sigmoid(w * X + b)
    cost = np.squeeze(-1 / m * np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)))
    return {"dw": np.dot(X, (A - Y).T) / m, "db": np.sum(A - Y) / m}, cost
'''),
    _b("elementwise_vs_dot", "c1w4", "linear_activation_forward", '''
def linear_activation_forward(A_prev, W, b, activation):
    Z = W * A_prev + b
    A = 1 / (1 + np.exp(-Z)) if activation == "sigmoid" else np.maximum(0, Z)
    return A, ((A_prev, W, b), Z)
'''),
    # -- activation_derivative -------------------------------------------------------------------------------------
    _b("activation_derivative", "c1w4", "linear_activation_backward", '''
def linear_activation_backward(dA, cache, activation):
    linear_cache, Z = cache
    if activation == "relu":
        dZ = np.array(dA, copy=True)
        dZ[dA <= 0] = 0
    else:
        s = 1 / (1 + np.exp(-Z))
        dZ = dA * s * (1 - s)
    return linear_backward(dZ, linear_cache)
'''),
    _b("activation_derivative", "c1w4", "linear_activation_backward", '''
def linear_activation_backward(dA, cache, activation):
    linear_cache, Z = cache
    if activation == "relu":
        dZ = relu_backward(dA, Z)
    else:
        dZ = dA * (1 / (1 + np.exp(-Z)))
    return linear_backward(dZ, linear_cache)
'''),
    _b("activation_derivative", "c1w4", "linear_activation_backward", '''
def linear_activation_backward(dA, cache, activation):
    linear_cache, Z = cache
    if activation == "relu":
        dZ = relu_backward(dA, Z)
    else:
        dZ = dA * Z * (1 - Z)
    return linear_backward(dZ, linear_cache)
'''),
    _b("activation_derivative", "c1w3", "backward_propagation", '''
def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    dZ2 = cache["A2"] - Y
    dZ1 = np.dot(parameters["W2"].T, dZ2) * (1 - np.power(cache["Z1"], 2))
    return {"dW1": np.dot(dZ1, X.T) / m, "db1": np.sum(dZ1, axis=1, keepdims=True) / m,
            "dW2": np.dot(dZ2, cache["A1"].T) / m, "db2": np.sum(dZ2, axis=1, keepdims=True) / m}
'''),
    _b("activation_derivative", "c1w3", "backward_propagation", '''
def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    A1 = cache["A1"]
    dZ2 = cache["A2"] - Y
    dZ1 = np.dot(parameters["W2"].T, dZ2) * (1 - A1)
    return {"dW1": np.dot(dZ1, X.T) / m, "db1": np.sum(dZ1, axis=1, keepdims=True) / m,
            "dW2": np.dot(dZ2, A1.T) / m, "db2": np.sum(dZ2, axis=1, keepdims=True) / m}
'''),
    _b("activation_derivative", "c1w3", "backward_propagation", '''
def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    A1 = cache["A1"]
    dZ2 = cache["A2"] - Y
    dZ1 = np.dot(parameters["W2"].T, dZ2) * A1 * (1 - A1)
    return {"dW1": np.dot(dZ1, X.T) / m, "db1": np.sum(dZ1, axis=1, keepdims=True) / m,
            "dW2": np.dot(dZ2, A1.T) / m, "db2": np.sum(dZ2, axis=1, keepdims=True) / m}
'''),
    # -- wrong_activation ------------------------------------------------------------------------------------------
    _b("wrong_activation", "c1w4", "linear_activation_forward", '''
def linear_activation_forward(A_prev, W, b, activation):
    Z, linear_cache = linear_forward(A_prev, W, b)
    A, activation_cache = relu(Z) if activation == "sigmoid" else sigmoid(Z)
    return A, (linear_cache, activation_cache)
'''),
    _b("wrong_activation", "c1w4", "L_model_forward", '''
def L_model_forward(X, parameters):
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L + 1):
        A, cache = linear_activation_forward(A, parameters["W" + str(l)], parameters["b" + str(l)], "sigmoid")
        caches.append(cache)
    return A, caches
'''),
    _b("wrong_activation", "c1w4", "L_model_forward", '''
def L_model_forward(X, parameters):
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L + 1):
        A, cache = linear_activation_forward(A, parameters["W" + str(l)], parameters["b" + str(l)], "relu")
        caches.append(cache)
    return A, caches
'''),
    _b("wrong_activation", "c1w3", "forward_propagation", '''
def forward_propagation(X, parameters):
    Z1 = np.dot(parameters["W1"], X) + parameters["b1"]
    A1 = np.maximum(0, Z1)
    Z2 = np.dot(parameters["W2"], A1) + parameters["b2"]
    A2 = sigmoid(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}
'''),
    _b("wrong_activation", "c1w4", "linear_activation_backward", '''
def linear_activation_backward(dA, cache, activation):
    linear_cache, activation_cache = cache
    if activation == "sigmoid":
        dZ = relu_backward(dA, activation_cache)
    else:
        dZ = sigmoid_backward(dA, activation_cache)
    return linear_backward(dZ, linear_cache)
'''),
    _b("wrong_activation", "c1w4", "L_model_backward", '''
def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dAL = - (np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = linear_activation_backward(
        dAL, caches[L - 1], "relu")
    for l in reversed(range(L - 1)):
        grads["dA" + str(l)], grads["dW" + str(l + 1)], grads["db" + str(l + 1)] = linear_activation_backward(
            grads["dA" + str(l + 1)], caches[l], "relu")
    return grads
'''),
    # -- bias_shape ------------------------------------------------------------------------------------------------
    _b("bias_shape", "c1w4", "linear_backward", '''
def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    return np.dot(W.T, dZ), np.dot(dZ, A_prev.T) / m, np.sum(dZ, axis=1) / m
'''),
    _b("bias_shape", "c1w4", "initialize_parameters_deep", '''
def initialize_parameters_deep(layer_dims):
    np.random.seed(3)
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters["W" + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1]) * 0.01
        parameters["b" + str(l)] = np.zeros(layer_dims[l])
    return parameters
'''),
    _b("bias_shape", "c1w4", "initialize_parameters", '''
def initialize_parameters(n_x, n_h, n_y):
    np.random.seed(1)
    W1 = np.random.randn(n_h, n_x) * 0.01
    W2 = np.random.randn(n_y, n_h) * 0.01
    return {"W1": W1, "b1": np.zeros((1, n_h)), "W2": W2, "b2": np.zeros((1, n_y))}
'''),
    _b("bias_shape", "c1w2", "initialize_with_zeros", '''
def initialize_with_zeros(dim):
    return np.zeros((dim, 1)), np.zeros((1, 1))
'''),
    _b("bias_shape", "c1w3", "backward_propagation", '''
def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    A1 = cache["A1"]
    dZ2 = cache["A2"] - Y
    dZ1 = np.dot(parameters["W2"].T, dZ2) * (1 - np.power(A1, 2))
    return {"dW1": np.dot(dZ1, X.T) / m, "db1": np.sum(dZ1, axis=1) / m,
            "dW2": np.dot(dZ2, A1.T) / m, "db2": np.sum(dZ2) / m}
'''),
    _b("bias_shape", "c2w2", "initialize_velocity", '''
def initialize_velocity(parameters):
    v = {}
    for l in range(1, len(parameters) // 2 + 1):
        v["dW" + str(l)] = np.zeros_like(parameters["W" + str(l)])
        v["db" + str(l)] = np.zeros(parameters["b" + str(l)].shape[0])
    return v
'''),
    # -- sign ------------------------------------------------------------------------------------------------------
    _b("sign", "c1w4", "compute_cost", '''
def compute_cost(AL, Y):
    m = Y.shape[1]
    return np.squeeze(1 / m * np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)))
'''),
    _b("sign", "c1w4", "update_parameters", '''
def update_parameters(params, grads, learning_rate):
    parameters = copy.deepcopy(params)
    for l in range(1, len(parameters) // 2 + 1):
        parameters["W" + str(l)] = parameters["W" + str(l)] + learning_rate * grads["dW" + str(l)]
        parameters["b" + str(l)] = parameters["b" + str(l)] + learning_rate * grads["db" + str(l)]
    return parameters
'''),
    _b("sign", "c1w4", "L_model_backward", '''
def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dAL = np.divide(Y, AL) - np.divide(1 - Y, 1 - AL)
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = linear_activation_backward(
        dAL, caches[L - 1], "sigmoid")
    for l in reversed(range(L - 1)):
        grads["dA" + str(l)], grads["dW" + str(l + 1)], grads["db" + str(l + 1)] = linear_activation_backward(
            grads["dA" + str(l + 1)], caches[l], "relu")
    return grads
'''),
    _b("sign", "c1w3", "backward_propagation", '''
def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    A1 = cache["A1"]
    dZ2 = Y - cache["A2"]
    dZ1 = np.dot(parameters["W2"].T, dZ2) * (1 - np.power(A1, 2))
    return {"dW1": np.dot(dZ1, X.T) / m, "db1": np.sum(dZ1, axis=1, keepdims=True) / m,
            "dW2": np.dot(dZ2, A1.T) / m, "db2": np.sum(dZ2, axis=1, keepdims=True) / m}
'''),
    _b("sign", "c2w2", "update_parameters_with_momentum", '''
def update_parameters_with_momentum(parameters, grads, v, beta, learning_rate):
    for l in range(1, len(parameters) // 2 + 1):
        for p in ("W", "b"):
            v["d" + p + str(l)] = beta * v["d" + p + str(l)] + (1 - beta) * grads["d" + p + str(l)]
            parameters[p + str(l)] = parameters[p + str(l)] + learning_rate * v["d" + p + str(l)]
    return parameters, v
'''),
    _b("sign", "c1w2", "predict", '''
def predict(w, b, X):
    A = sigmoid(np.dot(w.reshape(X.shape[0], 1).T, X) + b)
    return (A < 0.5).astype(float)
'''),
    # -- cache_mixup -----------------------------------------------------------------------------------------------
    _b("cache_mixup", "c1w4", "linear_forward", '''
def linear_forward(A, W, b):
    return np.dot(W, A) + b, (W, A, b)
'''),
    _b("cache_mixup", "c1w4", "linear_activation_forward", '''
def linear_activation_forward(A_prev, W, b, activation):
    Z, linear_cache = linear_forward(A_prev, W, b)
    A, activation_cache = sigmoid(Z) if activation == "sigmoid" else relu(Z)
    return A, (activation_cache, linear_cache)
'''),
    _b("cache_mixup", "c1w4", "linear_backward", '''
def linear_backward(dZ, cache):
    W, A_prev, b = cache
    m = A_prev.shape[1]
    return np.dot(W.T, dZ), np.dot(dZ, A_prev.T) / m, np.sum(dZ, axis=1, keepdims=True) / m
'''),
    _b("cache_mixup", "c1w4", "L_model_backward", '''
def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dAL = - (np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = linear_activation_backward(
        dAL, caches[L - 1], "sigmoid")
    for l in reversed(range(L - 1)):
        grads["dA" + str(l)], grads["dW" + str(l + 1)], grads["db" + str(l + 1)] = linear_activation_backward(
            grads["dA" + str(l + 1)], caches[l + 1], "relu")
    return grads
'''),
    _b("cache_mixup", "c1w3", "forward_propagation", '''
def forward_propagation(X, parameters):
    Z1 = np.dot(parameters["W1"], X) + parameters["b1"]
    A1 = np.tanh(Z1)
    Z2 = np.dot(parameters["W2"], A1) + parameters["b2"]
    A2 = sigmoid(Z2)
    return A2, {"Z1": A1, "A1": Z1, "Z2": A2, "A2": Z2}
'''),
    _b("cache_mixup", "c1w4", "L_model_forward", '''
def L_model_forward(X, parameters):
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L):
        A, cache = linear_activation_forward(A, parameters["W" + str(l)], parameters["b" + str(l)], "relu")
        caches.append(cache)
    AL, cache = linear_activation_forward(A, parameters["W" + str(L)], parameters["b" + str(L)], "sigmoid")
    return AL, caches
'''),
    _b("cache_mixup", "c2w1", "forward_propagation_with_dropout", '''
def forward_propagation_with_dropout(X, parameters, keep_prob=0.5):
    np.random.seed(1)
    W1, b1, W2, b2, W3, b3 = (parameters[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
    A1 = relu(np.dot(W1, X) + b1)
    Z1 = np.dot(W1, X) + b1
    D1 = (np.random.rand(A1.shape[0], A1.shape[1]) < keep_prob).astype(int)
    A1 = A1 * D1 / keep_prob
    Z2 = np.dot(W2, A1) + b2
    A2 = relu(Z2)
    D2 = (np.random.rand(A2.shape[0], A2.shape[1]) < keep_prob).astype(int)
    A2 = A2 * D2 / keep_prob
    Z3 = np.dot(W3, A2) + b3
    A3 = sigmoid(Z3)
    return A3, (Z1, A1, D1, W1, b1, Z2, A2, D2, W2, b2, Z3, A3, W3, b3)
'''),
    # -- parameter_vs_gradient -------------------------------------------------------------------------------------
    _b("parameter_vs_gradient", "c1w4", "update_parameters", '''
def update_parameters(params, grads, learning_rate):
    parameters = copy.deepcopy(params)
    for l in range(1, len(parameters) // 2 + 1):
        parameters["W" + str(l)] = parameters["W" + str(l)] - learning_rate * parameters["W" + str(l)]
        parameters["b" + str(l)] = parameters["b" + str(l)] - learning_rate * parameters["b" + str(l)]
    return parameters
'''),
    _b("parameter_vs_gradient", "c1w3", "update_parameters", '''
def update_parameters(parameters, grads, learning_rate=1.2):
    out = {}
    for key in ("W1", "b1", "W2", "b2"):
        out[key] = grads["d" + key] - learning_rate * grads["d" + key]
    return out
'''),
    _b("parameter_vs_gradient", "c2w2", "update_parameters_with_gd", '''
def update_parameters_with_gd(parameters, grads, learning_rate):
    for l in range(1, len(parameters) // 2 + 1):
        parameters["W" + str(l)] -= learning_rate * parameters["W" + str(l)]
        parameters["b" + str(l)] -= learning_rate * parameters["b" + str(l)]
    return parameters
'''),
    _b("parameter_vs_gradient", "c2w2", "update_parameters_with_momentum", '''
def update_parameters_with_momentum(parameters, grads, v, beta, learning_rate):
    for l in range(1, len(parameters) // 2 + 1):
        for p in ("W", "b"):
            k = "d" + p + str(l)
            v[k] = beta * v[k] + (1 - beta) * parameters[p + str(l)]
            parameters[p + str(l)] = parameters[p + str(l)] - learning_rate * v[k]
    return parameters, v
'''),
    _b("parameter_vs_gradient", "c2w2", "update_parameters_with_adam", '''
def update_parameters_with_adam(parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9, beta2=0.999,
                                epsilon=1e-8):
    v_corrected, s_corrected = {}, {}
    for l in range(1, len(parameters) // 2 + 1):
        for p in ("W", "b"):
            k = "d" + p + str(l)
            g = parameters[p + str(l)]
            v[k] = beta1 * v[k] + (1 - beta1) * g
            s[k] = beta2 * s[k] + (1 - beta2) * g ** 2
            v_corrected[k] = v[k] / (1 - beta1 ** t)
            s_corrected[k] = s[k] / (1 - beta2 ** t)
            parameters[p + str(l)] -= learning_rate * v_corrected[k] / (np.sqrt(s_corrected[k]) + epsilon)
    return parameters, v, s, v_corrected, s_corrected
'''),
    # -- learning_rate ---------------------------------------------------------------------------------------------
    _b("learning_rate", "c1w4", "update_parameters", '''
def update_parameters(params, grads, learning_rate):
    parameters = copy.deepcopy(params)
    for l in range(1, len(parameters) // 2 + 1):
        parameters["W" + str(l)] = parameters["W" + str(l)] - grads["dW" + str(l)]
        parameters["b" + str(l)] = parameters["b" + str(l)] - grads["db" + str(l)]
    return parameters
'''),
    _b("learning_rate", "c1w3", "update_parameters", '''
def update_parameters(parameters, grads, learning_rate=1.2):
    return {k: parameters[k] - learning_rate * learning_rate * grads["d" + k] for k in ("W1", "b1", "W2", "b2")}
'''),
    _b("learning_rate", "c2w2", "update_parameters_with_gd", '''
def update_parameters_with_gd(parameters, grads, learning_rate):
    for key in list(parameters):
        parameters[key] = parameters[key] - grads["d" + key]
    return parameters
'''),
    _b("learning_rate", "c2w2", "update_parameters_with_momentum", '''
def update_parameters_with_momentum(parameters, grads, v, beta, learning_rate):
    for key in list(parameters):
        v["d" + key] = beta * v["d" + key] + (1 - beta) * grads["d" + key]
        parameters[key] = parameters[key] - v["d" + key]
    return parameters, v
'''),
    _b("learning_rate", "c2w2", "update_parameters_with_adam", '''
def update_parameters_with_adam(parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9, beta2=0.999,
                                epsilon=1e-8):
    vc, sc = {}, {}
    for key in list(parameters):
        k = "d" + key
        v[k] = beta1 * v[k] + (1 - beta1) * grads[k]
        s[k] = beta2 * s[k] + (1 - beta2) * grads[k] ** 2
        vc[k] = v[k] / (1 - beta1 ** t)
        sc[k] = s[k] / (1 - beta2 ** t)
        parameters[key] = parameters[key] - vc[k] / (np.sqrt(sc[k]) + epsilon)
    return parameters, v, s, vc, sc
'''),
    _b("learning_rate", "c1w2", "optimize", '''
def optimize(w, b, X, Y, num_iterations=100, learning_rate=0.009, print_cost=False):
    w = copy.deepcopy(w)
    costs = []
    for i in range(num_iterations):
        grads, cost = propagate(w, b, X, Y)
        w = w - grads["dw"]
        b = b - grads["db"]
        if i % 100 == 0:
            costs.append(cost)
    return {"w": w, "b": b}, grads, costs
'''),
    # -- l2_term ---------------------------------------------------------------------------------------------------
    _b("l2_term", "c2w1", "compute_cost_with_regularization", '''
def compute_cost_with_regularization(A3, Y, parameters, lambd):
    m = Y.shape[1]
    W1, W2, W3 = parameters["W1"], parameters["W2"], parameters["W3"]
    return compute_cost(A3, Y) + lambd / m * (np.sum(np.square(W1)) + np.sum(np.square(W2)) + np.sum(np.square(W3)))
'''),
    _b("l2_term", "c2w1", "compute_cost_with_regularization", '''
def compute_cost_with_regularization(A3, Y, parameters, lambd):
    W1, W2, W3 = parameters["W1"], parameters["W2"], parameters["W3"]
    return compute_cost(A3, Y) + lambd / 2 * (np.sum(W1 ** 2) + np.sum(W2 ** 2) + np.sum(W3 ** 2))
'''),
    _b("l2_term", "c2w1", "backward_propagation_with_regularization", '''
def backward_propagation_with_regularization(X, Y, cache, lambd):
    m = X.shape[1]
    (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3) = cache
    g = backward_propagation(X, Y, cache)
    g["dW1"] = g["dW1"] + lambd / (2 * m) * W1
    g["dW2"] = g["dW2"] + lambd / (2 * m) * W2
    g["dW3"] = g["dW3"] + lambd / (2 * m) * W3
    return g
'''),
    _b("l2_term", "c2w1", "backward_propagation_with_regularization", '''
def backward_propagation_with_regularization(X, Y, cache, lambd):
    m = X.shape[1]
    g = backward_propagation(X, Y, cache)
    for key, W in (("dW1", cache[2]), ("dW2", cache[6]), ("dW3", cache[10])):
        g[key] = g[key] + lambd * W
    return g
'''),
    _b("l2_term", "c2w1", "backward_propagation_with_regularization", '''
def backward_propagation_with_regularization(X, Y, cache, lambd):
    m = X.shape[1]
    g = backward_propagation(X, Y, cache)
    for key, W in (("dW1", cache[2]), ("dW2", cache[6]), ("dW3", cache[10])):
        g[key] = g[key] + 2 * lambd / m * W
    return g
'''),
    _b("l2_term", "c2w1", "backward_propagation_with_regularization", '''
def backward_propagation_with_regularization(X, Y, cache, lambd):
    return backward_propagation(X, Y, cache)
'''),
    # -- dropout_scaling -------------------------------------------------------------------------------------------
    _b("dropout_scaling", "c2w1", "forward_propagation_with_dropout", '''
def forward_propagation_with_dropout(X, parameters, keep_prob=0.5):
    np.random.seed(1)
    W1, b1, W2, b2, W3, b3 = (parameters[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
    Z1 = np.dot(W1, X) + b1
    A1 = relu(Z1)
    D1 = (np.random.rand(A1.shape[0], A1.shape[1]) < keep_prob).astype(int)
    A1 = A1 * D1
    Z2 = np.dot(W2, A1) + b2
    A2 = relu(Z2)
    D2 = (np.random.rand(A2.shape[0], A2.shape[1]) < keep_prob).astype(int)
    A2 = A2 * D2
    Z3 = np.dot(W3, A2) + b3
    A3 = sigmoid(Z3)
    return A3, (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3)
'''),
    _b("dropout_scaling", "c2w1", "forward_propagation_with_dropout", '''
def forward_propagation_with_dropout(X, parameters, keep_prob=0.5):
    np.random.seed(1)
    W1, b1, W2, b2, W3, b3 = (parameters[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
    Z1 = np.dot(W1, X) + b1
    A1 = relu(Z1)
    D1 = np.random.rand(A1.shape[0], A1.shape[1]) < keep_prob
    A1 = A1 * D1 * keep_prob
    Z2 = np.dot(W2, A1) + b2
    A2 = relu(Z2)
    D2 = np.random.rand(A2.shape[0], A2.shape[1]) < keep_prob
    A2 = A2 * D2 * keep_prob
    Z3 = np.dot(W3, A2) + b3
    A3 = sigmoid(Z3)
    return A3, (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3)
'''),
    _b("dropout_scaling", "c2w1", "backward_propagation_with_dropout", '''
def backward_propagation_with_dropout(X, Y, cache, keep_prob):
    m = X.shape[1]
    (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3) = cache
    dZ3 = A3 - Y
    dA2 = np.dot(W3.T, dZ3) * D2
    dZ2 = np.multiply(dA2, np.int64(A2 > 0))
    dA1 = np.dot(W2.T, dZ2) * D1
    dZ1 = np.multiply(dA1, np.int64(A1 > 0))
    return {"dZ3": dZ3, "dW3": np.dot(dZ3, A2.T) / m, "db3": np.sum(dZ3, axis=1, keepdims=True) / m,
            "dA2": dA2, "dZ2": dZ2, "dW2": np.dot(dZ2, A1.T) / m, "db2": np.sum(dZ2, axis=1, keepdims=True) / m,
            "dA1": dA1, "dZ1": dZ1, "dW1": np.dot(dZ1, X.T) / m, "db1": np.sum(dZ1, axis=1, keepdims=True) / m}
'''),
    _b("dropout_scaling", "c2w1", "backward_propagation_with_dropout", '''
def backward_propagation_with_dropout(X, Y, cache, keep_prob):
    m = X.shape[1]
    (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3) = cache
    D1 = (np.random.rand(A1.shape[0], A1.shape[1]) < keep_prob).astype(int)
    D2 = (np.random.rand(A2.shape[0], A2.shape[1]) < keep_prob).astype(int)
    dZ3 = A3 - Y
    dA2 = np.dot(W3.T, dZ3) * D2 / keep_prob
    dZ2 = np.multiply(dA2, np.int64(A2 > 0))
    dA1 = np.dot(W2.T, dZ2) * D1 / keep_prob
    dZ1 = np.multiply(dA1, np.int64(A1 > 0))
    return {"dZ3": dZ3, "dW3": np.dot(dZ3, A2.T) / m, "db3": np.sum(dZ3, axis=1, keepdims=True) / m,
            "dA2": dA2, "dZ2": dZ2, "dW2": np.dot(dZ2, A1.T) / m, "db2": np.sum(dZ2, axis=1, keepdims=True) / m,
            "dA1": dA1, "dZ1": dZ1, "dW1": np.dot(dZ1, X.T) / m, "db1": np.sum(dZ1, axis=1, keepdims=True) / m}
'''),
    _b("dropout_scaling", "c2w1", "backward_propagation_with_dropout", '''
def backward_propagation_with_dropout(X, Y, cache, keep_prob):
    m = X.shape[1]
    (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3) = cache
    dZ3 = A3 - Y
    dA2 = np.dot(W3.T, dZ3) * D2 * keep_prob
    dZ2 = np.multiply(dA2, np.int64(A2 > 0))
    dA1 = np.dot(W2.T, dZ2) * D1 * keep_prob
    dZ1 = np.multiply(dA1, np.int64(A1 > 0))
    return {"dZ3": dZ3, "dW3": np.dot(dZ3, A2.T) / m, "db3": np.sum(dZ3, axis=1, keepdims=True) / m,
            "dA2": dA2, "dZ2": dZ2, "dW2": np.dot(dZ2, A1.T) / m, "db2": np.sum(dZ2, axis=1, keepdims=True) / m,
            "dA1": dA1, "dZ1": dZ1, "dW1": np.dot(dZ1, X.T) / m, "db1": np.sum(dZ1, axis=1, keepdims=True) / m}
'''),
    # -- adam_bias_correction --------------------------------------------------------------------------------------
] + [
    _b("adam_bias_correction", "c2w2", "update_parameters_with_adam", '''
def update_parameters_with_adam(parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9, beta2=0.999,
                                epsilon=1e-8):
    vc, sc = {}, {}
    for key in list(parameters):
        k = "d" + key
        v[k] = beta1 * v[k] + (1 - beta1) * grads[k]
        s[k] = beta2 * s[k] + (1 - beta2) * grads[k] ** 2
        vc[k] = VC
        sc[k] = SC
        parameters[key] = parameters[key] - learning_rate * vc[k] / (np.sqrt(sc[k]) + epsilon)
    return parameters, v, s, vc, sc
'''.replace("VC", vc).replace("SC", sc))
    for vc, sc in (("v[k]", "s[k]"), ("v[k] / (1 - beta1 ** (t - 1))", "s[k] / (1 - beta2 ** (t - 1))"),
                   ("v[k] / (1 - beta1 ** (t + 1))", "s[k] / (1 - beta2 ** (t + 1))"),
                   ("v[k] / (1 - beta1 ** t)", "s[k]"), ("v[k] / (1 - beta2 ** t)", "s[k] / (1 - beta1 ** t)"))
] + [
    # -- optimizer_formula -----------------------------------------------------------------------------------------
    _b("optimizer_formula", "c2w2", "update_parameters_with_momentum", '''
def update_parameters_with_momentum(parameters, grads, v, beta, learning_rate):
    for key in list(parameters):
        v["d" + key] = beta * v["d" + key] + grads["d" + key]
        parameters[key] = parameters[key] - learning_rate * v["d" + key]
    return parameters, v
'''),
    _b("optimizer_formula", "c2w2", "update_parameters_with_momentum", '''
def update_parameters_with_momentum(parameters, grads, v, beta, learning_rate):
    for key in list(parameters):
        v["d" + key] = (1 - beta) * v["d" + key] + beta * grads["d" + key]
        parameters[key] = parameters[key] - learning_rate * v["d" + key]
    return parameters, v
'''),
] + [
    _b("optimizer_formula", "c2w2", "update_parameters_with_adam", '''
def update_parameters_with_adam(parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9, beta2=0.999,
                                epsilon=1e-8):
    vc, sc = {}, {}
    for key in list(parameters):
        k = "d" + key
        v[k] = VNEW
        s[k] = SNEW
        vc[k] = v[k] / (1 - beta1 ** t)
        sc[k] = s[k] / (1 - beta2 ** t)
        parameters[key] = parameters[key] - learning_rate * vc[k] / DENOM
    return parameters, v, s, vc, sc
'''.replace("VNEW", vn).replace("SNEW", sn).replace("DENOM", dn))
    for vn, sn, dn in (
        ("beta1 * v[k] + (1 - beta1) * grads[k]", "beta2 * s[k] + (1 - beta2) * grads[k] ** 2",
         "np.sqrt(sc[k] + epsilon)"),
        ("beta1 * v[k] + (1 - beta1) * grads[k]", "beta2 * s[k] + (1 - beta2) * grads[k]",
         "(np.sqrt(sc[k]) + epsilon)"),
        ("beta2 * v[k] + (1 - beta2) * grads[k]", "beta2 * s[k] + (1 - beta2) * grads[k] ** 2",
         "(np.sqrt(sc[k]) + epsilon)"))
] + [
    # -- mutates_input ---------------------------------------------------------------------------------------------
    _b("mutates_input", "c1w4", "linear_activation_backward", '''
def linear_activation_backward(dA, cache, activation):
    linear_cache, Z = cache
    if activation == "relu":
        dZ = dA
        dZ[Z <= 0] = 0
    else:
        dZ = sigmoid_backward(dA, Z)
    return linear_backward(dZ, linear_cache)
'''),
    _b("mutates_input", "c1w4", "update_parameters", '''
def update_parameters(params, grads, learning_rate):
    for l in range(1, len(params) // 2 + 1):
        params["W" + str(l)] -= learning_rate * grads["dW" + str(l)]
        params["b" + str(l)] -= learning_rate * grads["db" + str(l)]
    return params
'''),
    _b("mutates_input", "c1w2", "optimize", '''
def optimize(w, b, X, Y, num_iterations=100, learning_rate=0.009, print_cost=False):
    costs = []
    for i in range(num_iterations):
        grads, cost = propagate(w, b, X, Y)
        w -= learning_rate * grads["dw"]
        b = b - learning_rate * grads["db"]
        if i % 100 == 0:
            costs.append(cost)
    return {"w": w, "b": b}, grads, costs
'''),
    _b("mutates_input", "c1w3", "update_parameters", '''
def update_parameters(parameters, grads, learning_rate=1.2):
    for key in ("W1", "b1", "W2", "b2"):
        parameters[key] -= learning_rate * grads["d" + key]
    return parameters
'''),
    _b("mutates_input", "c1w4", "linear_backward", '''
def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dA_prev = np.dot(W.T, dZ)
    dZ /= m
    return dA_prev, np.dot(dZ, A_prev.T), np.sum(dZ, axis=1, keepdims=True)
'''),
    _b("mutates_input", "c1w3", "backward_propagation", '''
def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    A1 = cache["A1"]
    dZ2 = cache["A2"]
    dZ2 -= Y
    dZ1 = np.dot(parameters["W2"].T, dZ2) * (1 - np.power(A1, 2))
    return {"dW1": np.dot(dZ1, X.T) / m, "db1": np.sum(dZ1, axis=1, keepdims=True) / m,
            "dW2": np.dot(dZ2, A1.T) / m, "db2": np.sum(dZ2, axis=1, keepdims=True) / m}
'''),
    # -- initialization_scale --------------------------------------------------------------------------------------
] + [
    _b("initialization_scale", "c1w4", "initialize_parameters_deep", '''
def initialize_parameters_deep(layer_dims):
    np.random.seed(SEED)
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters["W" + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1]) * SCALE
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters
'''.replace("SEED", seed).replace("SCALE", scale))
    for seed, scale in (("3", "0.1"), ("3", "1"), ("3", "np.sqrt(2 / layer_dims[l - 1])"), ("1", "0.01"))
] + [
    _b("initialization_scale", "c1w4", "initialize_parameters", '''
def initialize_parameters(n_x, n_h, n_y):
    W1 = np.random.randn(n_h, n_x) * 0.01
    W2 = np.random.randn(n_y, n_h) * 0.01
    return {"W1": W1, "b1": np.zeros((n_h, 1)), "W2": W2, "b2": np.zeros((n_y, 1))}
'''),
    _b("initialization_scale", "c1w3", "initialize_parameters", '''
def initialize_parameters(n_x, n_h, n_y):
    W1 = np.random.randn(n_h, n_x) * 0.1
    W2 = np.random.randn(n_y, n_h) * 0.1
    return {"W1": W1, "b1": np.zeros((n_h, 1)), "W2": W2, "b2": np.zeros((n_y, 1))}
'''),
    # -- cost_shape ------------------------------------------------------------------------------------------------
    _b("cost_shape", "c1w4", "compute_cost", '''
def compute_cost(AL, Y):
    m = Y.shape[1]
    return -1 / m * (np.dot(Y, np.log(AL).T) + np.dot(1 - Y, np.log(1 - AL).T))
'''),
    _b("cost_shape", "c1w4", "compute_cost", '''
def compute_cost(AL, Y):
    m = Y.shape[1]
    return -1 / m * np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL), axis=1)
'''),
    _b("cost_shape", "c1w3", "compute_cost", '''
def compute_cost(A2, Y):
    m = Y.shape[1]
    Y = Y.astype(float)
    return -1 / m * (np.dot(Y, np.log(A2.reshape(1, -1)).T) + np.dot(1 - Y, np.log(1 - A2.reshape(1, -1)).T))
'''),
    _b("cost_shape", "c2w1", "compute_cost_with_regularization", '''
def compute_cost_with_regularization(A3, Y, parameters, lambd):
    m = Y.shape[1]
    squares = sum(np.sum(np.square(parameters[k])) for k in ("W1", "W2", "W3"))
    return np.array([[compute_cost(A3, Y) + lambd / (2 * m) * squares]])
'''),
    _b("cost_shape", "c1w2", "propagate", '''
def propagate(w, b, X, Y):
    m = X.shape[1]
    A = sigmoid(np.dot(w.T, X) + b)
    cost = -1 / m * (np.dot(Y, np.log(A).T) + np.dot(1 - Y, np.log(1 - A).T))
    return {"dw": np.dot(X, (A - Y).T) / m, "db": np.sum(A - Y) / m}, cost
'''),
    # -- mini_batch_partition --------------------------------------------------------------------------------------
] + [
    _b("mini_batch_partition", "c2w2", "random_mini_batches", '''
def random_mini_batches(X, Y, mini_batch_size=64, seed=0):
    np.random.seed(seed)
    m = X.shape[1]
    permutation = list(np.random.permutation(m))
    shuffled_X = SX
    shuffled_Y = SY
    batches = []
    full = math.floor(m / mini_batch_size)
    for k in range(full):
        batches.append((shuffled_X[:, k * mini_batch_size:(k + 1) * mini_batch_size],
                        shuffled_Y[:, k * mini_batch_size:(k + 1) * mini_batch_size]))
    REST
    return batches
'''.replace("SX", sx).replace("SY", sy).replace("REST", rest))
    for sx, sy, rest in (
        ("X[:, permutation]", "Y[:, list(np.random.permutation(m))]",
         "if m % mini_batch_size:\n        batches.append((shuffled_X[:, full * mini_batch_size:], "
         "shuffled_Y[:, full * mini_batch_size:]))"),
        ("X", "Y", "if m % mini_batch_size:\n        batches.append((shuffled_X[:, full * mini_batch_size:], "
                   "shuffled_Y[:, full * mini_batch_size:]))"),
        ("X[:, permutation]", "Y", "if m % mini_batch_size:\n        batches.append((shuffled_X[:, full * "
                                   "mini_batch_size:], shuffled_Y[:, full * mini_batch_size:]))"),
        ("X[:, permutation]", "Y[:, permutation]", "pass"),
        ("X[:, permutation]", "Y[:, permutation]", "batches.append((shuffled_X[:, full * mini_batch_size:], "
                                                   "shuffled_Y[:, full * mini_batch_size:]))"),
        ("X[:, permutation]", "Y[:, permutation]", "if m % mini_batch_size:\n        batches.append((shuffled_X[:, "
                                                   ":m % mini_batch_size], shuffled_Y[:, :m % mini_batch_size]))"))
] + [
    # -- other -----------------------------------------------------------------------------------------------------
    _b("other", "c2w2", "update_lr", '''
def update_lr(learning_rate0, epoch_num, decay_rate):
    return learning_rate0 / (1 + decay_rate) ** epoch_num
'''),
    _b("other", "c2w2", "schedule_lr_decay", '''
def schedule_lr_decay(learning_rate0, epoch_num, decay_rate, time_interval=1000):
    return learning_rate0 / (1 + decay_rate * epoch_num / time_interval)
'''),
    _b("other", "c1w2", "sigmoid", '''
def sigmoid(z):
    return 1 / (1 + np.exp(-2 * z))
'''),
    _b("other", "c1w4", "compute_cost", '''
def compute_cost(AL, Y):
    m = Y.shape[1]
    return np.squeeze(-1 / m * np.sum(Y * np.log(AL)))
'''),
    _b("other", "c1w2", "predict", '''
def predict(w, b, X):
    A = sigmoid(np.dot(w.reshape(X.shape[0], 1).T, X) + b)
    return (A > 0.9).astype(float)
'''),
    _b("other", "c1w3", "layer_sizes", '''
def layer_sizes(X, Y):
    return (X.shape[0], 5, Y.shape[0])
'''),
]

#: Correct implementations written otherwise than the reference: (assignment, name, code).
VARIANTS = [
    ("c1w4", "linear_forward", '''
def linear_forward(A, W, b):
    Z = np.zeros((W.shape[0], A.shape[1]))
    for i in range(W.shape[0]):
        for j in range(A.shape[1]):
            Z[i, j] = sum(W[i, k] * A[k, j] for k in range(W.shape[1])) + b[i, 0]
    return Z, (A, W, b)
'''),
    ("c1w4", "linear_backward", '''
def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    return W.T @ dZ, (dZ @ A_prev.T) / m, dZ.mean(axis=1, keepdims=True)
'''),
    ("c1w4", "linear_backward", '''
def linear_backward(dZ, cache):
    A_prev, W, b = (np.asarray(a, dtype=np.float32) for a in cache)
    dZ = dZ.astype(np.float32)
    m = A_prev.shape[1]
    return W.T @ dZ, dZ @ A_prev.T / np.float32(m), np.sum(dZ, axis=1, keepdims=True) / np.float32(m)
'''),
    ("c1w4", "compute_cost", '''
def compute_cost(AL, Y):
    return np.squeeze(-np.mean(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)))
'''),
    ("c1w4", "compute_cost", '''
def compute_cost(AL, Y):
    m = Y.shape[1]
    total = 0.0
    for i in range(m):
        total += Y[0, i] * math.log(AL[0, i]) + (1 - Y[0, i]) * math.log(1 - AL[0, i])
    return -total / m
'''),
    ("c1w4", "linear_activation_backward", '''
def linear_activation_backward(dA, cache, activation):
    linear_cache, Z = cache
    if activation == "relu":
        dZ = dA * (Z > 0)
    else:
        s = np.exp(-np.logaddexp(0, -Z))
        dZ = dA * s * (1 - s)
    return linear_backward(dZ, linear_cache)
'''),
    ("c1w4", "L_model_forward", '''
def L_model_forward(X, parameters):
    L = len(parameters) // 2
    caches = []
    A = X
    for l in range(1, L + 1):
        W, b = parameters[f"W{l}"], parameters[f"b{l}"]
        Z = W @ A + b
        caches.append(((A, W, b), Z))
        A = 1 / (1 + np.exp(-Z)) if l == L else np.maximum(Z, 0)
    return A, caches
'''),
    ("c1w4", "update_parameters", '''
def update_parameters(params, grads, learning_rate):
    return {k: v - learning_rate * grads["d" + k] for k, v in params.items()}
'''),
    ("c1w4", "initialize_parameters_deep", '''
def initialize_parameters_deep(layer_dims):
    np.random.seed(3)
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters[f"W{l}"] = 0.01 * np.random.randn(layer_dims[l], layer_dims[l - 1])
        parameters[f"b{l}"] = np.zeros(shape=(layer_dims[l], 1))
    return parameters
'''),
    ("c1w2", "sigmoid", '''
def sigmoid(z):
    return np.exp(z) / (1 + np.exp(z)) if np.ndim(z) == 0 else np.exp(-np.logaddexp(0, -np.asarray(z)))
'''),
    ("c1w2", "predict", '''
def predict(w, b, X):
    return (sigmoid(w.T @ X + b) > 0.5).astype(float)
'''),
    ("c1w3", "compute_cost", '''
def compute_cost(A2, Y):
    m = Y.shape[1]
    return float(-np.sum(np.where(Y, np.log(A2), np.log(1 - A2))) / m)
'''),
    ("c1w3", "backward_propagation", '''
def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dZ1 = (parameters["W2"].T @ dZ2) * (1 - A1 * A1)
    return {"dW1": dZ1 @ X.T / m, "db1": dZ1.sum(axis=1, keepdims=True) / m,
            "dW2": dZ2 @ A1.T / m, "db2": dZ2.sum(axis=1, keepdims=True) / m}
'''),
    ("c1w3", "forward_propagation", '''
def forward_propagation(X, parameters):
    Z1 = parameters["W1"] @ X + parameters["b1"]
    A1 = (np.exp(Z1) - np.exp(-Z1)) / (np.exp(Z1) + np.exp(-Z1))
    Z2 = parameters["W2"] @ A1 + parameters["b2"]
    A2 = 1 / (1 + np.exp(-Z2))
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}
'''),
    ("c2w1", "compute_cost_with_regularization", '''
def compute_cost_with_regularization(A3, Y, parameters, lambd):
    m = Y.shape[1]
    l2 = sum(np.linalg.norm(parameters["W" + str(l)]) ** 2 for l in (1, 2, 3))
    return compute_cost(A3, Y) + lambd * l2 / (2 * m)
'''),
    ("c2w1", "forward_propagation_with_dropout", '''
def forward_propagation_with_dropout(X, parameters, keep_prob=0.5):
    np.random.seed(1)
    A = X
    cache = []
    for l in (1, 2):
        W, b = parameters["W" + str(l)], parameters["b" + str(l)]
        Z = W @ A + b
        A = np.maximum(Z, 0)
        D = np.random.rand(*A.shape) < keep_prob
        A = np.where(D, A / keep_prob, 0.0)
        cache += [Z, D, A, W, b]
    Z3 = parameters["W3"] @ A + parameters["b3"]
    A3 = 1 / (1 + np.exp(-Z3))
    return A3, tuple(cache + [Z3, A3, parameters["W3"], parameters["b3"]])
'''),
    ("c2w2", "update_parameters_with_adam", '''
def update_parameters_with_adam(parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9, beta2=0.999,
                                epsilon=1e-8):
    for key in list(parameters):
        k = "d" + key
        v[k] = beta1 * v[k] + (1 - beta1) * grads[k]
        s[k] = beta2 * s[k] + (1 - beta2) * np.square(grads[k])
        v_hat = v[k] / (1 - np.power(beta1, t))
        s_hat = s[k] / (1 - np.power(beta2, t))
        parameters[key] -= learning_rate * v_hat / (np.sqrt(s_hat) + epsilon)
    return parameters, v, s
'''),
    ("c2w2", "update_parameters_with_momentum", '''
def update_parameters_with_momentum(parameters, grads, v, beta, learning_rate):
    new_p, new_v = {}, {}
    for key in parameters:
        new_v["d" + key] = beta * v["d" + key] + (1 - beta) * grads["d" + key]
        new_p[key] = parameters[key] - learning_rate * new_v["d" + key]
    return new_p, new_v
'''),
    ("c2w2", "random_mini_batches", '''
def random_mini_batches(X, Y, mini_batch_size=64, seed=0):
    np.random.seed(seed)
    m = X.shape[1]
    p = np.random.permutation(m)
    X, Y = X[:, p], Y[:, p]
    return [(X[:, k:k + mini_batch_size], Y[:, k:k + mini_batch_size]) for k in range(0, m, mini_batch_size)]
'''),
    ("c2w2", "schedule_lr_decay", '''
def schedule_lr_decay(learning_rate0, epoch_num, decay_rate, time_interval=1000):
    return learning_rate0 / (1 + decay_rate * (epoch_num // time_interval))
'''),
    ("c2w2", "initialize_adam", '''
def initialize_adam(parameters):
    v = {"d" + k: np.zeros_like(p) for k, p in parameters.items()}
    return v, {k: np.zeros_like(a) for k, a in v.items()}
'''),
]

# -- found by an independent review: mistakes in one layer, one entry or one average -----------------------------------
BROKEN += [
    _b("optimizer_formula", "c2w2", "update_parameters_with_adam", '''
def update_parameters_with_adam(parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9, beta2=0.999,
                                epsilon=1e-8):
    vc, sc = {}, {}
    for key in list(parameters):
        k = "d" + key
        v[k] = beta1 * v[k] + (1 - beta1) * grads[k]
        s[k] = beta1 * s[k] + (1 - beta1) * grads[k] ** 2
        vc[k] = v[k] / (1 - beta1 ** t)
        sc[k] = s[k] / (1 - beta2 ** t)
        parameters[key] = parameters[key] - learning_rate * vc[k] / (np.sqrt(sc[k]) + epsilon)
    return parameters, v, s, vc, sc
'''),
    _b("optimizer_formula", "c2w2", "update_parameters_with_momentum", '''
def update_parameters_with_momentum(parameters, grads, v, beta, learning_rate):
    for key in parameters:
        velocity = beta * v["d" + key] + (1 - beta) * grads["d" + key]
        parameters[key] = parameters[key] - learning_rate * velocity
    return parameters, v
'''),
    _b("adam_bias_correction", "c2w2", "update_parameters_with_adam", '''
def update_parameters_with_adam(parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9, beta2=0.999,
                                epsilon=1e-8):
    for key in list(parameters):
        k = "d" + key
        v[k] = beta1 * v[k] + (1 - beta1) * grads[k]
        s[k] = beta2 * s[k] + (1 - beta2) * grads[k] ** 2
        v[k] = v[k] / (1 - beta1 ** t)
        s[k] = s[k] / (1 - beta2 ** t)
        parameters[key] = parameters[key] - learning_rate * v[k] / (np.sqrt(s[k]) + epsilon)
    return parameters, v, s
'''),
    _b("dropout_scaling", "c2w1", "backward_propagation_with_dropout", '''
def backward_propagation_with_dropout(X, Y, cache, keep_prob):
    m = X.shape[1]
    (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3) = cache
    np.random.seed(1)
    D1 = (np.random.rand(A1.shape[0], A1.shape[1]) < keep_prob).astype(int)
    D2 = (np.random.rand(A2.shape[0], A2.shape[1]) < keep_prob).astype(int)
    dZ3 = A3 - Y
    dA2 = np.dot(W3.T, dZ3) * D2 / keep_prob
    dZ2 = np.multiply(dA2, np.int64(A2 > 0))
    dA1 = np.dot(W2.T, dZ2) * D1 / keep_prob
    dZ1 = np.multiply(dA1, np.int64(A1 > 0))
    return {"dZ3": dZ3, "dW3": np.dot(dZ3, A2.T) / m, "db3": np.sum(dZ3, axis=1, keepdims=True) / m,
            "dA2": dA2, "dZ2": dZ2, "dW2": np.dot(dZ2, A1.T) / m, "db2": np.sum(dZ2, axis=1, keepdims=True) / m,
            "dA1": dA1, "dZ1": dZ1, "dW1": np.dot(dZ1, X.T) / m, "db1": np.sum(dZ1, axis=1, keepdims=True) / m}
'''),
    _b("dropout_scaling", "c2w1", "forward_propagation_with_dropout", '''
def forward_propagation_with_dropout(X, parameters, keep_prob=0.5):
    np.random.seed(1)
    W1, b1, W2, b2, W3, b3 = (parameters[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
    Z1 = np.dot(W1, X) + b1
    A1 = relu(Z1)
    D1 = (np.random.rand(A1.shape[0], A1.shape[1]) < keep_prob).astype(int)
    A1 = A1 * D1 / keep_prob
    Z2 = np.dot(W2, A1) + b2
    A2 = relu(Z2)
    D2 = (np.random.rand(A2.shape[0], A2.shape[1]) < keep_prob).astype(int)
    A2 = A2 * D2
    Z3 = np.dot(W3, A2) + b3
    A3 = sigmoid(Z3)
    return A3, (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3)
'''),
    _b("mini_batch_partition", "c2w2", "random_mini_batches", '''
def random_mini_batches(X, Y, mini_batch_size=64, seed=0):
    np.random.seed(seed)
    m = X.shape[1]
    p = np.random.permutation(m)
    X, Y = X[:, p], Y[:, p]
    full = m // mini_batch_size
    size = mini_batch_size
    batches = [(X[:, k * size:(k + 1) * size], Y[:, k * size:(k + 1) * size]) for k in range(full)]
    if m % mini_batch_size:
        last = (X[:, full * mini_batch_size:], Y[:, full * mini_batch_size:])
        batches += [last, last]
    return batches
'''),
    _b("l2_term", "c2w1", "compute_cost_with_regularization", '''
def compute_cost_with_regularization(A3, Y, parameters, lambd):
    m = Y.shape[1]
    norms = np.linalg.norm(parameters["W1"]) + np.linalg.norm(parameters["W2"]) + np.linalg.norm(parameters["W3"])
    return compute_cost(A3, Y) + lambd / (2 * m) * norms
'''),
    _b("l2_term", "c2w1", "backward_propagation_with_regularization", '''
def backward_propagation_with_regularization(X, Y, cache, lambd):
    m = X.shape[1]
    g = backward_propagation(X, Y, cache)
    for d, p in (("dW1", cache[2]), ("db1", cache[3]), ("dW2", cache[6]), ("db2", cache[7]), ("dW3", cache[10]),
                 ("db3", cache[11])):
        g[d] = g[d] + lambd / m * p
    return g
'''),
    _b("activation_derivative", "c1w4", "linear_activation_backward", '''
def linear_activation_backward(dA, cache, activation):
    linear_cache, Z = cache
    if activation == "relu":
        dZ = dA * np.maximum(0, Z)
    else:
        dZ = sigmoid_backward(dA, Z)
    return linear_backward(dZ, linear_cache)
'''),
    _b("activation_derivative", "c1w4", "linear_activation_backward", '''
def linear_activation_backward(dA, cache, activation):
    linear_cache, Z = cache
    if activation == "relu":
        dZ = relu_backward(dA, Z)
    else:
        s = 1 / (1 + np.exp(-Z))
        dZ = dA * (1 - s)
    return linear_backward(dZ, linear_cache)
'''),
    _b("cache_mixup", "c1w4", "linear_forward", '''
def linear_forward(A, W, b):
    Z = np.dot(W, A) + b
    return Z, Z
'''),
]

#: the course's own older templates and habits (found by the review): right, so they must pass
VARIANTS += [
    ("c2w2", "random_mini_batches", '''
def random_mini_batches(X, Y, mini_batch_size=64, seed=0):
    np.random.seed(seed)
    m = X.shape[1]
    mini_batches = []
    permutation = list(np.random.permutation(m))
    shuffled_X = X[:, permutation]
    shuffled_Y = Y[:, permutation].reshape((1, m))
    num_complete_minibatches = math.floor(m / mini_batch_size)
    for k in range(0, num_complete_minibatches):
        mini_batches.append((shuffled_X[:, k * mini_batch_size:(k + 1) * mini_batch_size],
                             shuffled_Y[:, k * mini_batch_size:(k + 1) * mini_batch_size]))
    if m % mini_batch_size != 0:
        mini_batches.append((shuffled_X[:, num_complete_minibatches * mini_batch_size:],
                             shuffled_Y[:, num_complete_minibatches * mini_batch_size:]))
    return mini_batches
'''),
    ("c1w3", "compute_cost", '''
def compute_cost(A2, Y, parameters):
    m = Y.shape[1]
    logprobs = np.multiply(np.log(A2), Y) + np.multiply(np.log(1 - A2), 1 - Y)
    cost = float(np.squeeze(-np.sum(logprobs) / m))
    assert isinstance(cost, float)
    return cost
'''),
    ("c1w4", "update_parameters", '''
def update_parameters(parameters, grads, learning_rate):
    L = len(parameters) // 2
    for l in range(L):
        parameters["W" + str(l + 1)] = parameters["W" + str(l + 1)] - learning_rate * grads["dW" + str(l + 1)]
        parameters["b" + str(l + 1)] = parameters["b" + str(l + 1)] - learning_rate * grads["db" + str(l + 1)]
    return parameters
'''),
    ("c1w2", "propagate", '''
def propagate(w, b, X, Y):
    m = X.shape[1]
    A = sigmoid(np.dot(w.T, X) + b)
    cost = -1 / m * np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))
    dw = 1 / m * np.dot(X, (A - Y).T)
    db = 1 / m * np.sum(A - Y)
    assert dw.shape == w.shape
    assert db.dtype == float
    cost = np.squeeze(cost)
    assert cost.shape == ()
    return {"dw": dw, "db": db}, cost
'''),
]
