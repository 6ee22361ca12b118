"""The run settings' table (deepstep.training.settings): every entry point's settings come from it and refuse the
same values by the same name; the one validation hold-out rule (deepstep.data.split.validation_split)."""

from __future__ import annotations

import argparse
import inspect

import numpy as np
import pytest

import deepstep as ds
from deepstep import cli
from deepstep.apps.cli import sweep as sweep_command
from deepstep.core import optimizers
from deepstep.data.split import validation_split
from deepstep.errors import DeepstepError
from deepstep.sweep import DEFAULTS, SETTINGS, check_setting
from deepstep.training import VALIDATION_SPLIT_SEED
from deepstep.training.settings import HYPERPARAMETERS, TABLE, optimizer_from
from deepstep.training.settings import SETTINGS as ROWS

NOT_SETTINGS_OF_TRAIN = {"--dataset", "--layers", "--out", "--test-fraction", "--image-size", "--label-column",
                         "--delimiter", "--task", "--test-data", "--print-every", "--checkpoint-every", "--resume",
                         "--resume-or-start", "--quiet", "--help", "--columns", "--drop-columns", "--weight-column",
                         "--class-weight", "--threads", "--baseline-error", "--no-signals", "--log-csv",
                         "--tensorboard"}
"""The flags of ``deepstep train`` that are not run settings (the data, the files, the output)."""
NOT_SETTINGS_OF_SWEEP = {"--dataset", "--samples", "--keep", "--test-fraction", "--test-data", "--task",
                         "--label-column", "--delimiter", "--image-size", "--out", "--jobs", "--scheduler",
                         "--connect-timeout", "--resume", "--quiet", "--help", "--columns", "--drop-columns",
                         "--weight-column", "--class-weight"}


def subparser(name: str) -> argparse.ArgumentParser:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[name]


def flags(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {option: action for action in parser._actions for option in action.option_strings
            if option.startswith("--") and not option.startswith("--no-")}  # (--no-standardize: --standardize's)


# -- the flags --------------------------------------------------------------------------------------------------
def test_every_run_setting_flag_of_train_comes_from_the_table():
    train = flags(subparser("train"))
    rows = {s.option: s for s in TABLE if s.train}
    aliases = {alias for s in TABLE if s.train for alias in s.aliases}  # (--epochs: --iterations's other name)
    assert set(train) - NOT_SETTINGS_OF_TRAIN == set(rows) | aliases
    for option, row in rows.items():
        action = train[option]
        assert action.dest == row.dest and action.default == row.train_default, option
        if row.choices is not None and row.kind is not bool:
            assert list(action.choices) == list(row.choices), option
        elif row.kind in (int, float):
            assert action.type.__name__ == row.name, option  # the table's parser of the flag


def test_every_run_setting_flag_of_sweep_comes_from_the_table_as_a_list():
    sweep = flags(subparser("sweep"))
    lists = {s.option: s for s in TABLE if s.sweep == "list"}
    single = {s.option: s for s in TABLE if s.sweep == "single"}
    aliases = {alias for s in TABLE if s.sweep for alias in s.aliases}
    assert set(sweep) - NOT_SETTINGS_OF_SWEEP == set(lists) | set(single) | aliases
    for option, row in lists.items():
        assert sweep[option].dest == row.dest and sweep[option].default is None, option
        assert sweep[option].type.__name__ == row.name, option
        assert sweep[option].type(_text(row.default) if row.default is not None else _good_text(row)) is not None
    for option, row in single.items():
        assert sweep[option].default == row.train_default, option
    assert set(sweep_command.GRID_ORDER) == {s.name for s in TABLE if s.sweep == "list"}
    assert len(sweep_command.GRID_ORDER) == len(set(sweep_command.GRID_ORDER))


def _text(value):
    return "-".join(map(str, value)) if isinstance(value, tuple) else str(value)


def _good_text(row):
    return {"batch_size": "8", "beta": "0.9", "beta1": "0.9", "beta2": "0.99", "epsilon": "1e-8", "schedule": "step",
            "lr_decay": "0.5", "lr_decay_every": "2", "early_stopping": "3"}[row.name]


def test_the_sweep_settings_and_defaults_are_the_tables():
    assert SETTINGS == tuple(s.name for s in TABLE if s.sweep == "list" or s.column)
    assert DEFAULTS == {s.name: s.default for s in TABLE if s.name in SETTINGS}
    assert {s.name for s in TABLE} - set(SETTINGS) == {"validation_fraction", "seed"}  # one per sweep


def test_the_defaults_are_those_of_fit_and_the_network():
    fit = inspect.signature(ds.DeepNetwork.fit).parameters
    network = inspect.signature(ds.DeepNetwork.__init__).parameters
    checked = 0
    for row in TABLE:
        where = fit if row.takes != "network" else network
        if row.name in where and row.name not in ("output_activation", "dtype"):
            assert where[row.name].default == row.default, row.name
            checked += 1
    assert checked >= 9
    assert np.dtype(network["dtype"].default).name == ROWS["dtype"].default


def test_the_table_says_which_optimizers_take_each_hyperparameter():
    assert HYPERPARAMETERS == optimizers.HYPERPARAMETERS
    for name in HYPERPARAMETERS:
        assert ROWS[name].optimizers == optimizers._takes(name)
        for optimizer in optimizers.OPTIMIZERS:
            value = 0.5 if name != "epsilon" else 1e-6
            if optimizer in ROWS[name].optimizers:
                assert optimizer_from({"optimizer": optimizer, name: value}).config()[name] == value
            else:
                with pytest.raises(DeepstepError, match=f"^{name}: applies to"):
                    optimizer_from({"optimizer": optimizer, name: value})


# -- the same values refused by the same name -------------------------------------------------------------------
BAD = [  # (setting, a value the table refuses, its text on the command line)
    ("learning_rate", 0.0, "0"), ("learning_rate", -1.0, "-1"), ("learning_rate", float("nan"), "nan"),
    ("num_iterations", 0, "0"), ("batch_size", 0, "0"), ("l2", -0.5, "-0.5"), ("keep_prob", 0.0, "0"),
    ("keep_prob", 1.5, "1.5"), ("beta", 1.0, "1"), ("beta1", -0.1, "-0.1"), ("beta2", 1.5, "1.5"),
    ("epsilon", 0.0, "0"), ("lr_decay", -1.0, "-1"), ("lr_decay_every", 0, "0"), ("early_stopping", 0, "0"),
    ("validation_fraction", 1.0, "1"), ("validation_fraction", 0.0, "0"), ("seed", -1, "-1"),
    ("seed", 2**32, str(2**32)), ("optimizer", "sgd2", "sgd2"), ("method", "fast", "fast"), ("init", "big", "big"),
]


@pytest.mark.parametrize("name, value, text", BAD)
def test_the_table_refuses_by_the_name_it_is_given(name, value, text):
    row = ROWS[name]
    with pytest.raises(DeepstepError, match=f"^{name}: expected"):
        row.check(value)
    with pytest.raises(DeepstepError, match=r"^fixed\['x'\]: expected"):
        row.check(value, "fixed['x']")
    with pytest.raises(DeepstepError, match=f"^{row.option}: expected"):
        row.from_text(text)


@pytest.mark.parametrize("name, value, text", BAD)
def test_train_and_sweep_refuse_the_flag_by_name(name, value, text, capsys):
    row = ROWS[name]
    for command in (["train"] if row.train else []) + (["sweep"] if row.sweep else []):
        with pytest.raises(SystemExit) as exit_:
            cli.main([command, f"{row.option}={text}"])
        err = capsys.readouterr().err
        assert exit_.value.code == 2 and err.count("\n") == 1
        assert f"argument {'/'.join((row.option, *row.aliases))}:" in err, err


@pytest.mark.parametrize("name, value, text", [b for b in BAD if ROWS[b[0]].in_sweep])
def test_the_sweep_library_refuses_by_name(name, value, text):
    with pytest.raises(DeepstepError, match=rf"^fixed\['{name}'\]: expected"):
        check_setting(name, value, f"fixed[{name!r}]")


ESTIMATOR_PARAMETERS = ("learning_rate", "num_iterations", "batch_size", "l2", "keep_prob", "validation_fraction",
                        "optimizer", "init")


@pytest.mark.parametrize("name, value, text", [b for b in BAD if b[0] in ESTIMATOR_PARAMETERS])
def test_the_estimators_refuse_the_same_values_by_name(name, value, text):
    pytest.importorskip("sklearn")
    from deepstep.sklearn import DeepClassifier, DeepRegressor

    X = np.random.default_rng(0).normal(size=(20, 2))
    for estimator, y in ((DeepClassifier, np.arange(20) % 2), (DeepRegressor, X[:, 0])):
        with pytest.raises(DeepstepError, match=f"^{name}: expected"):
            estimator(**{"num_iterations": 1, name: value}).fit(X, y)


def test_the_estimators_patience_is_the_tables_early_stopping():
    pytest.importorskip("sklearn")
    from deepstep.sklearn import DeepClassifier

    X = np.random.default_rng(0).normal(size=(20, 2))
    with pytest.raises(DeepstepError, match="^patience: expected a positive integer"):
        DeepClassifier(num_iterations=1, early_stopping=True, patience=0).fit(X, np.arange(20) % 2)


PLAYGROUND = ("learning_rate", "batch_size", "l2", "keep_prob", "optimizer", "init", "seed", "validation_fraction")


@pytest.mark.parametrize("name, value, text", [b for b in BAD if b[0] in PLAYGROUND])
def test_the_playground_refuses_the_same_values_by_name(name, value, text):
    playground = pytest.importorskip("deepstep.playground")
    if name == "validation_fraction" and value == 0:
        assert playground.check_settings({name: 0})[name] == 0  # the playground's "hold out nothing"
        return
    with pytest.raises(playground.SettingsError, match=f"^{name}: expected"):
        playground.check_settings({name: value})


# -- the one hold-out rule ------------------------------------------------------------------------------------
def moons(seed: int):
    from deepstep.datasets import load_dataset

    return load_dataset("moons", rng=seed)


def test_fit_holds_out_what_the_rule_holds_out_with_its_seed():
    data = moons(0)
    X, Y = data.train_X, data.train_Y
    held = validation_split(Y[0], 0.25, VALIDATION_SPLIT_SEED)
    a = ds.DeepNetwork([2, 4, 1], "tanh", rng=1)
    a.fit(X, Y, 0.5, 5, validation_fraction=0.25)
    b = ds.DeepNetwork([2, 4, 1], "tanh", rng=1)
    b.fit(X[:, ~held], Y[:, ~held], 0.5, 5, validation_data=(X[:, held], Y[:, held]))
    assert a.history.val_cost == b.history.val_cost and a.history.cost == b.history.cost


def test_fit_the_command_line_and_a_sweep_hold_out_the_same_examples(tmp_path, monkeypatch, capsys):
    data = moons(VALIDATION_SPLIT_SEED)
    held = validation_split(data.train_Y[0], 0.25, VALIDATION_SPLIT_SEED)
    X, Y, validation = cli._hold_out(argparse.Namespace(validation_fraction=0.25, seed=VALIDATION_SPLIT_SEED), data)
    np.testing.assert_array_equal(validation[0], data.train_X[:, held])
    np.testing.assert_array_equal(X, data.train_X[:, ~held])
    asked = []
    real = sweep_command.sweep

    def spy(*args, **kwargs):
        asked.append((args, kwargs["validation_data"]))
        return real(*args, **kwargs)

    monkeypatch.setattr(sweep_command, "sweep", spy)
    status = cli.main(["sweep", "--dataset", "moons", "--seed", str(VALIDATION_SPLIT_SEED), "--validation-fraction",
                       "0.25", "--hidden", "2", "--iterations", "2", "--quiet", "--out", str(tmp_path / "s")])
    capsys.readouterr()
    assert status == 0
    (train_X, _, *_), (val_X, val_Y) = asked[0]
    np.testing.assert_array_equal(val_X, data.train_X[:, held])
    np.testing.assert_array_equal(train_X, data.train_X[:, ~held])
    # and fit(validation_fraction) on the same training set scores those examples
    a = ds.DeepNetwork([2, 3, 1], "tanh", rng=2)
    a.fit(data.train_X, data.train_Y, 0.5, 3, validation_fraction=0.25)
    b = ds.DeepNetwork([2, 3, 1], "tanh", rng=2)
    b.fit(train_X, data.train_Y[:, ~held], 0.5, 3, validation_data=(val_X, val_Y))
    assert a.history.val_cost == b.history.val_cost


def test_a_fraction_that_leaves_nothing_is_refused_by_the_callers_name():
    with pytest.raises(DeepstepError, match="^--validation-fraction: 0.01 of m = 10 examples leaves no"):
        validation_split(np.zeros(10), 0.01, 0, "--validation-fraction")


# -- the command line's parts -----------------------------------------------------------------------------------
def test_the_old_paths_are_the_modules_at_their_homes():
    import deepstep.apps.cli
    import deepstep.apps.cli.learn
    import deepstep.learn_command
    import deepstep.sweep_command

    assert cli is deepstep.apps.cli and deepstep.sweep_command is sweep_command
    assert deepstep.learn_command is deepstep.apps.cli.learn


def test_each_subcommand_module_is_registered_and_imports_only_common():
    import ast
    from pathlib import Path

    folder = Path(cli.__file__).parent
    modules = {p.stem for p in folder.glob("*.py")} - {"__init__", "__main__", "common"}  # (__main__: python -m)
    assert {m.__name__.rpartition(".")[2] for m in cli.SUBCOMMANDS} == modules
    for name in modules:
        tree = ast.parse((folder / f"{name}.py").read_text())
        siblings = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level == 1}
        assert siblings <= {"common"}, (name, siblings)
        assert callable(getattr(getattr(cli, name), "add_parser", None)), name


@pytest.mark.parametrize(("flag", "bad"), [("--l2", "-1"), ("--seed", "-3"), ("--keep-prob", "0"),
                                           ("--learning-rate", "0")])
def test_explain_and_gradcheck_take_their_run_flags_from_the_table(capsys, flag, bad):
    """The same bad value gets the same one-line refusal from train, explain and gradcheck (one table row)."""
    from conftest import command

    lacks = {("gradcheck", "--learning-rate"), ("explain", "--keep-prob")}  # flags those commands do not have
    commands = [c for c in ("train", "explain", "gradcheck") if (c, flag) not in lacks]
    lines = []
    for name in commands:
        status, out, err = command(capsys, name, flag, bad)
        assert status == 2 and err.count("\n") == 1 and flag in err, (name, err)
        lines.append(err.split(f"{flag}: ", 1)[1].split(" (see")[0])
    assert len(set(lines)) == 1, lines
