#include "precheck.hpp"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string_view>
#include <vector>

namespace keepsake::mesh {

namespace {

tl::expected<void, Error> Unreadable(const std::string& why) {
  return tl::unexpected(Error{Errc::kUnreadable, why});
}

// Deepest nesting of objects and arrays, skipping strings (with their escapes).
int JsonDepth(std::string_view json) {
  int depth = 0, deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
      if (deepest > kMaxJsonDepth) return deepest;  // no need to read on
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return deepest;
}

tl::expected<void, Error> CheckJson(std::string_view json) {
  if (JsonDepth(json) > kMaxJsonDepth) {
    return Unreadable("the glTF JSON is nested more than " + std::to_string(kMaxJsonDepth) +
                      " levels deep; no real model is");
  }
  return {};
}

uint32_t ReadU32(const std::string& bytes, size_t at) {
  uint32_t v = 0;
  std::memcpy(&v, bytes.data() + at, 4);  // GLB is little-endian, as x86-64 and aarch64
  return v;
}

// GLB: 12-byte header (magic, version, total length), then chunks (length, type, data); the
// first chunk is the JSON.
tl::expected<void, Error> CheckGlb(const std::string& bytes) {
  if (bytes.size() < 20) return Unreadable("the GLB file is shorter than its header");
  const uint32_t total = ReadU32(bytes, 8);
  if (total != bytes.size()) {
    return Unreadable("the GLB header says " + std::to_string(total) + " bytes, but the file has " +
                      std::to_string(bytes.size()));
  }
  const uint32_t json_length = ReadU32(bytes, 12);
  if (std::memcmp(bytes.data() + 16, "JSON", 4) != 0 || json_length > bytes.size() - 20) {
    return Unreadable("the GLB's first chunk is not a JSON chunk inside the file");
  }
  return CheckJson(std::string_view(bytes).substr(20, json_length));
}

tl::expected<void, Error> CheckCounts(int64_t vertices, int64_t faces, size_t file_bytes,
                                      const ImportLimits& limits) {
  if (vertices < 0 || faces < 0) return Unreadable("the header declares a negative count");
  if (vertices > limits.max_vertices || faces > limits.max_faces) {
    return tl::unexpected(
        Error{Errc::kTooLarge, "the header declares " + std::to_string(vertices) +
                                   " vertices and " + std::to_string(faces) +
                                   " faces; the limit is " + std::to_string(limits.max_vertices) +
                                   " vertices and " + std::to_string(limits.max_faces) + " faces"});
  }
  // every vertex and face takes at least a few bytes, in text or binary
  if (static_cast<uint64_t>(vertices) * 3 + static_cast<uint64_t>(faces) * 4 > file_bytes) {
    return Unreadable("the header declares " + std::to_string(vertices) + " vertices and " +
                      std::to_string(faces) + " faces, more than the file's " +
                      std::to_string(file_bytes) + " bytes can hold");
  }
  return {};
}

// OFF: optional comments, "OFF" (or COFF, NOFF, ...), then "vertices faces edges", a line per
// vertex and a line per face ("n i1 ... in"). Assimp clamps an out-of-range index to the last
// vertex and carries on, which would print a different shape: refused here instead.
tl::expected<void, Error> CheckOff(const std::string& bytes, const ImportLimits& limits) {
  std::istringstream in(bytes);
  std::string token;
  int64_t counts[2] = {-1, -1};
  int found = 0;
  std::string line;
  bool keyword = false;
  while (found < 2 && std::getline(in, line)) {
    const size_t hash = line.find('#');
    if (hash != std::string::npos) line.resize(hash);
    std::istringstream words(line);
    while (found < 2 && words >> token) {
      if (!keyword) {
        keyword = true;
        if (token.find("OFF") != std::string::npos) continue;
      }
      try {
        size_t used = 0;
        counts[found] = std::stoll(token, &used);
        if (used != token.size()) return Unreadable("the OFF header's counts are not numbers");
      } catch (const std::exception&) {
        return Unreadable("the OFF header's counts are not numbers");
      }
      ++found;
    }
  }
  if (found < 2) return Unreadable("the OFF header has no vertex and face counts");
  auto counted = CheckCounts(counts[0], counts[1], bytes.size(), limits);
  if (!counted) return counted;
  int64_t vertices_seen = 0, faces_seen = 0;
  while (faces_seen < counts[1] && std::getline(in, line)) {
    const size_t hash = line.find('#');
    if (hash != std::string::npos) line.resize(hash);
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (vertices_seen < counts[0]) {
      ++vertices_seen;
      continue;
    }
    std::istringstream words(line);
    int64_t corners = 0, index = 0;
    words >> corners;
    for (int64_t k = 0; k < corners && words >> index; ++k) {
      if (index < 0 || index >= counts[0]) {
        return Unreadable("face " + std::to_string(faces_seen) + " uses vertex " +
                          std::to_string(index) + ", but the file has " +
                          std::to_string(counts[0]) + " vertices");
      }
    }
    ++faces_seen;
  }
  return {};
}

// PLY: the header must follow the format's grammar (Assimp's parser loops for minutes on some
// malformed headers: found by fuzz_mesh), and its "element vertex N" / "element face N" counts
// must fit the limits and the file.
tl::expected<void, Error> CheckPly(const std::string& bytes, const ImportLimits& limits) {
  const size_t end = bytes.find("end_header");
  if (end == std::string::npos) return Unreadable("the PLY header has no end_header");
  static const std::set<std::string> kTypes = {
      "char", "uchar", "short", "ushort", "int",   "uint",   "float",   "double",
      "int8", "uint8", "int16", "uint16", "int32", "uint32", "float32", "float64"};
  std::istringstream in(bytes.substr(0, end));
  std::string line;
  int64_t vertices = 0, faces = 0;
  bool first = true, in_element = false;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::istringstream split(line);
    std::vector<std::string> words;
    for (std::string w; split >> w;) words.push_back(w);
    if (first) {
      if (words != std::vector<std::string>{"ply"}) return Unreadable("not a PLY header");
      first = false;
      continue;
    }
    if (words.empty() || words[0] == "comment" || words[0] == "obj_info") continue;
    const std::string& keyword = words[0];
    if (keyword == "format") {
      if (words.size() != 3) return Unreadable("the PLY header's format line is malformed");
      continue;
    }
    if (keyword == "property") {
      const bool scalar = words.size() == 3 && kTypes.count(words[1]) > 0;
      const bool list = words.size() == 5 && words[1] == "list" && kTypes.count(words[2]) > 0 &&
                        kTypes.count(words[3]) > 0;
      if (!in_element || (!scalar && !list)) {
        return Unreadable("the PLY header has a malformed property line: " + line.substr(0, 80));
      }
      continue;
    }
    if (keyword != "element" || words.size() != 3) {
      return Unreadable("the PLY header has a line it does not allow: " + line.substr(0, 80));
    }
    in_element = true;
    int64_t n = 0;
    try {
      size_t used = 0;
      n = std::stoll(words[2], &used);
      if (used != words[2].size() || n < 0) {
        return Unreadable("the PLY header's counts are not numbers");
      }
    } catch (const std::exception&) {
      return Unreadable("the PLY header's counts are not numbers");
    }
    if (words[1] == "vertex") vertices = n;
    if (words[1] == "face") faces = n;
  }
  return CheckCounts(vertices, faces, bytes.size(), limits);
}

}  // namespace

tl::expected<void, Error> CheckBeforeParsing(const std::string& path, MeshFormat format,
                                             const ImportLimits& limits) {
  if (format != MeshFormat::kGlb && format != MeshFormat::kGltf && format != MeshFormat::kOff &&
      format != MeshFormat::kPly) {
    return {};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Unreadable("the file cannot be opened");
  std::ostringstream content;
  content << in.rdbuf();
  const std::string bytes = content.str();
  switch (format) {
    case MeshFormat::kGlb:
      return CheckGlb(bytes);
    case MeshFormat::kGltf:
      return CheckJson(bytes);
    case MeshFormat::kOff:
      return CheckOff(bytes, limits);
    case MeshFormat::kPly:
      return CheckPly(bytes, limits);
    case MeshFormat::kObj:
    case MeshFormat::kFbx:
    case MeshFormat::kStl:
    case MeshFormat::kZip:
      break;
  }
  return {};
}

}  // namespace keepsake::mesh
