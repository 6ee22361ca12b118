"""What a trained model's results say: metrics, plots, diagnostics.  Imports model and everything below."""
