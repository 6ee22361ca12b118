"""The training loop (epochs, mini-batches, validation, the divergence guard, rollback) and its one extension
point, callbacks.  Imports data, core and the base."""

# deepstep 0.2's module deepstep.training held these too
from ..data.split import stratified_split  # noqa: E402
from ..errors import check_fraction, check_keep_prob  # noqa: E402
from .callbacks import Callback, DivergenceGuard, EarlyStopping, ModelCheckpoint, ProgressBar
from .loop import METHODS, VALIDATION_SPLIT_SEED, History, Run, TrainingDiverged, fit

__all__ = ["Callback", "DivergenceGuard", "EarlyStopping", "History", "METHODS", "ModelCheckpoint", "ProgressBar",
           "Run", "TrainingDiverged", "VALIDATION_SPLIT_SEED", "check_fraction", "check_keep_prob", "fit",
           "stratified_split"]
