#!/usr/bin/env python3
"""Merges the GPU check's step outputs in OUTDIR into check.json and a one-page summary.md.
Exit status: 0 when every correctness check passed and every step that ran succeeded; 1 when a
correctness check failed or did not run to completion; 2 when only a measurement step failed."""
import argparse
import json
import os
import sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def fmt(v, spec=".2f"):
    return "n/a" if v is None else format(v, spec)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", required=True)
    p.add_argument("--device", required=True)
    p.add_argument("--elapsed", type=int, default=0)
    p.add_argument("--deadline", type=int, default=None, help="the check's global deadline, seconds")
    p.add_argument("--interrupted", default=None, help="the signal that stopped the check, if one did")
    a = p.parse_args()
    o = a.out
    steps = []
    if os.path.exists(os.path.join(o, "steps.tsv")):
        for line in open(os.path.join(o, "steps.tsv")):
            name, status, secs, detail = (line.rstrip("\n").split("\t") + ["", "", "", ""])[:4]
            steps.append({"step": name, "status": status, "seconds": int(secs or 0),
                          ("reason" if status == "skipped" else "exit_code"): detail})
    status = {s["step"]: s["status"] for s in steps}
    info, kernels, models = load(f"{o}/info.json"), load(f"{o}/kernels.json"), load(f"{o}/models.json")
    cal, table1, bmm = load(f"{o}/calibration.json"), load(f"{o}/table1/table1.json"), load(f"{o}/torch_bmm.json")
    pol, peer = load(f"{o}/policies/results.json"), load(f"{o}/torch_peer.json")
    smi = open(f"{o}/nvidia_smi.log").read().strip() if status.get("nvidia_smi") == "ok" else None

    checks = []
    for c in (kernels or {}).get("cases", []):
        checks.append({"check": "kernel", "name": c["name"], "cuda_kernel": c["cuda_kernel"], "max_abs": c["max_abs"],
                       "max_rel": c["max_rel"], "pass": c["pass"], "error": c["error"], "fault": c.get("fault")})
    for r in (models or {}).get("runs", []):
        checks.append({"check": "model", "name": f"{r['model']} batch {r['batch']}", "max_abs": r["max_abs"],
                       "max_rel": r["max_rel"], "pass": r["pass"], "error": r["error"]})
    # a correctness step that timed out or wrote nothing is a failure, whatever else it printed
    for s, d in (("kernels", kernels), ("models", models)):
        if status.get(s) in ("timeout", "interrupted") or d is None:
            checks.append({"check": s, "name": f"step {s}", "pass": False, "error": f"step {status.get(s, 'missing')}"})
    correct = bool(checks) and all(c["pass"] for c in checks)
    measurement_failed = [s["step"] for s in steps if s["status"] in ("failed", "timeout", "interrupted")
                          and s["step"] not in ("kernels", "models", "torch_probe")]  # a probe answers, it cannot fail
    gpu_steps_skipped = [s["step"] for s in steps if s["status"] == "skipped"]

    dry = a.device in ("cpu", "cuda-emu")
    faulted = (kernels or {}).get("faulted_cases", [])
    doc = {"device": a.device, "dry_run": dry, "elapsed_s": a.elapsed, "deadline_s": a.deadline,
           "interrupted": a.interrupted, "correctness_passed": correct, "kernel_cases_faulted": faulted,
           "steps": steps, "checks": checks, "info": info, "nvidia_smi": smi,
           "kernels": kernels, "models": models, "calibration": cal, "table1": table1, "torch_bmm": bmm,
           "policies": pol, "torch_peer": peer}
    with open(f"{o}/check.json", "w") as f:
        json.dump(doc, f, indent=1)

    md = [f"# Braid GPU check: {(info or {}).get('name', a.device)}", ""]
    dry_note = {"cpu": " (DRY RUN on the CPU: GPU-only steps skipped, sizes reduced)",
                "cuda-emu": " (DRY RUN over the EMULATED CUDA driver: kernel logic and host path only, no GPU timing)"}
    md.append(f"Device `{a.device}`{dry_note.get(a.device, '')};"
              f" {a.elapsed} s in all{f' of a {a.deadline} s deadline' if a.deadline else ''}."
              f" Correctness: **{'PASS' if correct else 'FAIL'}**"
              f" ({sum(c['pass'] for c in checks)}/{len(checks)}).")
    if a.interrupted:
        md.append(f"**Interrupted by {a.interrupted}**: the steps not listed below did not run.")
    drv = (info or {}).get("driver")
    if drv:
        md.append(f"Driver {drv.get('driver_version') or 'n/a'} (CUDA {drv.get('cuda_version') or 'n/a'}); the fatbin"
                  f" (nvcc {drv.get('fatbin_nvcc')}) needs CUDA {drv.get('fatbin_needs_cuda')}: {drv.get('verdict')}.")
    if info and info.get("gpu"):
        g = info["gpu"]
        md.append(f"{g['sm_count']} SMs, {g['clock_hz'] / 1e9:.2f} GHz, {info['memory_bytes'] / 2**30:.1f} GiB,"
                  f" {g['peak_fp32_flops_per_second'] / 1e12:.1f} TFLOP/s fp32 peak.")
    if smi:
        md.append(f"nvidia-smi: `{smi.splitlines()[-1]}`")
    md += ["", "Steps: " + ", ".join(f"{s['step']} {s['status']} ({s['seconds']} s)" for s in steps), ""]

    md += ["## Correctness against the CPU device", ""]
    if kernels:
        bad = [c for c in kernels["cases"] if not c["pass"]]
        worst = max(kernels["cases"], key=lambda c: c["max_rel"] if c["max_rel"] is not None else float("inf"))
        md.append(f"Kernels: {len(kernels['cases']) - len(bad)}/{len(kernels['cases'])} pass at {kernels['tolerance_rel']:g}"
                  f" relative; worst {worst['name']} ({fmt(worst['max_rel'], '.1e')}). CUDA kernels not reachable"
                  f" through the Device SPI: {', '.join(kernels['cuda_kernels_not_reachable']) or 'none'}.")
        if kernels.get("processes", 1) > 1 or faulted:
            md.append(f"Isolation: {kernels.get('processes', 1)} processes; faulted (each restarted from the next case"
                      f" in a fresh process): {', '.join(faulted) or 'none'}.")
        for c in bad:
            md.append(f"- FAIL {c['name']} ({c['cuda_kernel']}): rel {fmt(c['max_rel'], '.1e')} {c['error'] or ''}"
                      f"{' [fault: ' + c['fault'] + ']' if c.get('fault') else ''}")
    if models:
        md += ["", "| model | batch | max abs | max rel | |", "|---|---|---|---|---|"]
        for r in models["runs"]:
            md.append(f"| {r['model']} | {r['batch']} | {fmt(r['max_abs'], '.1e')} | {fmt(r['max_rel'], '.1e')} |"
                      f" {'ok' if r['pass'] else 'FAIL ' + (r['error'] or '')} |")
    md.append("")

    md += ["## Table 1: GFLOP/s (space-time vs next best; torch.bmm = cuBLAS ceiling; paper = V100 speed-up)", ""]
    if table1:
        ceil = {(r["shape"], r["r"]): r["gflops"] for r in (bmm or {}).get("rows", [])}
        md += ["| shape | R | time-only | space-only | space-time | speed-up | paper | torch.bmm |", "|---|---|---|---|---|---|---|---|"]
        for r in table1["rows"]:
            md.append(f"| {r['shape']} | {r['R']} | {r['time_only_gflops']:.0f} | {r['space_only_gflops']:.0f} |"
                      f" {r['space_time_gflops']:.0f} | {r['speedup_vs_next_best']:.2f}x |"
                      f" {fmt(r['paper_v100_speedup_vs_next_best'])} | {fmt(ceil.get((r['shape'], r['R'])), '.0f')} |")
    else:
        md.append(f"table1: {status.get('table1', 'missing')}")
    md.append("")

    md += ["## Policies beside the PyTorch peer (batch 1, Poisson arrivals, same rate and SLOs)", ""]
    if pol:
        pts = pol["sweep"] or [{"models": pol["models"], "policies": pol["policies"]}]
        peer_pts = {pt["models"]: pt for pt in (peer or {}).get("points", [])}
        md += ["| N | policy | req/s | p99 ms | SLO |", "|---|---|---|---|---|"]
        for pt in pts:
            for r in pt["policies"]:
                md.append(f"| {pt['models']} | {r['policy']} | {r['throughput_rps']:.1f} | {r['p99_ms']:.2f} |"
                          f" {100 * r['slo_attainment']:.0f}% |")
            q = peer_pts.get(pt["models"])
            if q:
                md.append(f"| {pt['models']} | pytorch peer | {fmt(q['throughput_rps'], '.1f')} | {fmt(q['p99_ms'])} |"
                          f" {fmt(100 * q['slo_attainment'] if q['slo_attainment'] is not None else None, '.0f')}% |")
        if not peer:
            md.append(f"\nPyTorch peer: {status.get('torch_peer', 'missing')}.")
    else:
        md.append(f"policies: {status.get('policies', 'missing')}")
    md.append("")

    md += ["## Simulator against measured, per kernel (batch 1)", ""]
    if cal:
        errs = [k["sim_rel_error"] for k in cal["kernels"] if k["sim_rel_error"] is not None]
        by = {}
        for k in cal["kernels"]:
            if k["sim_rel_error"] is not None:
                by.setdefault(k["kind"], []).append(abs(k["sim_rel_error"]))
        md.append(f"Profile {cal['profile']} ({cal['profile_match']}); |sim - measured| / measured over {len(errs)} kernels:"
                  f" median {fmt(cal['sim_abs_rel_error_median'], '.1%')}, worst {fmt(cal['sim_abs_rel_error_worst'], '.1%')}.")
        md.append("By kind (median, worst): " + "; ".join(
            f"{k} {sorted(v)[len(v) // 2]:.0%}, {max(v):.0%}" for k, v in sorted(by.items())))
    else:
        md.append(f"calibrate: {status.get('calibrate', 'missing')}")
    if not os.path.exists(os.path.join(o, "policies.png")) and status.get("policies") == "ok":
        md += ["", "policies.png: not drawn (see policies.log; the JSON is the result)"]
    if gpu_steps_skipped:
        md += ["", "Skipped: " + "; ".join(f"{s['step']} ({s.get('reason', '')})" for s in steps if s["status"] == "skipped")]
    with open(f"{o}/summary.md", "w") as f:
        f.write("\n".join(md) + "\n")
    print("\n".join(md))
    if not correct:
        return 1
    return 2 if measurement_failed else 0


if __name__ == "__main__":
    sys.exit(main())
