/* Prints the kernel signature table of a built emulator (braid_emu_signatures): one kernel a line,
 * "name kind:size,kind:size,...", for tests that check LaunchPacker's packing against it. */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: sigdump LIBRARY\n");
    return 2;
  }
  void* lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) {
    fprintf(stderr, "sigdump: %s\n", dlerror());
    return 1;
  }
  const char* (*signatures)(void) = (const char* (*)(void))dlsym(lib, "braid_emu_signatures");
  if (signatures == NULL) {
    fprintf(stderr, "sigdump: %s\n", dlerror());
    return 1;
  }
  fputs(signatures(), stdout);
  return 0;
}
