// 3MF (3D Manufacturing Format, core spec 1.2) through lib3mf 1.8 from Debian, its C ABI:
// one mesh object in millimetres, one build item; with vertex colours, a gradient colour per
// triangle (the materials extension's colour per vertex of each triangle).
#include <Model/COM/NMR_DLLInterfaces.h>

#include <array>
#include <filesystem>
#include <memory>
#include <vector>

#include "keepsake/mesh/export.hpp"

namespace keepsake::mesh {

namespace {

// lib3mf's objects are released with lib3mf_release; this owns one of them.
struct Released {
  void operator()(NMR::PLib3MFBase* p) const {
    if (p != nullptr) NMR::lib3mf_release(p);
  }
};
using Handle = std::unique_ptr<NMR::PLib3MFBase, Released>;

using Written = tl::expected<void, Error>;

// The mesh's vertices and triangles onto the object.
Written SetGeometry(NMR::PLib3MFModelMeshObject* raw_object, const MeshData& mesh) {
  std::vector<NMR::MODELMESHVERTEX> vertices(mesh.positions.size());
  for (size_t i = 0; i < mesh.positions.size(); ++i) {
    for (int k = 0; k < 3; ++k) {
      vertices[i].m_fPosition[k] = static_cast<float>(mesh.positions[i][static_cast<size_t>(k)]);
    }
  }
  std::vector<NMR::MODELMESHTRIANGLE> triangles(mesh.triangles.size());
  for (size_t i = 0; i < mesh.triangles.size(); ++i) {
    for (int k = 0; k < 3; ++k) {
      triangles[i].m_nIndices[k] = mesh.triangles[i][static_cast<size_t>(k)];
    }
  }
  if (NMR::lib3mf_meshobject_setgeometry(raw_object, vertices.data(),
                                         static_cast<DWORD>(vertices.size()), triangles.data(),
                                         static_cast<DWORD>(triangles.size())) != LIB3MF_OK) {
    return tl::unexpected(
        Error{Errc::kWriteFailed, std::string("lib3mf: cannot set the geometry")});
  }
  return {};
}

// The texture as a 3MF texture2d resource (Materials and Properties extension): a PNG part
// related to the model, and the coordinates of each triangle's corners on it.
Written SetTexture(NMR::PLib3MFModel* raw_model, NMR::PLib3MFModelMeshObject* raw_object,
                   const MeshData& mesh, const std::string& texture_png) {
  std::string png = texture_png.empty() ? EncodeTexturePng(mesh.texture) : texture_png;
  NMR::PLib3MFModelAttachment* raw_attachment = nullptr;
  std::string uri = "/3D/Textures/texture.png";
  std::string relation = "http://schemas.microsoft.com/3dmanufacturing/2013/01/3dtexture";
  if (NMR::lib3mf_model_addattachmentutf8(raw_model, uri.data(), relation.data(),
                                          &raw_attachment) != LIB3MF_OK) {
    return tl::unexpected(
        Error{Errc::kWriteFailed, std::string("lib3mf: cannot attach the texture")});
  }
  Handle attachment(raw_attachment);
  if (NMR::lib3mf_attachment_readfrombuffer(raw_attachment, reinterpret_cast<BYTE*>(png.data()),
                                            png.size()) != LIB3MF_OK) {
    return tl::unexpected(
        Error{Errc::kWriteFailed, std::string("lib3mf: cannot store the texture")});
  }
  NMR::PLib3MFModelTexture2D* raw_texture = nullptr;
  if (NMR::lib3mf_model_addtexture2dfromattachment(raw_model, raw_attachment, &raw_texture) !=
      LIB3MF_OK) {
    return tl::unexpected(Error{Errc::kWriteFailed, std::string("lib3mf: cannot add the texture")});
  }
  Handle texture(raw_texture);
  NMR::lib3mf_texture2d_setcontenttype(raw_texture, NMR::MODELTEXTURETYPE_PNG);
  DWORD texture_id = 0;
  NMR::lib3mf_resource_getresourceid(raw_texture, &texture_id);
  NMR::PLib3MFPropertyHandler* raw_handler = nullptr;
  if (NMR::lib3mf_meshobject_createpropertyhandler(raw_object, &raw_handler) != LIB3MF_OK) {
    return tl::unexpected(
        Error{Errc::kWriteFailed, std::string("lib3mf: cannot add texture coordinates")});
  }
  Handle handler(raw_handler);
  std::vector<NMR::MODELMESHTEXTURE2D> corners(mesh.triangles.size());
  for (size_t i = 0; i < mesh.triangles.size(); ++i) {
    corners[i].m_nTextureID = texture_id;
    for (size_t k = 0; k < 3; ++k) {
      corners[i].m_fU[k] = mesh.uvs[i][k][0];
      corners[i].m_fV[k] = mesh.uvs[i][k][1];
    }
  }
  if (NMR::lib3mf_propertyhandler_settexturearray(raw_handler, corners.data()) != LIB3MF_OK) {
    return tl::unexpected(
        Error{Errc::kWriteFailed, std::string("lib3mf: cannot set the texture coordinates")});
  }
  NMR::PLib3MFDefaultPropertyHandler* raw_default = nullptr;
  if (NMR::lib3mf_object_createdefaultpropertyhandler(raw_object, &raw_default) != LIB3MF_OK) {
    return tl::unexpected(
        Error{Errc::kWriteFailed, std::string("lib3mf: cannot add the default texture")});
  }
  Handle default_handler(raw_default);
  NMR::lib3mf_defaultpropertyhandler_settexture(raw_default, texture_id, mesh.uvs[0][0][0],
                                                mesh.uvs[0][0][1]);
  return {};
}

// Vertex colours as per-triangle gradients, and the mean colour as the object's default.
Written SetColours(NMR::PLib3MFModelMeshObject* raw_object, const MeshData& mesh) {
  NMR::PLib3MFPropertyHandler* raw_handler = nullptr;
  if (NMR::lib3mf_meshobject_createpropertyhandler(raw_object, &raw_handler) != LIB3MF_OK) {
    return tl::unexpected(Error{Errc::kWriteFailed, std::string("lib3mf: cannot add colours")});
  }
  Handle handler(raw_handler);
  std::vector<NMR::MODELMESH_TRIANGLECOLOR_SRGB> colours(mesh.triangles.size());
  for (size_t i = 0; i < mesh.triangles.size(); ++i) {
    for (size_t k = 0; k < 3; ++k) {
      const auto& c = mesh.colors[mesh.triangles[i][k]];
      colours[i].m_Colors[k] = {c[0], c[1], c[2], 255};
    }
  }
  if (NMR::lib3mf_propertyhandler_setgradientcolorarray(raw_handler, colours.data()) != LIB3MF_OK) {
    return tl::unexpected(Error{Errc::kWriteFailed, std::string("lib3mf: cannot set the colours")});
  }
  // 3MF wants an object-level default whenever triangles carry properties: the mean colour
  NMR::PLib3MFDefaultPropertyHandler* raw_default = nullptr;
  if (NMR::lib3mf_object_createdefaultpropertyhandler(raw_object, &raw_default) != LIB3MF_OK) {
    return tl::unexpected(
        Error{Errc::kWriteFailed, std::string("lib3mf: cannot add the default colour")});
  }
  Handle default_handler(raw_default);
  std::array<double, 3> sum{};
  for (const auto& c : mesh.colors) {
    for (size_t k = 0; k < 3; ++k) sum[k] += c[k];
  }
  const double n = static_cast<double>(mesh.colors.size());
  NMR::MODELMESHCOLOR_SRGB mean = {static_cast<uint8_t>(sum[0] / n),
                                   static_cast<uint8_t>(sum[1] / n),
                                   static_cast<uint8_t>(sum[2] / n), 255};
  NMR::lib3mf_defaultpropertyhandler_setcolor(raw_default, &mean);
  return {};
}

// The model written to `path` through a temporary file, renamed when complete.
Written WriteModel(NMR::PLib3MFModel* raw_model, const std::string& path) {
  NMR::PLib3MFModelWriter* raw_writer = nullptr;
  if (NMR::lib3mf_model_querywriter(raw_model, "3mf", &raw_writer) != LIB3MF_OK) {
    return tl::unexpected(Error{Errc::kWriteFailed, std::string("lib3mf: no 3MF writer")});
  }
  Handle writer(raw_writer);
  const std::string tmp = path + ".tmp.3mf";
  if (NMR::lib3mf_writer_writetofileutf8(raw_writer, tmp.c_str()) != LIB3MF_OK) {
    DWORD code = 0;
    LPCSTR message = nullptr;
    NMR::lib3mf_getlasterror(raw_writer, &code, &message);
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    return tl::unexpected(
        Error{Errc::kWriteFailed,
              "lib3mf cannot write " + tmp + ": " +
                  (message != nullptr ? std::string(message) : std::to_string(code))});
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec)
    return tl::unexpected(Error{Errc::kWriteFailed, "cannot rename " + tmp + ": " + ec.message()});
  return {};
}

}  // namespace

tl::expected<size_t, Error> WriteThreeMf(const MeshData& mesh, const std::string& path,
                                         const std::string& texture_png) {
  NMR::PLib3MFModel* raw_model = nullptr;
  if (NMR::lib3mf_createmodel(&raw_model) != LIB3MF_OK)
    return tl::unexpected(Error{Errc::kWriteFailed, std::string("lib3mf: no model")});
  Handle model(raw_model);
  NMR::lib3mf_model_setunit(raw_model, NMR::MODELUNIT_MILLIMETER);

  NMR::PLib3MFModelMeshObject* raw_object = nullptr;
  if (NMR::lib3mf_model_addmeshobject(raw_model, &raw_object) != LIB3MF_OK) {
    return tl::unexpected(
        Error{Errc::kWriteFailed, std::string("lib3mf: cannot add a mesh object")});
  }
  Handle object(raw_object);
  Written done = SetGeometry(raw_object, mesh);
  if (done && !mesh.texture.Empty() && mesh.uvs.size() == mesh.triangles.size()) {
    done = SetTexture(raw_model, raw_object, mesh, texture_png);
  } else if (done && !mesh.colors.empty()) {
    done = SetColours(raw_object, mesh);
  }
  if (!done) return tl::unexpected(done.error());
  NMR::PLib3MFModelBuildItem* raw_item = nullptr;
  if (NMR::lib3mf_model_addbuilditem(raw_model, raw_object, nullptr, &raw_item) != LIB3MF_OK) {
    return tl::unexpected(
        Error{Errc::kWriteFailed, std::string("lib3mf: cannot add the build item")});
  }
  Handle item(raw_item);
  if (auto written = WriteModel(raw_model, path); !written) {
    return tl::unexpected(written.error());
  }
  return static_cast<size_t>(std::filesystem::file_size(path));
}

}  // namespace keepsake::mesh
