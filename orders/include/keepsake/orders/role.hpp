// Who acts on the system. Every state transition and every HTTP route names the roles allowed.
#pragma once

#include <optional>
#include <string_view>

namespace keepsake::orders {

enum class Role {
  kChannel,     // the AI app's backend: places orders, uploads assets
  kModeler,     // modeling engineer: reviews prepared meshes
  kCs,          // customer service
  kLogistics,   // packs and ships
  kProduction,  // the print room
  kAdmin,       // operators of Keepsake itself
  kSystem,      // Keepsake's own job runner; never held by a token
};

inline constexpr Role kTokenRoles[] = {Role::kChannel,   Role::kModeler,    Role::kCs,
                                       Role::kLogistics, Role::kProduction, Role::kAdmin};

std::string_view RoleName(Role role);
// Parses a role name as RoleName prints it; "system" is not accepted (no token may hold it).
std::optional<Role> ParseTokenRole(std::string_view name);

}  // namespace keepsake::orders
