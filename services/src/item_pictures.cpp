#include "keepsake/services/item_pictures.hpp"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "keepsake/services/paths.hpp"

namespace keepsake::services {

using nlohmann::json;

std::string NewestPreviewAsset(orders::Store& store, int64_t item_id) {
  auto jobs = store.Jobs().JobsForItem(item_id);
  if (!jobs) return "";
  for (auto job = jobs->rbegin(); job != jobs->rend(); ++job) {
    const json result = json::parse(job->result, nullptr, false);
    if (result.is_object() && result.contains("files") && result["files"].is_object() &&
        result["files"].contains("preview.png") && result["files"]["preview.png"].is_object()) {
      return result["files"]["preview.png"].value("asset", "");
    }
  }
  return "";
}

logistics::ItemPicture PreviewPictures(orders::Store& store, const std::string& data_dir) {
  return [&store, paths = DataPaths(data_dir)](int64_t item_id) -> std::string {
    const std::string preview = NewestPreviewAsset(store, item_id);
    if (preview.empty()) return "";
    std::ifstream file(paths.AssetFile(preview), std::ios::binary);
    std::stringstream bytes;
    bytes << file.rdbuf();
    return bytes.str();
  };
}

}  // namespace keepsake::services
