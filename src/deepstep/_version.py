"""deepstep's version, in one place (read by the build and by model and ONNX files)."""

__version__ = "0.3.0"
