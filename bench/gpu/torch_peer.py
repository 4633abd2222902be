#!/usr/bin/env python3
"""The peer a user would pick instead of Braid: the zoo's architectures in PyTorch (same layer
shapes as dev.braid.model.zoo, random weights), float32 with TF32 off, batch 1, one CUDA stream
and one weight copy per co-located model, serving the same request mix as a `braid bench
policies` run (its results.json gives the mix, the per-model Poisson rate for each N, the
duration and the SLOs). Latency is arrival to completion: the host enqueues each request on its
model's stream at its arrival time and its completion is read from a CUDA event. Prints and
writes JSON."""
import argparse
import json
import math
import random
import statistics
import sys
import time


def build(arch, image_size):
    import torch
    from torch import nn

    def conv_bn(cin, cout, k, stride, groups=1, act=None):
        layers = [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
        if act is not None:
            layers.append(act)
        return nn.Sequential(*layers)

    class Basic(nn.Module):  # ResNet18.basicBlock
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.a = conv_bn(cin, cout, 3, stride, act=nn.ReLU())
            self.b = conv_bn(cout, cout, 3, 1)
            self.down = conv_bn(cin, cout, 1, stride) if stride != 1 or cin != cout else None

        def forward(self, x):
            s = x if self.down is None else self.down(x)
            return torch.relu(self.b(self.a(x)) + s)

    class Inverted(nn.Module):  # MobileNetV2.invertedResidual
        def __init__(self, cin, t, cout, stride):
            super().__init__()
            hidden = cin * t
            layers = [] if t == 1 else [conv_bn(cin, hidden, 1, 1, act=nn.ReLU6())]
            layers += [conv_bn(hidden, hidden, 3, stride, groups=hidden, act=nn.ReLU6()), conv_bn(hidden, cout, 1, 1)]
            self.body = nn.Sequential(*layers)
            self.residual = stride == 1 and cin == cout

        def forward(self, x):
            y = self.body(x)
            return x + y if self.residual else y

    class Encoder(nn.Module):  # Bert.encoderLayer, post-norm
        def __init__(self, hidden=256, heads=4, ffn=1024):
            super().__init__()
            self.heads, self.dim = heads, hidden // heads
            self.q, self.k, self.v = nn.Linear(hidden, hidden), nn.Linear(hidden, hidden), nn.Linear(hidden, hidden)
            self.o = nn.Linear(hidden, hidden)
            self.n1, self.n2 = nn.LayerNorm(hidden, eps=1e-12), nn.LayerNorm(hidden, eps=1e-12)
            self.f1, self.f2 = nn.Linear(hidden, ffn), nn.Linear(ffn, hidden)

        def forward(self, x):
            b, s, h = x.shape
            split = lambda t: t.view(b, s, self.heads, self.dim).transpose(1, 2)
            q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
            p = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(self.dim), dim=-1)
            c = (p @ v).transpose(1, 2).reshape(b, s, h)
            x1 = self.n1(x + self.o(c))
            return self.n2(x1 + self.f2(nn.functional.gelu(self.f1(x1))))

    if arch == "mlp":
        model = nn.Sequential(nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 10))
        shape = (1, 784)
    elif arch == "resnet18":
        layers = [conv_bn(3, 64, 7, 2, act=nn.ReLU()), nn.MaxPool2d(3, 2, 1)]
        cin = 64
        for stage, c in enumerate([64, 128, 256, 512]):
            for block in range(2):
                layers.append(Basic(cin, c, 2 if stage > 0 and block == 0 else 1))
                cin = c
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 1000)]
        model, shape = nn.Sequential(*layers), (1, 3, image_size, image_size)
    elif arch == "mobilenetv2":
        layers = [conv_bn(3, 32, 3, 2, act=nn.ReLU6())]
        cin = 32
        for t, c, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                           (6, 320, 1, 1)]:
            for i in range(n):
                layers.append(Inverted(cin, t, c, s if i == 0 else 1))
                cin = c
        layers += [conv_bn(cin, 1280, 1, 1, act=nn.ReLU6()), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(1280, 1000)]
        model, shape = nn.Sequential(*layers), (1, 3, image_size, image_size)
    elif arch == "bert":
        model, shape = nn.Sequential(Encoder(), Encoder()), (1, 64, 256)
    else:
        raise ValueError(f"unknown architecture {arch!r}")
    return model.eval().cuda(), shape


def percentile(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(q * len(s)) - 1))] if s else float("nan")


def slo_ms(results, arch):
    slo = results["slo"].strip()
    if slo.endswith("x"):
        iso = {i["arch"]: i["latency_ms"] for i in results["isolated"]}
        return float(slo[:-1]) * iso[arch]
    for unit, scale in (("ms", 1.0), ("s", 1e3), ("m", 6e4)):
        if slo.endswith(unit):
            return float(slo[: -len(unit)]) * scale
    raise ValueError(f"cannot read SLO {slo!r}")


def serve(torch, instances, arrivals, streams, inputs):
    """Enqueues each request at its arrival time on its instance's stream; returns latencies in ms."""
    start = torch.cuda.Event(enable_timing=True)
    torch.cuda.synchronize()
    start.record()
    start.synchronize()
    t0 = time.perf_counter()
    ends = []
    with torch.inference_mode():
        for at_s, i in arrivals:
            delay = t0 + at_s - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            with torch.cuda.stream(streams[i]):
                instances[i][1](inputs[i])
                e = torch.cuda.Event(enable_timing=True)
                e.record()
            ends.append((at_s, i, e))
    torch.cuda.synchronize()
    return [(i, start.elapsed_time(e) - at_s * 1e3, start.elapsed_time(e)) for at_s, i, e in ends]


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--policies", required=True, help="results.json of `braid bench policies`")
    p.add_argument("--out", required=True)
    p.add_argument("--image-size", type=int, default=224)
    a = p.parse_args()
    import torch
    if not torch.cuda.is_available():
        print("torch_peer: torch has no CUDA device", file=sys.stderr)
        return 3
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = True
    torch.manual_seed(1)
    with open(a.policies) as f:
        results = json.load(f)
    mix, duration_s, seed = results["mix"], float(results["duration_s"]), int(results.get("seed", 1))
    points = results["sweep"] or [{"models": results["models"], "rate_rps_per_model": results["instances"][0]["rate_rps"]}]
    n_max = max(pt["models"] for pt in points)
    instances, inputs = [], []
    for i in range(n_max):
        arch = mix[i % len(mix)]
        model, shape = build(arch, a.image_size)
        instances.append((arch, model))
        inputs.append(torch.rand(shape, device="cuda") * 2 - 1)
    streams = [torch.cuda.Stream() for _ in range(n_max)]
    isolated = []
    with torch.inference_mode():
        for arch in dict.fromkeys(mix):
            i = mix.index(arch)
            for _ in range(5):
                instances[i][1](inputs[i])
            times = []
            for _ in range(20):
                s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                s.record()
                instances[i][1](inputs[i])
                e.record()
                e.synchronize()
                times.append(s.elapsed_time(e))
            isolated.append({"arch": arch, "latency_ms": statistics.median(times)})
            print(f"  {arch:12s} alone at batch 1: {statistics.median(times):.3f} ms", flush=True)
    out_points = []
    for pt in points:
        n, rate = pt["models"], float(pt["rate_rps_per_model"])
        rnd = random.Random(seed * 1000003 + n)
        arrivals = []
        for i in range(n):
            t = 0.0
            while True:
                t += rnd.expovariate(rate)
                if t >= duration_s:
                    break
                arrivals.append((t, i))
        arrivals.sort()
        done = serve(torch, instances, arrivals, streams, inputs)
        lat = [ms for _, ms, _ in done]
        within = sum(1 for i, ms, _ in done if ms <= slo_ms(results, instances[i][0]))
        span_s = max((end for _, _, end in done), default=0.0) / 1e3
        row = {"models": n, "rate_rps_per_model": rate, "requests": len(done),
               "throughput_rps": len(done) / span_s if span_s > 0 else None,
               "p50_ms": statistics.median(lat) if lat else None, "p99_ms": percentile(lat, 0.99) if lat else None,
               "slo_attainment": within / len(done) if done else None, "span_s": span_s}
        out_points.append(row)
        print(f"N={n:2d} {len(done)} requests: {row['throughput_rps'] or 0:.1f} req/s, p50 {row['p50_ms'] or 0:.3f} ms,"
              f" p99 {row['p99_ms'] or 0:.3f} ms, SLO {100 * (row['slo_attainment'] or 0):.1f}%", flush=True)
    doc = {"check": "torch_peer", "device_name": torch.cuda.get_device_name(0), "torch": torch.__version__,
           "cuda": torch.version.cuda, "dtype": "float32", "tf32": False, "image_size": a.image_size,
           "streams": "one per model", "duration_s": duration_s, "mix": mix, "slo": results["slo"],
           "isolated": isolated, "points": out_points}
    with open(a.out, "w") as f:
        json.dump(doc, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
