"""python -m trainer: digits or a CSV; clear errors."""

import sys

import numpy as np
import pytest

from trainer.__main__ import load_csv, main


def _write_csv(path, header=True, labels=("red", "blue")):
    rng = np.random.default_rng(0)
    lines = ["f1,f2,colour"] if header else []
    for k in range(80):
        c = k % 2
        x = rng.normal(size=2) + (2 * c - 1) * 1.5
        lines.append(f"{x[0]:.5f},{x[1]:.5f},{labels[c]}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_csv_training_prints_accuracy_epochs_time(tmp_path, capsys):
    path = _write_csv(tmp_path / "d.csv")
    assert main([str(path), "--max-epochs", "50"]) == 0
    out = capsys.readouterr().out
    assert "80 examples, 2 features, 2 classes" in out
    assert "accuracy:  test" in out and "epochs:" in out and "time:" in out
    test_acc = float(out.split("accuracy:  test ")[1].split(",")[0])
    assert test_acc >= 0.8


def test_load_csv_header_and_label_column(tmp_path):
    path = _write_csv(tmp_path / "d.csv")
    X, y, names = load_csv(path)
    assert X.shape == (80, 2) and names == ["f1", "f2"] and set(y) == {"red", "blue"}
    X2, y2, _ = load_csv(path, "colour")
    np.testing.assert_array_equal(X, X2)
    nohead = _write_csv(tmp_path / "n.csv", header=False, labels=("0", "1"))
    X3, y3, names3 = load_csv(nohead)
    assert names3 is None and y3.dtype.kind == "i" and X3.shape == (80, 2)


def test_csv_errors_are_reported(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("1,2,a\n3,oops,b\n")
    assert main([str(bad)]) == 2
    assert "'oops' is not a number" in capsys.readouterr().err
    assert main([str(tmp_path / "missing.csv")]) == 2
    assert "cannot read CSV file" in capsys.readouterr().err
    assert main([str(_write_csv(tmp_path / "d.csv")), "--label-column", "size"]) == 2
    assert "label column 'size' not in the CSV header" in capsys.readouterr().err


def test_digits_default(capsys):
    pytest.importorskip("sklearn.datasets")
    assert main(["--method", "minibatch"]) == 0
    out = capsys.readouterr().out
    assert "scikit-learn digits: 1797 examples, 64 features, 10 classes" in out
    assert float(out.split("accuracy:  test ")[1].split(",")[0]) >= 0.94


def test_missing_sklearn_gives_a_clear_message(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "sklearn", None)  # import sklearn -> ImportError
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    assert main([]) == 2
    err = capsys.readouterr().err
    assert "scikit-learn is not installed" in err and "CSV" in err
    assert "pip install -e '.[notebooks]'" in err  # names the extra that brings it


def test_digits_uses_the_tests_split_and_prints_the_same_accuracy(digits_split, capsys):
    """Default CLI run = SoftmaxRegression() on the issue's split (standardized, 75/25, random_state 0)."""
    from trainer import SoftmaxRegression

    Xtr, Xte, ytr, yte = digits_split
    expected = SoftmaxRegression().fit(Xtr, ytr)
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "(1347 train / 450 test)" in out and "train_test_split (random_state=0)" in out
    assert f"accuracy:  test {expected.score(Xte, yte):.4f}, train {expected.score(Xtr, ytr):.4f}" in out
    assert f"epochs:    {expected.n_iter_} (converged" in out


def test_csv_works_without_sklearn(tmp_path, monkeypatch, capsys):
    for name in ("sklearn", "sklearn.model_selection", "sklearn.preprocessing", "sklearn.datasets"):
        monkeypatch.setitem(sys.modules, name, None)  # import -> ImportError
    path = _write_csv(tmp_path / "d.csv")
    assert main([str(path), "--max-epochs", "50"]) == 0
    out = capsys.readouterr().out
    assert "NumPy permutation (seed 0)" in out and "(60 train / 20 test)" in out
    assert float(out.split("accuracy:  test ")[1].split(",")[0]) >= 0.8


def test_every_option_has_help_and_its_default(capsys):
    from trainer.__main__ import build_parser

    parser = build_parser()
    for action in parser._actions:
        if action.dest == "help":
            continue
        assert action.help, f"option {action.option_strings or action.dest} has no help text"
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for expected in ("(default: lbfgs)", "(default: 0.0001)", "(default: 64)", "(default: 0.25)", "(default: auto)",
                     "lbfgs,batch,sgd,minibatch", "[notebooks]"):
        assert expected in text, expected


@pytest.mark.parametrize("args, message", [(["--test-size", "1.5"], "expected a number in (0, 1)"),
                                           (["--max-epochs", "0"], "expected a positive integer"),
                                           (["--l2", "-1"], "expected a finite number >= 0"),
                                           (["--method", "adam"], "invalid choice: 'adam'")])
def test_bad_options_are_refused_by_the_parser(args, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_lbfgs_default_and_other_methods_print_their_step(capsys):
    pytest.importorskip("sklearn.datasets")
    assert main(["--method", "batch", "--max-epochs", "30", "--tol", "0"]) == 0
    assert "learning rate" in capsys.readouterr().out
    assert main(["--max-epochs", "30", "--tol", "0"]) == 0
    assert "method=lbfgs, line search (no fixed step)" in capsys.readouterr().out
