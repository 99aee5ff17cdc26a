"""Worker overhead benchmark: the same network on the same data, trained by ``netspace.workers.run_trial`` and by
a bare hand-written PyTorch loop (same model and init, batch size, SGD + Nesterov + cosine-per-iteration, same
kind of crop/flip augmentation and on-device uint8 data, bf16 autocast + channels_last on CUDA, but no checkpoint,
report, NaN check or evaluation). Prints steady-state training images/s of both and the ratio worker / bare.

    python benchmarks/bench_worker.py                           # CPU: digits, ~11 MFLOP RegNetX, 3 epochs
    python benchmarks/bench_worker.py --device cuda             # GPU: synthetic CIFAR-size data, RegNetX-200MF
    python benchmarks/bench_worker.py --dataset cifar10 --data ~/data --device cuda --epochs 3

Not a test: numbers depend on the machine and its load. Epoch 1 of each run is warm-up and not counted; of
``--repeats`` alternating runs the best steady-state throughput of each loop is reported.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time

import torch
import torch.nn.functional as F

from netspace.search_spaces import Geometry, get_space
from netspace.workers import DatasetSpec, EpochReport, TrainRecipe, load_dataset, run_trial
from netspace.workers.device import plan_device

CPU_CONFIG = {"depth": 10, "w0": 32, "wa": 32.0, "wm": 2.0, "bottleneck_ratio": 1, "group_width": 16}   # ~11 MF
GPU_CONFIG = {"depth": 13, "w0": 24, "wa": 36.44, "wm": 2.49, "bottleneck_ratio": 1, "group_width": 8}  # RegNetX-200MF


def bare_loop(space: str, config: dict, spec: DatasetSpec, recipe: TrainRecipe, seed: int, device: str) -> list[float]:
    """Training images/s of every epoch of a minimal loop."""
    data = load_dataset(spec)
    dev = torch.device(device)
    cuda = dev.type == "cuda"
    fmt = torch.channels_last if cuda else torch.contiguous_format
    ds = get_space(space)
    torch.manual_seed(seed)
    info = data.info
    model = ds.build(ds.config_from_dict(config), Geometry.of(info))
    model = model.to(dev, memory_format=fmt).train()
    x_all, y_all = data.train_x.to(dev), data.train_y.to(dev)
    if recipe.max_train_images:
        x_all, y_all = x_all[: recipe.max_train_images], y_all[: recipe.max_train_images]
    mean = torch.tensor(data.mean, device=dev).view(1, -1, 1, 1)
    std = torch.tensor(data.std, device=dev).view(1, -1, 1, 1)
    n, bs = len(y_all), recipe.batch_size
    steps = math.ceil(n / bs)
    opt = torch.optim.SGD(model.parameters(), lr=recipe.lr, momentum=0.9, nesterov=True, weight_decay=recipe.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda it: 0.5 * (1 + math.cos(math.pi * it / (steps * recipe.epochs))))
    g = torch.Generator(device=dev).manual_seed(seed)
    pad, h, w = info.crop_pad, info.resolution, info.resolution
    rates = []
    for _ in range(recipe.epochs):
        perm = torch.randperm(n, generator=g, device=dev)
        if cuda:
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        for i in range(steps):
            idx = perm[i * bs:(i + 1) * bs]
            if len(idx) < 2:
                continue
            x, y = x_all[idx], y_all[idx]
            if recipe.augment:
                b = len(idx)
                xp = F.pad(x, (pad,) * 4)
                oy = torch.randint(0, 2 * pad + 1, (b, 1), generator=g, device=dev)
                ox = torch.randint(0, 2 * pad + 1, (b, 1), generator=g, device=dev)
                rows = oy + torch.arange(h, device=dev)
                cols = ox + torch.arange(w, device=dev)
                if info.hflip:
                    cols = torch.where(torch.randint(0, 2, (b, 1), generator=g, device=dev).bool(), cols.flip(1), cols)
                x = xp.permute(0, 2, 3, 1)[torch.arange(b, device=dev)[:, None, None], rows[:, :, None], cols[:, None, :]]
                x = x.permute(0, 3, 1, 2)
            xf = torch.empty(x.shape, device=dev, memory_format=fmt).copy_(x).div_(255).sub_(mean).div_(std)
            with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=cuda):
                loss = F.cross_entropy(model(xf), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        loss.item()  # synchronise
        rates.append(n / (time.perf_counter() - t0))
    return rates


def worker_loop(space, config, spec, recipe, seed, device) -> tuple[list[float], float]:
    reports: list[EpochReport] = []
    result = run_trial(space, config, spec, recipe, seed=seed, device=device, report=reports.append)
    return [r.images_per_s for r in reports], result.top1_err


def steady(rates: list[float]) -> float:
    return statistics.median(rates[1:] if len(rates) > 1 else rates)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N")
    ap.add_argument("--dataset", default=None, help="digits (CPU default), synthetic (GPU default), cifar10, ...")
    ap.add_argument("--data", default=None, help="dataset directory (default $NETSPACE_DATA)")
    ap.add_argument("--space", default="regnetx")
    ap.add_argument("--config", default=None, help="config JSON (default: a ~11 MF RegNetX on CPU, RegNetX-200MF on GPU)")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=None, help="default 128 on CPU, 256 on GPU")
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--max-train-images", type=int, default=None)
    ap.add_argument("--no-augment", action="store_true")
    ap.add_argument("--repeats", type=int, default=2, help="alternating runs of each loop; the best is reported")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    ap.add_argument("--json", default=None, help="also write the figures to this JSON file")
    args = ap.parse_args()

    plan = plan_device(args.device)
    cuda = plan.is_cuda
    if args.threads:
        torch.set_num_threads(args.threads)
    dataset = args.dataset or ("synthetic" if cuda else "digits")
    config = json.loads(args.config) if args.config else (GPU_CONFIG if cuda else CPU_CONFIG)
    spec = DatasetSpec(dataset, args.data)
    recipe = TrainRecipe(epochs=args.epochs, batch_size=args.batch_size or (256 if cuda else 128), lr=args.lr,
                         augment=not args.no_augment, max_train_images=args.max_train_images, device=str(plan.device))
    info = load_dataset(spec).info
    ds = get_space(args.space)
    cx = ds.complexity(ds.config_from_dict(config), Geometry.of(info))
    print(f"device {plan.device} ({torch.cuda.get_device_name(plan.device) if cuda else f'{torch.get_num_threads()} threads'}), "
          f"{dataset} {info.train_size} train images {info.in_channels}x{info.resolution}x{info.resolution}, "
          f"{args.space} {cx.flops / 1e6:.1f} MFLOPs, batch {recipe.batch_size}, {recipe.epochs} epochs x {args.repeats}")

    best_bare, best_worker, err = 0.0, 0.0, float("nan")
    for rep in range(args.repeats):
        bare = bare_loop(args.space, config, spec, recipe, 0, str(plan.device))
        work, err = worker_loop(args.space, config, spec, recipe, 0, str(plan.device))
        print(f"run {rep + 1}: bare {' '.join(f'{r:.0f}' for r in bare)} images/s per epoch; "
              f"worker {' '.join(f'{r:.0f}' for r in work)}")
        best_bare, best_worker = max(best_bare, steady(bare)), max(best_worker, steady(work))
    ratio = best_worker / best_bare
    print(f"bare loop  {best_bare:10.0f} images/s")
    print(f"worker     {best_worker:10.0f} images/s   (final top-1 error {err:.2f} %)")
    print(f"ratio      {ratio:10.3f}  (target >= 0.95)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"device": str(plan.device), "dataset": dataset, "flops": cx.flops, "batch_size": recipe.batch_size,
                       "epochs": recipe.epochs, "bare_images_per_s": best_bare, "worker_images_per_s": best_worker,
                       "ratio": ratio, "top1_err": err}, f, indent=2)


if __name__ == "__main__":
    main()
