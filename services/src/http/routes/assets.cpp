// Customer files: an upload is typed by its bytes and stored by its sha256; its file streams back
// (pictures inline, everything else as a download).
#include <filesystem>
#include <fstream>
#include <map>
#include "http/api_json.hpp"
#include "http/handlers.hpp"
#include "http/routes/routes.hpp"
#include "keepsake/imaging/format.hpp"
#include "keepsake/mesh/format.hpp"
#include "keepsake/services/asset_files.hpp"

namespace keepsake::services {

namespace fs = std::filesystem;

namespace {

class AssetHandlers : public Handlers {
 public:
  using Handlers::Handlers;
  void UploadAsset(const Context&, const httplib::Request& req, httplib::Response& res);
  void GetAsset(const Context&, const httplib::Request& req, httplib::Response& res);
  void AssetFile(const Context&, const httplib::Request& req, httplib::Response& res);
};

void AssetHandlers::UploadAsset(const Context&, const httplib::Request& req,
                                httplib::Response& res) {
  if (req.body.empty()) {
    return ReplyProblem(req, res, ToProblem(ApiErrc::kBadRequest, "the upload is empty"));
  }
  std::string kind, format;
  if (auto image = imaging::SniffImageFormat(req.body)) {
    kind = "image";
    format = std::string(imaging::ImageFormatName(*image));
  } else if (auto mesh = mesh::SniffMeshFormat(req.body)) {
    kind = "mesh";
    format = std::string(mesh::MeshFormatName(*mesh));
  } else {
    return ReplyProblem(
        req, res,
        ToProblem(ApiErrc::kUnsupportedMediaType,
                  "the file is none of the accepted types (decided by content, not by name): "
                  "meshes GLB, glTF, OBJ, FBX, PLY, STL, OFF or a ZIP with an OBJ; images PNG, "
                  "JPEG, WebP"));
  }
  bool disk_full = false;
  const std::optional<std::string> sha = StoreAssetBytes(paths, req.body, &disk_full);
  if (!sha) {
    spdlog::error("request_id={} event=asset_write_failed disk_full={}", tl_request.request_id,
                  disk_full);
    return disk_full ? ReplyError(req, res, orders::Error{orders::Errc::kDiskFull, "", "", {}})
                     : ReplyProblem(req, res, ToProblem(ApiErrc::kInternal, ""));
  }
  auto asset = store.Orders().RecordAsset(
      orders::Asset{*sha, kind, format, static_cast<int64_t>(req.body.size()), ""});
  if (!asset) return ReplyError(req, res, asset.error());
  Reply(res, 201, api_json::AssetJson(*asset));
}
void AssetHandlers::GetAsset(const Context&, const httplib::Request& req, httplib::Response& res) {
  auto asset = store.Orders().GetAsset(req.matches[1]);
  if (!asset) return ReplyError(req, res, asset.error());
  Reply(res, 200, api_json::AssetJson(*asset));
}
void AssetHandlers::AssetFile(const Context&, const httplib::Request& req, httplib::Response& res) {
  auto asset = store.Orders().GetAsset(req.matches[1]);
  if (!asset) return ReplyError(req, res, asset.error());
  if (!asset->purged_at.empty()) {
    return ReplyError(req, res,
                      orders::Error{orders::Errc::kNotFound,
                                    "this file was deleted by a purge on " + asset->purged_at,
                                    "",
                                    {}});
  }
  const fs::path file = paths.AssetFile(asset->id);
  std::error_code ec;
  const auto size = fs::file_size(file, ec);
  if (ec) {
    spdlog::error("request_id={} event=asset_file_missing", tl_request.request_id);
    return ReplyProblem(req, res, ToProblem(ApiErrc::kInternal, ""));
  }
  // streamed in chunks: a 100 MB model does not sit in memory per download
  auto stream = std::make_shared<std::ifstream>(file, std::ios::binary);
  // pictures show in the console (previews); everything else downloads. Every format here was
  // decided by sniffing the bytes, and nosniff keeps browsers to that.
  static const std::map<std::string, std::string> kPictureTypes = {
      {"png", "image/png"}, {"jpeg", "image/jpeg"}, {"webp", "image/webp"}};
  const auto picture = kPictureTypes.find(asset->format);
  const bool inline_picture = picture != kPictureTypes.end();
  res.set_header("Content-Disposition", std::string(inline_picture ? "inline" : "attachment") +
                                            "; filename=\"" + asset->id.substr(0, 12) + "." +
                                            asset->format + "\"");
  res.set_content_provider(
      static_cast<size_t>(size), inline_picture ? picture->second : "application/octet-stream",
      [stream](size_t offset, size_t length, httplib::DataSink& sink) {
        std::vector<char> buffer(std::min<size_t>(length, 1 << 16));
        stream->seekg(static_cast<std::streamoff>(offset));
        stream->read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        const auto got = stream->gcount();
        if (got <= 0) return false;
        sink.write(buffer.data(), static_cast<size_t>(got));
        return true;
      });
}

}  // namespace

std::vector<Route> AssetRoutes() {
  using H = AssetHandlers;
  return {
      {"POST",
       "/api/v1/assets",
       "/api/v1/assets",
       {kChannel, kCs, kModeler, kAdmin},
       Call<H, &H::UploadAsset>},
      {"GET", "/api/v1/assets/([0-9a-f]{64})", "/api/v1/assets/{id}", Everyone(),
       Call<H, &H::GetAsset>},
      {"GET",
       "/api/v1/assets/([0-9a-f]{64})/file",
       "/api/v1/assets/{id}/file",
       {kChannel, kModeler, kCs, kProduction, kAdmin},
       Call<H, &H::AssetFile>},
  };
}

}  // namespace keepsake::services
