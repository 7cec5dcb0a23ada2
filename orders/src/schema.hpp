// Versioned, forward-only migrations of the order store. Never edit a migration that has
// shipped: add a new one. Version N is migrations()[N-1].
#pragma once

#include <string_view>
#include <vector>

namespace keepsake::orders::schema {

const std::vector<std::string_view>& Migrations();

}  // namespace keepsake::orders::schema
