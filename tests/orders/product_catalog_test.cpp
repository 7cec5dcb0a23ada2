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
        "{\"products\": [{\"id\": \"x\", \"kind\": \"figure\", \"options\": {\"h\": "
        "{\"values\": [1], \"default\": 2}}}]}",
        "{\"products\": [{\"id\": \"x\", \"kind\": \"figure\"}, {\"id\": \"x\", \"kind\": "
        "\"figure\"}]}"}) {
    auto catalog = ProductCatalog::Parse(text);
    EXPECT_FALSE(catalog) << text;
  }
}

}  // namespace
}  // namespace keepsake::orders
