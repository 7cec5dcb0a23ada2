#include "keepsake/mesh/export.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <utility>
#include <vector>

#include <png.h>
#include <zip.h>

namespace keepsake::mesh {

namespace {

void PutFloat(std::string& out, double value) {
  const float f = static_cast<float>(value);
  char bytes[4];
  std::memcpy(bytes, &f, 4);  // x86-64 and aarch64 are little-endian, as STL wants
  out.append(bytes, 4);
}

// Appends the shortest text that reads back as the same float (std::to_chars): the
// coordinates are single precision at print scale already, and this is several times faster
// than printf's %.9g on the hundreds of thousands of numbers a figure has.
void AppendFloat(std::string& out, double value) {
  char number[32];
  const auto end = std::to_chars(number, number + sizeof number, static_cast<float>(value)).ptr;
  out.append(number, end);
}

tl::expected<size_t, Error> WriteAtomically(const std::string& out, const std::string& path) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream file(tmp, std::ios::binary | std::ios::trunc);
    file.write(out.data(), static_cast<std::streamsize>(out.size()));
    if (!file.flush()) return tl::unexpected(Error{Errc::kWriteFailed, "cannot write " + tmp});
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec)
    return tl::unexpected(Error{Errc::kWriteFailed, "cannot rename " + tmp + ": " + ec.message()});
  return out.size();
}

}  // namespace

tl::expected<size_t, Error> WriteBinaryStl(const MeshData& mesh, const std::string& path) {
  std::string out;
  out.reserve(84 + 50 * mesh.triangles.size());
  std::string header = "Keepsake binary STL, units: mm";
  header.resize(80, ' ');
  out += header;
  const uint32_t count = static_cast<uint32_t>(mesh.triangles.size());
  out.append(reinterpret_cast<const char*>(&count), 4);
  for (const auto& t : mesh.triangles) {
    const auto& a = mesh.positions[t[0]];
    const auto& b = mesh.positions[t[1]];
    const auto& c = mesh.positions[t[2]];
    const double u[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
    const double v[3] = {c[0] - a[0], c[1] - a[1], c[2] - a[2]};
    double n[3] = {u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]};
    const double len = std::sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
    for (double& x : n) x = len > 0 ? x / len : 0;
    for (double x : n) PutFloat(out, x);
    for (const auto* p : {&a, &b, &c}) {
      for (double x : *p) PutFloat(out, x);
    }
    out.append(2, '\0');
  }
  return WriteAtomically(out, path);
}

tl::expected<size_t, Error> WriteColorPly(const MeshData& mesh, const std::string& path) {
  std::string out = "ply\nformat binary_little_endian 1.0\ncomment Keepsake, units: mm\n";
  out += "element vertex " + std::to_string(mesh.positions.size()) + "\n";
  out += "property float x\nproperty float y\nproperty float z\n";
  out += "property uchar red\nproperty uchar green\nproperty uchar blue\n";
  out += "element face " + std::to_string(mesh.triangles.size()) + "\n";
  out += "property list uchar int vertex_indices\nend_header\n";
  for (size_t v = 0; v < mesh.positions.size(); ++v) {
    for (double x : mesh.positions[v]) PutFloat(out, x);
    const auto& c = mesh.colors[v];
    out.append(reinterpret_cast<const char*>(c.data()), 3);
  }
  for (const auto& t : mesh.triangles) {
    out.push_back(3);
    for (uint32_t i : t) {
      const int32_t index = static_cast<int32_t>(i);
      out.append(reinterpret_cast<const char*>(&index), 4);
    }
  }
  return WriteAtomically(out, path);
}

tl::expected<size_t, Error> WriteVrml(const MeshData& mesh, const std::string& path,
                                      const std::string& texture_url) {
  const bool textured =
      !texture_url.empty() && !mesh.texture.Empty() && mesh.uvs.size() == mesh.triangles.size();
  // VRML97 (ISO/IEC 14772-1) is text; the shortest text of each float gives back the very
  // float the STL has (a tenth of a micron less could make two close faces cross again).
  std::string out =
      "#VRML V2.0 utf8\n"
      "# Keepsake full-colour print file. Units: millimetres (import with mm, as the STL).\n"
      "Shape {\n";
  if (textured) {
    out +=
        "  appearance Appearance {\n    material Material { diffuseColor 1 1 1 }\n"
        "    texture ImageTexture { url \"" +
        texture_url + "\" }\n  }\n";
  } else {
    out += "  appearance Appearance { material Material { diffuseColor 1 1 1 } }\n";
  }
  out +=
      "  geometry IndexedFaceSet {\n"
      "    solid TRUE\n    ccw TRUE\n    convex TRUE\n    colorPerVertex TRUE\n"
      "    coord Coordinate {\n      point [\n";
  out.reserve(out.size() + 40 * mesh.positions.size() + 24 * mesh.triangles.size());
  char line[160];
  for (const auto& p : mesh.positions) {
    out += "       ";
    for (double c : p) out += ' ', AppendFloat(out, c);
    out += ",\n";
  }
  out += "      ]\n    }\n";
  if (textured) {
    out += "    texCoord TextureCoordinate {\n      point [\n";
    for (const auto& t : mesh.uvs) {
      for (const auto& uv : t) {
        out += "        ";
        AppendFloat(out, uv[0]);
        out += ' ';
        AppendFloat(out, uv[1]);
        out += ",\n";
      }
    }
    out += "      ]\n    }\n    texCoordIndex [\n";
    for (size_t i = 0; i < mesh.triangles.size(); ++i) {
      std::snprintf(line, sizeof line, "      %zu, %zu, %zu, -1,\n", 3 * i, 3 * i + 1, 3 * i + 2);
      out += line;
    }
    out += "    ]\n";
  } else if (mesh.colors.size() == mesh.positions.size()) {
    out += "    color Color {\n      color [\n";
    for (const auto& c : mesh.colors) {
      std::snprintf(line, sizeof line, "        %.4f %.4f %.4f,\n", c[0] / 255.0, c[1] / 255.0,
                    c[2] / 255.0);
      out += line;
    }
    out += "      ]\n    }\n";
  }
  out += "    coordIndex [\n";
  for (const auto& t : mesh.triangles) {
    std::snprintf(line, sizeof line, "      %u, %u, %u, -1,\n", t[0], t[1], t[2]);
    out += line;
  }
  out += "    ]\n  }\n}\n";
  return WriteAtomically(out, path);
}

std::string EncodeTexturePng(const Texture& texture) {
  // libpng rather than OpenCV's encoder: the file must say its pixels are sRGB (the sRGB chunk,
  // with the gAMA and cHRM values the PNG specification gives for it), or a colour printer's
  // software guesses their colour space
  std::string out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png != nullptr ? png_create_info_struct(png) : nullptr;
  if (info == nullptr) {
    png_destroy_write_struct(&png, nullptr);
    return out;
  }
  if (setjmp(png_jmpbuf(png))) {  // libpng reports its errors by longjmp
    png_destroy_write_struct(&png, &info);
    return {};
  }
  png_set_write_fn(
      png, &out,
      [](png_structp p, png_bytep data, png_size_t size) {
        static_cast<std::string*>(png_get_io_ptr(p))->append(reinterpret_cast<char*>(data), size);
      },
      nullptr);
  png_set_IHDR(png, info, static_cast<png_uint_32>(texture.width),
               static_cast<png_uint_32>(texture.height), 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_sRGB_gAMA_and_cHRM(png, info, PNG_sRGB_INTENT_PERCEPTUAL);
  // zlib level 4: a baked atlas is millions of texels, written once for three files; level 6
  // costs about twice the time for a few per cent
  png_set_compression_level(png, 4);
  png_write_info(png, info);
  const size_t stride = static_cast<size_t>(texture.width) * 3;
  for (int y = 0; y < texture.height; ++y) {
    png_write_row(png, texture.rgb.data() + static_cast<size_t>(y) * stride);
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

namespace {

std::string ObjText(const MeshData& mesh) {
  std::string out =
      "# Keepsake full-colour print file. Units: millimetres.\nmtllib model.mtl\no figure\n";
  out.reserve(mesh.positions.size() * 36 + mesh.uvs.size() * 3 * 24 + mesh.triangles.size() * 48);
  for (const auto& p : mesh.positions) {
    out += "v";
    for (double c : p) out += ' ', AppendFloat(out, c);
    out += '\n';
  }
  for (const auto& t : mesh.uvs) {
    for (const auto& uv : t) {
      out += "vt ";
      AppendFloat(out, uv[0]);
      out += ' ';
      AppendFloat(out, uv[1]);
      out += '\n';
    }
  }
  out += "usemtl figure\n";
  char line[96];
  for (size_t i = 0; i < mesh.triangles.size(); ++i) {
    const auto& t = mesh.triangles[i];
    std::snprintf(line, sizeof line, "f %u/%zu %u/%zu %u/%zu\n", t[0] + 1, 3 * i + 1, t[1] + 1,
                  3 * i + 2, t[2] + 1, 3 * i + 3);
    out += line;
  }
  return out;
}

}  // namespace

tl::expected<size_t, Error> WriteTexturePng(const MeshData& mesh, const std::string& path,
                                            const std::string& texture_png) {
  return WriteAtomically(texture_png.empty() ? EncodeTexturePng(mesh.texture) : texture_png, path);
}

tl::expected<size_t, Error> WriteTexturedObjZip(const MeshData& mesh, const std::string& path,
                                                const std::string& texture_png) {
  const std::string mtl =
      "# Keepsake: the figure's base colour is its texture (sRGB)\nnewmtl figure\n"
      "Ka 1 1 1\nKd 1 1 1\nKs 0 0 0\nillum 1\nmap_Kd texture.png\n";
  const std::array<std::pair<const char*, std::string>, 3> files = {
      std::pair{"model.obj", ObjText(mesh)}, std::pair{"model.mtl", mtl},
      std::pair{"texture.png", texture_png.empty() ? EncodeTexturePng(mesh.texture) : texture_png}};
  const std::string temporary = path + ".part";
  int error = 0;
  zip_t* zip = zip_open(temporary.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  if (zip == nullptr)
    return tl::unexpected(Error{Errc::kWriteFailed, "cannot create " + temporary});
  for (const auto& [name, bytes] : files) {
    zip_source_t* source = zip_source_buffer(zip, bytes.data(), bytes.size(), 0);
    const zip_int64_t index =
        source != nullptr ? zip_file_add(zip, name, source, ZIP_FL_ENC_UTF_8) : -1;
    if (index < 0) {
      if (source != nullptr) zip_source_free(source);
      zip_discard(zip);
      return tl::unexpected(
          Error{Errc::kWriteFailed, std::string("cannot add ") + name + " to the zip"});
    }
    // the PNG is deflated already; the OBJ's text at zlib's fastest level (a third the time of
    // the default for a few per cent more bytes)
    const bool png = std::string_view(name).ends_with(".png");
    zip_set_file_compression(zip, static_cast<zip_uint64_t>(index),
                             png ? ZIP_CM_STORE : ZIP_CM_DEFLATE, png ? 0 : 1);
  }
  if (zip_close(zip) != 0) {
    zip_discard(zip);
    std::filesystem::remove(temporary);
    return tl::unexpected(Error{Errc::kWriteFailed, "cannot write " + path});
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec)
    return tl::unexpected(
        Error{Errc::kWriteFailed, "cannot rename into " + path + ": " + ec.message()});
  return static_cast<size_t>(std::filesystem::file_size(path));
}

}  // namespace keepsake::mesh
