// A small JSON Schema checker for the subset our method declarations use: type (one or a list),
// enum, pattern, minimum, maximum, properties, required, additionalProperties: false, items,
// oneOf and $ref to "#/components/schemas/<name>". Tests run every method's results and examples
// through it, so a handler cannot drift from its documented result (style-anchors §7.11).
#pragma once

#include "rpc/registry.h"

#include <optional>
#include <string>

namespace fleek::rpc {

// nullopt when `value` matches `schema`; else where and how it does not ("$.ports.rpc: ...").
std::optional<std::string> check_schema(const Json& value, const Json& schema, const Registry& registry);

}  // namespace fleek::rpc
