// The products Keepsake sells, loaded from assets/products.json: no product or option value is
// written in code. Options are integers (height_mm, size_mm) with an allowed list and a default.
#pragma once

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

struct Product {
  std::string id;
  std::string title;
  ProductKind kind = ProductKind::kFigure;
  std::vector<ProductOption> options;
};

class ProductCatalog {
 public:
  // Parses products.json text. Errors: kInvalidArgument naming the bad entry.
  static Result<ProductCatalog> Parse(const std::string& json_text);
  // Reads and parses a file. Errors: kNotFound (unreadable), kInvalidArgument.
  static Result<ProductCatalog> Load(const std::string& path);

  const Product* Find(const std::string& id) const;
  const std::vector<Product>& Products() const { return products_; }

  // Checks `options` against the product and fills defaults. `field` prefixes error paths
  // (e.g. "items[0].options"). Errors: kUnknownProduct, kInvalidOption.
  Result<std::map<std::string, int64_t>> ResolveOptions(
      const std::string& product_id, const std::map<std::string, int64_t>& options,
      const std::string& field) const;

 private:
  std::vector<Product> products_;
};

}  // namespace keepsake::orders
