// What a job does, as one enum; its name is what the jobs table and the API carry.
#pragma once

#include <optional>
#include <string_view>

namespace keepsake::orders {

enum class JobKind {
  kPrepareMesh,      // a figure: repair, scale, check, export
  kRenderPrint,      // a 2D product: the print files
  kInspectImage,     // an image's size and format (jobs queued before 2D rendering existed)
  kInspectEvidence,  // a claim's photo, decoded before anyone relies on it
};

inline constexpr JobKind kJobKinds[] = {JobKind::kPrepareMesh, JobKind::kRenderPrint,
                                        JobKind::kInspectImage, JobKind::kInspectEvidence};

constexpr std::string_view JobKindName(JobKind kind) {
  switch (kind) {
    case JobKind::kPrepareMesh:
      return "prepare_mesh";
    case JobKind::kRenderPrint:
      return "render_print";
    case JobKind::kInspectImage:
      return "inspect_image";
    case JobKind::kInspectEvidence:
      return "inspect_evidence";
  }
  return "";
}

constexpr std::optional<JobKind> ParseJobKind(std::string_view name) {
  for (JobKind kind : kJobKinds) {
    if (JobKindName(kind) == name) return kind;
  }
  return std::nullopt;
}

}  // namespace keepsake::orders
