#!/usr/bin/env python3
"""The kernel ceiling beside `braid bench table1`: cuBLAS batched GEMM (torch.bmm) on the same
problems, R problems of each Table 1 shape in float32 (TF32 off), timed the same way: a CUDA
event before the launch and one after its completion, median of --repeats after --warmup.
Prints and writes JSON: one row per shape and R with milliseconds and GFLOP/s."""
import argparse
import json
import statistics
import sys

# Table1Shape: key, M, N, K (dev.braid.bench.table1.Table1Shape)
SHAPES = [("matvec", 512, 1, 512), ("conv2_2", 256, 128, 1152), ("square", 256, 256, 256)]
PAPER_R = [2, 5, 10, 20, 40, 60, 80, 100, 120]


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", required=True)
    p.add_argument("--r", default=",".join(map(str, PAPER_R)))
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--repeats", type=int, default=10)
    a = p.parse_args()
    import torch
    if not torch.cuda.is_available():
        print("torch_bmm: torch has no CUDA device", file=sys.stderr)
        return 3
    torch.backends.cuda.matmul.allow_tf32 = False
    dev = torch.device("cuda")
    gen = torch.Generator(device=dev).manual_seed(1)
    rows = []
    for key, m, n, k in SHAPES:
        for r in [int(x) for x in a.r.split(",")]:
            x = torch.rand((r, m, k), device=dev, generator=gen, dtype=torch.float32) * 2 - 1
            y = torch.rand((r, k, n), device=dev, generator=gen, dtype=torch.float32) * 2 - 1
            for _ in range(a.warmup):
                torch.bmm(x, y)
            torch.cuda.synchronize()
            times = []
            for _ in range(a.repeats):
                s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                s.record()
                torch.bmm(x, y)
                e.record()
                e.synchronize()
                times.append(s.elapsed_time(e))
            ms = statistics.median(times)
            gflops = 2.0 * m * n * k * r / (ms * 1e-3) / 1e9
            rows.append({"shape": key, "m": m, "n": n, "k": k, "r": r, "ms": ms, "gflops": gflops})
            print(f"{key:8s} R={r:4d} {ms:8.4f} ms {gflops:10.1f} GFLOP/s", flush=True)
    doc = {"check": "torch_bmm", "device_name": torch.cuda.get_device_name(0), "torch": torch.__version__,
           "cuda": torch.version.cuda, "dtype": "float32", "tf32": False, "warmup": a.warmup,
           "repeats": a.repeats, "rows": rows}
    with open(a.out, "w") as f:
        json.dump(doc, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
