// One job's contract between the runner and the sandboxed worker: what to do (the kind), with
// which file, and every parameter the item carried when the job was queued. The runner writes
// it once as job.json in the job folder (readable by its user only: a greeting is personal);
// the worker reads it back (`keepsake worker --job job.json`). A new parameter touches this
// struct, its reader and writer (job_spec.cpp) and the code that uses it.
#pragma once

#include <cstdint>
#include <string>

#include <tl/expected.hpp>

#include "keepsake/orders/job_kind.hpp"
#include "keepsake/orders/product_catalog.hpp"
#include "keepsake/orders/types.hpp"
#include "keepsake/services/config.hpp"
#include "keepsake/services/mesh_command.hpp"
#include "keepsake/services/print_command.hpp"

namespace keepsake::services {

struct JobSpec {
  orders::JobKind kind = orders::JobKind::kPrepareMesh;
  std::string input;   // file name inside the job folder
  std::string format;  // as decided by the upload sniffing: glb, obj, png, ...
  int64_t max_image_pixels = 100'000'000;
  std::string product;  // the item's product ("" for a claim's photo)

  // a figure (kPrepareMesh)
  double height_mm = 100;    // the ordered height
  double min_wall_mm = 1.0;  // the material's minimum wall
  bool colour = false;       // a full-colour material
  MeshTuning mesh_tuning;    // a modeling engineer's rework

  // a 2D print (kRenderPrint)
  std::string assets_dir;    // where print_profiles.json is
  double size_mm = 0;        // the item's size option (keychains); 0: the profile's trim
  int sides = 1;             // 2: a double-sided keychain
  std::string text;          // a postcard's greeting
  PrintTuning print_tuning;  // a reviewer's crop or low-resolution acceptance
};

// The spec of a leased job: its asset, the params stored when it was queued (product, options,
// tuning) and the catalogue's material. The reason when the params cannot make a spec (tuning
// that no longer passes its checks, a product that left the catalogue).
tl::expected<JobSpec, std::string> SpecForJob(const orders::Job& job, const orders::Asset& asset,
                                              const orders::ProductCatalog& catalog,
                                              const ServerConfig& config);

std::string JobSpecJson(const JobSpec& spec);
tl::expected<JobSpec, std::string> ParseJobSpec(const std::string& json_text);

}  // namespace keepsake::services
