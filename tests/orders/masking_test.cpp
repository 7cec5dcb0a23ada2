#include "keepsake/orders/masking.hpp"

#include <gtest/gtest.h>

namespace keepsake::orders {
namespace {

TEST(Masking, NameKeepsOnlyTheFamilyName) {
  EXPECT_EQ(MaskName("张三"), "张*");
  EXPECT_EQ(MaskName("欧阳修文"), "欧***");
  EXPECT_EQ(MaskName("王"), "王*");
  EXPECT_EQ(MaskName("Smith"), "S****");
  EXPECT_EQ(MaskName(""), "");
}

TEST(Masking, PhoneHidesAtLeastSixDigits) {
  EXPECT_EQ(MaskPhone("13812345678"), "138******78");
  EXPECT_EQ(MaskPhone("+8613812345678"), "+86*********78");
  for (const std::string phone : {"123456", "1234567", "12345678", "123456789012345678"}) {
    const std::string masked = MaskPhone(phone);
    EXPECT_EQ(masked.size(), phone.size());
    EXPECT_GE(std::count(masked.begin(), masked.end(), '*'), 6) << phone << " -> " << masked;
  }
}

TEST(Masking, AddressHidesStreetUnitAndRoom) {
  orders::Address a{"浙江省", "杭州市", "西湖区", "文三路 90 号", "3 幢 502 室"};
  orders::Address m = MaskAddress(a);
  EXPECT_EQ(m.province, "浙江省");
  EXPECT_EQ(m.city, "杭州市");
  EXPECT_EQ(m.district, "西湖区");
  EXPECT_EQ(m.street.find("90"), std::string::npos);
  EXPECT_EQ(m.detail.find("502"), std::string::npos);
}

}  // namespace
}  // namespace keepsake::orders
