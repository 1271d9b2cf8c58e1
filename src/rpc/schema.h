// A small JSON Schema checker for the subset our method declarations use: type (one or a list),
// enum, pattern, minimum, maximum, properties, required, additionalProperties: false, items,
// oneOf and $ref to "#/components/schemas/<name>". Tests run every method's results and examples
// through it, so a handler cannot drift from its documented result (style-anchors §7.11).
#pragma once

#include "rpc/registry.h"

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace fleek::rpc {

// Builders of the schemas the method declarations use.
inline std::string schema_ref_path(std::string_view name) { return "#/components/schemas/" + std::string(name); }
inline Json ref_schema(std::string_view name) { return Json{{"$ref", schema_ref_path(name)}}; }
inline Json nullable(Json schema) { return Json{{"oneOf", Json::array({std::move(schema), Json{{"type", "null"}}})}}; }
inline Json array_of(Json items) { return Json{{"type", "array"}, {"items", std::move(items)}}; }

// nullopt when `value` matches `schema`; else where and how it does not ("$.ports.rpc: ...").
std::optional<std::string> check_schema(const Json& value, const Json& schema, const Registry& registry);

}  // namespace fleek::rpc
