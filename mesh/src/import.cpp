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

#include "assimp_scene.hpp"
#include "atlas.hpp"
#include "keepsake/codec/codec.hpp"

namespace keepsake::mesh {

namespace {

constexpr int64_t kMaxTexturePixels = int64_t{16384} * 16384;

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
// IO system, so it too must sit beside the model. PNG, JPEG or WebP, at most
// kMaxTexturePixels (refused from the header, before decoding).
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
  // a texture's own transparency is not printed: its colour is
  const std::string_view encoded(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  auto decoded = codec::Decode(encoded, kMaxTexturePixels, codec::Alpha::kDrop);
  if (!decoded) return {};
  codec::Pixels& p = decoded->pixels;
  return cv::Mat(p.height, p.width, CV_8UC3, p.data.data()).clone();
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

// One material's place in a packed atlas: its texture (as many copies side by side as its
// coordinates run past [0, 1]) or, for parts without texture coordinates, a patch of one colour.
struct Tile {
  atlas::Rect place;
  bool flat = false;
  int copy_width = 0, copy_height = 0;  // one copy of the texture, in texels
  int copies_u = 1, copies_v = 1;
  int first_u = 0, first_v = 0;  // the whole part of the smallest coordinates it holds

  // Where the material's coordinate (u, v) lies in an atlas of `width` x `height`.
  std::array<float, 2> Map(float u, float v, int width, int height) const {
    if (flat) {
      return atlas::UvOf(place.x + place.width / 2.0, place.y + place.height / 2.0, width, height);
    }
    const double s = std::clamp(static_cast<double>(u) - first_u, 0.0, 1.0 * copies_u);
    const double t = std::clamp(static_cast<double>(v) - first_v, 0.0, 1.0 * copies_v);
    return atlas::UvOf(place.x + s * copy_width, place.y + (copies_v - t) * copy_height, width,
                       height);
  }
};

// How the materials colour the model: each material's texture and factor, whether the model
// has colour at all, and how a texture is kept: one atlas as it is (`atlas`, the material's
// index), several materials packed into one (`tiles`), or neither (colours go to the vertices).
struct Colouring {
  std::vector<Texture> textures;
  std::vector<aiColor4D> factors;
  bool coloured = false;
  int atlas = -1;
  std::vector<Tile> tiles;
  // per material: its tile for parts with texture coordinates and for parts without (-1: none)
  std::vector<int> textured_tile, flat_tile;
  bool Packed() const { return !tiles.empty(); }
};

// The texture times glTF's factor (glTF 2.0, 3.9.2): what the atlas carries, baked in.
Texture WithFactor(Texture texture, const aiColor4D& f) {
  for (size_t i = 0; i < texture.rgb.size(); i += 3) {
    texture.rgb[i] = ToByte(texture.rgb[i] / 255.0f * f.r);
    texture.rgb[i + 1] = ToByte(texture.rgb[i + 1] / 255.0f * f.g);
    texture.rgb[i + 2] = ToByte(texture.rgb[i + 2] / 255.0f * f.b);
  }
  return texture;
}

// The largest atlas the packing makes: 8192 texels a side, 48 million in all (150 MB of RGB),
// and at most 4 x 4 copies of a texture whose coordinates repeat.
constexpr int kMaxAtlasSide = 8192;
constexpr double kMaxAtlasTexels = 48e6;
constexpr int kMaxCopies = 16;
constexpr int kTilePad = 2;  // texels around each tile: bilinear reads stay inside it

// Several materials in one atlas, so that a figure whose body, hair and base come with their
// own textures keeps them all. Parts without texture coordinates (or without a texture) get a
// patch of their material's colour. Parts coloured per vertex cannot join an atlas: then
// nothing is packed and the reason is returned (the colours go to the vertices).
std::string PackMaterials(const aiScene* scene, Colouring& c, Texture& packed) {
  const unsigned materials = scene->mNumMaterials;
  c.textured_tile.assign(materials, -1);
  c.flat_tile.assign(materials, -1);
  std::vector<std::array<float, 4>> range(materials, {1e30f, 1e30f, -1e30f, -1e30f});
  std::vector<Tile> tiles;
  for (unsigned m = 0; m < scene->mNumMeshes; ++m) {
    const aiMesh* in = scene->mMeshes[m];
    const unsigned material = in->mMaterialIndex;
    if (in->HasTextureCoords(0) && !c.textures[material].Empty()) {
      auto& r = range[material];
      for (unsigned v = 0; v < in->mNumVertices; ++v) {
        const aiVector3D& t = in->mTextureCoords[0][v];
        r = {std::min(r[0], t.x), std::min(r[1], t.y), std::max(r[2], t.x), std::max(r[3], t.y)};
      }
      if (c.textured_tile[material] < 0) {
        c.textured_tile[material] = static_cast<int>(tiles.size());
        tiles.emplace_back();
      }
    } else if (in->HasVertexColors(0)) {
      return "the model mixes textured parts and parts coloured per vertex: its colours are "
             "carried as vertex colours";
    } else if (c.flat_tile[material] < 0) {
      c.flat_tile[material] = static_cast<int>(tiles.size());
      tiles.push_back(Tile{{0, 0, 4, 4}, true});
    }
  }
  std::vector<std::array<int, 2>> sizes;
  for (unsigned material = 0; material < materials; ++material) {
    if (c.textured_tile[material] < 0) continue;
    Tile& tile = tiles[static_cast<size_t>(c.textured_tile[material])];
    const auto& r = range[material];
    // coordinates a hair past a whole number are that number (0 and 1 as writers round them)
    tile.first_u = static_cast<int>(std::floor(r[0] + 1e-4f));
    tile.first_v = static_cast<int>(std::floor(r[1] + 1e-4f));
    tile.copies_u = std::max(1, static_cast<int>(std::ceil(r[2] - 1e-4f)) - tile.first_u);
    tile.copies_v = std::max(1, static_cast<int>(std::ceil(r[3] - 1e-4f)) - tile.first_v);
    if (tile.copies_u * tile.copies_v > kMaxCopies) {
      return "a material's texture repeats more than 16 times across the model: its colours "
             "are carried as vertex colours";
    }
    tile.copy_width = c.textures[material].width;
    tile.copy_height = c.textures[material].height;
    tile.place.width = tile.copies_u * tile.copy_width;
    tile.place.height = tile.copies_v * tile.copy_height;
  }
  for (const Tile& tile : tiles) {
    sizes.push_back({tile.place.width + 2 * kTilePad, tile.place.height + 2 * kTilePad});
  }
  const atlas::Packing packing = atlas::PackShelves(sizes);
  if (packing.width > kMaxAtlasSide || packing.height > kMaxAtlasSide ||
      1.0 * packing.width * packing.height > kMaxAtlasTexels) {
    return "the materials' textures would make an atlas of " + std::to_string(packing.width) +
           " x " + std::to_string(packing.height) +
           " texels, more than a print file takes: the colours are carried as vertex colours";
  }
  packed.width = packing.width;
  packed.height = packing.height;
  packed.rgb.assign(static_cast<size_t>(packed.width) * static_cast<size_t>(packed.height) * 3,
                    255);
  for (size_t i = 0; i < tiles.size(); ++i) {
    tiles[i].place.x = packing.places[i].x + kTilePad;
    tiles[i].place.y = packing.places[i].y + kTilePad;
  }
  for (unsigned material = 0; material < materials; ++material) {
    const aiColor4D& f = c.factors[material];
    if (c.textured_tile[material] >= 0) {
      atlas::Blit(WithFactor(c.textures[material], f),
                  tiles[static_cast<size_t>(c.textured_tile[material])].place, kTilePad, packed);
    }
    if (c.flat_tile[material] >= 0) {
      atlas::Fill({ToByte(f.r), ToByte(f.g), ToByte(f.b)},
                  tiles[static_cast<size_t>(c.flat_tile[material])].place, kTilePad, packed);
    }
  }
  c.tiles = std::move(tiles);
  return {};
}

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
  // generators write: one atlas); several materials are packed into one atlas.
  int& atlas = c.atlas;
  if (out.stats.has_texture_colors) {
    atlas = static_cast<int>(scene->mMeshes[0]->mMaterialIndex);
    for (unsigned m = 0; m < scene->mNumMeshes; ++m) {
      const aiMesh* in = scene->mMeshes[m];
      if (static_cast<int>(in->mMaterialIndex) != atlas || !in->HasTextureCoords(0)) atlas = -1;
    }
  }
  if (atlas >= 0) {
    out.mesh.texture =
        WithFactor(textures[static_cast<size_t>(atlas)], factors[static_cast<size_t>(atlas)]);
    out.stats.texture_kept = true;
  } else if (out.stats.has_texture_colors) {
    const std::string refused = PackMaterials(scene, c, out.mesh.texture);
    if (refused.empty()) {
      out.stats.texture_kept = true;
      out.stats.texture_note = std::to_string(c.tiles.size()) + " materials packed into one " +
                               std::to_string(out.mesh.texture.width) + " x " +
                               std::to_string(out.mesh.texture.height) + " atlas";
    } else {
      out.stats.texture_note = refused;
      out.mesh.texture = {};
    }
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
    const Tile* tile = nullptr;  // this part's place in a packed atlas
    if (colouring.Packed()) {
      const int index = textured ? colouring.textured_tile[in->mMaterialIndex]
                                 : colouring.flat_tile[in->mMaterialIndex];
      tile = &colouring.tiles[static_cast<size_t>(index)];
    }
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
      } else if (tile != nullptr) {
        CornerUvs uv{};
        for (size_t c = 0; c < 3; ++c) {
          const aiVector3D t =
              textured ? in->mTextureCoords[0][face.mIndices[c]] : aiVector3D(0, 0, 0);
          uv[c] = tile->Map(t.x, t.y, mesh.texture.width, mesh.texture.height);
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
