"""Time one training step of mlp_ref against torch.nn, and against the matrix products it cannot avoid.

Run from the repository root:  .venv/bin/python benchmarks/bench_step.py  [--threads 2] [--repeats-scale 1]

A step is: forward through a ReLU MLP, cross-entropy loss, zero_grad, backward, plain SGD update
(lr 0.01), in float32. Unlike the test suite, this script uses 2 threads by default, for NumPy's
OpenBLAS (set with threadpoolctl, whatever OMP_NUM_THREADS says) and for torch.

For each network the three contestants are run interleaved, in an order that rotates every
repetition, so that a busy machine slows all of them alike; the ratios use medians (the fastest
call is printed too: on a crowded machine it is closer to what an idle one would show):
  mlp_ref       mlp_ref.train.train_step on mlp_ref.mlp.MLP
  torch         the same network as torch.nn.Sequential, torch.optim.SGD
  GEMM floor    only the matrix products a step needs, NumPy, into preallocated arrays:
                forward x Wᵀ, weight gradients Gᵀ x, input gradients G W for every layer but the
                first (nobody needs the gradient of the data). Its FLOPs / its time is the
                float32 matmul rate at these very shapes; the floor is the time a step would take
                if everything but the matrix products were free.
It then prints, for mlp_ref, the median time of every phase of the step (each layer's forward and
backward, the loss, the optimizer) to show where the time goes.
"""
import argparse
import os
import statistics
import time

import numpy as np
import torch
from threadpoolctl import threadpool_info, threadpool_limits

from mlp_ref.loss import CrossEntropyLoss
from mlp_ref.mlp import MLP
from mlp_ref.optim import SGD
from mlp_ref.train import train_step

DTYPE = np.float32
LEARNING_RATE = 0.01
CONFIGURATIONS = [  # (layer sizes, batch size, repetitions)
    ([784, 256, 256, 10], 128, 300),
    ([784, 1024, 1024, 10], 512, 40),
]
WARM_UP = 5
RATIOS = [  # (numerator, denominator, goal)
    ("mlp_ref", "torch", "goal <= 0.8"),
    ("mlp_ref", "GEMM floor", "goal <= 1.3 at the large size"),
    ("torch", "GEMM floor", ""),
]


def make_contestants(sizes, batch_size, seed=0):
    """Step functions for mlp_ref, torch and the GEMM floor, all on the same data and initial weights."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((batch_size, sizes[0])).astype(DTYPE)
    y = rng.integers(0, sizes[-1], batch_size)

    ours = MLP(sizes, dtype=DTYPE, generator=rng)
    our_loss, our_optimizer = CrossEntropyLoss(), SGD(ours.parameters(), lr=LEARNING_RATE)

    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(n_in, n_out), torch.nn.ReLU()]
    theirs = torch.nn.Sequential(*layers[:-1])
    with torch.no_grad():
        for name, param in ours.named_parameters():
            theirs.get_parameter(name).copy_(torch.from_numpy(param.data))
    their_loss, their_optimizer = torch.nn.CrossEntropyLoss(), torch.optim.SGD(theirs.parameters(), lr=LEARNING_RATE)
    X_torch, y_torch = torch.from_numpy(X), torch.from_numpy(y)

    def mlp_ref_step():
        train_step(ours, our_loss, our_optimizer, X, y)

    def torch_step():
        their_optimizer.zero_grad()
        their_loss(theirs(X_torch), y_torch).backward()
        their_optimizer.step()

    gemm_floor_step, flops = make_gemm_floor(sizes, batch_size, rng)
    contestants = {"mlp_ref": mlp_ref_step, "torch": torch_step, "GEMM floor": gemm_floor_step}
    return contestants, flops, (ours, our_loss, our_optimizer, X, y)


def make_gemm_floor(sizes, batch_size, rng):
    """The step's unavoidable matrix products, into preallocated outputs; returns (step, FLOPs)."""
    products = []  # (a, b, out) with out = a @ b
    flops = 0
    for index, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        x = rng.standard_normal((batch_size, n_in)).astype(DTYPE)
        weight = rng.standard_normal((n_out, n_in)).astype(DTYPE)
        grad = rng.standard_normal((batch_size, n_out)).astype(DTYPE)
        products.append((x, weight.T, np.empty((batch_size, n_out), DTYPE)))  # forward
        products.append((grad.T, x, np.empty((n_out, n_in), DTYPE)))  # weight gradient
        flops += 2 * 2 * batch_size * n_in * n_out
        if index > 0:
            products.append((grad, weight, np.empty((batch_size, n_in), DTYPE)))  # input gradient
            flops += 2 * batch_size * n_in * n_out

    def gemm_floor_step():
        for a, b, out in products:
            np.matmul(a, b, out=out)

    return gemm_floor_step, flops


def time_interleaved(contestants, repetitions):
    """Seconds per call of each contestant, all repetitions, calling them in rotating order."""
    for step in contestants.values():
        for _ in range(WARM_UP):
            step()
    names = list(contestants)
    times = {name: [] for name in names}
    for repetition in range(repetitions):
        shift = repetition % len(names)
        for name in names[shift:] + names[:shift]:
            start = time.perf_counter()
            contestants[name]()
            times[name].append(time.perf_counter() - start)
    return times


def phase_breakdown(model, loss_fn, optimizer, X, y, repetitions):
    """Median seconds of each phase of mlp_ref's training step, in the order train_step runs them."""
    times = {}

    def timed(label, function, *args):
        start = time.perf_counter()
        result = function(*args)
        times.setdefault(label, []).append(time.perf_counter() - start)
        return result

    for _ in range(repetitions):
        output = X
        for index, layer in enumerate(model):
            output = timed(f"{index} {type(layer).__name__} forward", layer, output)
        timed("loss forward", loss_fn, output, y)
        timed("optimizer.zero_grad", optimizer.zero_grad)
        grad = timed("loss backward", loss_fn.backward)
        for index, layer in reversed(list(enumerate(model))):
            grad = timed(f"{index} {type(layer).__name__} backward", layer.backward, grad)
        timed("optimizer.step", optimizer.step)
    return {label: statistics.median(samples) for label, samples in times.items()}


def blas_threads():
    return ", ".join(f"{info['internal_api']} {info['num_threads']} threads" for info in threadpool_info()
                     if info["user_api"] == "blas")


def report(times, flops):
    """Print the medians and fastest calls, the matmul rate, and the ratios the goals are stated in."""
    median = {name: statistics.median(samples) for name, samples in times.items()}
    fastest = {name: min(samples) for name, samples in times.items()}
    print(f"  {'':<11} {'median':>9} {'fastest':>9}")
    for name in times:
        print(f"  {name:<11} {median[name] * 1e3:6.2f} ms {fastest[name] * 1e3:6.2f} ms")
    rate, best_rate = flops / median["GEMM floor"] / 1e9, flops / fastest["GEMM floor"] / 1e9
    print(f"  GEMM FLOPs per step {flops / 1e9:.3f} G; float32 matmul rate at these shapes "
          f"{rate:.0f} GFLOP/s (median), {best_rate:.0f} (fastest)")
    for numerator, denominator, goal in RATIOS:
        print(f"  {numerator + ' / ' + denominator:<21} {median[numerator] / median[denominator]:5.2f} (medians) "
              f"{fastest[numerator] / fastest[denominator]:5.2f} (fastest)   {goal}")


def run(repeats_scale):
    print(f"numpy {np.__version__} ({blas_threads()}), torch {torch.__version__} ({torch.get_num_threads()} threads), "
          f"{os.cpu_count()} CPUs, float32; load average {os.getloadavg()[0]:.1f} at the start")
    for sizes, batch_size, repetitions in CONFIGURATIONS:
        repetitions = max(5, round(repetitions * repeats_scale))
        contestants, flops, mlp_ref_parts = make_contestants(sizes, batch_size)
        print(f"\n{'-'.join(map(str, sizes))} ReLU MLP, batch {batch_size}: {repetitions} interleaved steps")
        report(time_interleaved(contestants, repetitions), flops)
        phases = phase_breakdown(*mlp_ref_parts, repetitions)
        print(f"  mlp_ref phases, timed separately (medians, sum {sum(phases.values()) * 1e3:.2f} ms):")
        for label, seconds in phases.items():
            print(f"    {label:<24} {seconds * 1e3:8.3f} ms")
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end "
          f"(above {os.cpu_count()}: other processes shared the CPUs)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="threads for NumPy's BLAS and for torch")
    parser.add_argument("--repeats-scale", type=float, default=1.0, help="multiply every repetition count")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with threadpool_limits(limits=args.threads, user_api="blas"):
        run(args.repeats_scale)


if __name__ == "__main__":
    main()
