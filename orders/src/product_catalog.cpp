#include "keepsake/orders/product_catalog.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace keepsake::orders {

using nlohmann::json;

Result<ProductCatalog> ProductCatalog::Parse(const std::string& json_text) {
  json doc = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("products") ||
      !doc["products"].is_array()) {
    return Fail(Errc::kInvalidArgument, "products.json must be an object with a 'products' array");
  }
  ProductCatalog catalog;
  for (const json& entry : doc.value("materials", json::array())) {
    if (!entry.is_object() || !entry.contains("id") || !entry["id"].is_string() ||
        !entry.contains("min_wall_mm") || !entry["min_wall_mm"].is_number() ||
        entry["min_wall_mm"].get<double>() <= 0) {
      return Fail(Errc::kInvalidArgument,
                  "every material needs a string 'id' and a positive 'min_wall_mm'");
    }
    Material material;
    material.id = entry["id"].get<std::string>();
    material.title = entry.value("title", material.id);
    material.title_zh = entry.value("title_zh", material.title);
    material.min_wall_mm = entry["min_wall_mm"].get<double>();
    material.colour = entry.value("colour", false);
    if (catalog.FindMaterial(material.id) != nullptr) {
      return Fail(Errc::kInvalidArgument, "material " + material.id + " is listed twice");
    }
    catalog.materials_.push_back(std::move(material));
  }
  for (const json& entry : doc["products"]) {
    if (!entry.is_object() || !entry.contains("id") || !entry["id"].is_string() ||
        !entry.contains("kind") || !entry["kind"].is_string()) {
      return Fail(Errc::kInvalidArgument, "every product needs a string 'id' and 'kind'");
    }
    Product product;
    product.id = entry["id"].get<std::string>();
    product.title = entry.value("title", product.id);
    product.title_zh = entry.value("title_zh", product.title);
    const std::string kind = entry["kind"].get<std::string>();
    if (kind == "figure") {
      product.kind = ProductKind::kFigure;
    } else if (kind == "print2d") {
      product.kind = ProductKind::kPrint2d;
    } else {
      return Fail(Errc::kInvalidArgument,
                  "product " + product.id + ": kind must be 'figure' or 'print2d'");
    }
    if (entry.contains("text")) {
      const json& text = entry["text"];
      if (!text.is_object() || !text.contains("max_chars") ||
          !text["max_chars"].is_number_integer() || text["max_chars"].get<int>() <= 0) {
        return Fail(Errc::kInvalidArgument,
                    "product " + product.id + ": text must be {\"max_chars\": N}");
      }
      product.max_text_chars = text["max_chars"].get<int>();
    }
    if (entry.contains("parcel")) {
      const json& parcel = entry["parcel"];
      const auto grams = [](const json& v) {
        return v.is_number_integer() && v.get<int64_t>() > 0 && v.get<int64_t>() <= 100000;
      };
      const auto millimetres = [](const json& v) {
        return v.is_number_integer() && v.get<int64_t>() > 0 && v.get<int64_t>() <= 9999;
      };
      if (!parcel.is_object() || !parcel.contains("weight_g") || !grams(parcel["weight_g"]) ||
          !parcel.contains("box_mm") || !parcel["box_mm"].is_array() ||
          parcel["box_mm"].size() != 3 ||
          !std::all_of(parcel["box_mm"].begin(), parcel["box_mm"].end(), millimetres)) {
        return Fail(Errc::kInvalidArgument,
                    "product " + product.id +
                        ": parcel must be {\"weight_g\": grams, \"box_mm\": [L, W, H]}");
      }
      product.parcel_weight_g = parcel["weight_g"].get<int>();
      for (std::size_t k = 0; k < 3; ++k) product.parcel_box_mm[k] = parcel["box_mm"][k].get<int>();
    }
    if (entry.contains("options")) {
      if (!entry["options"].is_object()) {
        return Fail(Errc::kInvalidArgument,
                    "product " + product.id + ": options must be an object");
      }
      for (const auto& [name, spec] : entry["options"].items()) {
        if (!spec.is_object() || !spec.contains("values") || !spec["values"].is_array() ||
            spec["values"].empty() || !spec.contains("default") ||
            !spec["default"].is_number_integer()) {
          return Fail(Errc::kInvalidArgument, "product " + product.id + " option " + name +
                                                  " needs 'values' (integers) and 'default'");
        }
        ProductOption option{name, {}, spec["default"].get<int64_t>()};
        for (const json& v : spec["values"]) {
          if (!v.is_number_integer()) {
            return Fail(Errc::kInvalidArgument,
                        "product " + product.id + " option " + name + ": values must be integers");
          }
          option.values.push_back(v.get<int64_t>());
        }
        if (std::find(option.values.begin(), option.values.end(), option.default_value) ==
            option.values.end()) {
          return Fail(Errc::kInvalidArgument,
                      "product " + product.id + " option " + name + ": default is not a value");
        }
        product.options.push_back(std::move(option));
      }
    }
    if (product.kind == ProductKind::kFigure) {
      product.material = entry.value("material", "");
      if (catalog.FindMaterial(product.material) == nullptr) {
        return Fail(Errc::kInvalidArgument,
                    "product " + product.id + ": a figure needs a 'material' from 'materials'");
      }
    }
    if (catalog.Find(product.id) != nullptr) {
      return Fail(Errc::kInvalidArgument, "product " + product.id + " is listed twice");
    }
    catalog.products_.push_back(std::move(product));
  }
  return catalog;
}

Result<ProductCatalog> ProductCatalog::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(Errc::kNotFound, "cannot read product catalogue " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return Parse(text.str());
}

const Product* ProductCatalog::Find(const std::string& id) const {
  for (const Product& p : products_) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

const Material* ProductCatalog::FindMaterial(const std::string& id) const {
  for (const Material& m : materials_) {
    if (m.id == id) return &m;
  }
  return nullptr;
}

Result<void> ProductCatalog::CheckText(const std::string& product_id, const std::string& text,
                                       const std::string& field) const {
  if (text.empty()) return {};
  const Product* product = Find(product_id);
  if (product == nullptr) return {};  // ResolveOptions names the unknown product
  if (product->max_text_chars == 0) {
    return Fail(Errc::kInvalidArgument, "product " + product_id + " takes no text", field);
  }
  int characters = 0;
  for (size_t i = 0; i < text.size(); ++characters) {
    const auto b = static_cast<unsigned char>(text[i]);
    const size_t length = b < 0x80             ? 1
                          : (b & 0xE0) == 0xC0 ? 2
                          : (b & 0xF0) == 0xE0 ? 3
                          : (b & 0xF8) == 0xF0 ? 4
                                               : 0;
    bool valid = length != 0 && i + length <= text.size();
    for (size_t k = 1; valid && k < length; ++k) {
      valid = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    }
    if (!valid) return Fail(Errc::kInvalidArgument, "the text is not valid UTF-8", field);
    if (length == 1 && ((b < 0x20 && b != '\n') || b == 0x7F)) {
      return Fail(Errc::kInvalidArgument,
                  "the text has a control character; only text and line breaks print", field);
    }
    i += length;
  }
  if (characters > product->max_text_chars) {
    return Fail(Errc::kInvalidArgument,
                "the text has " + std::to_string(characters) + " characters; " + product_id +
                    " takes at most " + std::to_string(product->max_text_chars),
                field);
  }
  return {};
}

Result<std::map<std::string, int64_t>> ProductCatalog::ResolveOptions(
    const std::string& product_id, const std::map<std::string, int64_t>& options,
    const std::string& field) const {
  const Product* product = Find(product_id);
  if (product == nullptr) {
    std::vector<std::string> known;
    for (const Product& p : products_) known.push_back(p.id);
    return Fail(Errc::kUnknownProduct, "unknown product '" + product_id + "'", field, known);
  }
  std::map<std::string, int64_t> resolved;
  for (const auto& option : options) {
    // (not a structured binding: clang 14, which builds the fuzzers, cannot capture those)
    const std::string& name = option.first;
    const int64_t value = option.second;
    auto it = std::find_if(product->options.begin(), product->options.end(),
                           [&](const ProductOption& o) { return o.name == name; });
    if (it == product->options.end()) {
      std::vector<std::string> known;
      for (const ProductOption& o : product->options) known.push_back(o.name);
      return Fail(Errc::kInvalidOption, "product " + product_id + " has no option '" + name + "'",
                  field + "." + name, known);
    }
    if (std::find(it->values.begin(), it->values.end(), value) == it->values.end()) {
      std::vector<std::string> allowed;
      for (int64_t v : it->values) allowed.push_back(std::to_string(v));
      return Fail(Errc::kInvalidOption,
                  "option " + name + " of " + product_id + " cannot be " + std::to_string(value),
                  field + "." + name, allowed);
    }
    resolved[name] = value;
  }
  for (const ProductOption& o : product->options) resolved.try_emplace(o.name, o.default_value);
  return resolved;
}

}  // namespace keepsake::orders
