#!/usr/bin/env python3
"""The GPU check's driver probe: which NVIDIA driver and CUDA version the host has, and whether
that driver can load Braid's fatbin. Needs nothing but Python and the driver.

  driver.py --lib BUNDLE_LIB --out driver.json    probe; exit 3 with one line if too old
  driver.py --merge driver.json --into info.json  add the probe to info.json as "driver"

The driver version string comes from nvidia-smi when it is on the PATH; the CUDA version the
driver supports comes from the driver itself, cuDriverGetVersion through ctypes (it needs no
cuInit and no GPU context, so it cannot disturb the check).

What the fatbin needs: native/src/main/cuda/build.sh records the nvcc release that built it in
braid_kernels.manifest ("nvcc.version=release 13.0"), inside the native jar. Code from CUDA
toolkit 13.x (sm_90 SASS, and compute_80 PTX of the 13.0 PTX ISA for the JIT) loads on a driver
that supports CUDA 13.0 or later: cuDriverGetVersion >= 13000, the R580 branch, first released on
Linux as 580.65.06 (NVIDIA, CUDA 13.0 release notes, "CUDA Toolkit and Corresponding Driver
Versions"; and NVIDIA's data-center "Supported Drivers and CUDA Toolkit Versions": R580 supports
CUDA 13.x through minor version compatibility). An older driver fails cuModuleLoadData with
CUDA_ERROR_UNSUPPORTED_PTX_VERSION or NO_BINARY_FOR_GPU minutes into the check; this refuses in a
second instead.
"""
import argparse
import ctypes
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile

MANIFEST = "dev/braid/device/cuda/braid_kernels.manifest"
REFUSED = 3
# The first Linux driver of the branch that supports each CUDA major this check may meet, for the
# refusal's message only (the test itself compares cuDriverGetVersion).
FIRST_DRIVER = {13: "580.65.06"}


def fatbin_cuda(lib_dir):
    """(required cuDriverGetVersion value, 'release X.Y') from the manifest in the native jar."""
    for jar in sorted(glob.glob(os.path.join(lib_dir, "*.jar"))):
        try:
            with zipfile.ZipFile(jar) as z:
                if MANIFEST not in z.namelist():
                    continue
                text = z.read(MANIFEST).decode("utf-8")
        except (OSError, zipfile.BadZipFile):
            continue
        m = re.search(r"^nvcc\.version=release (\d+)\.(\d+)", text, re.M)
        if m:
            major, minor = int(m.group(1)), int(m.group(2))
            return major * 1000 + minor * 10, f"release {major}.{minor}"
    return None, None


def smi_driver():
    if not shutil.which("nvidia-smi"):
        return None, "nvidia-smi not found"
    try:
        r = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                           capture_output=True, text=True, timeout=15)
    except (OSError, subprocess.SubprocessError) as e:
        return None, f"nvidia-smi failed: {e}"
    lines = [l.strip() for l in r.stdout.splitlines() if l.strip()]
    if r.returncode != 0 or not lines:
        return None, f"nvidia-smi exit {r.returncode}: {(r.stderr or r.stdout).strip()[:200]}"
    return lines[0], None


def driver_cuda():
    """cuDriverGetVersion through ctypes: (e.g. 13000, None) or (None, why)."""
    try:
        lib = ctypes.CDLL("libcuda.so.1")
    except OSError as e:
        return None, f"libcuda.so.1 did not load: {e}"
    try:
        fn = lib.cuDriverGetVersion
    except AttributeError:
        return None, "libcuda.so.1 has no cuDriverGetVersion"
    v = ctypes.c_int(0)
    r = fn(ctypes.byref(v))
    if r != 0:
        return None, f"cuDriverGetVersion returned CUresult {r}"
    return v.value, None


def cuda_str(v):
    return None if v is None else f"{v // 1000}.{(v % 1000) // 10}"


def probe(a):
    emulated = os.environ.get("BRAID_CUDA_EMULATOR") == "1"
    need, nvcc = fatbin_cuda(a.lib)
    smi, smi_why = smi_driver()
    cuda, cuda_why = driver_cuda()
    doc = {"emulated": emulated, "driver_version": smi, "driver_version_source": "nvidia-smi" if smi else smi_why,
           "cuda_driver_version": cuda, "cuda_version": cuda_str(cuda),
           "cuda_version_source": "cuDriverGetVersion (ctypes)" if cuda is not None else cuda_why,
           "fatbin_nvcc": nvcc, "fatbin_needs_cuda_driver_version": need, "fatbin_needs_cuda": cuda_str(need)}
    verdict = None
    if need is None:
        verdict = f"unknown: no {MANIFEST} in {a.lib}"
    elif cuda is None:
        verdict = f"unknown: {cuda_why}"
    elif cuda >= need:
        verdict = "ok"
    else:
        verdict = "too old"
    doc["verdict"] = verdict
    with open(a.out, "w") as f:
        json.dump(doc, f, indent=1)
    print(json.dumps(doc))
    if verdict == "too old" and not emulated:
        first = FIRST_DRIVER.get(need // 1000)
        print(f"refused: the driver{' ' + smi if smi else ''} supports CUDA {cuda_str(cuda)} (cuDriverGetVersion {cuda});"
              f" Braid's fatbin was built by nvcc {nvcc} and needs a driver for CUDA {cuda_str(need)} or later"
              f"{f' (Linux {first} or newer)' if first else ''}")
        return REFUSED
    if cuda is None and not emulated:
        print(f"refused: no usable CUDA driver ({cuda_why})")
        return REFUSED
    return 0


def merge(a):
    try:
        with open(a.into) as f:
            info = json.load(f)
    except (OSError, ValueError):
        info = {"check": "info", "note": "the info step wrote nothing; only the driver probe is here"}
    with open(a.merge) as f:
        info["driver"] = json.load(f)
    with open(a.into, "w") as f:
        json.dump(info, f, indent=1)
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--lib", help="the bundle's lib folder (the jars)")
    p.add_argument("--out", help="driver.json to write")
    p.add_argument("--merge", help="driver.json to add to --into")
    p.add_argument("--into", help="info.json")
    a = p.parse_args()
    if a.merge:
        if not a.into:
            p.error("--merge needs --into")
        return merge(a)
    if not a.lib or not a.out:
        p.error("--lib and --out are required to probe")
    return probe(a)


if __name__ == "__main__":
    sys.exit(main())
