// Assimp scene -> MeshData. aiProcess_PreTransformVertices bakes node transforms into the
// vertices. A Y-up model (glTF 2.0 §3.4, right-handed) becomes Z-up by (x, y, z) -> (x, -z, y).
#include "keepsake/mesh/import.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <string>
#include <unordered_map>
#include <vector>

#include <assimp/material.h>
#include <assimp/postprocess.h>
#include <assimp/IOStream.hpp>
#include <assimp/IOSystem.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "assimp_scene.hpp"

namespace keepsake::mesh {

namespace {

struct PositionKey {
  double x, y, z;
  bool operator==(const PositionKey& o) const { return x == o.x && y == o.y && z == o.z; }
};

struct PositionHash {
  size_t operator()(const PositionKey& k) const {
    uint64_t bits[3];
    std::memcpy(&bits[0], &k.x, 8);
    std::memcpy(&bits[1], &k.y, 8);
    std::memcpy(&bits[2], &k.z, 8);
    return static_cast<size_t>(bits[0] * 0x9E3779B97F4A7C15ull ^
                               (bits[1] + 0x632BE59BD9B4E019ull) * 31 ^
                               bits[2] * 0x85EBCA77C2B2AE63ull);
  }
};

// The decoded base-colour texture of `material`, or an empty image. Embedded textures (GLB)
// come from the scene; an external one (OBJ's map_Kd) is read through the importer's confined
// IO system, so it too must sit beside the model. Decoding honours OpenCV's pixel limit.
cv::Mat DecodeTexture(const LoadedScene& loaded, const aiString& path);

// A texture the material names but that cannot be read (missing beside an OBJ, not an image)
// adds its name to `unreadable`.
cv::Mat MaterialTexture(const LoadedScene& loaded, const aiMaterial* material,
                        std::vector<std::string>& unreadable) {
  aiString path;
  if (material->GetTexture(aiTextureType_BASE_COLOR, 0, &path) != AI_SUCCESS &&
      material->GetTexture(aiTextureType_DIFFUSE, 0, &path) != AI_SUCCESS) {
    return {};
  }
  cv::Mat decoded = DecodeTexture(loaded, path);
  if (decoded.empty()) {
    // the name as the file gives it, cut to what a report line can hold and to printable ASCII
    std::string name = std::filesystem::path(path.C_Str()).filename().string().substr(0, 60);
    for (char& c : name) {
      if (c < 0x20 || c > 0x7e) c = '?';
    }
    unreadable.push_back(name.empty() ? "(embedded)" : name);
  }
  return decoded;
}

cv::Mat DecodeTexture(const LoadedScene& loaded, const aiString& path) {
  std::vector<uchar> bytes;
  if (const aiTexture* embedded = loaded.scene->GetEmbeddedTexture(path.C_Str())) {
    if (embedded->mHeight != 0) return {};  // raw texel arrays: not produced by the generators
    const auto* data = reinterpret_cast<const uchar*>(embedded->pcData);
    bytes.assign(data, data + embedded->mWidth);
  } else {
    Assimp::IOSystem* io = loaded.importer.GetIOHandler();
    const std::string full = loaded.model_dir + "/" + path.C_Str();
    Assimp::IOStream* stream = io->Open(full.c_str(), "rb");
    if (stream == nullptr) return {};
    bytes.resize(stream->FileSize());
    const size_t got = stream->Read(bytes.data(), 1, bytes.size());
    io->Close(stream);
    bytes.resize(got);
  }
  try {
    return cv::imdecode(bytes, cv::IMREAD_COLOR);  // BGR
  } catch (const cv::Exception&) {
    return {};
  }
}

// A decoded BGR image as the mesh's RGB texture (empty stays empty).
Texture ToTexture(const cv::Mat& bgr) {
  Texture texture;
  if (bgr.empty()) return texture;
  texture.width = bgr.cols;
  texture.height = bgr.rows;
  texture.rgb.reserve(static_cast<size_t>(bgr.cols) * static_cast<size_t>(bgr.rows) * 3);
  for (int y = 0; y < bgr.rows; ++y) {
    for (int x = 0; x < bgr.cols; ++x) {
      const cv::Vec3b t = bgr.at<cv::Vec3b>(y, x);
      texture.rgb.insert(texture.rgb.end(), {t[2], t[1], t[0]});
    }
  }
  return texture;
}

uint8_t ToByte(float c) {
  return static_cast<uint8_t>(std::lround(std::clamp(c, 0.0f, 1.0f) * 255.0f));
}

// Whether the file's up axis is y (converted to Keepsake's z up): glTF says so; STL is z up;
// other formats by the taller of y and z.
bool YUp(const aiScene* scene, MeshFormat format, ImportStats& stats) {
  stats.up_axis_rule = "format";
  if (format == MeshFormat::kGlb || format == MeshFormat::kGltf) return true;
  if (format == MeshFormat::kStl) return false;
  float y_min = 1e30f, y_max = -1e30f, z_min = 1e30f, z_max = -1e30f;
  for (unsigned m = 0; m < scene->mNumMeshes; ++m) {
    for (unsigned v = 0; v < scene->mMeshes[m]->mNumVertices; ++v) {
      const aiVector3D& p = scene->mMeshes[m]->mVertices[v];
      y_min = std::min(y_min, p.y);
      y_max = std::max(y_max, p.y);
      z_min = std::min(z_min, p.z);
      z_max = std::max(z_max, p.z);
    }
  }
  stats.up_axis_rule = "taller of y and z";
  return (y_max - y_min) > (z_max - z_min);
}

// The file's counts into `stats`, refused when empty or over the limits.
tl::expected<void, Error> CountAndCheck(const aiScene* scene, const ImportLimits& limits,
                                        ImportStats& stats) {
  for (unsigned m = 0; m < scene->mNumMeshes; ++m) {
    stats.file_vertices += scene->mMeshes[m]->mNumVertices;
    stats.triangles += scene->mMeshes[m]->mNumFaces;
    stats.has_vertex_colors |= scene->mMeshes[m]->HasVertexColors(0);
  }
  if (stats.triangles == 0) {
    return tl::unexpected(Error{Errc::kEmpty, "the file holds no triangles"});
  }
  if (stats.triangles > limits.max_faces) {
    return tl::unexpected(
        Error{Errc::kTooLarge, "the model has " + std::to_string(stats.triangles) +
                                   " triangles; the limit is " + std::to_string(limits.max_faces)});
  }
  if (stats.file_vertices > limits.max_vertices) {
    return tl::unexpected(Error{
        Errc::kTooLarge, "the model has " + std::to_string(stats.file_vertices) +
                             " vertices; the limit is " + std::to_string(limits.max_vertices)});
  }
  return {};
}

// How the materials colour the model: each material's texture and factor, whether the model
// has colour at all, and the one atlas kept as a texture (-1: colours go to the vertices).
struct Colouring {
  std::vector<Texture> textures;
  std::vector<aiColor4D> factors;
  bool coloured = false;
  int atlas = -1;
};

Colouring ReadColouring(const LoadedScene& loaded, MeshFormat format, ImportedMesh& out) {
  const aiScene* scene = loaded.scene;
  Colouring c;
  // Colour comes from a base-colour texture sampled at the UVs, or from vertex colours. With a
  // texture, the material's diffuse factor is ignored: SF3D writes Kd 0.4 beside map_Kd, and
  // multiplying would print the figure at 40 % brightness.
  std::vector<Texture>& textures = c.textures;
  textures.resize(scene->mNumMaterials);
  std::vector<std::string> unreadable;
  for (unsigned i = 0; i < scene->mNumMaterials; ++i) {
    textures[i] = ToTexture(MaterialTexture(loaded, scene->mMaterials[i], unreadable));
  }
  for (const std::string& name : unreadable) {
    out.stats.unreadable_textures.push_back(name);
  }
  // glTF's baseColorFactor multiplies the texture and the vertex colours (glTF 2.0, 3.9.2);
  // without either, it is the colour. OBJ's Kd is not used (the trap above).
  const bool gltf = format == MeshFormat::kGlb || format == MeshFormat::kGltf;
  std::vector<aiColor4D>& factors = c.factors;
  factors.assign(scene->mNumMaterials, aiColor4D(1, 1, 1, 1));
  bool factor_colours = false;
  for (unsigned i = 0; gltf && i < scene->mNumMaterials; ++i) {
    aiColor4D base;
    if (aiGetMaterialColor(scene->mMaterials[i], AI_MATKEY_BASE_COLOR, &base) == AI_SUCCESS) {
      factors[i] = base;
    }
  }
  for (unsigned m = 0; m < scene->mNumMeshes; ++m) {
    const aiMesh* in = scene->mMeshes[m];
    if (in->HasTextureCoords(0) && !textures[in->mMaterialIndex].Empty()) {
      out.stats.has_texture_colors = true;
    }
    const aiColor4D& f = factors[in->mMaterialIndex];
    factor_colours |= f.r < 0.999f || f.g < 0.999f || f.b < 0.999f;
  }
  c.coloured = out.stats.has_vertex_colors || out.stats.has_texture_colors || factor_colours;
  // The texture is kept as it is when one textured material covers the whole model (what the
  // generators write: one atlas); several atlases would need packing, and stay vertex colours.
  int& atlas = c.atlas;
  if (out.stats.has_texture_colors) {
    atlas = static_cast<int>(scene->mMeshes[0]->mMaterialIndex);
    for (unsigned m = 0; m < scene->mNumMeshes; ++m) {
      const aiMesh* in = scene->mMeshes[m];
      if (static_cast<int>(in->mMaterialIndex) != atlas || !in->HasTextureCoords(0)) atlas = -1;
    }
    if (atlas < 0) {
      out.stats.texture_note =
          "the model has several materials or parts without texture coordinates: its colours "
          "are carried as vertex colours";
    }
  }
  if (atlas >= 0) {
    // glTF's factor multiplies the texture (above); the atlas carries it baked in
    const aiColor4D& f = factors[static_cast<size_t>(atlas)];
    Texture& texture = out.mesh.texture;
    texture = textures[static_cast<size_t>(atlas)];
    for (size_t i = 0; i < texture.rgb.size(); i += 3) {
      texture.rgb[i] = ToByte(texture.rgb[i] / 255.0f * f.r);
      texture.rgb[i + 1] = ToByte(texture.rgb[i + 1] / 255.0f * f.g);
      texture.rgb[i + 2] = ToByte(texture.rgb[i + 2] / 255.0f * f.b);
    }
    out.stats.texture_kept = true;
  }

  return c;
}

// The scene's meshes into one: positions welded (z up), colours from the texture or the vertex
// colours times the factor, UVs per corner when the atlas is kept.
tl::expected<void, Error> AppendMeshes(const aiScene* scene, bool y_up, const Colouring& colouring,
                                       ImportedMesh& out) {
  const std::vector<Texture>& textures = colouring.textures;
  const std::vector<aiColor4D>& factors = colouring.factors;
  const bool coloured = colouring.coloured;
  const int atlas = colouring.atlas;
  MeshData& mesh = out.mesh;
  std::unordered_map<PositionKey, uint32_t, PositionHash> welded;
  welded.reserve(static_cast<size_t>(out.stats.file_vertices));
  for (unsigned m = 0; m < scene->mNumMeshes; ++m) {
    const aiMesh* in = scene->mMeshes[m];
    const Texture& texture = textures[in->mMaterialIndex];
    const bool textured = in->HasTextureCoords(0) && !texture.Empty();
    const aiColor4D& factor = factors[in->mMaterialIndex];
    std::vector<uint32_t> remap(in->mNumVertices);
    for (unsigned v = 0; v < in->mNumVertices; ++v) {
      const aiVector3D& p = in->mVertices[v];
      PositionKey key =
          y_up ? PositionKey{p.x, -static_cast<double>(p.z), p.y} : PositionKey{p.x, p.y, p.z};
      if (!std::isfinite(key.x) || !std::isfinite(key.y) || !std::isfinite(key.z)) {
        return tl::unexpected(
            Error{Errc::kUnreadable, "the model has a vertex with a NaN or infinite coordinate"});
      }
      auto [it, fresh] = welded.try_emplace(key, static_cast<uint32_t>(mesh.positions.size()));
      if (fresh) {
        mesh.positions.push_back({key.x, key.y, key.z});
        if (textured) {
          // a seam vertex takes the colour of its first copy; both sides are alike
          std::array<uint8_t, 3> c =
              texture.At(in->mTextureCoords[0][v].x, in->mTextureCoords[0][v].y);
          c = {ToByte(c[0] / 255.0f * factor.r), ToByte(c[1] / 255.0f * factor.g),
               ToByte(c[2] / 255.0f * factor.b)};
          mesh.colors.push_back(c);
        } else if (coloured) {
          const aiColor4D c = in->HasVertexColors(0) ? in->mColors[0][v] : aiColor4D(1, 1, 1, 1);
          mesh.colors.push_back(
              {ToByte(c.r * factor.r), ToByte(c.g * factor.g), ToByte(c.b * factor.b)});
        }
      }
      remap[v] = it->second;
    }
    for (unsigned f = 0; f < in->mNumFaces; ++f) {
      const aiFace& face = in->mFaces[f];
      if (face.mNumIndices != 3) continue;  // triangulated; anything else was dropped
      mesh.triangles.push_back(
          {remap[face.mIndices[0]], remap[face.mIndices[1]], remap[face.mIndices[2]]});
      if (atlas >= 0) {
        CornerUvs uv{};
        for (size_t c = 0; c < 3; ++c) {
          const aiVector3D& t = in->mTextureCoords[0][face.mIndices[c]];
          uv[c] = {t.x, t.y};
        }
        mesh.uvs.push_back(uv);
      }
    }
  }
  return {};
}

}  // namespace

tl::expected<ImportedMesh, Error> ImportMesh(const std::string& folder, const std::string& path,
                                             MeshFormat format, const ImportLimits& limits) {
  auto loaded = LoadScene(folder, path, format, limits, aiProcess_PreTransformVertices);
  if (!loaded) return tl::unexpected(loaded.error());
  const aiScene* scene = (*loaded)->scene;

  ImportedMesh out;
  const bool y_up = YUp(scene, format, out.stats);
  out.stats.converted_y_up = y_up;
  if (auto counted = CountAndCheck(scene, limits, out.stats); !counted) {
    return tl::unexpected(counted.error());
  }
  const Colouring colouring = ReadColouring(**loaded, format, out);
  if (auto appended = AppendMeshes(scene, y_up, colouring, out); !appended) {
    return tl::unexpected(appended.error());
  }
  out.stats.positions = static_cast<int64_t>(out.mesh.positions.size());
  return out;
}

}  // namespace keepsake::mesh
