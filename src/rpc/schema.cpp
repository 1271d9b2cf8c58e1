#include "rpc/schema.h"

#include <fmt/format.h>

#include <regex>

namespace fleek::rpc {

namespace {

bool has_type(const Json& value, std::string_view type) {
    if (type == "null") return value.is_null();
    if (type == "boolean") return value.is_boolean();
    if (type == "integer") return value.is_number_integer() || value.is_number_unsigned();
    if (type == "number") return value.is_number();
    if (type == "string") return value.is_string();
    if (type == "array") return value.is_array();
    if (type == "object") return value.is_object();
    return false;
}

std::optional<std::string> check(const Json& value, const Json& schema, const Registry& registry, const std::string& path,
                                 int depth) {
    if (depth > 64) return path + ": schema nested too deeply (a $ref cycle?)";
    if (!schema.is_object()) return path + ": the schema is not an object";
    if (const auto ref = schema.find("$ref"); ref != schema.end()) {
        const std::string& target = ref->get_ref<const std::string&>();
        const std::string prefix = "#/components/schemas/";
        if (target.rfind(prefix, 0) != 0) return path + ": unsupported $ref " + target;
        const std::string name = target.substr(prefix.size());
        const auto& schemas = registry.schemas();
        const auto found = schemas.find(name);
        if (found == schemas.end()) return path + ": unknown schema " + name;
        return check(value, found->second, registry, path, depth + 1);
    }
    if (const auto one_of = schema.find("oneOf"); one_of != schema.end()) {
        size_t matches = 0;
        std::string reasons;
        for (const Json& option : *one_of) {
            auto error = check(value, option, registry, path, depth + 1);
            if (!error) ++matches;
            else reasons += (reasons.empty() ? "" : "; ") + *error;
        }
        if (matches != 1) return fmt::format("{}: matches {} of the oneOf options ({})", path, matches, reasons);
    }
    if (const auto type = schema.find("type"); type != schema.end()) {
        bool ok = false;
        if (type->is_string()) {
            ok = has_type(value, type->get_ref<const std::string&>());
        } else {
            for (const Json& option : *type) ok = ok || has_type(value, option.get_ref<const std::string&>());
        }
        if (!ok) return fmt::format("{}: {} is not of type {}", path, value.dump().substr(0, 80), type->dump());
    }
    if (const auto allowed = schema.find("enum"); allowed != schema.end()) {
        bool ok = false;
        for (const Json& option : *allowed) ok = ok || option == value;
        if (!ok) return fmt::format("{}: {} is not one of {}", path, value.dump().substr(0, 80), allowed->dump());
    }
    if (const auto pattern = schema.find("pattern"); pattern != schema.end() && value.is_string()) {
        const std::regex expression(pattern->get_ref<const std::string&>(), std::regex::ECMAScript);
        if (!std::regex_search(value.get_ref<const std::string&>(), expression)) {
            return fmt::format("{}: \"{}\" does not match {}", path, value.get_ref<const std::string&>().substr(0, 80),
                               pattern->get_ref<const std::string&>());
        }
    }
    if (value.is_number_integer() || value.is_number_unsigned()) {
        const bool negative = value.is_number_integer() && !value.is_number_unsigned() && value.get<int64_t>() < 0;
        if (const auto minimum = schema.find("minimum"); minimum != schema.end()) {
            const bool below = negative ? (minimum->is_number_unsigned() || value.get<int64_t>() < minimum->get<int64_t>())
                                        : (minimum->is_number_unsigned() && value.get<uint64_t>() < minimum->get<uint64_t>());
            if (below) return fmt::format("{}: {} is below the minimum {}", path, value.dump(), minimum->dump());
        }
        if (const auto maximum = schema.find("maximum"); maximum != schema.end()) {
            if (!negative && maximum->is_number_unsigned() && value.get<uint64_t>() > maximum->get<uint64_t>()) {
                return fmt::format("{}: {} is above the maximum {}", path, value.dump(), maximum->dump());
            }
        }
    }
    if (value.is_object()) {
        const auto properties = schema.find("properties");
        if (const auto required = schema.find("required"); required != schema.end()) {
            for (const Json& name : *required) {
                if (!value.contains(name.get_ref<const std::string&>())) {
                    return fmt::format("{}: missing property `{}`", path, name.get_ref<const std::string&>());
                }
            }
        }
        const auto additional = schema.find("additionalProperties");
        const bool closed = additional != schema.end() && additional->is_boolean() && !additional->get<bool>();
        for (const auto& [name, field] : value.items()) {
            if (properties != schema.end() && properties->contains(name)) {
                if (auto error = check(field, (*properties)[name], registry, path + "." + name, depth + 1)) return error;
            } else if (closed) {
                return fmt::format("{}: unexpected property `{}`", path, name);
            }
        }
    }
    if (value.is_array()) {
        if (const auto items = schema.find("items"); items != schema.end()) {
            for (size_t i = 0; i < value.size(); ++i) {
                if (auto error = check(value[i], *items, registry, fmt::format("{}[{}]", path, i), depth + 1)) return error;
            }
        }
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::string> check_schema(const Json& value, const Json& schema, const Registry& registry) {
    return check(value, schema, registry, "$", 0);
}

}  // namespace fleek::rpc
