// The products Keepsake sells and the materials figures are printed in, loaded from
// assets/products.json: no product, option value or material limit is written in code. Options are
// integers (height_mm, size_mm) with an allowed list and a default.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "keepsake/orders/error.hpp"

namespace keepsake::orders {

enum class ProductKind { kFigure, kPrint2d };  // figure: mesh job; print2d: render job

struct ProductOption {
  std::string name;
  std::vector<int64_t> values;  // allowed values
  int64_t default_value = 0;
};

// What a figure is printed in, and the limits that follow from it.
struct Material {
  std::string id;  // white-resin, full-colour
  std::string title;
  std::string title_zh;      // the title as a Chinese page shows it (the title when none is given)
  double min_wall_mm = 1.0;  // thinner walls break or do not print
  bool colour = false;       // the printer prints the model's colours
};

struct Product {
  std::string id;
  std::string title;
  std::string title_zh;  // the title as a Chinese page shows it (the title when none is given)
  ProductKind kind = ProductKind::kFigure;
  std::vector<ProductOption> options;
  std::string material;    // figures: a Material id
  int max_text_chars = 0;  // postcards: a greeting of up to this many characters; 0: no text
  // One packed item, the lead's preset for a parcel: its weight with packing, and the box it
  // goes in (0: not given)
  int parcel_weight_g = 0;
  std::array<int, 3> parcel_box_mm{};
};

class ProductCatalog {
 public:
  // Parses products.json text. Errors: kInvalidArgument naming the bad entry.
  static Result<ProductCatalog> Parse(const std::string& json_text);
  // Reads and parses a file. Errors: kNotFound (unreadable), kInvalidArgument.
  static Result<ProductCatalog> Load(const std::string& path);

  const Product* Find(const std::string& id) const;
  const Material* FindMaterial(const std::string& id) const;
  const std::vector<Material>& Materials() const { return materials_; }
  const std::vector<Product>& Products() const { return products_; }

  // Checks `options` against the product and fills defaults. `field` prefixes error paths
  // (e.g. "items[0].options"). Errors: kUnknownProduct, kInvalidOption.
  Result<std::map<std::string, int64_t>> ResolveOptions(
      const std::string& product_id, const std::map<std::string, int64_t>& options,
      const std::string& field) const;

  // Checks a greeting for the product: only products that take text, valid UTF-8 without
  // control characters (line breaks allowed), at most max_text_chars characters. Whether the
  // font has every character is known when the card is drawn. Errors: kInvalidArgument.
  Result<void> CheckText(const std::string& product_id, const std::string& text,
                         const std::string& field) const;

 private:
  std::vector<Product> products_;
  std::vector<Material> materials_;
};

}  // namespace keepsake::orders
