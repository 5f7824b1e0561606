"""The pytest11 plugin "gradcheck": fixture, options, import-lightness, use outside the repo."""

import subprocess
import sys
import textwrap

import numpy  # noqa: F401  (loaded before pytester.runpytest_inprocess, which unloads new modules)

import verify.check  # noqa: F401

pytest_plugins = ["pytester"]

USER_TESTS = textwrap.dedent(
    """
    import numpy as np

    C = np.array([[1.0, -2.0, 0.5], [0.25, 3.0, -1.0]])

    def loss(params):
        W, b = params
        return np.sum(np.sin(W) * C) + np.sum(b ** 3) / 3

    def grad(params):
        W, b = params
        return np.cos(W) * C, b ** 2

    def params():
        rng = np.random.default_rng(0)
        return rng.standard_normal((2, 3)), rng.standard_normal(4)

    def test_right(gradcheck):
        result = gradcheck(loss, grad, params())
        assert result.ok and result.n_checked == 10

    def test_wrong(gradcheck):
        def bad(p):
            dW, db = grad(p)
            dW = dW.copy()
            dW[1, 2] += 0.5
            return dW, db
        gradcheck(loss, bad, params(), names=("W", "b"))
    """
)


def test_fixture_passes_right_and_fails_wrong_gradients(pytester):
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*GradientCheckError*1 of 10 entries exceed the tolerance*", "*worst W[[]1, 2[]]: analytic=*numeric=*"]
    )


def test_rtol_option_and_ini_set_the_default(pytester):
    # a 2% error passes with rtol 0.05, from the command line or from the ini file
    pytester.makepyfile(
        test_tol="""
        import numpy as np

        def test_two_percent(gradcheck):
            x = np.array([1.0, 2.0, 3.0])
            r = gradcheck(lambda x: np.sum(x ** 2), lambda x: 2.04 * x, x)
            assert r.rtol == 0.05
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(failed=1)
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "--gradcheck-rtol=0.05").assert_outcomes(passed=1)
    pytester.makeini("[pytest]\ngradcheck_rtol = 0.05\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["gradcheck defaults: rtol=0.05"])


def test_method_option_sets_the_default_method(pytester):
    pytester.makepyfile(
        test_method="""
        import numpy as np

        def test_method(gradcheck):
            x = np.array([0.5, -1.0])
            assert gradcheck(lambda x: np.sum(np.exp(x)), np.exp, x).method == "richardson"
            assert gradcheck(lambda x: np.sum(np.exp(x)), np.exp, x, method="central").method == "central"
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "--gradcheck-method=richardson").assert_outcomes(passed=1)
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(failed=1)


def test_bad_option_values_are_usage_errors(pytester):
    pytester.makepyfile(test_x="def test_x(): pass")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--gradcheck-rtol=tight")
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*--gradcheck-rtol must be a number*'tight'*"])
    pytester.makeini("[pytest]\ngradcheck_atol = -1\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*gradcheck_atol must be a finite number >= 0*"])


def test_plugin_module_is_import_light():
    code = (
        "import sys, verify.pytest_plugin\n"
        "heavy = [m for m in ('numpy', 'hypothesis', 'sympy', 'verify.check') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_plugin_works_in_a_separate_directory_with_only_the_installed_package(tmp_path):
    (tmp_path / "test_user.py").write_text(USER_TESTS)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "test_user.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "1 failed, 1 passed" in proc.stdout
    assert "worst W[1, 2]" in proc.stdout
    # the fixture came from the installed entry point: no conftest, no repo on the path
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".py") == ["test_user.py"]
    assert "softmax-gradient-verifier" in proc.stdout  # pytest's "plugins:" header line
