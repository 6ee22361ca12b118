"""The model: DeepNetwork (hyperparameters, parameters, fit's preparation, predict), its file (one schema, atomic
writes, strict reading) and its ONNX form.  Imports training, data, core and the base."""
