#include "keepsake/orders/role.hpp"

namespace keepsake::orders {

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kChannel:
      return "channel";
    case Role::kModeler:
      return "modeler";
    case Role::kCs:
      return "cs";
    case Role::kLogistics:
      return "logistics";
    case Role::kProduction:
      return "production";
    case Role::kAdmin:
      return "admin";
    case Role::kSystem:
      return "system";
  }
  return "unknown";
}

std::optional<Role> ParseTokenRole(std::string_view name) {
  for (Role role : kTokenRoles) {
    if (RoleName(role) == name) return role;
  }
  return std::nullopt;
}

}  // namespace keepsake::orders
