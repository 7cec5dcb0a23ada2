// Personal data masking, one function per field (GB/T 41833-2022 for waybills: hide at least
// one character of the name and at least six digits of the phone). The API edge masks for the
// roles that do not need the data; the waybill masks the name and phone, never the address.
#pragma once

#include <string>

#include "keepsake/orders/types.hpp"

namespace keepsake::orders {

// Keeps the family name (the first character, UTF-8 aware) and stars the rest: 张三丰 -> 张**.
std::string MaskName(const std::string& name);
// Keeps the first three and the last two digits and stars the rest (at least six):
// 13812345678 -> 138******78. Shorter numbers keep fewer digits so that six are always hidden.
std::string MaskPhone(const std::string& phone);
// Keeps province, city and district; hides the street detail, unit and room.
Address MaskAddress(const Address& address);

}  // namespace keepsake::orders
