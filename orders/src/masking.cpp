#include "keepsake/orders/masking.hpp"

#include <algorithm>

namespace keepsake::orders {

namespace {

// Length in bytes of the UTF-8 sequence that starts with `lead`.
size_t Utf8Length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xE) return 3;
  if ((lead >> 3) == 0x1E) return 4;
  return 1;
}

size_t CountCodePoints(const std::string& s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); i += Utf8Length(static_cast<unsigned char>(s[i]))) ++n;
  return n;
}

}  // namespace

std::string MaskName(const std::string& name) {
  if (name.empty()) return name;
  const size_t first = std::min(name.size(), Utf8Length(static_cast<unsigned char>(name[0])));
  const size_t rest = CountCodePoints(name) - 1;
  return name.substr(0, first) + std::string(std::max<size_t>(rest, 1), '*');
}

std::string MaskPhone(const std::string& phone) {
  constexpr size_t kHidden = 6;
  const size_t n = phone.size();
  if (n <= kHidden) return std::string(n, '*');
  const size_t shown = n - kHidden;  // digits we may show, split between head and tail
  const size_t tail = std::min<size_t>(2, shown / 2);
  const size_t head = std::min<size_t>(3, shown - tail);
  return phone.substr(0, head) + std::string(n - head - tail, '*') + phone.substr(n - tail);
}

orders::Address MaskAddress(const orders::Address& address) {
  orders::Address masked = address;
  masked.street = address.street.empty() ? "" : "***";
  masked.detail = "***";
  return masked;
}

}  // namespace keepsake::orders
