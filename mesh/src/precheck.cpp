#include "precheck.hpp"

#include <charconv>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string_view>
#include <tuple>
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

// PLY: the header must follow the format's grammar and the body must hold exactly what the
// header declares, walked here in one pass before Assimp sees the file. Assimp's PLY reader
// loops for minutes on some malformed headers and hangs on some malformed bodies (both found by
// fuzz_mesh; fuzz/corpus/fuzz_mesh/regression-*.ply). The "element vertex N" / "element face N"
// counts must also fit the limits.
struct PlyProperty {
  int bytes = 0;        // of a scalar, or of each list entry
  int count_bytes = 0;  // of a list's count; 0 for a scalar
  bool count_signed = false;
};

struct PlyElement {
  std::string name;
  int64_t count = 0;
  std::vector<PlyProperty> properties;
};

// Bytes of a PLY type, 0 if the name is not one; integer types say whether they are signed.
int PlyTypeBytes(const std::string& type, bool* is_integer = nullptr, bool* is_signed = nullptr) {
  static const std::map<std::string, std::tuple<int, bool, bool>> kTypes = {
      {"char", {1, true, true}},     {"uchar", {1, true, false}},    {"int8", {1, true, true}},
      {"uint8", {1, true, false}},   {"short", {2, true, true}},     {"ushort", {2, true, false}},
      {"int16", {2, true, true}},    {"uint16", {2, true, false}},   {"int", {4, true, true}},
      {"uint", {4, true, false}},    {"int32", {4, true, true}},     {"uint32", {4, true, false}},
      {"float", {4, false, false}},  {"float32", {4, false, false}}, {"double", {8, false, false}},
      {"float64", {8, false, false}}};
  auto found = kTypes.find(type);
  if (found == kTypes.end()) return 0;
  if (is_integer != nullptr) *is_integer = std::get<1>(found->second);
  if (is_signed != nullptr) *is_signed = std::get<2>(found->second);
  return std::get<0>(found->second);
}

std::vector<std::string_view> Words(std::string_view line) {
  std::vector<std::string_view> words;
  size_t at = 0;
  while (at < line.size()) {
    at = line.find_first_not_of(" \t\r", at);
    if (at == std::string_view::npos) break;
    const size_t end = std::min(line.find_first_of(" \t\r", at), line.size());
    words.push_back(line.substr(at, end - at));
    at = end;
  }
  return words;
}

bool IsNumber(std::string_view word) {
  if (!word.empty() && word[0] == '+') word.remove_prefix(1);
  double value = 0;
  auto [end, error] = std::from_chars(word.data(), word.data() + word.size(), value);
  return error == std::errc() && end == word.data() + word.size();
}

// The next line of `text` from `at` (without its end), moving `at` past it.
std::string_view NextLine(std::string_view text, size_t& at) {
  const size_t end = std::min(text.find('\n', at), text.size());
  std::string_view line = text.substr(at, end - at);
  at = end < text.size() ? end + 1 : end;
  return line;
}

std::string Where(const PlyElement& element, int64_t index) {
  return "element " + element.name + " " + std::to_string(index);
}

tl::expected<void, Error> CheckAsciiPlyBody(std::string_view body,
                                            const std::vector<PlyElement>& elements) {
  size_t at = 0;
  for (const PlyElement& element : elements) {
    for (int64_t i = 0; i < element.count; ++i) {
      std::vector<std::string_view> words;
      while (words.empty() && at < body.size()) words = Words(NextLine(body, at));
      if (words.empty()) return Unreadable("the PLY body ends before " + Where(element, i));
      size_t next = 0;
      for (const PlyProperty& property : element.properties) {
        if (next >= words.size())
          return Unreadable("the PLY body's " + Where(element, i) + " is short");
        int64_t entries = 1;
        if (property.count_bytes > 0) {
          const std::string_view count = words[next++];
          auto [end, error] = std::from_chars(count.data(), count.data() + count.size(), entries);
          if (error != std::errc() || end != count.data() + count.size() || entries < 0) {
            return Unreadable("the PLY body's " + Where(element, i) +
                              " has a list count that is not a count");
          }
        }
        for (int64_t k = 0; k < entries; ++k, ++next) {
          if (next >= words.size())
            return Unreadable("the PLY body's " + Where(element, i) + " is short");
          if (!IsNumber(words[next])) {
            return Unreadable("the PLY body's " + Where(element, i) +
                              " has a value that is not a number");
          }
        }
      }
      if (next != words.size()) {
        return Unreadable("the PLY body's " + Where(element, i) +
                          " has more values than its properties");
      }
    }
  }
  if (body.find_first_not_of(" \t\r\n", at) != std::string_view::npos) {
    return Unreadable("the PLY body has more lines than its header declares");
  }
  return {};
}

tl::expected<void, Error> CheckBinaryPlyBody(std::string_view body,
                                             const std::vector<PlyElement>& elements,
                                             bool big_endian) {
  size_t at = 0;
  for (const PlyElement& element : elements) {
    for (int64_t i = 0; i < element.count; ++i) {
      for (const PlyProperty& property : element.properties) {
        uint64_t entries = 1;
        if (property.count_bytes > 0) {
          if (body.size() - at < static_cast<size_t>(property.count_bytes)) {
            return Unreadable("the PLY body ends inside " + Where(element, i));
          }
          uint64_t raw = 0;
          for (int b = 0; b < property.count_bytes; ++b) {
            const int shift = 8 * (big_endian ? property.count_bytes - 1 - b : b);
            raw |=
                static_cast<uint64_t>(static_cast<unsigned char>(body[at + static_cast<size_t>(b)]))
                << shift;
          }
          at += static_cast<size_t>(property.count_bytes);
          const uint64_t sign_bit = uint64_t{1} << (8 * property.count_bytes - 1);
          if (property.count_signed && (raw & sign_bit) != 0) {
            return Unreadable("the PLY body's " + Where(element, i) + " has a negative list count");
          }
          entries = raw;
        }
        // entries < 2^32 and bytes <= 8: no overflow
        const uint64_t length = entries * static_cast<uint64_t>(property.bytes);
        if (length > body.size() - at)
          return Unreadable("the PLY body ends inside " + Where(element, i));
        at += static_cast<size_t>(length);
      }
    }
  }
  return {};
}

tl::expected<void, Error> CheckPly(const std::string& bytes, const ImportLimits& limits) {
  const std::string_view text(bytes);
  size_t at = 0;
  std::vector<PlyElement> elements;
  std::string format;
  bool first = true, ended = false;
  while (!ended && at < text.size()) {
    const std::string_view line = NextLine(text, at);
    const std::vector<std::string_view> words = Words(line);
    const std::string shown(line.substr(0, 80));
    if (first) {
      if (words.size() != 1 || words[0] != "ply") return Unreadable("not a PLY header");
      first = false;
      continue;
    }
    if (words.empty() || words[0] == "comment" || words[0] == "obj_info") continue;
    const std::string keyword(words[0]);
    if (keyword == "end_header" && words.size() == 1) {
      ended = true;
    } else if (keyword == "format") {
      if (words.size() != 3 || words[2] != "1.0" ||
          (words[1] != "ascii" && words[1] != "binary_little_endian" &&
           words[1] != "binary_big_endian")) {
        return Unreadable("the PLY header's format line is malformed: " + shown);
      }
      format = std::string(words[1]);
    } else if (keyword == "property") {
      PlyProperty property;
      bool count_integer = false;
      if (words.size() == 3) {
        property.bytes = PlyTypeBytes(std::string(words[1]));
      } else if (words.size() == 5 && words[1] == "list") {
        property.count_bytes =
            PlyTypeBytes(std::string(words[2]), &count_integer, &property.count_signed);
        property.bytes = PlyTypeBytes(std::string(words[3]));
      }
      const bool list_ok = words.size() != 5 || (property.count_bytes > 0 && count_integer);
      if (elements.empty() || property.bytes == 0 || !list_ok) {
        return Unreadable("the PLY header has a malformed property line: " + shown);
      }
      elements.back().properties.push_back(property);
    } else if (keyword == "element" && words.size() == 3) {
      PlyElement element;
      element.name = std::string(words[1]);
      auto [end, error] =
          std::from_chars(words[2].data(), words[2].data() + words[2].size(), element.count);
      if (error != std::errc() || end != words[2].data() + words[2].size() || element.count < 0) {
        return Unreadable("the PLY header's counts are not numbers");
      }
      elements.push_back(element);
    } else {
      return Unreadable("the PLY header has a line it does not allow: " + shown);
    }
  }
  if (!ended) return Unreadable("the PLY header has no end_header line");
  if (format.empty()) return Unreadable("the PLY header has no format line");
  int64_t vertices = 0, faces = 0;
  for (const PlyElement& element : elements) {
    if (element.count > 0 && element.properties.empty()) {
      return Unreadable("the PLY header's element " + element.name + " has no properties");
    }
    if (element.name == "vertex") vertices = element.count;
    if (element.name == "face") faces = element.count;
  }
  auto counted = CheckCounts(vertices, faces, bytes.size(), limits);
  if (!counted) return counted;
  const std::string_view body = text.substr(at);
  if (format == "ascii") return CheckAsciiPlyBody(body, elements);
  return CheckBinaryPlyBody(body, elements, format == "binary_big_endian");
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
