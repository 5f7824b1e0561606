"""pytest plugin "gradcheck" (entry point pytest11): a `gradcheck` fixture for gradient tests.

In a test::

    def test_my_gradient(gradcheck):
        gradcheck(loss, grad, (W, b))            # raises GradientCheckError if wrong
        gradcheck(loss, grad, (W, b), method="richardson", rtol=1e-8)

Defaults come from the command line (``--gradcheck-rtol``, ``--gradcheck-atol``,
``--gradcheck-method``) or the ini file (``gradcheck_rtol``, ``gradcheck_atol``,
``gradcheck_method``); keyword arguments of a call win over both.

Import-light: this module imports only pytest at load time (it is loaded in every pytest
session of an environment where the package is installed); NumPy and the checker are
imported when the fixture is first used.
"""

from __future__ import annotations

import pytest

_METHODS = ("central", "richardson", "complex", "random")


def pytest_addoption(parser):
    group = parser.getgroup("gradcheck", "gradient checking (softmax-gradient-verifier)")
    group.addoption(
        "--gradcheck-rtol",
        default=None,
        metavar="RTOL",
        help="default relative tolerance of the gradcheck fixture (default: per method and dtype)",
    )
    group.addoption(
        "--gradcheck-atol",
        default=None,
        metavar="ATOL",
        help="default absolute tolerance of the gradcheck fixture (default: per entry, from the measured noise of f)",
    )
    group.addoption(
        "--gradcheck-method",
        default=None,
        choices=_METHODS,
        help="default method of the gradcheck fixture (default: central)",
    )
    parser.addini("gradcheck_rtol", "default relative tolerance of the gradcheck fixture", default=None)
    parser.addini("gradcheck_atol", "default absolute tolerance of the gradcheck fixture", default=None)
    parser.addini("gradcheck_method", "default method of the gradcheck fixture", default=None)


def _tolerance(config, name):
    """The option value (command line first, then ini) as a float >= 0, or None."""
    raw = config.getoption(f"--gradcheck-{name}")
    source = f"--gradcheck-{name}"
    if raw is None:
        raw = config.getini(f"gradcheck_{name}") or None
        source = f"ini option gradcheck_{name}"
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise pytest.UsageError(f"{source} must be a number, got {raw!r}") from None
    if not (value >= 0 and value != float("inf")):
        raise pytest.UsageError(f"{source} must be a finite number >= 0, got {raw!r}")
    return value


def _method(config):
    method = config.getoption("--gradcheck-method") or config.getini("gradcheck_method") or None
    if method is not None and method not in _METHODS:
        raise pytest.UsageError(f"gradcheck_method must be one of {_METHODS}, got {method!r}")
    return method


def pytest_configure(config):
    # validate early so a typo fails the session with a usage error, not every test
    _tolerance(config, "rtol")
    _tolerance(config, "atol")
    _method(config)


def pytest_report_header(config):
    opts = {k: v for k, v in _defaults(config).items() if v is not None}
    if opts:
        return "gradcheck defaults: " + ", ".join(f"{k}={v}" for k, v in opts.items())
    return None


def _defaults(config):
    return {"rtol": _tolerance(config, "rtol"), "atol": _tolerance(config, "atol"), "method": _method(config)}


@pytest.fixture
def gradcheck(request):
    """``gradcheck(f, grad, params, **options)``: `verify.assert_gradient` with session defaults.

    Returns the passing `verify.GradientCheckResult`; raises `verify.GradientCheckError`
    (an AssertionError naming the worst entry) when the gradient is wrong.
    """
    from verify.check import assert_gradient  # lazy: NumPy loads only when used

    defaults = {k: v for k, v in _defaults(request.config).items() if v is not None}

    def check(f, grad, params, **options):
        __tracebackhide__ = True
        return assert_gradient(f, grad, params, **{**defaults, **options})

    return check
