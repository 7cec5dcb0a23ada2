#include <filesystem>
#include <fstream>
#include <map>
#include <regex>

#include "http/server_impl.hpp"

namespace keepsake::services {

namespace fs = std::filesystem;

// The console is static files: our pages from console/app and three.js from the npm package,
// at /console/vendor/three/. Only plain names with a known extension are served, looked up
// below those two folders (a resolved path that leaves them is refused: symlinks, "..").
void ServeConsoleFile(const ServerConfig& config, const httplib::Request& req,
                      httplib::Response& res) {
  tl_request.route = "/console";
  static const std::map<std::string, std::string> kTypes = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".png", "image/png"},
      {".svg", "image/svg+xml"},
      {".json", "application/json"}};
  static const std::regex kPlainPath("(/[A-Za-z0-9_.-]+)*/?");
  const std::string rest = req.matches[1].str();
  if (rest.empty()) {  // relative module paths need the trailing slash
    res.status = 308;
    res.set_header("Location", "/console/");
    return;
  }
  const std::string vendor = "/vendor/three/";
  fs::path root = fs::path(config.console_dir) / "app";
  std::string relative = rest == "/" ? "index.html" : rest.substr(1);
  if (rest.rfind(vendor, 0) == 0) {
    root = fs::path(config.console_dir) / "node_modules" / "three";
    relative = rest.substr(vendor.size());
    if (relative.rfind("build/", 0) != 0 && relative.rfind("examples/jsm/", 0) != 0) relative = "";
  }
  const auto type = kTypes.find(fs::path(relative).extension().string());
  std::error_code ec;
  const fs::path base = fs::canonical(root, ec);
  const fs::path file = fs::weakly_canonical(root / relative, ec);
  const bool inside = !ec && file.native().rfind(base.native() + "/", 0) == 0;
  // the path is already percent-decoded here: "..%2f" arrives as "../", and no segment may
  // step up or stay put, even where the result would stay inside the folder
  const bool dotted = ("/" + relative + "/").find("/../") != std::string::npos ||
                      ("/" + relative + "/").find("/./") != std::string::npos;
  std::ifstream in;
  if (std::regex_match(rest, kPlainPath) && !dotted && type != kTypes.end() && inside &&
      fs::is_regular_file(file, ec)) {
    in.open(file, std::ios::binary);
  }
  if (!in.is_open() || !in) {
    return ReplyProblem(
        req, res, ToProblem(ApiErrc::kNoRoute, "the console has no such file; open /console/"));
  }
  std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (rest.rfind(vendor + "examples/", 0) == 0) {
    // three's add-ons import the bare name 'three', which only an import map resolves, and
    // Chromium takes import maps only inline, which the CSP forbids: point them at the module
    for (size_t at = 0; (at = body.find(" from 'three';", at)) != std::string::npos;) {
      body.replace(at, 14, " from '/console/vendor/three/build/three.module.js';");
    }
  }
  res.status = 200;
  // the console talks only to this server; no inline scripts; pictures come as blob: URLs
  res.set_header("Content-Security-Policy",
                 "default-src 'self'; img-src 'self' blob: data:; frame-src 'self' blob:; "
                 "connect-src 'self' blob:; "
                 "object-src 'none'; base-uri 'none'; frame-ancestors 'none'");
  res.set_header("Cache-Control", "no-cache");
  res.set_content(body, type->second.c_str());
}

}  // namespace keepsake::services
