// `keepsake worker`: the sandboxed child that the job runner starts for one job (hidden from
// --help; not meant to be typed by hand).
#include "keepsake/services/worker.hpp"
#include "cli/command.hpp"

namespace keepsake::services::cli {

std::vector<Command> AddWorker(CLI::App& app) {
  auto args = std::make_shared<WorkerArgs>();
  auto* worker = app.add_subcommand("worker", "Internal: the sandboxed job worker");
  worker->group("");  // hidden from --help
  worker->add_option("--kind", args->kind)->required();
  worker->add_option("--input", args->input)->required();
  worker->add_option("--format", args->format)->required();
  worker->add_option("--max-image-pixels", args->max_image_pixels);
  worker->add_option("--height-mm", args->height_mm);
  worker->add_option("--min-wall-mm", args->min_wall_mm);
  worker->add_flag("--colour", args->colour);
  worker->add_option("--tuning", args->tuning);
  worker->add_option("--product", args->product);
  worker->add_option("--assets", args->assets_dir);
  worker->add_option("--size-mm", args->size_mm);
  worker->add_flag("--allow-low-dpi", args->allow_low_dpi);
  worker->add_option("--sides", args->sides);
  worker->add_option("--text", args->text);
  worker->add_option("--text-file", args->text_file);
  return {{worker, [args] { return RunWorker(*args); }, false}};
}

}  // namespace keepsake::services::cli
