"""PyTorch: a module's autograd gradient passes, a wrong custom autograd.Function fails."""

import numpy as np
import pytest

from verify import check_gradient, check_hessian

torch = pytest.importorskip("torch")


def mlp(dtype):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh(), torch.nn.Linear(5, 3)).to(dtype)
    X = torch.randn(9, 4, dtype=dtype)
    y = torch.randint(0, 3, (9,))
    params = {name: p.detach().clone() for name, p in net.named_parameters()}

    def loss(p):
        return torch.nn.functional.cross_entropy(torch.func.functional_call(net, p, (X,)), y)

    def grad(p):
        q = {k: v.detach().requires_grad_(True) for k, v in p.items()}
        return dict(zip(q, torch.autograd.grad(loss(q), list(q.values()))))

    return loss, grad, params


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_module_autograd_gradient_passes_and_tensors_keep_dtype(dtype):
    loss, grad, params = mlp(dtype)
    seen = set()

    def f(p):
        seen.update((type(v).__name__, v.dtype, str(v.device)) for v in p.values())
        return loss(p)

    r = check_gradient(f, grad, params)
    assert r.ok, str(r)
    assert seen == {("Tensor", dtype, "cpu")}
    assert isinstance(r.numeric["0.weight"], np.ndarray) and r.numeric["0.weight"].shape == (5, 4)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_wrong_custom_autograd_function_fails(dtype):
    class Square(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x  # wrong: d(x^2)/dx = 2x

    def f(w):
        return torch.sum(torch.sin(Square.apply(w)))

    def g(w):
        w = w.detach().requires_grad_(True)
        return torch.autograd.grad(f(w), w)[0]

    w = torch.linspace(-1.5, 1.5, 12, dtype=dtype).reshape(3, 4)
    r = check_gradient(f, g, w, names=["w"])
    assert not r.ok and r.status == "failed" and r.worst.name == "w"
    assert "analytic = 0.5 × numeric everywhere: a missing factor 2?" in str(r)


def test_torch_hessian_vector_products():
    loss, grad, params = mlp(torch.float64)

    def hvp(p, v):
        q = {k: t.detach().requires_grad_(True) for k, t in p.items()}
        g = torch.autograd.grad(loss(q), list(q.values()), create_graph=True)
        dot = sum((gi * v[k]).sum() for gi, k in zip(g, q))
        return dict(zip(q, torch.autograd.grad(dot, list(q.values()))))

    r = check_hessian(loss, grad, hvp, params, max_columns=12)
    assert r.ok and r.status == "passed", str(r)
    bad = check_hessian(loss, grad, lambda p, v: {k: 2 * t for k, t in hvp(p, v).items()}, params, max_columns=4)
    assert "column" in str(bad) or "direction" in str(bad)
    assert not bad.ok and bad.status == "failed"
