// The emulated CUDA driver: error names and strings, and the reason a launch failed in the
// emulator, which cuGetErrorString tells.
#include <stdio.h>

#include <mutex>

#include "driver_state.h"

namespace {
/**
 * What cuGetErrorString says of CUDA_ERROR_LAUNCH_FAILED after a kernel failed in the emulator
 * (divergence): the generic text and the emulator's reason, naming the kernel, the block and the
 * places. Set by the first failure after a context was created (the error is sticky, so later
 * launches do not run); storage that lives as long as the library, as the driver's strings do.
 */
char g_launchFailure[1024] = "";
std::mutex g_launchFailureMu;
}  // namespace

namespace braid_emu {
namespace driver {

void record_launch_failure(const char* why) {
  std::lock_guard<std::mutex> lock(g_launchFailureMu);
  snprintf(g_launchFailure, sizeof g_launchFailure, "unspecified launch failure (emulated): %s", why);
}

void clear_launch_failure() {
  std::lock_guard<std::mutex> lock(g_launchFailureMu);
  g_launchFailure[0] = 0;
}

}  // namespace driver
}  // namespace braid_emu

using namespace braid_emu::driver;

extern "C" {

CUresult cuGetErrorName(CUresult error, const char** out) {
  if (out == nullptr) return CUDA_ERROR_INVALID_VALUE;
  switch (error) {
    case CUDA_SUCCESS: *out = "CUDA_SUCCESS"; break;
    case CUDA_ERROR_INVALID_VALUE: *out = "CUDA_ERROR_INVALID_VALUE"; break;
    case CUDA_ERROR_OUT_OF_MEMORY: *out = "CUDA_ERROR_OUT_OF_MEMORY"; break;
    case CUDA_ERROR_NOT_INITIALIZED: *out = "CUDA_ERROR_NOT_INITIALIZED"; break;
    case CUDA_ERROR_NO_DEVICE: *out = "CUDA_ERROR_NO_DEVICE"; break;
    case CUDA_ERROR_INVALID_DEVICE: *out = "CUDA_ERROR_INVALID_DEVICE"; break;
    case CUDA_ERROR_INVALID_IMAGE: *out = "CUDA_ERROR_INVALID_IMAGE"; break;
    case CUDA_ERROR_INVALID_CONTEXT: *out = "CUDA_ERROR_INVALID_CONTEXT"; break;
    case CUDA_ERROR_INVALID_HANDLE: *out = "CUDA_ERROR_INVALID_HANDLE"; break;
    case CUDA_ERROR_NOT_FOUND: *out = "CUDA_ERROR_NOT_FOUND"; break;
    case CUDA_ERROR_NOT_READY: *out = "CUDA_ERROR_NOT_READY"; break;
    case CUDA_ERROR_ILLEGAL_ADDRESS: *out = "CUDA_ERROR_ILLEGAL_ADDRESS"; break;
    case CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES: *out = "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES"; break;
    case CUDA_ERROR_LAUNCH_FAILED: *out = "CUDA_ERROR_LAUNCH_FAILED"; break;
    case CUDA_ERROR_NOT_SUPPORTED: *out = "CUDA_ERROR_NOT_SUPPORTED"; break;
    case CUDA_ERROR_UNKNOWN: *out = "CUDA_ERROR_UNKNOWN"; break;
    default: *out = nullptr; return CUDA_ERROR_INVALID_VALUE;
  }
  return CUDA_SUCCESS;
}

CUresult cuGetErrorString(CUresult error, const char** out) {
  if (out == nullptr) return CUDA_ERROR_INVALID_VALUE;
  switch (error) {
    case CUDA_ERROR_ILLEGAL_ADDRESS: *out = "an illegal memory access was encountered (emulated)"; return CUDA_SUCCESS;
    case CUDA_ERROR_LAUNCH_FAILED: {
      std::lock_guard<std::mutex> lock(g_launchFailureMu);
      *out = g_launchFailure[0] != 0 ? g_launchFailure : "unspecified launch failure (emulated)";
      return CUDA_SUCCESS;
    }
    default: return cuGetErrorName(error, out);
  }
}

}  // extern "C"
