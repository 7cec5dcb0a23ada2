// `keepsake worker --job job.json`: the sandboxed child that the job runner starts for one job,
// in its job folder (hidden from --help; not meant to be typed by hand).
#include "keepsake/services/worker.hpp"
#include "cli/command.hpp"

namespace keepsake::services::cli {

std::vector<Command> AddWorker(CLI::App& app) {
  auto job_file = std::make_shared<std::string>();
  auto* worker = app.add_subcommand("worker", "Internal: the sandboxed job worker");
  worker->group("");  // hidden from --help
  worker->add_option("--job", *job_file, "The job's spec (job.json in the job folder)")->required();
  return {{worker, [job_file] { return RunWorker(*job_file); }, false}};
}

}  // namespace keepsake::services::cli
