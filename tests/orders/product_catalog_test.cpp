#include "keepsake/orders/product_catalog.hpp"

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace keepsake::orders {
namespace {

ProductCatalog Shipped() {
  auto catalog = ProductCatalog::Load(testing::SourceDir() + "/assets/products.json");
  EXPECT_TRUE(catalog) << catalog.error().message;
  return *catalog;
}

TEST(ProductCatalog, ShippedCatalogHasEveryProductTheIssueNames) {
  ProductCatalog catalog = Shipped();
  for (const char* id :
       {"figure-white", "figure-colour", "photo-print-6in", "postcard-cn", "postcard-a6",
        "magnet-rect", "magnet-round-58", "magnet-diecut", "keychain-acrylic"}) {
    EXPECT_NE(catalog.Find(id), nullptr) << id;
  }
  EXPECT_EQ(catalog.Find("figure-white")->kind, ProductKind::kFigure);
  EXPECT_EQ(catalog.Find("postcard-cn")->kind, ProductKind::kPrint2d);
}

TEST(ProductCatalog, FiguresNameTheirMaterialAndItsMinimumWall) {
  ProductCatalog catalog = Shipped();
  const Material* white = catalog.FindMaterial(catalog.Find("figure-white")->material);
  const Material* colour = catalog.FindMaterial(catalog.Find("figure-colour")->material);
  ASSERT_NE(white, nullptr);
  ASSERT_NE(colour, nullptr);
  EXPECT_DOUBLE_EQ(white->min_wall_mm, 1.0);
  EXPECT_FALSE(white->colour);
  EXPECT_DOUBLE_EQ(colour->min_wall_mm, 2.0);
  EXPECT_TRUE(colour->colour);
  auto valid = ProductCatalog::Parse(R"({"materials": [{"id": "m", "min_wall_mm": 1}],
      "products": [{"id": "x", "kind": "figure", "material": "m"}]})");
  EXPECT_TRUE(valid) << valid.error().message;
}

TEST(ProductCatalog, FillsDefaultsAndAcceptsListedValues) {
  ProductCatalog catalog = Shipped();
  auto options = catalog.ResolveOptions("figure-white", {}, "items[0].options");
  ASSERT_TRUE(options);
  EXPECT_EQ(options->at("height_mm"), 100);
  options = catalog.ResolveOptions("keychain-acrylic", {{"size_mm", 70}}, "o");
  ASSERT_TRUE(options);
  EXPECT_EQ(options->at("size_mm"), 70);
}

TEST(ProductCatalog, RefusesValuesNotListed) {
  auto options = Shipped().ResolveOptions("figure-white", {{"height_mm", 90}}, "items[0].options");
  ASSERT_FALSE(options);
  EXPECT_EQ(options.error().code, Errc::kInvalidOption);
  EXPECT_EQ(options.error().field, "items[0].options.height_mm");
  EXPECT_EQ(options.error().allowed, (std::vector<std::string>{"60", "80", "100", "150"}));
}

TEST(ProductCatalog, RefusesUnknownOptionsAndProducts) {
  ProductCatalog catalog = Shipped();
  auto unknown_option = catalog.ResolveOptions("postcard-cn", {{"height_mm", 60}}, "o");
  ASSERT_FALSE(unknown_option);
  EXPECT_EQ(unknown_option.error().code, Errc::kInvalidOption);
  auto unknown_product = catalog.ResolveOptions("mug", {}, "o");
  ASSERT_FALSE(unknown_product);
  EXPECT_EQ(unknown_product.error().code, Errc::kUnknownProduct);
  EXPECT_FALSE(unknown_product.error().allowed.empty());
}

TEST(ProductCatalog, RejectsMalformedCatalogues) {
  for (const char* text :
       {"", "[]", "{\"products\": 3}", "{\"products\": [{\"id\": \"x\"}]}",
        "{\"products\": [{\"id\": \"x\", \"kind\": \"mug\"}]}",
        R"({"materials": [{"id": "m", "min_wall_mm": 1}], "products": [{"id": "x",
            "kind": "figure", "material": "m", "options": {"h": {"values": [1], "default": 2}}}]})",
        R"({"materials": [{"id": "m", "min_wall_mm": 1}], "products": [
            {"id": "x", "kind": "figure", "material": "m"},
            {"id": "x", "kind": "figure", "material": "m"}]})",
        // a figure without a material, or with one not listed; a material without its limit
        R"({"products": [{"id": "x", "kind": "figure"}]})",
        R"({"materials": [{"id": "m", "min_wall_mm": 1}], "products": [
            {"id": "x", "kind": "figure", "material": "resin"}]})",
        R"({"materials": [{"id": "m"}], "products": []})",
        R"({"materials": [{"id": "m", "min_wall_mm": 0}], "products": []})"}) {
    auto catalog = ProductCatalog::Parse(text);
    EXPECT_FALSE(catalog) << text;
  }
}

}  // namespace
}  // namespace keepsake::orders
