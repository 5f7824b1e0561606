"""Benchmark: `verify.check_gradient` against a minimal hand-written central-difference loop.

Problem: softmax regression, W 10 x 64 + b (650 parameters), batch 100, one-hot labels,
float64, black-box loss f((W, b)) -> J. Exact gradient: the proved formula
dJ/dW = (1/N) (P - Y)^T X, dJ/db = (1/N) sum_k (p^k - y^k).

Reports, in one run: time of the hand loop (the reference), time of each method of
check_gradient and its ratio to the hand loop (goal for "central": <= 1.2x), and the
norm-relative error ||n - g|| / ||g|| of each numeric gradient against the exact one
(goals: the default "central" <= 1e-10, richardson <= 1e-11 within 30 ms). Optionally
scipy.optimize.check_grad (forward differences) for comparison.

The default accuracy is measured on two problems, several seeds each: unit-scale data with
W ~ 0.1 N(0, 1) and with W ~ N(0, 1) (larger logits, larger |f| and curvature). Timings are
interleaved (hand loop, check, hand loop, ...) and the best of each is compared, since the
machine is shared. Next to them: the best that *any* fixed step of a 2-call central
difference reaches on the same problem (a scan of steps, knowing the exact gradient), and
the floor of 2 calls per entry (`floor_study`): every entry at its own optimal step, from
its f''' and the rounding of f measured with the same f computed in long double, split into
truncation and rounding; and the least calls per entry that reach 1e-10 (Richardson on the
most curved entries, chosen knowing f'''). With the default's 2 + ~0.2 calls per entry the
floor is what step selection can approach, not pass.

It also studies whether a cheaper stencil than Richardson's 4 calls per entry reaches
1e-11: the 3rd-order one-sided stencil on {-1, 0, 1, 2} reuses the shared f(x), so it
costs 3 calls per entry, f'(x) = (-2 f(x-h) - 3 f(x) + 6 f(x+h) - f(x+2h)) / 6h + O(h^3),
measured at several steps. When the 30 ms target cannot be met, the script prints why:
calls per entry x measured cost of one loss call.

Run:  python benchmarks/bench_check_gradient.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import verify

N_CLASSES, N_FEATURES, BATCH = 10, 64, 100


def problem(seed=0, w_scale=0.1, dtype=np.float64):
    """Loss, exact gradient and params (W, b); ``dtype`` is the precision f computes in
    (np.longdouble: the same f with 64-bit mantissas, to tell truncation from rounding)."""
    rng = np.random.default_rng(seed)
    W = w_scale * rng.standard_normal((N_CLASSES, N_FEATURES))
    b = w_scale * rng.standard_normal(N_CLASSES)
    X = rng.standard_normal((BATCH, N_FEATURES)).astype(dtype)
    Y = np.eye(N_CLASSES, dtype=dtype)[rng.integers(0, N_CLASSES, BATCH)]
    # float64: params as given (complex ones too, for method="complex")
    cast = (lambda a: a) if dtype == np.float64 else (lambda a: np.asarray(a).astype(dtype))

    def loss(params):
        # J = -(1/N) sum_k sum_i y_i^k log softmax(V^k)_i, V^k = W x^k + b
        W, b = params
        V = X @ cast(W).T + cast(b)
        V = V - V.max(axis=1, keepdims=True).real
        return -np.sum(Y * (V - np.log(np.exp(V).sum(axis=1, keepdims=True)))) / BATCH

    def grad(params):
        W, b = params
        V = X @ cast(W).T + cast(b)
        P = np.exp(V - V.max(axis=1, keepdims=True))
        P /= P.sum(axis=1, keepdims=True)
        G = (P - Y) / BATCH
        return G.T @ X, G.sum(axis=0)

    return loss, grad, (W, b)


def hand_loop(loss, params, rel=None):
    """The minimal central-difference loop people write by hand."""
    W, b = (p.copy() for p in params)
    out = []
    for p in (W, b):
        flat = p.reshape(-1)
        g = np.empty(flat.size)
        for i in range(flat.size):
            x = flat[i]
            h = (np.cbrt(np.finfo(float).eps) if rel is None else rel) * max(1.0, abs(x))
            flat[i] = x + h
            fp = loss((W, b))
            flat[i] = x - h
            fm = loss((W, b))
            flat[i] = x
            g[i] = (fp - fm) / (2 * h)
        out.append(g.reshape(p.shape))
    return out


def one_sided_3call(loss, params, rel):
    """3rd-order one-sided stencil on {-1, 0, 1, 2}: 3 calls per entry plus one shared f(x)."""
    W, b = (p.copy() for p in params)
    f0 = loss((W, b))
    out = []
    for p in (W, b):
        flat = p.reshape(-1)
        g = np.empty(flat.size)
        for i in range(flat.size):
            x = flat[i]
            h = rel * max(1.0, abs(x))
            xm, xp, x2 = x - h, x + h, x + 2 * h
            flat[i] = xm
            fm = loss((W, b))
            flat[i] = xp
            fp = loss((W, b))
            flat[i] = x2
            f2 = loss((W, b))
            flat[i] = x
            # equal spacing up to rounding of x +- h: use the stored spacing
            g[i] = (-2 * fm - 3 * f0 + 6 * fp - f2) / (6 * ((xp - xm) / 2))
        out.append(g.reshape(p.shape))
    return out


def stencil_study(loss, params, exact, t_f, repeat):
    """Best norm-relative error of the 3-call stencil over a few steps, and its time."""
    best = (np.inf, None)
    for rel in (1e-4, 2e-4, 4e-4, 7e-4):
        err = norm_rel(one_sided_3call(loss, params, rel), exact)
        best = min(best, (err, rel))
    t, _ = best_time(lambda: one_sided_3call(loss, params, best[1]), max(1, repeat // 2))
    return best[0], best[1], t


def central_entries(loss, params, h, wide=False):
    """Central differences of every entry at per-entry steps h (flat), divided by the stored
    spacing; ``wide``: f(x + h) - f(x - h) taken in the precision loss returns (longdouble)."""
    W, b = (p.copy() for p in params)
    out = np.empty(h.size)
    k = 0
    for p in (W, b):
        flat = p.reshape(-1)
        for i in range(flat.size):
            x = flat[i]
            xp, xm = x + h[k], x - h[k]
            flat[i] = xp
            fp = loss((W, b))
            flat[i] = xm
            fm = loss((W, b))
            flat[i] = x
            out[k] = float((fp - fm) / np.longdouble(xp - xm)) if wide else (fp - fm) / (xp - xm)
            k += 1
    return out


def floor_study(seed, w_scale, goal=1e-10):
    """What 2 calls per entry can reach at best, and what 1e-10 costs, on one problem.

    f is computed a second time in long double (64-bit mantissa): central differences of that
    f at the same float64 points have the same truncation and ~2000x less rounding, so for
    every entry c_i = f'''(x) / 6 along e_i, [D(2h) - D(h)] / 3h^2, and the rounding nu of one
    float64 evaluation (std of D_64(h) - D_long(h), times sqrt(2) h) are measured. The floor
    is the central difference at each entry's own optimal step h_i* = (nu / (2 |c_i|))^(1/3),
    knowing c_i (a black-box check does not: learning it costs at least one more call per
    entry). To reach `goal`, entries are moved, most curved first, to Richardson
    (4 D(H) - D(2H)) / 3 at H = 7e-4 (4 calls instead of 2) until the goal is met: the
    cheapest such mix, a lower bound on the cost.
    """
    loss, _, params = problem(seed, w_scale)
    loss_l, grad_l, _ = problem(seed, w_scale, np.longdouble)
    exact = np.concatenate([np.asarray(a, dtype=float).ravel() for a in grad_l(params)])
    P = exact.size
    h = np.full(P, 3e-5)
    d1 = central_entries(loss_l, params, h, wide=True)
    c = (central_entries(loss_l, params, 2 * h, wide=True) - d1) / (3 * h**2)
    nu = float(np.std(central_entries(loss, params, h) - d1) * np.sqrt(2) * h[0])
    with np.errstate(divide="ignore"):
        h_star = np.minimum((nu / (2 * np.abs(c))) ** (1 / 3), 1e-3)
    d_star = central_entries(loss, params, h_star)
    trunc = central_entries(loss_l, params, h_star, wide=True) - exact
    g = np.linalg.norm(exact)
    floor = np.linalg.norm(d_star - exact) / g
    H = np.full(P, 7e-4)
    rich = (4 * central_entries(loss, params, H) - central_entries(loss, params, 2 * H)) / 3
    err2 = (d_star - exact) ** 2
    moved = 0
    for k in np.argsort(-np.abs(c)):
        if np.sqrt(err2.sum()) / g <= goal:
            break
        err2[k] = (rich[k] - exact[k]) ** 2
        moved += 1
    reached = np.sqrt(err2.sum()) / g <= goal
    return {
        "floor": floor, "trunc": np.linalg.norm(trunc) / g, "round": np.linalg.norm(d_star - exact - trunc) / g,
        "nu": nu, "moved": moved / P, "calls": 2 + 2 * moved / P, "reached": reached,
    }


def floors(seeds):
    """`floor_study` per problem and seed, printed."""
    print(f"{'W scale':<8}{'seed':>5}{'nu':>10}{'2-call floor':>14}{'trunc':>10}{'round':>10}"
          f"{'1e-10 needs Richardson on':>27}{'calls/entry':>13}")
    out = []
    for w_scale in (0.1, 1.0):
        for seed in seeds:
            r = floor_study(seed, w_scale)
            out.append((w_scale, seed, r))
            need = f"{r['moved']:.0%} of entries" if r["reached"] else "all (not reached)"
            print(f"{w_scale:<8g}{seed:>5}{r['nu']:>10.2e}{r['floor']:>14.2e}{r['trunc']:>10.2e}{r['round']:>10.2e}"
                  f"{need:>27}{r['calls']:>13.2f}")
    return out


def norm_rel(numeric, exact):
    n = np.concatenate([a.ravel() for a in numeric])
    e = np.concatenate([a.ravel() for a in exact])
    return float(np.linalg.norm(n - e) / np.linalg.norm(e))


def best_time(fn, repeat):
    best, value = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - t)
    return best, value


def scipy_line(loss, grad, params, t_hand, repeat):
    """scipy.optimize.check_grad (forward differences, returns one number), if installed."""
    try:
        from scipy.optimize import check_grad
    except ImportError:
        return

    def flat_f(z):
        return loss((z[:-N_CLASSES].reshape(N_CLASSES, N_FEATURES), z[-N_CLASSES:]))

    def flat_g(z):
        return np.concatenate([a.ravel() for a in grad((z[:-N_CLASSES].reshape(N_CLASSES, N_FEATURES), z[-N_CLASSES:]))])

    z = np.concatenate([p.ravel() for p in params])
    t, val = best_time(lambda: check_grad(flat_f, flat_g, z), repeat)
    print(
        f"{'scipy check_grad':<22}{t * 1e3:>10.1f}{t / t_hand:>9.2f}"
        f"{val / np.linalg.norm(flat_g(z)):>14.2e}{'':>5}  (forward differences, one number)"
    )


def interleaved(fa, fb, repeat):
    """Best times of fa and fb, run alternately (a shared machine's load hits both)."""
    ta = tb = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        fa()
        ta = min(ta, time.perf_counter() - t)
        t = time.perf_counter()
        fb()
        tb = min(tb, time.perf_counter() - t)
    return ta, tb


def default_accuracy(seeds, repeat):
    """The default check_gradient ("central") against the hand loop, per problem and seed."""
    print(f"{'W scale':<8}{'seed':>5}{'hand err':>11}{'check err':>11}{'best fixed':>12}{'ratio':>7}{'calls/entry':>13}")
    rows = []
    for w_scale in (0.1, 1.0):
        for seed in seeds:
            loss, grad, params = problem(seed, w_scale)
            exact = grad(params)
            r = verify.check_gradient(loss, grad, params)
            e_check = norm_rel(r.numeric, exact)
            e_hand = norm_rel(hand_loop(loss, params), exact)
            best = min(norm_rel(hand_loop(loss, params, rel), exact) for rel in (1e-5, 2e-5, 4e-5, 8e-5, 1.6e-4))
            t_hand, t_check = interleaved(lambda: hand_loop(loss, params), lambda: verify.check_gradient(loss, grad, params), repeat)
            P = sum(p.size for p in params)
            rows.append((w_scale, seed, e_hand, e_check, best, t_check / t_hand, r.n_evals / P))
            print(f"{w_scale:<8g}{seed:>5}{e_hand:>11.2e}{e_check:>11.2e}{best:>12.2e}{t_check / t_hand:>7.2f}{r.n_evals / P:>13.3f}")
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="timing repeats (best of)")
    ap.add_argument("--seeds", type=int, default=4, help="seeds per problem for the default accuracy")
    args = ap.parse_args(argv)
    print("default method (central), W 10x64 + b, batch 100, unit-scale data:")
    rows = default_accuracy(range(args.seeds), args.repeat)
    print("the floor of 2 calls per entry (each entry at its own optimal step, knowing f''' from a long-double f),")
    print("and the cheapest way to 1e-10 (Richardson on the most curved entries, known in advance; calls per entry):")
    if np.finfo(np.longdouble).eps < 1e-18:
        floor_rows = floors(range(args.seeds))
    else:  # long double is float64 here: no second precision to tell truncation from rounding
        print("  (skipped: this platform's long double has no extended precision)")
        floor_rows = []
    loss, grad, params = problem()
    exact = grad(params)
    t_f, _ = best_time(lambda: loss(params), 200)
    t_hand, hand = best_time(lambda: hand_loop(loss, params), args.repeat)
    print(f"problem: W {N_CLASSES}x{N_FEATURES} + b ({sum(p.size for p in params)} params), batch {BATCH}, float64")
    print(f"one loss evaluation: {t_f * 1e6:.1f} us")
    print(f"{'method':<22}{'time [ms]':>10}{'vs hand':>9}{'norm-rel err':>14}{'ok':>5}")
    print(f"{'hand loop (central)':<22}{t_hand * 1e3:>10.1f}{1.0:>9.2f}{norm_rel(hand, exact):>14.2e}{'':>5}")
    figures = {}
    for method in ("central", "richardson", "complex", "random"):
        t, r = best_time(lambda: verify.check_gradient(loss, grad, params, method=method), args.repeat)
        err = norm_rel(r.numeric, exact) if r.numeric is not None else r.norm_rel_error
        figures[method] = (t, err)
        label = method + (" (4 dirs)" if method == "random" else "")
        print(f"{label:<22}{t * 1e3:>10.1f}{t / t_hand:>9.2f}{err:>14.2e}{str(r.ok):>5}")
    scipy_line(loss, grad, params, t_hand, args.repeat)
    P = sum(p.size for p in params)
    e3, rel3, t3 = stencil_study(loss, params, exact, t_f, args.repeat)
    print(
        f"{'3-call stencil (hand)':<22}{t3 * 1e3:>10.1f}{t3 / t_hand:>9.2f}{e3:>14.2e}{'':>5}"
        f"  (one-sided {{-1,0,1,2}}, best step {rel3:g} max(1,|x|))"
    )
    t_c, e_c = figures["central"]
    t_r, e_r = figures["richardson"]
    print("goals:")
    ratios = sorted(r[5] for r in rows)
    med = float(np.median(ratios))
    print(f"  central cost <= 1.2x hand loop: median ratio over problems and seeds {med:.2f}x "
          f"(min {ratios[0]:.2f}, max {ratios[-1]:.2f}; calls of f {rows[0][6]:.3f} per entry vs 2)  "
          f"[{'met' if med <= 1.2 else 'NOT met'}] (the methods table above: {t_c / t_hand:.2f}x, not interleaved)")
    for w_scale in (0.1, 1.0):
        errs = [r[3] for r in rows if r[0] == w_scale]
        floor = min(r[4] for r in rows if r[0] == w_scale)
        print(f"  central norm-relative error <= 1e-10 (W ~ {w_scale:g} N(0,1)): worst {max(errs):.1e}, "
              f"{sum(e <= 1e-10 for e in errs)} of {len(errs)} seeds  [{'met' if max(errs) <= 1e-10 else 'NOT met'}]"
              f"; hand loop {max(r[2] for r in rows if r[0] == w_scale):.1e}; best fixed 2-call step {floor:.1e}")
        fl = [r for w, _, r in floor_rows if w == w_scale]
        if not fl:
            continue
        print(f"    2-call floor (per-entry optimal steps) {min(r['floor'] for r in fl):.2e}..{max(r['floor'] for r in fl):.2e}: "
              f"1e-10 is out of reach at 2 calls per entry; it needs >= {min(r['calls'] for r in fl):.2f} calls per entry "
              f"(>= {min(r['calls'] for r in fl) / 2:.2f}x the hand loop's), even choosing the entries with the exact f'''")
    print(f"  richardson error <= 1e-11: {e_r:.1e}  [{'met' if e_r <= 1e-11 else 'NOT met'}]")
    met = t_r <= 0.030
    print(f"  richardson within 30 ms: {t_r * 1e3:.1f} ms  [{'met' if met else 'NOT met'}]")
    if not met:
        # the loss calls alone, at k calls per entry, cost k * P * t_f
        budget = 0.030 / (P * t_f)
        print(
            f"    why: one loss call takes {t_f * 1e6:.1f} us, so 30 ms allows {budget:.2f} calls per entry "
            f"for {P} entries. Richardson (4th order, symmetric) needs 4: {4 * P * t_f * 1e3:.1f} ms of loss "
            f"calls alone. The cheapest alternative, the 3-call one-sided stencil (3 x {P} x {t_f * 1e6:.1f} us "
            f"= {3 * P * t_f * 1e3:.1f} ms), reaches only {e3:.1e} ({'meets' if e3 <= 1e-11 else 'misses'} 1e-11: "
            f"3rd order leaves h^3 truncation or eps/h rounding). Even plain central differences "
            f"(2 calls: {2 * P * t_f * 1e3:.1f} ms) reach only {e_c:.1e} (above). Richardson's two step sizes share no "
            f"points (+-h, +-2h), so no call can be reused. The target needs a loss call <= "
            f"{0.030 / (4 * P) * 1e6:.1f} us (or complex step, 1 call, where f accepts complex input)."
        )
    # failure reporting and float32
    bad = verify.check_gradient(loss, lambda p: (-grad(p)[0], grad(p)[1]), params, names=("W", "b"))
    print(f"sign-flip bug: caught={not bad.ok}, {bad.n_failed} entries failed, message {len(str(bad))} chars, worst {bad.worst.label}")
    p32 = tuple(p.astype(np.float32) for p in params)
    ok32 = verify.check_gradient(loss, grad, p32).ok
    off32 = verify.check_gradient(loss, lambda p: tuple(1.01 * g for g in grad(p)), p32).ok
    print(f"float32 params: correct gradient passes={ok32}, gradient 1% off passes={off32}")
    # float32: one entry 1% off, for the 20 largest entries of the gradient (issue 11)
    G = np.concatenate([a.ravel() for a in grad(p32)])
    caught = 0
    for k in np.argsort(-np.abs(G))[:20]:
        def one_off(p, k=k):
            flat = np.concatenate([a.ravel() for a in grad(p)])
            flat[k] *= 1.01
            return flat[:-N_CLASSES].reshape(N_CLASSES, N_FEATURES), flat[-N_CLASSES:]
        caught += not verify.check_gradient(loss, one_off, p32).ok
    r32 = verify.check_gradient(loss, grad, p32)
    print(f"float32, one entry 1% off (20 largest entries): caught {caught}/20; "
          f"entries where the noise hides a 1% error (reported): {r32.n_insensitive} of {r32.n_checked}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
