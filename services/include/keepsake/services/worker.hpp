// The worker side of the sandbox: `keepsake worker --kind KIND --input FILE --format FMT`,
// started by the job runner in the job directory. It parses the customer's file, writes
// result.json (temp file + rename) and exits:
//   0 done, 2 the input is unusable (the reason is the last line on stderr),
//   3 out of memory (an allocation failed under the memory limit).
#pragma once

#include <string>

namespace keepsake::services {

struct WorkerArgs {
  std::string kind;    // prepare_mesh, render_print (inspect_image: jobs queued before it)
  std::string input;   // file name inside the job directory
  std::string format;  // as decided by the upload sniffing: glb, obj, png, ...
  long long max_image_pixels = 100'000'000;
  double height_mm = 100;      // prepare_mesh: the ordered height
  double min_wall_mm = 1.0;    // prepare_mesh: the material's minimum wall
  bool colour = false;         // prepare_mesh: a full-colour material
  std::string tuning = "{}";   // the engineer's fine-tuning (JSON object) of either kind
  std::string product;         // render_print: the product whose print profile applies
  std::string assets_dir;      // render_print: where print_profiles.json is
  double size_mm = 0;          // render_print: the item's size option (keychains)
  bool allow_low_dpi = false;  // render_print: a reviewer accepted a low resolution
  int sides = 1;               // render_print: 2 for a double-sided keychain
  std::string text;            // render_print: a postcard's greeting, or
  std::string text_file;       // render_print: a file of the job directory that holds it (the
                               // runner's way: a command line is readable by every local user)
};

inline constexpr int kWorkerExitRejected = 2;
inline constexpr int kWorkerExitOutOfMemory = 3;

int RunWorker(const WorkerArgs& args);

}  // namespace keepsake::services
