// Magic numbers: glTF 2.0 spec §4.4 (GLB header "glTF"), FBX binary "Kaydara FBX Binary  \0",
// PLY "ply\n", OFF "OFF", ZIP local file header "PK\3\4", binary STL = 80-byte header + uint32
// count + 50 bytes per face. Text formats (OBJ, ASCII STL, glTF JSON) are checked for text.
#include "keepsake/mesh/format.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

namespace keepsake::mesh {

namespace {

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

// Text formats must not contain NUL bytes in their first 64 KB.
bool LooksLikeText(std::string_view content) {
  std::string_view head = content.substr(0, 65536);
  return std::find(head.begin(), head.end(), '\0') == head.end();
}

std::string_view SkipSpace(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) ++i;
  // UTF-8 byte-order mark
  if (StartsWith(s.substr(i), "\xEF\xBB\xBF")) return SkipSpace(s.substr(i + 3));
  return s.substr(i);
}

// OBJ: the first line that is not blank or a comment starts with an OBJ statement.
bool LooksLikeObj(std::string_view content) {
  static constexpr std::array<std::string_view, 10> kStatements = {
      "v ", "vt ", "vn ", "f ", "o ", "g ", "mtllib ", "usemtl ", "s ", "v\t"};
  std::string_view rest = content.substr(0, 65536);
  while (!rest.empty()) {
    size_t end = rest.find('\n');
    std::string_view line = SkipSpace(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
    if (line.empty() || line[0] == '#') continue;
    return std::any_of(kStatements.begin(), kStatements.end(),
                       [&](std::string_view s) { return StartsWith(line, s); });
  }
  return false;
}

bool IsBinaryStl(std::string_view content) {
  if (content.size() < 84) return false;
  uint32_t faces = 0;
  std::memcpy(&faces, content.data() + 80, 4);  // little-endian on every platform we build for
  return faces > 0 && static_cast<uint64_t>(content.size()) == 84ull + 50ull * faces;
}

}  // namespace

std::optional<MeshFormat> SniffMeshFormat(std::string_view content) {
  if (StartsWith(content, "glTF")) return MeshFormat::kGlb;
  if (StartsWith(content, "Kaydara FBX Binary  ")) return MeshFormat::kFbx;
  if (StartsWith(content, "PK\x03\x04")) return MeshFormat::kZip;
  if (StartsWith(content, "ply\n") || StartsWith(content, "ply\r\n")) return MeshFormat::kPly;
  if (IsBinaryStl(content)) return MeshFormat::kStl;
  if (!LooksLikeText(content)) return std::nullopt;
  std::string_view text = SkipSpace(content);
  if (StartsWith(text, "OFF") || StartsWith(text, "COFF") || StartsWith(text, "NOFF")) {
    return MeshFormat::kOff;
  }
  if (StartsWith(text, "; FBX")) return MeshFormat::kFbx;
  if (StartsWith(text, "solid") && text.find("facet") != std::string_view::npos) {
    return MeshFormat::kStl;
  }
  if (StartsWith(text, "{") && text.find("\"asset\"") != std::string_view::npos) {
    return MeshFormat::kGltf;
  }
  if (LooksLikeObj(content)) return MeshFormat::kObj;
  return std::nullopt;
}

std::string_view MeshFormatName(MeshFormat format) {
  switch (format) {
    case MeshFormat::kGlb:
      return "glb";
    case MeshFormat::kGltf:
      return "gltf";
    case MeshFormat::kObj:
      return "obj";
    case MeshFormat::kFbx:
      return "fbx";
    case MeshFormat::kPly:
      return "ply";
    case MeshFormat::kStl:
      return "stl";
    case MeshFormat::kOff:
      return "off";
    case MeshFormat::kZip:
      return "zip";
  }
  return "unknown";
}

std::optional<MeshFormat> ParseMeshFormat(std::string_view name) {
  for (MeshFormat f : {MeshFormat::kGlb, MeshFormat::kGltf, MeshFormat::kObj, MeshFormat::kFbx,
                       MeshFormat::kPly, MeshFormat::kStl, MeshFormat::kOff, MeshFormat::kZip}) {
    if (MeshFormatName(f) == name) return f;
  }
  return std::nullopt;
}

}  // namespace keepsake::mesh
