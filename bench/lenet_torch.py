"""LeNet-5 in PyTorch for `npm run bench`: one training epoch over the same digits as the
library (tanh units, 2x2 average pooling, padding 2 on C1, full C3, softmax cross-entropy;
SGD lr 0.05, momentum 0.9, batch 32, seeded shuffle), in one dtype and thread count.

Usage: /usr/bin/python3 bench/lenet_torch.py '{"images": path, "labels": path, "rows": 8000,
        "dtype": "float64", "threads": 1, "warmupBatches": 20}'
Prints one JSON line: {"epoch_ms", "epoch_cpu_ms", "loss", "torch", "dtype", "threads"}.
"""
import json
import sys
import time

import numpy as np
import torch
from torch import nn


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2),      # C1, S2
        nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),                # C3, S4
        nn.Conv2d(16, 120, 5), nn.Tanh(), nn.Flatten(),                 # C5
        nn.Linear(120, 84), nn.Tanh(),                                  # F6
        nn.Linear(84, 10),                                              # output (softmax in the loss)
    )


def main():
    spec = json.loads(sys.argv[1])
    torch.set_num_threads(int(spec["threads"]))
    dtype = {"float64": torch.float64, "float32": torch.float32}[spec["dtype"]]
    torch.manual_seed(1)
    n = int(spec["rows"])
    x = torch.from_numpy(np.fromfile(spec["images"], dtype=np.float64).reshape(n, 1, 28, 28)).to(dtype)
    y = torch.from_numpy(np.fromfile(spec["labels"], dtype=np.uint8).astype(np.int64))
    model = lenet5().to(dtype)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    bs = 32

    def step(idx):
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        opt.step()
        return loss

    gen = torch.Generator().manual_seed(1)
    warm = torch.randperm(n, generator=gen)
    for s in range(0, int(spec.get("warmupBatches", 20)) * bs, bs):
        step(warm[s:s + bs])
    order = torch.randperm(n, generator=gen)
    c0 = time.process_time()
    t0 = time.perf_counter()
    total = 0.0
    for s in range(0, n, bs):
        total += float(step(order[s:s + bs]).detach()) * min(bs, n - s)
    ms = (time.perf_counter() - t0) * 1000
    cpu = (time.process_time() - c0) * 1000
    print(json.dumps({"epoch_ms": ms, "epoch_cpu_ms": cpu, "loss": total / n, "torch": torch.__version__,
                      "dtype": spec["dtype"], "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
